package imagepolicy.kubernetes_test

import rego.v1

import data.imagepolicy.kubernetes
import data.imagepolicy.testing

# Helpers (config, review, workload, pod_spec, validate, mutate) are in kubernetes_test.rego.

# trail decodes the audit annotations of a response: {key: decoded value}.
trail(r) := {k: json.unmarshal(v) | some k, v in r.response.auditAnnotations}

dev_signer := sprintf("key:sha256:%s", [crypto.sha256(testing.keys.DEV)])

app_digest := testing.digest_of("ghcr.io/acme/app")

pod_review(ns, containers, init) := review("Pod", "CREATE", ns, workload("Pod", pod_spec(containers, init)))

test_trail_names_image_digest_and_key_signer_in_both_webhooks if {
	rv := pod_review("prod", [signed, "registry.k8s.io/pause:3.9"], [])
	want := {
		"image.0": {"container": "c0", "list": "containers", "image": signed, "verdict": "verified", "digest": app_digest, "signers": [dev_signer]},
		"image.1": {"container": "c1", "list": "containers", "image": "registry.k8s.io/pause:3.9", "verdict": "allowed-without-verification"},
		"images": {"count": 2, "annotated": 2, "omitted": 0, "mode": "enforce"},
	}
	trail(validate(rv)) == want
	trail(mutate(rv)) == want
	validate(rv).response.allowed
}

# After the mutating webhook pinned it, the validating webhook sees (and names) the image at its digest.
test_trail_of_a_pinned_image if {
	t := trail(validate(pod_review("prod", [pinned], [])))
	t["image.0"].image == pinned
	t["image.0"].digest == app_digest
	t["image.0"].signers == [dev_signer]
}

test_trail_names_certificate_issuer_and_identity if {
	cfg := {"allow_with_verification": {"ghcr.io": {"acme/alice-bob": {"threshold": 2, "of": [testing.identity("alice@acme.example"), testing.identity("bob@acme.example")]}}}}
	r := kubernetes.validate with input as pod_review("prod", ["ghcr.io/acme/alice-bob:v1"], [])
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
	trail(r)["image.0"].signers == ["cert:https://accounts.example|alice@acme.example", "cert:https://accounts.example|bob@acme.example"]
	trail(r)["image.0"].verdict == "verified"
}

# Negative twins: only a verified image names a signer or a digest.
test_trail_denied_image_claims_no_signer if {
	r := validate(pod_review("prod", [signed], [unsigned]))
	r.response.allowed == false
	trail(r)["image.0"] == {"container": "init0", "list": "initContainers", "image": unsigned, "verdict": "denied"}
	trail(r)["image.1"].verdict == "verified"
}

test_trail_wrong_signer_claims_no_signer if {
	cfg := object.union(config, {"allow_with_verification": {"ghcr.io": {"acme/*": testing.das}}})
	r := kubernetes.validate with input as pod_review("prod", [signed], [])
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
	r.response.allowed == false
	trail(r)["image.0"] == {"container": "c0", "list": "containers", "image": signed, "verdict": "denied"}
}

# An image whose signature verified but that a control denies is denied: its signers are not claimed.
test_trail_verified_but_not_allowed_claims_no_signer if {
	d := {"image": signed, "allowed": false, "verified": true, "digest": app_digest, "signers": [dev_signer], "reasons": ["a control"]}
	r := validate(pod_review("prod", [signed], [])) with data.imagepolicy.kubernetes.request.verdicts as {signed: d}
	trail(r)["image.0"] == {"container": "c0", "list": "containers", "image": signed, "verdict": "denied"}
}

test_trail_when_the_builtin_fails_claims_no_signer if {
	r := kubernetes.validate with input as pod_review("prod", [signed], [])
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	r.response.allowed == false
	trail(r)["image.0"].verdict == "denied"
	not trail(r)["image.0"].signers
}

test_trail_warn_and_audit_modes_say_so if {
	warned := trail(validate(pod_review("dev-team", [unsigned], [])))
	warned["image.0"] == {"container": "c0", "list": "containers", "image": unsigned, "verdict": "warned"}
	warned.images.mode == "warn"
	audited := trail(mutate(pod_review("observe", [unsigned], [])))
	audited["image.0"] == {"container": "c0", "list": "containers", "image": unsigned, "verdict": "audited"}
	audited.images.mode == "audit"
}

