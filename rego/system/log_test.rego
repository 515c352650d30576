package system.log_test

import rego.v1

import data.imagepolicy.testing
import data.system.log

review := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"request": {
		"uid": "u1",
		"kind": {"group": "", "version": "v1", "kind": "Pod"},
		"resource": {"group": "", "version": "v1", "resource": "pods"},
		"operation": "CREATE",
		"namespace": "prod",
		"name": "p",
		"userInfo": {"username": "alice", "groups": ["devs"], "extra": {"token": ["s3cr3t-extra"]}},
		"object": {"metadata": {"name": "p", "annotations": {"image": "s3cr3t-annotation"}}, "spec": {
			"containers": [{"name": "app", "image": "ghcr.io/acme/app:v1", "env": [{"name": "DB_PASSWORD", "value": "s3cr3t-env"}], "args": ["--token=s3cr3t-arg"]}],
			"initContainers": [{"name": "init", "image": "ghcr.io/acme/init:v1"}],
			"volumes": [{"name": "models", "image": {"reference": "ghcr.io/acme/models:v1"}}, {"name": "s", "secret": {"secretName": "s3cr3t-name"}}],
		}},
	},
}

masked(event) := {m | some m in log.mask with input as event}

# docs/security.md #29: the logged input keeps the request's identity and its images, nothing else of the Pod.
test_admission_input_is_replaced_by_a_summary if {
	masked({"input": review, "result": {}}) == {{"op": "upsert", "path": "/input", "value": {
		"apiVersion": "admission.k8s.io/v1",
		"kind": "AdmissionReview",
		"request": {
			"uid": "u1",
			"kind": {"group": "", "version": "v1", "kind": "Pod"},
			"resource": {"group": "", "version": "v1", "resource": "pods"},
			"subResource": "",
			"operation": "CREATE",
			"namespace": "prod",
			"name": "p",
			"userInfo": {"username": "alice"},
			"images": [
				{"path": "spec/containers/0/image", "image": "ghcr.io/acme/app:v1"},
				{"path": "spec/initContainers/0/image", "image": "ghcr.io/acme/init:v1"},
				{"path": "spec/volumes/0/image/reference", "image": "ghcr.io/acme/models:v1"},
			],
			"oldImages": [],
		},
	}}}
	not contains(json.marshal(masked({"input": review})), "s3cr3t")
}

test_pod_list_is_replaced_by_a_summary if {
	list := {"kind": "List", "items": [review.request.object]}
	m := masked({"input": list})
	m == {{"op": "upsert", "path": "/input", "value": {"kind": "List", "items": [{"namespace": "", "name": "p", "images": [
		{"path": "spec/containers/0/image", "image": "ghcr.io/acme/app:v1"},
		{"path": "spec/initContainers/0/image", "image": "ghcr.io/acme/init:v1"},
		{"path": "spec/volumes/0/image/reference", "image": "ghcr.io/acme/models:v1"},
	]}]}}}
}

test_other_inputs_are_logged_as_they_are if {
	masked({"input": {"images": ["ghcr.io/acme/app:v1"], "namespace": "prod"}}) == set()
}

test_a_malformed_review_is_still_masked if {
	m := masked({"input": {"request": {"object": "env: s3cr3t"}}})
	count(m) == 1
	not contains(json.marshal(m), "s3cr3t")
}

# The decision log carries the audit trail (the result's auditAnnotations, docs/deployment.md "Audit trail") of both
# webhooks, and still nothing of the Pod beyond its images: env values, args, annotations and secret names are gone.
test_decision_log_keeps_the_audit_trail_and_no_secret if {
	cfg := {"allow_with_verification": {"ghcr.io": {"acme/*": testing.dev}}}
	every entrypoint in ["validate", "mutate"] {
		result := data.imagepolicy.kubernetes[entrypoint] with input as review
			with data.imagepolicy.config as cfg
			with cosign.verify_batch as testing.verify_batch
		event := {"input": review, "result": result}

		# OPA applies the mask's upserts: the one op here replaces /input.
		ops := [m | some m in log.mask with input as event]
		count(ops) == 1
		logged := {"input": ops[0].value, "result": result}
		ops[0].path == "/input"
		trail := json.unmarshal(logged.result.response.auditAnnotations["image.1"])
		trail.image == "ghcr.io/acme/app:v1"
		trail.verdict == "verified"
		trail.signers == [sprintf("key:sha256:%s", [crypto.sha256(testing.keys.DEV)])]
		json.unmarshal(logged.result.response.auditAnnotations["image.0"]).verdict == "denied"
		not contains(json.marshal(logged), "s3cr3t")
		contains(json.marshal(event), "s3cr3t")
	}
}
