package imagepolicy.envoy

import rego.v1

import data.imagepolicy.envoy.responses
import data.imagepolicy.envoy.routes
import data.imagepolicy.envoy.settings
import data.imagepolicy.evaluate

# METADATA
# scope: document
# title: Registry pull gateway
# description: |
#   The OPA-Envoy plugin's decision for Envoy in front of a registry (path imagepolicy/envoy/registry): a GET or
#   HEAD of a manifest is allowed only when the image is allowed by the verification config, and an allowed pull
#   carries the verified digest in the x-opa-cosign-digest response header. The registry host is
#   data.imagepolicy.config.envoy.registry.upstream when set, else the request's authority. Base (/v2/) and blob
#   reads pass (content-addressed: the client checks them against the manifest it got through the gate); pushes,
#   the catalog, tag lists and referrers are denied unless enabled; anything else is denied.
# related_resources:
#   - ref: ../../../docs/envoy.md
# entrypoint: true
default registry := {
	"allowed": false,
	"http_status": 403,
	"headers": {"content-type": "application/json"},
	"body": "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"image policy: the request could not be evaluated\",\"detail\":null}]}",
	"images": [],
}

registry := responses.config_error(settings.errors) if {
	count(settings.errors) > 0
} else := registry_decision

request_http := input.attributes.request.http

route := routes.route

# The methods each kind of route serves, and what a request of that kind needs to pass.
reads := {"GET", "HEAD"}

push_methods := {"upload": {"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"}, "manifest": {"PUT"}}

registry_decision := responses.registry_error(400, "NAME_INVALID", sprintf("image policy: malformed request path: %s", [route.problem]), null, []) if {
	route.kind == "malformed"
} else := responses.registry_error(404, "UNSUPPORTED", "image policy: not a registry API path served by this gateway", null, []) if {
	route.kind == "unknown"
} else := responses.registry_error(400, "DIGEST_INVALID", sprintf("image policy: %q: %s", [route.reference, problem]), null, []) if {
	problem := routes.reference_problem(route.reference, route.kind)
} else := {"allowed": true, "images": []} if {
	route.kind in {"base", "blob"}
	request_http.method in reads
} else := manifest_decision if {
	route.kind == "manifest"
	request_http.method in reads
} else := {"allowed": true, "images": []} if {
	request_http.method in object.get(push_methods, route.kind, set())
	settings.enabled("allow_push")
} else := {"allowed": true, "images": []} if {
	request_http.method in reads
	settings.enabled(sprintf("allow_%s", [listing[route.kind]]))
} else := responses.registry_error(403, "DENIED", sprintf("image policy: %s is disabled on this gateway", [what[route.kind]]), null, []) if {
	request_http.method in (object.get(push_methods, route.kind, set()) | reads)
	route.kind in object.keys(what)
} else := responses.registry_error(405, "UNSUPPORTED", sprintf("image policy: method %q is not allowed on this path", [request_http.method]), null, [])

listing := {"catalog": "catalog", "tags": "tags_list", "referrers": "referrers"}

what := {
	"upload": "pushing",
	"manifest": "pushing",
	"catalog": "the catalog",
	"tags": "listing tags",
	"referrers": "the referrers API",
}

# registry_host: the configured upstream, else the request's authority (which the client chooses: see docs).
registry_host := h if {
	h := settings.upstream
} else := h if {
	h := lower(request_http.host)
	regex.match(settings.host_pattern, h)
}

separator := "@" if routes.is_digest(route.reference)

else := ":"

image_ref := concat("", [registry_host, "/", route.name, separator, route.reference])

manifest_result := evaluate.decide([image_ref], "").images[0]

manifest_decision := responses.registry_error(400, "NAME_INVALID", "image policy: no registry host: configure envoy.registry.upstream, or send a valid authority", null, []) if {
	not registry_host
} else := {
	"allowed": true,
	"response_headers_to_add": digest_headers(manifest_result),
	"images": [manifest_result],
} if {
	manifest_result.allowed == true
	digest_matches(manifest_result)
} else := responses.registry_error(
	403, "DENIED",
	sprintf("image policy: %s: %s", [image_ref, concat("; ", denial_reasons(manifest_result))]),
	manifest_result, [manifest_result],
) if {
	is_object(manifest_result)
} else := responses.registry_error(403, "DENIED", sprintf("image policy: %s: not evaluated", [image_ref]), null, [])

# A pull by digest must be allowed for that very digest.
digest_matches(_) if not routes.is_digest(route.reference)

digest_matches(r) if r.digest == route.reference

denial_reasons(r) := r.reasons if {
	count(r.reasons) > 0
	digest_matches(r)
} else := [sprintf("verified digest %s is not the requested %s", [r.digest, route.reference])] if {
	not digest_matches(r)
} else := ["not allowed"]

digest_headers(r) := {"x-opa-cosign-verified": "true", "x-opa-cosign-digest": r.digest} if {
	r.verified == true
} else := {"x-opa-cosign-verified": "false"}