# An exempt namespace verifies nothing: even a signed image is "exempt", without digest or signer.
test_trail_exempt_namespace_says_so if {
	t := trail(validate(pod_review("kube-system", [signed, unsigned], [])))
	t["image.0"] == {"container": "c0", "list": "containers", "image": signed, "verdict": "exempt"}
	t["image.1"] == {"container": "c1", "list": "containers", "image": unsigned, "verdict": "exempt"}
	t.images.mode == "exempt"
}

test_trail_container_without_image if {
	t := trail(validate(review("Pod", "CREATE", "prod", workload("Pod", {"containers": [{"name": "x", "image": 7}]}))))
	t["image.0"] == {"container": "x", "list": "containers", "image": "", "verdict": "denied"}
}

test_no_trail_for_other_operations_kinds_and_unchanged_updates if {
	not validate(review("Pod", "DELETE", "prod", workload("Pod", pod_spec([signed], [])))).response.auditAnnotations
	not validate(review("ConfigMap", "CREATE", "prod", {"data": {}})).response.auditAnnotations
	old := workload("Pod", pod_spec([signed], []))
	not validate(update_review("Pod", "prod", old, old)).response.auditAnnotations
	changed := trail(validate(update_review("Pod", "prod", old, workload("Pod", pod_spec([signed, unsigned], [])))))
	object.keys(changed) == {"image.0", "images"}
	changed["image.0"].container == "c1"
}

# Bounded: 100 containers give 20 image annotations and a count of the rest; an annotation over 1,000 characters
# has its strings cut.
test_trail_is_bounded if {
	long := concat("", ["ghcr.io/acme/", concat("", [x | some _ in numbers.range(1, 1000); x := "a"]), ":v1"])
	r := validate(pod_review("prod", array.concat([long], [signed | some _ in numbers.range(1, 99)]), []))
	t := trail(r)
	count(t) == 21
	t.images == {"count": 100, "annotated": 20, "omitted": 80, "mode": "enforce"}
	count(t["image.0"].image) == 200
	endswith(t["image.0"].image, "...")
	count(json.marshal(r.response.auditAnnotations)) < 8000
}

test_trail_caps_signers if {
	padding := concat("", ["0" | some _ in numbers.range(1, 200)])
	many := [sprintf("cert:https://accounts.example|%d@%s", [i, padding]) | some i in numbers.range(1, 6)]
	d := {"image": signed, "allowed": true, "verified": true, "digest": app_digest, "signers": many, "reasons": []}
	t := trail(validate(pod_review("prod", [signed], []))) with data.imagepolicy.kubernetes.request.verdicts as {signed: d}
	t["image.0"].signers == [concat("", [substring(s, 0, 197), "..."]) | some s in array.slice(many, 0, 4)]
	t["image.0"].signers_omitted == 2
	t["image.0"].digest == app_digest
	t["image.0"].verdict == "verified"

	# A few short signers are an annotation short enough to keep whole.
	few := [sprintf("key:sha256:%d", [i]) | some i in numbers.range(1, 6)]
	short := trail(validate(pod_review("prod", [signed], []))) with data.imagepolicy.kubernetes.request.verdicts as {signed: object.union(d, {"signers": few})}
	short["image.0"].signers == few
	not short["image.0"].signers_omitted
}

# Keys are valid names of Kubernetes audit annotations (the API server prefixes the webhook's name): lower-case
# qualified names of at most 63 characters; values are strings.
test_trail_keys_are_valid_annotation_names if {
	r := validate(pod_review("prod", [signed | some _ in numbers.range(1, 30)], []))
	every k, v in r.response.auditAnnotations {
		regex.match(`^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$`, k)
		count(k) <= 63
		is_string(v)
	}
}

# The worst case of the bound: every string at its cut, made of characters JSON escapes to 6 bytes.
test_trail_worst_case_annotation_is_under_9_kb if {
	worst := concat("", ["<" | some _ in numbers.range(1, 300)])
	d := {"image": worst, "allowed": true, "verified": true, "digest": worst, "signers": [worst, worst, worst, worst, worst], "reasons": []}
	r := validate(review("Pod", "CREATE", "prod", workload("Pod", {"containers": [{"name": worst, "image": worst}]}))) with data.imagepolicy.kubernetes.request.verdicts as {worst: d}
	v := r.response.auditAnnotations["image.0"]
	json.unmarshal(v).signers_omitted == 1
	count(v) > 8000
	count(v) < 9216
}
