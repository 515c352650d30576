//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Reports as the scanners write them, in cosign's vuln predicate (what `cosign attest --type vuln` takes).
func vulnPredicateOf(report map[string]any, finished time.Time) string {
	b, _ := json.Marshal(map[string]any{
		"invocation": map[string]any{"uri": "", "event_id": "", "builder.id": ""},
		"scanner":    map[string]any{"uri": "pkg:github/anchore/grype", "version": "0.86.1", "result": report},
		"metadata":   map[string]any{"scanStartedOn": finished.Format(time.RFC3339), "scanFinishedOn": finished.Format(time.RFC3339)},
	})
	return string(b)
}

var (
	grypeCritical = map[string]any{
		"matches": []any{
			map[string]any{"vulnerability": map[string]any{"id": "CVE-2024-0001", "severity": "Critical"}, "artifact": map[string]any{"name": "openssl"}},
			map[string]any{"vulnerability": map[string]any{"id": "CVE-2024-0002", "severity": "Low"}, "artifact": map[string]any{"name": "zlib"}},
		},
		"descriptor": map[string]any{"name": "grype", "version": "0.86.1"},
	}
	trivyClean = map[string]any{
		"SchemaVersion": 2, "ArtifactName": "app",
		"Results": []any{map[string]any{"Target": "app", "Vulnerabilities": []any{map[string]any{"VulnerabilityID": "CVE-2024-0003", "Severity": "HIGH"}}}},
	}
	// Not a scanner's format: a summary someone made up.
	madeUp = map[string]any{"summary": map[string]any{"CRITICAL": 0}}
)

func provenancePredicate(source string) string {
	return fmt.Sprintf(`{"builder": {"id": "https://github.com/acme/builder@v1"}, "buildType": "https://example.com/build/v1",
		"invocation": {"configSource": {"uri": %q, "entryPoint": "release.yml"}},
		"materials": [{"uri": "git+https://github.com/acme/app@refs/heads/main"}]}`, source)
}

// TestControlsAgainstRealAttestations: the library's attestation gates and N-of-M signers, with signatures and
// attestations made by the real cosign v2 and v3 in the real registry, decided by the server (docs/security.md #26, #31,
// #32). Each denial is asserted with its reason.
func TestControlsAgainstRealAttestations(t *testing.T) {
	host := startRegistry(t)
	dev, sec := newKeyPair(t), newKeyPair(t)
	devOpts := func(extra map[string]any) map[string]any { return keyOpts(dev, t, extra) }
	cfg := map[string]any{
		"allow_with_verification": map[string]any{host: map[string]any{
			"e2e/**":     devOpts(nil),
			"e2e/dual-*": map[string]any{"threshold": 2, "of": []any{devOpts(nil), keyOpts(sec, t, nil)}},
		}},
		"controls": map[string]any{"attestations": map[string]any{host: map[string]any{
			"e2e/vuln-*": []any{map[string]any{"type": "vuln", "opts": devOpts(nil), "max_severity": map[string]any{"CRITICAL": 0}, "max_age_hours": 24}},
			"e2e/prov-*": []any{map[string]any{"type": "slsaprovenance", "opts": devOpts(nil),
				"builder_ids": []any{"https://github.com/acme/builder@v1"}, "source_repositories": []any{"https://github.com/acme/app"}}},
		}}},
	}
	srv, _ := libraryServer(t, cfg, host)
	recent := time.Now().Add(-time.Hour)

	type image struct {
		repo    string
		prepare func(ref string, version string)
		allowed bool
		reason  string
	}
	signed := func(keys ...keyPair) func(string, string) {
		return func(ref, version string) {
			for _, k := range keys {
				sign(t, version, k, ref, nil)
			}
		}
	}
	attested := func(typ, predicate string) func(string, string) {
		return func(ref, version string) {
			sign(t, version, dev, ref, nil)
			attest(t, version, dev, ref, typ, predicate)
		}
	}
	for _, version := range []string{v2, v3} {
		for _, c := range []image{
			{"vuln-clean", attested("vuln", vulnPredicateOf(trivyClean, recent)), true, ""},
			{"vuln-grype", attested("vuln", vulnPredicateOf(grypeCritical, recent)), false,
				"vuln attestation: 1 CRITICAL vulnerabilities in the Grype report, at most 0 allowed"},
			{"vuln-madeup", attested("vuln", vulnPredicateOf(madeUp, recent)), false,
				"vuln attestation: the scan report is in a format opa-cosign cannot read (expected Trivy JSON, Grype JSON or SARIF 2.1.0, alone or in predicate.scanner.result)"},
			{"vuln-old", attested("vuln", vulnPredicateOf(trivyClean, time.Now().Add(-48*time.Hour))), false, "more than max_age_hours 24"},
			{"prov-app", attested("slsaprovenance", provenancePredicate("git+https://github.com/acme/app@refs/heads/main")), true, ""},
			{"prov-evil", attested("slsaprovenance", provenancePredicate("git+https://github.com/acme/app-evil@refs/heads/main")), false,
				`slsaprovenance attestation: source "git+https://github.com/acme/app-evil@refs/heads/main" is not under ["https://github.com/acme/app"]`},
			{"prov-none", signed(dev), false, "slsaprovenance attestation: not verified (no_attestations: no attestations found)"},
			{"dual-both", signed(dev, sec), true, ""},
			{"dual-dev-twice", signed(dev, dev), false, "1 of 2 required signers verified (a signer counts once)"},
		} {
			t.Run(version+"/"+c.repo, func(t *testing.T) {
				d := push(t, host, "e2e/"+c.repo+"-"+strings.TrimPrefix(version, "cosign-"), "v1")
				c.prepare(d.String(), version)
				tag := d.Context().String() + ":v1"
				got := srv.decide(t, []string{tag}, "").Images[0]
				if got.Allowed != c.allowed {
					t.Fatalf("allowed=%v, want %v: %v", got.Allowed, c.allowed, got.Reasons)
				}
				if got.Digest != d.DigestStr() {
					t.Fatalf("digest %s, want %s", got.Digest, d.DigestStr())
				}
				if c.allowed {
					if len(got.Reasons) != 0 || len(got.Signers) == 0 {
						t.Fatalf("allowed with reasons %v, signers %v", got.Reasons, got.Signers)
					}
					return
				}
				if !strings.Contains(strings.Join(got.Reasons, "\n"), c.reason) {
					t.Fatalf("reasons %q, want one containing %q", got.Reasons, c.reason)
				}
			})
		}
	}
}
