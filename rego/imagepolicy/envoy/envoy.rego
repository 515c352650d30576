# METADATA
# title: Envoy ext_authz gateways
# description: |
#   Decisions for the OPA-Envoy plugin (envoy_ext_authz_grpc) with its input (attributes.request.http,
#   parsed_body, truncated_body) and result shapes (allowed, headers, response_headers_to_add, http_status, body):
#   data.imagepolicy.envoy.registry for Envoy in front of a registry, data.imagepolicy.envoy.deploy for Envoy in
#   front of a deploy API. Both add the per-image results (images) for the decision logs.
# related_resources:
#   - ref: ../../../docs/envoy.md
package imagepolicy.envoy
