package imagepolicy.envoy

import rego.v1

import data.imagepolicy.envoy.responses
import data.imagepolicy.envoy.settings
import data.imagepolicy.evaluate

# METADATA
# scope: document
# title: Deploy gateway
# description: |
#   The OPA-Envoy plugin's decision for Envoy in front of a deploy API (path imagepolicy/envoy/deploy): the
#   request's JSON body {"images": ["ref", ...], "namespace": "optional"} is allowed only when every image is
#   allowed by the verification config. A denial is a 403 whose body has the per-image results as
#   imagepolicy.decision gives them; a body that cannot be read whole is denied (400, 413 or 415).
# related_resources:
#   - ref: ../../../docs/envoy.md
# entrypoint: true
default deploy := {
	"allowed": false,
	"http_status": 403,
	"headers": {"content-type": "application/json"},
	"body": "{\"allowed\":false,\"reasons\":[\"the request could not be evaluated\"],\"images\":[]}",
	"images": [],
}

deploy := responses.config_error(settings.errors) if {
	count(settings.errors) > 0
} else := deploy_decision

# body is null when the plugin parsed none (no body, or not JSON).
default body := null

body := input.parsed_body

images := object.get(body, "images", null) if is_object(body)

else := null

deploy_decision := responses.deploy_error(413, ["the request body was truncated: it is larger than Envoy forwards (with_request_body.max_request_bytes)"], []) if {
	input.truncated_body == true
} else := responses.deploy_error(415, ["the request body must be JSON (content-type: application/json)"], []) if {
	not json_request
} else := responses.deploy_error(400, [problem], []) if {
	some problem in body_problems
} else := responses.deploy_error(413, [sprintf("the request lists %d images; at most %d are evaluated per request (envoy.deploy.max_images)", [count(images), settings.max_images])], []) if {
	count(images) > settings.max_images
} else := deploy_result(evaluate.decide(images, object.get(body, "namespace", "")))

json_request if contains(lower(object.get(input.attributes.request.http.headers, "content-type", "")), "application/json")

body_problems contains "the request body must be a JSON object with images: an array of image references" if {
	not is_object(body)
}

body_problems contains "images must be an array of image references" if {
	is_object(body)
	not is_array(images)
}

body_problems contains "images must list at least one image" if {
	images == []
}

body_problems contains "namespace must be a string" if {
	is_object(body)
	"namespace" in object.keys(body)
	not is_string(body.namespace)
}

# deploy_result: allowed only when there is a result for every image and each is allowed. The mode of the
# verification config is not applied here (see docs/envoy.md: the plugin's dry-run is the gateway's audit mode).
deploy_result(result) := {"allowed": true, "images": result.images} if {
	count(result.images) == count(images)
	every r in result.images {
		r.allowed == true
	}
} else := responses.deploy_error(403, reasons(result.images), result.images)

reasons(results) := [sprintf("%v: %s", [r.image, reason]) | some r in results; r.allowed != true; some reason in r.reasons]
