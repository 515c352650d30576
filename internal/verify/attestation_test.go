package verify_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

const (
	slsaV02 = "https://slsa.dev/provenance/v0.2"
	vulnV1  = "https://cosign.sigstore.dev/attestation/vuln/v1"
)

var (
	provenance = map[string]any{"builder": map[string]any{"id": "https://github.com/acme/builder@v1"}}
	scan       = map[string]any{"scanner": map[string]any{"result": map[string]any{"summary": map[string]any{"CRITICAL": 0}}}}
)

func TestAttestations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	legacyAtt := func(pt string, pred any, subject *name.Digest) func(*testing.T, name.Digest) {
		return func(t *testing.T, d name.Digest) {
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer, Statement: testutil.Statement(t, d, subject, pt, pred, nil)})
		}
	}
	bundleAtt := func(pt string, pred any, subject *name.Digest) func(*testing.T, name.Digest) {
		return func(t *testing.T, d name.Digest) {
			testutil.AttachBundle(t, d, testutil.Bundle{Signer: w.key.Signer, PredicateType: pt, Predicate: pred, SubjectDigest: subject})
		}
	}
	other := w.image(t, "att/other")
	type tc struct {
		name     string
		sign     func(*testing.T, name.Digest)
		typ      string
		key      testutil.Key
		expect   want
		wantPred any
	}
	var cases []tc
	for format, att := range map[string]func(string, any, *name.Digest) func(*testing.T, name.Digest){verify.FormatLegacy: legacyAtt, verify.FormatBundle: bundleAtt} {
		cases = append(cases,
			tc{format + "/slsa provenance", att(slsaV02, provenance, nil), "slsaprovenance", w.key, want{verified: true, format: format}, provenance},
			tc{format + "/slsa provenance, wrong key", att(slsaV02, provenance, nil), "slsaprovenance", w.other, want{code: verify.CodeNoMatchingAttestation}, nil},
			tc{format + "/vuln by URI", att(vulnV1, scan, nil), vulnV1, w.key, want{verified: true, format: format}, scan},
			tc{format + "/only vuln, provenance required", att(vulnV1, scan, nil), "slsaprovenance", w.key, want{code: verify.CodeTypeMismatch}, nil},
			tc{format + "/statement about another digest", att(slsaV02, provenance, &other), "slsaprovenance", w.key, want{code: verify.CodeNoMatchingAttestation}, nil},
			tc{format + "/custom", att("https://cosign.sigstore.dev/attestation/v1", map[string]any{"data": "x"}, nil), "custom", w.key, want{verified: true}, map[string]any{"data": "x"}},
		)
	}
	cases = append(cases,
		tc{"none", func(*testing.T, name.Digest) {}, "vuln", w.key, want{code: verify.CodeNoAttestations}, nil},
		tc{"bundle/unparsable DSSE payload", func(t *testing.T, d name.Digest) {
			testutil.AttachBundle(t, d, testutil.Bundle{Signer: w.key.Signer, PredicateType: vulnV1, RawPayload: []byte("{not json")})
		}, "vuln", w.key, want{code: verify.CodeNoMatchingAttestation}, nil},
		tc{"a signature is not an attestation", func(t *testing.T, d name.Digest) {
			testutil.AttachBundle(t, d, testutil.Bundle{Signer: w.key.Signer})
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer})
		}, "custom", w.key, want{code: verify.CodeNoAttestations}, nil},
	)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := w.image(t, "att/case"+string(rune('a'+i%26))+string(rune('a'+i/26)))
			c.sign(t, d)
			o := opts(t, map[string]any{"key": c.key.PublicPEM, "insecure-ignore-tlog": true, "type": c.typ}, true)
			res := verifyImage(t, w.v, d.String(), o, verify.Attestations)
			check(t, res, c.expect)
			if c.expect.verified {
				if len(res.Signatures) != 0 {
					t.Fatalf("attestation result lists signatures %+v", res.Signatures)
				}
				if got := res.Attestations[0]; got.PredicateType != o.Type || !jsonEqual(t, got.Predicate, c.wantPred) {
					t.Fatalf("attestation = %s %v, want %s %v", got.PredicateType, got.Predicate, o.Type, c.wantPred)
				}
			}
		})
	}
}
