# Test world: A small world of images for the library's tests: who signed each digest (keys DEV, SEC, DAS, or keyless
# identities) and which attestations it carries. An image's digest is derived from its name (a tag "resolves"
# to it) or taken from the reference. The keys are real PEM public keys, because the mock checks options with
# the real cosign.check_options.
package imagepolicy.testing

import rego.v1

keys := {
	"DEV": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtBQwmbyACFkFHBqQd+aH+fUqOJ0q\nu1jUPlTdgPN5uTqxVFbJy2ZKqefSIBlkEtEyEHQlgaSnN7T3Sp4PU86nJw==\n-----END PUBLIC KEY-----\n",
	"SEC": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+6rFtLhxNtX/ASLwew4GRXSjG7m2\nv1s6bGy88Oi6wBlM17GAyEQIIr0UBMF6U+EpjPWtAK5EMaP5vdGbOIhvAQ==\n-----END PUBLIC KEY-----\n",
	"DAS": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcoJ6PD1HScMJcVo2UPFGiE7tFVN5\nS4kk/XPg2PQ9oOvu1D324zPpW6yk5nUorgqftpnaOM42wiLu9JurnPWjbQ==\n-----END PUBLIC KEY-----\n",
}

# Option objects naming one signer.
dev := {"key": keys.DEV}

sec := {"key": keys.SEC}

das := {"key": keys.DAS}

issuer := "https://accounts.example"

identity(subject) := {"certificate-identity": subject, "certificate-oidc-issuer": issuer}

# Signers as the world records them.
alice := {"subject": "alice@acme.example", "issuer": issuer}

bob := {"subject": "bob@acme.example", "issuer": issuer}

digest_of(name) := sprintf("sha256:%s", [crypto.sha256(name)])

# The tag of this image moves while a decision runs: attestations see another digest than signatures.
moving := "ghcr.io/acme/moving"

