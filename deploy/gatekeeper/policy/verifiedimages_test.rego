package opacosignverifiedimages_test

import rego.v1

import data.opacosignverifiedimages as template

# external_data is Gatekeeper's built-in; these tests replace it (gator cannot call providers) with functions:
# opa-cosign knows external_data only from the capabilities file, and a value mock of such a built-in is not
# applied. Answers are shaped as Gatekeeper's RegoResponse: responses and errors as [key, value] pairs,
# status_code, system_error. answering(data.answer) returns whatever a test puts in data.answer.

pod(spec) := {"review": {"kind": {"group": "", "version": "v1", "kind": "Pod"}, "object": {"spec": spec}}, "parameters": {}}

signed := "ghcr.io/acme/app:1"

unsigned := "ghcr.io/acme/tool:1"

allowed(img) := {"image": img, "allowed": true, "verified": true, "reasons": []}

denied(img, reason) := {"image": img, "allowed": false, "verified": false, "reasons": [reason]}

ok(responses) := {"responses": responses, "errors": [], "status_code": 200, "system_error": ""}

answering(_) := data.answer

# every_key_allowed answers each requested key as allowed, and only for the default provider.
every_key_allowed(req) := ok([[k, allowed(k)] | some k in req.keys]) if req.provider == "opa-cosign-validate"

two_containers := pod({"containers": [{"name": "a", "image": signed}, {"name": "b", "image": unsigned}]})

test_allow_when_every_image_is_allowed if {
	count(template.violation) == 0 with input as two_containers with external_data as every_key_allowed
}

