package imagepolicy.controls_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

base := {"allow_with_verification": {"ghcr.io": {"acme/*": {"key": "DEV"}}}, "allow_without_verification": {"docker.io": ["library/*"]}}

with_controls(c) := object.union(base, {"controls": c})

one(img, config) := r if {
	r := imagepolicy.decision.images[0] with input as {"images": [img]}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
}

test_registry_allowlist if {
	config := with_controls({"registries": ["ghcr.io/acme", "index.docker.io/library/"]})
	one("ghcr.io/acme/app", config).allowed
	one("nginx", config).allowed
	r := one("ghcr.io/acmeevil/app", object.union(config, {"allow_with_verification": {"ghcr.io": {"**": {"key": "DEV"}}}}))
	not r.allowed
	r.reasons == [
		"no_signatures: no signatures found",
		"registry not allowed: ghcr.io/acmeevil/app is not under ghcr.io/acme, index.docker.io/library/",
	]
}

test_require_digest if {
	config := with_controls({"require_digest": true})
	not one("ghcr.io/acme/app:v1", config).allowed
	one(sprintf("ghcr.io/acme/app@%s", [testing.digest_of("ghcr.io/acme/app")]), config).allowed
	one("nginx:1.25", config).reasons == ["image is not pinned by digest (name@sha256:...)"]
}

vuln_rule := {"type": "vuln", "opts": {"key": "DEV"}, "max_severity": {"critical": 0, "HIGH": 3}, "max_age_hours": 24}

slsa_rule := {
	"type": "slsaprovenance1", "opts": {"key": "DEV"},
	"builder_ids": ["https://github.com/actions/runner/github-hosted"],
	"source_repositories": ["https://github.com/acme/"],
}

test_allow_vuln_and_provenance_gates_pass if {
	r := one("ghcr.io/acme/app", with_controls({"attestations": {"ghcr.io": {"acme/*": [vuln_rule, slsa_rule]}}}))
	r.allowed
	r.reasons == []
}

test_deny_vuln_gate_severity_and_age if {
	r := one("ghcr.io/acme/dev-only", with_controls({"attestations": {"ghcr.io": {"acme/*": [vuln_rule]}}}))
	not r.allowed
	r.reasons == ["vuln attestation: no verified statement passes the gate"]

	# Only age: the scan is 48 hours old.
	not one("ghcr.io/acme/dev-only", with_controls({"attestations": {"ghcr.io": {"acme/*": [{"type": "vuln", "opts": {"key": "DEV"}, "max_age_hours": 24}]}}})).allowed
	one("ghcr.io/acme/dev-only", with_controls({"attestations": {"ghcr.io": {"acme/*": [{"type": "vuln", "opts": {"key": "DEV"}, "max_age_hours": 72}]}}})).allowed
}

# THREATS #5: provenance required, only a vuln attestation of that type present.
test_deny_wrong_attestation_type if {
	r := one("ghcr.io/acme/dev-only", with_controls({"attestations": {"ghcr.io": {"acme/*": [slsa_rule]}}}))
	not r.allowed
	r.reasons == ["slsaprovenance1 attestation: not verified (no_matching_attestations)"]
}

test_deny_provenance_from_another_builder_or_source if {
	rule := {"type": "slsaprovenance", "opts": {"key": "DEV"}, "builder_ids": ["https://github.com/actions/runner/github-hosted"]}
	not one("ghcr.io/acme/dev-only", with_controls({"attestations": {"ghcr.io": {"acme/*": [rule]}}})).allowed
	source := {"type": "slsaprovenance", "opts": {"key": "DEV"}, "source_repositories": ["git+https://github.com/acme/"]}
	not one("ghcr.io/acme/dev-only", with_controls({"attestations": {"ghcr.io": {"acme/*": [source]}}})).allowed
}

test_deny_attestation_by_another_signer if {
	rule := {"type": "vuln", "opts": {"key": "SEC"}}
	not one("ghcr.io/acme/app", with_controls({"attestations": {"ghcr.io": {"acme/*": [rule]}}})).allowed
}

test_controls_do_not_apply_to_unmatched_patterns if {
	one("ghcr.io/acme/app", with_controls({"attestations": {"ghcr.io": {"other/*": [slsa_rule]}}})).allowed
}
