package imagepolicy.controls_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

base := {"allow_with_verification": {"ghcr.io": {"acme/*": testing.dev}}, "allow_without_verification": {"docker.io": ["library/*"]}}

with_controls(c) := object.union(base, {"controls": c})

gates(rules) := with_controls({"attestations": {"ghcr.io": {"acme/*": rules}}})

one(img, config) := r if {
	r := imagepolicy.decision.images[0] with input as {"images": [img]}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
}

test_registry_allowlist if {
	config := with_controls({"registries": ["ghcr.io/acme", "index.docker.io/library/"]})
	one("ghcr.io/acme/app", config).allowed
	one("nginx", config).allowed
	r := one("ghcr.io/acmeevil/app", object.union(config, {"allow_with_verification": {"ghcr.io": {"**": testing.dev}}}))
	r.allowed == false
	r.reasons == [
		"no_signatures: no signatures found",
		"registry not allowed: ghcr.io/acmeevil/app is not under ghcr.io/acme, index.docker.io/library/",
	]
}

test_require_digest if {
	config := with_controls({"require_digest": true})
	r := one("ghcr.io/acme/app:v1", config)
	r.allowed == false
	r.reasons == ["image is not pinned by digest (name@sha256:...)"]
	one(sprintf("ghcr.io/acme/app@%s", [testing.digest_of("ghcr.io/acme/app")]), config).allowed
	one("nginx:1.25", config).reasons == ["image is not pinned by digest (name@sha256:...)"]
}

vuln_rule := {"type": "vuln", "opts": testing.dev, "max_severity": {"critical": 0, "HIGH": 3}, "max_age_hours": 24}

slsa_rule := {
	"type": "slsaprovenance1", "opts": testing.dev,
	"builder_ids": [testing.github_builder],
	"source_repositories": ["https://github.com/acme/app"],
}

test_allow_vuln_and_provenance_gates_pass if {
	r := one("ghcr.io/acme/app", gates([vuln_rule, slsa_rule]))
	r.allowed
	r.reasons == []
}

test_deny_vuln_gate_severity_and_age if {
	r := one("ghcr.io/acme/dev-only", gates([vuln_rule]))
	r.allowed == false
	r.reasons == [
		"vuln attestation: 1 CRITICAL vulnerabilities in the Trivy report, at most 0 allowed",
		sprintf("vuln attestation: the scan finished %s, 48 hours ago, more than max_age_hours 24", [object.get(testing.attested[testing.digest_of("ghcr.io/acme/dev-only")][0].predicate, ["metadata", "scanFinishedOn"], "")]),
	]

	# Age alone: the scan is 48 hours old.
	old := one("ghcr.io/acme/dev-only", gates([{"type": "vuln", "opts": testing.dev, "max_age_hours": 24}]))
	old.allowed == false
	count(old.reasons) == 1
	one("ghcr.io/acme/dev-only", gates([{"type": "vuln", "opts": testing.dev, "max_age_hours": 72}])).allowed
}

# docs/security.md #5: provenance required, only a vuln attestation of that type present.
test_deny_wrong_attestation_type if {
	r := one("ghcr.io/acme/dev-only", gates([slsa_rule]))
	r.allowed == false
	r.reasons == ["slsaprovenance1 attestation: not verified (no_matching_attestations: none verified)"]
}

test_deny_provenance_from_another_builder if {
	rule := {"type": "slsaprovenance", "opts": testing.dev, "builder_ids": [testing.github_builder]}
	r := one("ghcr.io/acme/dev-only", gates([rule]))
	r.allowed == false
	r.reasons == [`slsaprovenance attestation: builder "https://evil.example/builder" is not one of ["https://github.com/actions/runner/github-hosted"]`]
}

test_deny_provenance_from_another_source if {
	rule := {"type": "slsaprovenance", "opts": testing.dev, "source_repositories": ["git+https://github.com/acme/"]}
	r := one("ghcr.io/acme/dev-only", gates([rule]))
	r.allowed == false
	r.reasons == [`slsaprovenance attestation: source "git+https://github.com/evil/app@refs/heads/main" is not under ["git+https://github.com/acme/"]`]
}

