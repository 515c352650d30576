package imagepolicy.envoy.registry_test

import rego.v1

import data.imagepolicy.envoy
import data.imagepolicy.testing

config := {
	"allow_with_verification": {"ghcr.io": {"acme/**": testing.sec}},
	"allow_without_verification": {"docker.io": ["**"]},
	"envoy": {"registry": {"upstream": "ghcr.io"}},
}

request(method, path, host) := {"attributes": {"request": {"http": {"method": method, "path": path, "host": host, "headers": {}}}}}

decide(method, path, host, cfg) := d if {
	d := envoy.registry with input as request(method, path, host)
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
}

get(path) := decide("GET", path, "registry.example", config)

# errors is the distribution-API error list of a denial's body.
errors(d) := json.unmarshal(d.body).errors

app_digest := testing.digest_of("ghcr.io/acme/app")

test_allow_signed_manifest_by_tag_with_the_verified_digest if {
	every method in ["GET", "HEAD"] {
		d := decide(method, "/v2/acme/app/manifests/v1", "registry.example", config)
		object.remove(d, ["images"]) == {"allowed": true, "response_headers_to_add": {"x-opa-cosign-verified": "true", "x-opa-cosign-digest": app_digest}}
		d.images[0].image == "ghcr.io/acme/app:v1"
		d.images[0].verified == true
	}
}

test_allow_signed_manifest_by_its_digest if {
	d := get(concat("", ["/v2/acme/app/manifests/", app_digest]))
	d.allowed == true
	d.images[0].image == concat("", ["ghcr.io/acme/app@", app_digest])
	d.response_headers_to_add["x-opa-cosign-digest"] == app_digest
}

test_deny_manifest_signed_by_another_key if {
	d := get("/v2/acme/dev-only/manifests/v1")
	d.allowed == false
	d.http_status == 403
	d.headers == {"content-type": "application/json"}
	[e] := errors(d)
	e.code == "DENIED"
	e.message == "image policy: ghcr.io/acme/dev-only:v1: no_matching_signatures: none verified"
	e.detail == d.images[0]
	e.detail.allowed == false
}

test_deny_unsigned_manifest_by_tag_and_digest if {
	every path in ["/v2/acme/unsigned/manifests/v1", concat("", ["/v2/acme/app/manifests/sha256:", crypto.sha256("other")])] {
		d := get(path)
		d.http_status == 403
		contains(errors(d)[0].message, "no_signatures: no signatures found")
	}
}

test_deny_image_that_no_rule_matches if {
	d := get("/v2/other/app/manifests/v1")
	d.http_status == 403
	errors(d)[0].message == "image policy: ghcr.io/other/app:v1: no rule of the verification config matches ghcr.io/other/app"
}

# The client chooses the authority: with an upstream configured it is ignored, so naming a registry that the
# config allows without verification does not help.
test_deny_attacker_chosen_authority_when_upstream_is_configured if {
	every host in ["docker.io", "DOCKER.IO:443", "evil.example"] {
		d := decide("GET", "/v2/acme/unsigned/manifests/v1", host, config)
		d.http_status == 403
		d.images[0].image == "ghcr.io/acme/unsigned:v1"
	}
}

test_authority_is_the_registry_only_without_upstream if {
	cfg := object.remove(config, ["envoy"])
	signed := decide("GET", "/v2/acme/app/manifests/v1", "GHCR.io", cfg)
	signed.allowed == true
	signed.images[0].image == "ghcr.io/acme/app:v1"
	unverified := decide("GET", "/v2/library/nginx/manifests/1.25", "docker.io", cfg)
	unverified.allowed == true
	unverified.response_headers_to_add == {"x-opa-cosign-verified": "false"}
	bad := decide("GET", "/v2/acme/app/manifests/v1", "evil host/", cfg)
	bad.http_status == 400
	errors(bad)[0].code == "NAME_INVALID"
}

test_allow_base_and_blob_reads if {
	blob := concat("", ["/v2/acme/unsigned/blobs/", app_digest])
	every method in ["GET", "HEAD"] {
		every path in ["/v2/", blob] {
			decide(method, path, "x", config) == {"allowed": true, "images": []}
		}
	}
}

test_deny_disabled_endpoints if {
	every c in [
		["POST", "/v2/acme/app/blobs/uploads/", "pushing"],
		["PATCH", "/v2/acme/app/blobs/uploads/abc", "pushing"],
		["PUT", "/v2/acme/app/manifests/v1", "pushing"],
		["GET", "/v2/_catalog", "the catalog"],
		["GET", "/v2/acme/app/tags/list?n=10", "listing tags"],
		["GET", concat("", ["/v2/acme/app/referrers/", app_digest]), "the referrers API"],
	] {
		d := decide(c[0], c[1], "x", config)
		d.http_status == 403
		errors(d)[0] == {"code": "DENIED", "message": sprintf("image policy: %s is disabled on this gateway", [c[2]]), "detail": null}
	}
}