# signatures maps a digest to the signatures stored for it.
signatures := {
	digest_of("ghcr.io/acme/app"): [{"signer": {"key": "DEV"}}, {"signer": {"key": "SEC"}}],
	digest_of("ghcr.io/acme/dev-only"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/alice"): [{"signer": alice}],
	digest_of("ghcr.io/acme/alice-twice"): [{"signer": alice, "n": 1}, {"signer": alice, "n": 2}],
	digest_of("ghcr.io/acme/alice-bob"): [{"signer": alice}, {"signer": bob}],
	digest_of(moving): [{"signer": {"key": "DEV"}}],
	digest_of("docker.io/ubuntu/nginx"): [{"signer": {"subject": "maintainer@example.com", "issuer": "https://github.com/login/oauth"}}],
	digest_of("docker.io/openpolicyagent/opa"): [{"signer": {"subject": "ci@example.com", "issuer": "https://github.com/login/oauth"}}],
	digest_of("ecr.io/xyz/busybox"): [{"signer": {"key": "DAS"}}],
	digest_of("gcr.io/xyz/app"): [{"signer": {"key": "DAS"}}],
	digest_of("docker.io/library/nginx"): [{"signer": {"key": "DEV"}}],
	digest_of("docker.io/library/ubuntu"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/grype-critical"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/unreadable"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/empty-report"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/rescanned"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/app-evil"): [{"signer": {"key": "DEV"}}],
	digest_of("ghcr.io/acme/depends"): [{"signer": {"key": "DEV"}}],
	digest_of("registry.corp.example/app"): [{"signer": carol_corp_a}],
}

type_uris := {
	"vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
	"slsaprovenance": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1": "https://slsa.dev/provenance/v1",
}

rfc3339(ns) := time.format([ns, "UTC", "2006-01-02T15:04:05Z07:00"])

hours_ago(h) := rfc3339(time.now_ns() - ((h * 3600) * 1000000000))

# attested maps a digest to its attestations: type, signer, predicate. The reports themselves are in
# reports_test.rego.
attested := {
	digest_of("ghcr.io/acme/app"): [
		{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(trivy_clean, hours_ago(1))},
		{"type": type_uris.slsaprovenance1, "signer": {"key": "DEV"}, "predicate": slsa1("https://github.com/acme/app")},
	],
	digest_of("ghcr.io/acme/dev-only"): [
		{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(trivy_critical, hours_ago(48))},
		{"type": type_uris.slsaprovenance, "signer": {"key": "DEV"}, "predicate": slsa02("https://evil.example/builder", "git+https://github.com/evil/app@refs/heads/main")},
	],
	digest_of("ghcr.io/acme/grype-critical"): [{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(grype(["Critical", "Low"]), hours_ago(1))}],
	digest_of("ghcr.io/acme/unreadable"): [{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln({"vulnerabilities": [{"id": "CVE-2024-1", "severity": "critical"}]}, hours_ago(1))}],
	digest_of("ghcr.io/acme/empty-report"): [{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": {}}],
	digest_of("ghcr.io/acme/rescanned"): [
		{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(trivy_clean, hours_ago(30))},
		{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(trivy_critical, hours_ago(2))},
	],
	digest_of("ghcr.io/acme/app-evil"): [{"type": type_uris.slsaprovenance1, "signer": {"key": "DEV"}, "predicate": slsa1("https://github.com/acme/app-evil")}],
	digest_of("ghcr.io/acme/depends"): [{"type": type_uris.slsaprovenance, "signer": {"key": "DEV"}, "predicate": slsa02(github_builder, "git+https://github.com/evil/app@refs/heads/main")}],
	digest_of(moving): [{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(trivy_clean, hours_ago(1))}],
	digest_of("moved"): [{"type": type_uris.vuln, "signer": {"key": "DEV"}, "predicate": cosign_vuln(trivy_clean, hours_ago(1))}],
}

github_builder := "https://github.com/actions/runner/github-hosted"

slsa1(repository) := {
	"buildDefinition": {
		"buildType": "https://actions.github.io/buildtypes/workflow/v1",
		"externalParameters": {"workflow": {"repository": repository, "ref": "refs/heads/main", "path": ".github/workflows/release.yml"}},
		"resolvedDependencies": [{"uri": "git+https://github.com/acme/lib@refs/heads/main"}],
	},
	"runDetails": {"builder": {"id": github_builder}},
}

slsa02(builder, source) := {
	"builder": {"id": builder},
	"invocation": {"configSource": {"uri": source, "entryPoint": ".github/workflows/release.yml"}},
	"materials": [{"uri": "git+https://github.com/acme/lib@refs/heads/main"}],
}

# cosign_vuln wraps a scanner's report in cosign's vuln predicate, as `cosign attest --type vuln` does.
cosign_vuln(report, finished) := {
	"invocation": {"uri": "", "event_id": "", "builder.id": ""},
	"scanner": {"uri": "pkg:github/aquasecurity/trivy@v0.58.1", "version": "0.58.1", "result": report},
	"metadata": {"scanStartedOn": finished, "scanFinishedOn": finished},
}

# The DAS sample verification_config (seed 004), keys replaced by test signers.
das_config := {
	"allow_with_verification": {
		"docker.io": {
			"ubuntu/nginx": {"certificate-identity": "maintainer@example.com", "certificate-oidc-issuer": "https://github.com/login/oauth"},
			"openpolicyagent/opa": {"certificate-identity-regexp": ".*@example.com", "certificate-oidc-issuer-regexp": "https://github.com.*"},
		},
		"ecr.io": {"xyz/busybox": object.union(das, {"insecure-ignore-tlog": true, "insecure-ignore-sct": true})},
		"gcr.io": {"xyz/*": das},
	},
	"allow_without_verification": {
		"docker.io": ["ubuntu", "ubuntu/*"],
		"ecr.io": ["xyz/*"],
		"gcr.io": ["my-proj-*/base-*-image"],
	},
}
