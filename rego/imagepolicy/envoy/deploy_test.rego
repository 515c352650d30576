package imagepolicy.envoy.deploy_test

import rego.v1

import data.imagepolicy.envoy
import data.imagepolicy.testing

config := {
	"allow_with_verification": {"ghcr.io": {"acme/**": testing.sec}},
	"namespaces": {"dev": {"allow_with_verification": {"ghcr.io": {"acme/**": testing.dev}}}},
}

# request is what the plugin makes of a POST with a JSON body: parsed_body and truncated_body beside the attributes.
request(body) := {
	"attributes": {"request": {"http": {"method": "POST", "path": "/deploy", "headers": {"content-type": "application/json"}}}},
	"parsed_body": body,
	"truncated_body": false,
}

decide(req, cfg) := d if {
	d := envoy.deploy with input as req
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
}

deploy(body) := decide(request(body), config)

denial(d) := json.unmarshal(d.body)

test_allow_when_every_image_is_allowed if {
	d := deploy({"images": ["ghcr.io/acme/app:1", concat("", ["ghcr.io/acme/app@sha256:", crypto.sha256("ghcr.io/acme/app")])]})
	d.allowed == true
	count(d.images) == 2
	every r in d.images {
		r.verified == true
	}
}

test_allow_results_are_the_decision_entrypoints if {
	images := ["ghcr.io/acme/app:1", "ghcr.io/acme/dev-only:1"]
	d := deploy({"images": images})
	decision := data.imagepolicy.decision with input as {"images": images}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
	d.images == decision.images
	denial(d) == {"allowed": false, "reasons": decision.reasons, "images": decision.images}
}

test_deny_mixed_images_with_each_reason if {
	d := deploy({"images": ["ghcr.io/acme/app:1", "ghcr.io/acme/unsigned:1", 42, "quay.io/x/y"]})
	d.allowed == false
	d.http_status == 403
	d.headers == {"content-type": "application/json"}
	denial(d).reasons == [
		"ghcr.io/acme/unsigned:1: no_signatures: no signatures found",
		"42: invalid image reference",
		"quay.io/x/y: no rule of the verification config matches quay.io/x/y",
	]
	[r.allowed | some r in denial(d).images] == [true, false, false, false]
}

test_namespace_selects_its_rules if {
	deploy({"images": ["ghcr.io/acme/dev-only:1"], "namespace": "dev"}).allowed == true
	deploy({"images": ["ghcr.io/acme/dev-only:1"], "namespace": "prod"}).allowed == false
}

# The verification config's mode does not soften a gateway: there is no warning channel (dry-run is the plugin's).
test_deny_in_warn_mode if {
	d := decide(request({"images": ["ghcr.io/acme/unsigned:1"]}), object.union(config, {"mode": "warn"}))
	d.http_status == 403
}

test_deny_bodies_of_the_wrong_shape if {
	every body, reason in {
		"not an object": "the request body must be a JSON object with images: an array of image references",
		"[\"ghcr.io/acme/app:1\"]": "the request body must be a JSON object with images: an array of image references",
		"{\"images\": \"ghcr.io/acme/app:1\"}": "images must be an array of image references",
		"{\"image\": [\"ghcr.io/acme/app:1\"]}": "images must be an array of image references",
		"{\"images\": []}": "images must list at least one image",
		"{\"images\": [\"ghcr.io/acme/app:1\"], \"namespace\": 7}": "namespace must be a string",
	} {
		parsed := json_or_string(body)
		d := deploy(parsed)
		d.http_status == 400
		denial(d) == {"allowed": false, "reasons": [reason], "images": []}
	}
}

json_or_string(s) := json.unmarshal(s) if json.is_valid(s)

else := s

test_deny_a_missing_body if {
	d := decide(object.remove(request(null), ["parsed_body"]), config)
	d.http_status == 400
}

test_deny_bodies_that_are_not_json if {
	req := json.patch(request(null), [{"op": "replace", "path": "/attributes/request/http/headers", "value": {"content-type": "text/plain"}}])
	d := decide(req, config)
	d.http_status == 415
	no_type := decide(json.patch(req, [{"op": "replace", "path": "/attributes/request/http/headers", "value": {}}]), config)
	no_type.http_status == 415
}

test_deny_truncated_bodies if {
	req := json.patch(request({"images": ["ghcr.io/acme/app:1"]}), [{"op": "replace", "path": "/truncated_body", "value": true}])
	d := decide(req, config)
	d.http_status == 413
	contains(denial(d).reasons[0], "truncated")
}

test_deny_more_images_than_the_limit if {
	cfg := object.union(config, {"envoy": {"deploy": {"max_images": 2}}})
	d := decide(request({"images": ["ghcr.io/acme/app:1", "ghcr.io/acme/app:2", "ghcr.io/acme/app:3"]}), cfg)
	d.http_status == 413
	denial(d).reasons == ["the request lists 3 images; at most 2 are evaluated per request (envoy.deploy.max_images)"]
	decide(request({"images": ["ghcr.io/acme/app:1", "ghcr.io/acme/app:2"]}), cfg).allowed == true
}

test_deny_everything_while_the_settings_are_malformed if {
	every deploy_cfg in [{"max_images": 0}, {"max_images": 1.5}, {"max_images": "10"}, {"limit": 3}] {
		d := decide(request({"images": ["ghcr.io/acme/app:1"]}), object.union(config, {"envoy": {"deploy": deploy_cfg}}))
		d.http_status == 503
	}
}

test_deny_when_verification_cannot_run if {
	d := envoy.deploy with input as request({"images": ["ghcr.io/acme/app:1"]})
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	d.http_status == 403
	contains(denial(d).reasons[0], "verification did not run")
}

undefined_decide(_, _) := x if {
	x := input.never_defined
}

test_deny_when_the_library_gives_no_result if {
	d := envoy.deploy with input as request({"images": ["ghcr.io/acme/app:1"]})
		with data.imagepolicy.config as config
		with data.imagepolicy.evaluate.decide as undefined_decide
	d.http_status == 403
	denial(d).reasons == ["the request could not be evaluated"]
}