test_allow_endpoints_when_enabled if {
	cfg := json.patch(config, [{"op": "add", "path": "/envoy/registry", "value": {
		"upstream": "ghcr.io", "allow_push": true, "allow_catalog": true,
		"allow_tags_list": true, "allow_referrers": true,
	}}])
	every c in [
		["POST", "/v2/acme/app/blobs/uploads/?mount=sha256:1&from=x"],
		["PUT", "/v2/acme/app/manifests/v1"],
		["GET", "/v2/_catalog"],
		["GET", "/v2/acme/app/tags/list"],
		["GET", concat("", ["/v2/acme/app/referrers/", app_digest])],
	] {
		decide(c[0], c[1], "x", cfg).allowed == true
	}
}

test_deny_methods_a_path_does_not_serve if {
	every c in [
		["get", "/v2/acme/app/manifests/v1"],
		["DELETE", "/v2/acme/app/manifests/v1"],
		["DELETE", concat("", ["/v2/acme/app/blobs/", app_digest])],
		["POST", "/v2/"],
		["OPTIONS", "/v2/acme/app/manifests/v1"],
	] {
		d := decide(c[0], c[1], "x", config)
		d.http_status == 405
		errors(d)[0].code == "UNSUPPORTED"
	}
}

test_deny_malformed_and_unknown_paths if {
	tricks := get("/v2/acme/unsigned/../app/manifests/v1")
	tricks.http_status == 400
	errors(tricks)[0] == {"code": "NAME_INVALID", "message": "image policy: malformed request path: dot segments are not accepted", "detail": null}
	get("/v2/acme%2Fapp/manifests/v1").http_status == 400
	unknown := get("/admin")
	unknown.http_status == 404
	errors(unknown)[0].code == "UNSUPPORTED"
}

test_deny_digest_of_another_algorithm if {
	d := get(concat("", ["/v2/acme/app/manifests/sha512:", crypto.sha256("a"), crypto.sha256("b")]))
	d.http_status == 400
	errors(d)[0].code == "DIGEST_INVALID"
	contains(errors(d)[0].message, "only sha256 digests")
}

test_deny_everything_while_the_settings_are_malformed if {
	every envoy_cfg in [
		{"registry": {"upstream": 5}},
		{"registry": {"upstream": "Evil Host"}},
		{"registry": {"upstream": "ghcr.io", "allow_psuh": true}},
		{"registry": {"upstream": "ghcr.io", "allow_push": "false"}},
		{"regsitry": {}},
		"ghcr.io",
	] {
		d := decide("GET", "/v2/acme/app/manifests/v1", "ghcr.io", object.union(config, {"envoy": envoy_cfg}))
		d.http_status == 503
		count(errors(d)[0].detail) > 0
	}
}

test_deny_when_verification_cannot_run if {
	d := envoy.registry with input as request("GET", "/v2/acme/app/manifests/v1", "x")
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	d.http_status == 403
	contains(errors(d)[0].message, "verification did not run")
}

# The library's answer is checked, not trusted: a result for another digest, an unexplained denial or no result
# at all denies.
other_digest_decide(images, _) := {"mode": "enforce", "images": [{"image": images[0], "allowed": true, "verified": true, "digest": testing.digest_of("other"), "reasons": []}]}

silent_denial_decide(images, _) := {"mode": "enforce", "images": [{"image": images[0], "allowed": false, "verified": false, "digest": "", "reasons": []}]}

undefined_decide(_, _) := x if {
	x := input.never_defined
}

test_deny_results_the_gateway_cannot_trust if {
	by_digest := concat("", ["/v2/acme/app/manifests/", app_digest])
	other := envoy.registry with input as request("GET", by_digest, "x")
		with data.imagepolicy.config as config
		with data.imagepolicy.evaluate.decide as other_digest_decide
	contains(errors(other)[0].message, sprintf("verified digest %s is not the requested %s", [testing.digest_of("other"), app_digest]))
	silent := envoy.registry with input as request("GET", "/v2/acme/app/manifests/v1", "x")
		with data.imagepolicy.config as config
		with data.imagepolicy.evaluate.decide as silent_denial_decide
	errors(silent)[0].message == "image policy: ghcr.io/acme/app:v1: not allowed"
	none := envoy.registry with input as request("GET", "/v2/acme/app/manifests/v1", "x")
		with data.imagepolicy.config as config
		with data.imagepolicy.evaluate.decide as undefined_decide
	errors(none)[0].message == "image policy: ghcr.io/acme/app:v1: not evaluated"
}

test_deny_requests_that_cannot_be_evaluated if {
	no_method := envoy.registry with input as {"attributes": {"request": {"http": {"path": "/v2/x/manifests/v1", "host": "x"}}}}
		with data.imagepolicy.config as config
	no_method.http_status == 403
	errors(no_method)[0].message == "image policy: the request could not be evaluated"
	no_path := envoy.registry with input as {"attributes": {"request": {"http": {"method": "GET", "host": "x"}}}}
		with data.imagepolicy.config as config
	errors(no_path)[0].message == "image policy: malformed request path: the request has no path"
}
