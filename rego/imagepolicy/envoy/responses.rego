# METADATA
# title: Envoy responses
# description: |
#   Builds the OPA-Envoy plugin's result objects (allowed, headers, response_headers_to_add, http_status, body).
#   Denials carry a JSON body: the registry gateway's in the distribution API's error format, which docker,
#   containerd and crane print, and the deploy gateway's as imagepolicy.decision.
package imagepolicy.envoy.responses

import rego.v1

json_headers := {"content-type": "application/json"}

# registry_error is a denial as the registry API reports errors: {"errors": [{"code", "message", "detail"}]}.
registry_error(status, code, message, detail, images) := {
	"allowed": false,
	"http_status": status,
	"headers": json_headers,
	"body": json.marshal({"errors": [{"code": code, "message": message, "detail": detail}]}),
	"images": images,
}

# deploy_error is a deploy gateway denial with the per-image results (empty when the body was not evaluated).
deploy_error(status, reasons, images) := {
	"allowed": false,
	"http_status": status,
	"headers": json_headers,
	"body": json.marshal({"allowed": false, "reasons": reasons, "images": images}),
	"images": images,
}

# config_error: while the gateways' settings are malformed, every request is denied as unavailable.
config_error(problems) := {
	"allowed": false,
	"http_status": 503,
	"headers": json_headers,
	"body": json.marshal({"errors": [{"code": "DENIED", "message": "image policy: the gateway configuration is invalid", "detail": sort(problems)}]}),
	"images": [],
}