test_deny_an_image_opa_cosign_denies if {
	answer := ok([[signed, allowed(signed)], [unsigned, denied(unsigned, "no_signatures: no signatures found")]])
	template.violation == {{"msg": `image "ghcr.io/acme/tool:1": no_signatures: no signatures found`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

test_deny_with_every_reason if {
	value := object.union(denied(unsigned, "1 of 2 required signers verified"), {"reasons": ["1 of 2 required signers verified", "no_matching_signatures: x"]})
	answer := ok([[signed, allowed(signed)], [unsigned, value]])
	template.violation == {{"msg": `image "ghcr.io/acme/tool:1": 1 of 2 required signers verified; no_matching_signatures: x`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

test_deny_a_per_image_error if {
	answer := object.union(ok([[signed, allowed(signed)]]), {"errors": [[unsigned, "opa-cosign: no per-image result for this image"]]})
	template.violation == {{"msg": `image "ghcr.io/acme/tool:1": opa-cosign: no per-image result for this image`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

test_deny_a_system_error if {
	answer := {"responses": [], "errors": [], "status_code": 503, "system_error": "opa-cosign: no decision within 4s: context deadline exceeded"}
	template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate") gave no decision for ["ghcr.io/acme/app:1", "ghcr.io/acme/tool:1"]: opa-cosign: no decision within 4s: context deadline exceeded`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

# Gatekeeper's answer when the provider cannot be reached or answers garbage (externaldata.HandleError).
test_deny_a_transport_failure_null_responses if {
	answer := {"responses": null, "errors": null, "status_code": 500, "system_error": "failed to send external data request: dial tcp 10.0.0.1:443: connect: connection refused"}
	template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate") gave no decision for ["ghcr.io/acme/app:1", "ghcr.io/acme/tool:1"]: failed to send external data request: dial tcp 10.0.0.1:443: connect: connection refused`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

test_deny_null_responses_without_a_message if {
	template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate") gave no decision for ["ghcr.io/acme/app:1", "ghcr.io/acme/tool:1"]: no answer`}} with input as two_containers
		with external_data as answering with data.answer as {"responses": null, "errors": null, "status_code": 0, "system_error": ""}
}

test_deny_an_error_status if {
	answer := object.union(ok([[signed, allowed(signed)], [unsigned, allowed(unsigned)]]), {"status_code": 502})
	template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate") answered HTTP 502`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

test_allow_answers_from_gatekeepers_cache if {
	answer := object.union(ok([[signed, allowed(signed)], [unsigned, allowed(unsigned)]]), {"status_code": 0})
	count(template.violation) == 0 with input as two_containers with external_data as answering with data.answer as answer
}

test_deny_an_image_left_unanswered if {
	template.violation == {{"msg": `image "ghcr.io/acme/tool:1": no answer from opa-cosign (provider "opa-cosign-validate")`}} with input as two_containers
		with external_data as answering with data.answer as ok([[signed, allowed(signed)]])
}

test_deny_an_empty_answer if {
	every answer in [{}, {"status_code": 200}, {"responses": "all good", "status_code": 200}] {
		template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate") gave no decision for ["ghcr.io/acme/app:1", "ghcr.io/acme/tool:1"]: no answer`}} with input as two_containers
			with external_data as answering with data.answer as answer
	}
}

# answering returns nothing when data.answer is not set.
test_deny_when_external_data_is_undefined if {
	template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate") gave no decision for ["ghcr.io/acme/app:1", "ghcr.io/acme/tool:1"]: no answer`}} with input as two_containers
		with external_data as answering
}

test_deny_garbled_values if {
	every value in ["allowed", true, {"allowed": "true"}, {"allowed": 1}, {"reasons": ["looks fine"]}, null] {
		answer := ok([[signed, allowed(signed)], [unsigned, value]])
		count(template.violation) == 1 with input as two_containers with external_data as answering with data.answer as answer
	}
	template.violation == {{"msg": `image "ghcr.io/acme/tool:1": not allowed by opa-cosign's verification config`}} with input as two_containers
		with external_data as answering with data.answer as ok([[signed, allowed(signed)], [unsigned, {"allowed": "yes", "reasons": [42]}]])
}

test_deny_when_one_of_two_answers_for_a_key_denies if {
	answer := ok([[signed, allowed(signed)], [unsigned, allowed(unsigned)], [unsigned, denied(unsigned, "no_signatures: x")]])
	template.violation == {{"msg": `image "ghcr.io/acme/tool:1": no_signatures: x`}} with input as two_containers
		with external_data as answering with data.answer as answer
}

test_no_images_no_call if {
	count(template.violation) == 0 with input as pod({"containers": []}) with external_data as answering with data.answer as {"responses": null, "system_error": "must not be called"}
}

staging(req) := ok([[k, allowed(k)] | some k in req.keys]) if req.provider == "opa-cosign-validate-staging"

test_provider_from_the_constraint if {
	with_param := object.union(two_containers, {"parameters": {"provider": "opa-cosign-validate-staging"}})
	count(template.violation) == 0 with input as with_param with external_data as staging
	template.violation == {{"msg": `opa-cosign (provider "opa-cosign-validate-staging") gave no decision for ["ghcr.io/acme/app:1", "ghcr.io/acme/tool:1"]: no answer`}} with input as with_param
		with external_data as every_key_allowed
}

spec_with_every_list := {
	"initContainers": [{"name": "init", "image": "reg/init:1"}],
	"containers": [{"name": "app", "image": "reg/app:1"}, {"name": "side", "image": "reg/app:1"}],
	"ephemeralContainers": [{"name": "debug", "image": "reg/debug:1"}],
	"volumes": [{"name": "data", "emptyDir": {}}, {"name": "models", "image": {"reference": "reg/models:1"}}],
}

every_image := ["reg/app:1", "reg/debug:1", "reg/init:1", "reg/models:1"]

review(kind, object) := {"review": {"kind": {"kind": kind}, "object": object}, "parameters": {}}

test_keys_of_every_workload_kind if {
	pod_template := {"metadata": {}, "spec": spec_with_every_list}
	every object in [
		{"spec": spec_with_every_list},
		{"spec": {"template": pod_template}},
		{"spec": {"jobTemplate": {"spec": {"template": pod_template}}}},
		{"template": pod_template},
	] {
		template.keys == every_image with input as review("Any", object)
	}
}