test_deny_attestation_by_another_signer if {
	r := one("ghcr.io/acme/app", gates([{"type": "vuln", "opts": testing.sec}]))
	r.allowed == false
	r.reasons == ["vuln attestation: not verified (no_matching_attestations: none verified)"]
}

test_controls_do_not_apply_to_unmatched_patterns if {
	one("ghcr.io/acme/app", with_controls({"attestations": {"ghcr.io": {"other/*": [slsa_rule]}}})).allowed
}

# docs/security.md #30: when the tag moves between the signature and the attestation requests of one image, the decision
# would describe two images: denied, naming both digests.
test_deny_results_about_different_digests if {
	r := one("ghcr.io/acme/moving:v1", gates([{"type": "vuln", "opts": testing.dev}]))
	r.allowed == false
	r.reasons == [sprintf("the verifications of this image saw different digests (%s): the tag moved during the decision", [concat(", ", sort([testing.digest_of("ghcr.io/acme/moving"), testing.digest_of("moved")]))])]
}

test_deny_attestation_gate_when_the_builtin_fails if {
	r := imagepolicy.decision.images[0] with input as {"images": ["ghcr.io/acme/app"]}
		with data.imagepolicy.config as gates([vuln_rule])
		with cosign.verify_batch as testing.failing_batch
	r.allowed == false
	r.reasons == [
		"verification did not run: malformed options or requirement for this pattern (see the built-in error)",
		"vuln attestation: not verified (verification did not run)",
	]
}

critical_rule := {"type": "vuln", "opts": testing.dev, "max_severity": {"CRITICAL": 0}}

# docs/security.md #31: a Grype report is read, not taken for a clean one.
test_deny_grype_report_with_a_critical_finding if {
	r := one("ghcr.io/acme/grype-critical", gates([critical_rule]))
	r.allowed == false
	r.reasons == ["vuln attestation: 1 CRITICAL vulnerabilities in the Grype report, at most 0 allowed"]
}

test_deny_unreadable_reports if {
	every img in ["ghcr.io/acme/unreadable", "ghcr.io/acme/empty-report"] {
		r := one(img, gates([critical_rule]))
		r.allowed == false
		r.reasons == ["vuln attestation: the scan report is in a format opa-cosign cannot read (expected Trivy JSON, Grype JSON or SARIF 2.1.0, alone or in predicate.scanner.result)"]
	}
}

# The newest report decides: a clean scan from before a CVE was known does not outvote today's.
test_deny_when_the_newest_report_fails if {
	r := one("ghcr.io/acme/rescanned", gates([critical_rule]))
	r.allowed == false
	r.reasons == ["vuln attestation: 1 CRITICAL vulnerabilities in the Trivy report, at most 0 allowed"]
}

# docs/security.md #32: the source matches at a path boundary, and only the build's own source counts.
test_deny_provenance_source_prefix_without_boundary if {
	rule := {"type": "slsaprovenance1", "opts": testing.dev, "source_repositories": ["https://github.com/acme/app"]}
	r := one("ghcr.io/acme/app-evil", gates([rule]))
	r.allowed == false
	r.reasons == [`slsaprovenance1 attestation: source "https://github.com/acme/app-evil" is not under ["https://github.com/acme/app"]`]
	one("ghcr.io/acme/app", gates([rule])).allowed
}

test_deny_provenance_source_by_dependency if {
	# evil/app built by the trusted builder, with acme/lib among its materials.
	rule := {"type": "slsaprovenance", "opts": testing.dev, "builder_ids": [testing.github_builder], "source_repositories": ["https://github.com/acme/lib"]}
	r := one("ghcr.io/acme/depends", gates([rule]))
	r.allowed == false
	r.reasons == [`slsaprovenance attestation: source "git+https://github.com/evil/app@refs/heads/main" is not under ["https://github.com/acme/lib"]`]
}
