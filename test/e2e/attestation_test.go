//go:build e2e

package e2e

import (
	"testing"
)

const (
	slsaPredicate = `{"builder": {"id": "https://github.com/acme/builder@v1"}, "buildType": "https://example.com/build/v1", "invocation": {"configSource": {"uri": "git+https://github.com/acme/app"}}}`
	vulnPredicate = `{"scanner": {"uri": "pkg:github/aquasecurity/trivy", "version": "0.50.0", "result": {"summary": {"CRITICAL": 0, "HIGH": 1}}}, "metadata": {"scanStartedOn": "2026-11-22T09:00:00Z", "scanFinishedOn": "2026-11-22T09:01:00Z"}}`
)

// TestAttestationsFromCosignAttest: `cosign attest --type slsaprovenance|vuln`
// by cosign v2 (.att) and v3 (bundle), verified through the server; only the
// requested type verifies (THREATS #5).
func TestAttestationsFromCosignAttest(t *testing.T) {
	host := startRegistry(t)
	srv := startServer(t, host)
	good, bad := newKeyPair(t), newKeyPair(t)
	for _, version := range []string{v2, v3} {
		d := push(t, host, "e2e/attested-"+version, "v1")
		attest(t, version, good, d.String(), "slsaprovenance", slsaPredicate)
		attest(t, version, good, d.String(), "vuln", vulnPredicate)
		onlyVuln := push(t, host, "e2e/only-vuln-"+version, "v1")
		attest(t, version, good, onlyVuln.String(), "vuln", vulnPredicate)

		for _, c := range []struct {
			name, image, typ, wantType, code string
			key                              keyPair
		}{
			{"slsa provenance", d.String(), "slsaprovenance", "https://slsa.dev/provenance/v0.2", "", good},
			{"vuln", d.String(), "vuln", "https://cosign.sigstore.dev/attestation/vuln/v1", "", good},
			{"wrong key", d.String(), "slsaprovenance", "", "no_matching_attestations", bad},
			{"only vuln, provenance required", onlyVuln.String(), "slsaprovenance", "", "type_mismatch", good},
			{"not attested", push(t, host, "e2e/plain-"+version, "v1").String(), "vuln", "", "no_attestations", good},
		} {
			t.Run(version+"/"+c.name, func(t *testing.T) {
				got := srv.verifyAttestation(t, c.image, keyOpts(c.key, t, map[string]any{"type": c.typ}))
				if c.code != "" {
					if got.Verified || got.code() != c.code || len(got.Attestations) != 0 {
						t.Fatalf("verified=%v code=%q attestations=%d, want code %q", got.Verified, got.code(), len(got.Attestations), c.code)
					}
					return
				}
				if !got.Verified || len(got.Attestations) == 0 {
					t.Fatalf("not verified: %+v", got.Errors)
				}
				for _, a := range got.Attestations {
					if a.PredicateType != c.wantType {
						t.Fatalf("attestation of type %q returned for %q", a.PredicateType, c.typ)
					}
				}
				if c.typ == "slsaprovenance" && got.Attestations[0].Predicate["builder"].(map[string]any)["id"] != "https://github.com/acme/builder@v1" {
					t.Fatalf("predicate = %v", got.Attestations[0].Predicate)
				}
			})
		}
	}
}
