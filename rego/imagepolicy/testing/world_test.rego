# METADATA
# title: Test world
# description: |
#   A mock of cosign.verify_batch over a small world of signed images, shared by the test suites. An image's
#   digest is derived from its name (a tag "resolves" to it), or taken from the reference; signers are keys
#   ("DEV", "SEC") or keyless identities.
package imagepolicy.testing

import rego.v1

digest_of(name) := sprintf("sha256:%s", [crypto.sha256(name)])

# signers maps a digest to who signed it.
signers := {
	digest_of("ghcr.io/acme/app"): {"DEV", "SEC"},
	digest_of("ghcr.io/acme/dev-only"): {"DEV"},
	digest_of("docker.io/ubuntu/nginx"): {"maintainer@example.com"},
	digest_of("docker.io/openpolicyagent/opa"): {"ci@example.com"},
	digest_of("ecr.io/xyz/busybox"): {"DAS"},
	digest_of("gcr.io/xyz/app"): {"DAS"},
	digest_of("docker.io/library/nginx"): {"DEV"},
}

signed_by(opts, s) if opts.key == s

signed_by(opts, s) if opts["certificate-identity"] == s

signed_by(opts, s) if regex.match(opts["certificate-identity-regexp"], s)

resolve(p) := p.digest if p.digest != ""

resolve(p) := digest_of(p.name) if p.digest == ""

verify_batch(reqs) := [verify_any(r) | some r in reqs]

verify_any(r) := verify_attestation(r) if r.attestation == true

else := verify_one(r)

type_uris := {
	"vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
	"slsaprovenance": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1": "https://slsa.dev/provenance/v1",
}

now_rfc3339 := time.format([time.now_ns(), "UTC", "2006-01-02T15:04:05Z07:00"])

old_rfc3339 := time.format([time.now_ns() - ((48 * 3600) * 1000000000), "UTC", "2006-01-02T15:04:05Z07:00"])

# attested maps a digest to its attestations: type, signer, predicate.
attested := {
	digest_of("ghcr.io/acme/app"): [
		{"type": type_uris.vuln, "signer": "DEV", "predicate": {"scanner": {"result": {"summary": {"CRITICAL": 0, "HIGH": 2}}}, "metadata": {"scanFinishedOn": now_rfc3339}}},
		{"type": type_uris.slsaprovenance1, "signer": "DEV", "predicate": {
			"buildDefinition": {"externalParameters": {"workflow": {"repository": "https://github.com/acme/app"}}},
			"runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
		}},
	],
	digest_of("ghcr.io/acme/dev-only"): [
		{"type": type_uris.vuln, "signer": "DEV", "predicate": {"scanner": {"result": {"Results": [{"Vulnerabilities": [{"Severity": "CRITICAL"}, {"Severity": "HIGH"}]}]}}, "metadata": {"scanFinishedOn": old_rfc3339}}},
		{"type": type_uris.slsaprovenance, "signer": "DEV", "predicate": {"builder": {"id": "https://evil.example/builder"}, "invocation": {"configSource": {"uri": "git+https://github.com/evil/app"}}}},
	],
}

verify_attestation(r) := object.union(common(r), {
	"verified": count(found) > 0,
	"signatures": [],
	"attestations": found,
	"errors": [{"code": "no_matching_attestations", "message": "none verified"} | count(found) == 0],
}) if {
	p := image.parse(r.image)
	want := object.get(type_uris, r.opts.type, r.opts.type)
	found := [{"predicate_type": a.type, "predicate": a.predicate, "signature": {"format": "bundle"}} |
		some a in object.get(attested, resolve(p), [])
		a.type == want
		signed_by(r.opts, a.signer)
	]
}

verify_one(r) := object.union(common(r), {"verified": true, "signatures": [{"format": "legacy"}], "errors": []}) if {
	p := image.parse(r.image)
	some s in signers[resolve(p)]
	signed_by(r.opts, s)
} else := object.union(common(r), {"verified": false, "signatures": [], "errors": [{"code": "no_matching_signatures", "message": "none verified"}]}) if {
	p := image.parse(r.image)
	signers[resolve(p)]
} else := object.union(common(r), {"verified": false, "signatures": [], "errors": [{"code": "no_signatures", "message": "no signatures found"}]})

common(r) := {"image": r.image, "digest": d, "reference": sprintf("%s@%s", [p.name, d])} if {
	p := image.parse(r.image)
	d := resolve(p)
}

# A batch whose call fails, as a misconfigured built-in would (undefined result).
failing_batch(_) := x if {
	x := input.never_defined
}

# The DAS sample verification_config (seed 004), keys replaced by test signers.
das_config := {
	"allow_with_verification": {
		"docker.io": {
			"ubuntu/nginx": {"certificate-identity": "maintainer@example.com", "certificate-oidc-issuer": "https://github.com/login/oauth"},
			"openpolicyagent/opa": {"certificate-identity-regexp": ".*@example.com", "certificate-oidc-issuer-regexp": "https://github.com.*"},
		},
		"ecr.io": {"xyz/busybox": {"key": "DAS", "insecure-ignore-tlog": true, "insecure-ignore-sct": true}},
		"gcr.io": {"xyz/*": {"key": "DAS"}},
	},
	"allow_without_verification": {
		"docker.io": ["ubuntu", "ubuntu/*"],
		"ecr.io": ["xyz/*"],
		"gcr.io": ["my-proj-*/base-*-image"],
	},
}
