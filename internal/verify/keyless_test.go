package verify_test

import (
	"crypto"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

const (
	identity = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	issuer   = "https://token.actions.githubusercontent.com"
)

// keylessLegacy signs d as `cosign sign` with a Fulcio certificate would: the
// certificate and chain in the signature, and a Rekor SET.
func (w *world) keylessLegacy(t *testing.T, d name.Digest, id, iss string) {
	t.Helper()
	cert, priv, err := w.virtual.GenerateLeafCert(id, iss)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: signer, Cert: cert, Rekor: w.virtual})
}

func TestKeyless(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	base := func(extra map[string]any) func() map[string]any {
		return func() map[string]any {
			o := map[string]any{"trusted-root": "virtual", "insecure-ignore-sct": true}
			for k, v := range extra {
				o[k] = v
			}
			return o
		}
	}
	exact := map[string]any{"certificate-identity": identity, "certificate-oidc-issuer": issuer}
	legacy := func(id, iss string) func(*testing.T, name.Digest) {
		return func(t *testing.T, d name.Digest) { w.keylessLegacy(t, d, id, iss) }
	}
	bundle := func(id, iss string) func(*testing.T, name.Digest) {
		return func(t *testing.T, d name.Digest) {
			testutil.AttachBundle(t, d, testutil.Bundle{Virtual: w.virtual, Identity: id, Issuer: iss})
		}
	}
	type tc struct {
		name   string
		sign   func(*testing.T, name.Digest)
		opts   func() map[string]any
		expect want
	}
	var cases []tc
	for format, sign := range map[string]func(string, string) func(*testing.T, name.Digest){verify.FormatLegacy: legacy, verify.FormatBundle: bundle} {
		cases = append(cases,
			tc{format + "/exact identity and issuer", sign(identity, issuer), base(exact), want{verified: true, format: format}},
			tc{format + "/wrong identity", sign("https://github.com/evil/app/.github/workflows/x.yml@refs/heads/main", issuer), base(exact), want{code: verify.CodeIdentityMismatch}},
			tc{format + "/wrong issuer", sign(identity, "https://accounts.google.com"), base(exact), want{code: verify.CodeIdentityMismatch}},
			// The signer chooses its identity's text: words that libraries use
			// for other failures must not change the code (issue 11 #4).
			tc{format + "/wrong identity that names the log", sign("https://github.com/evil/tlog-inclusion-SCT/.github/workflows/x.yml@refs/heads/main", issuer), base(exact), want{code: verify.CodeIdentityMismatch}},
			tc{format + "/identity regexp", sign(identity, issuer), base(map[string]any{
				"certificate-identity-regexp": `^https://github\.com/acme/`, "certificate-oidc-issuer-regexp": `^https://token\.actions\.githubusercontent\.com$`,
			}), want{verified: true}},
			tc{format + "/identity regexp not matching", sign(identity, issuer), base(map[string]any{
				"certificate-identity-regexp": `^https://github\.com/other/`, "certificate-oidc-issuer": issuer,
			}), want{code: verify.CodeIdentityMismatch}},
			tc{format + "/SCT required by default", sign(identity, issuer), func() map[string]any {
				return map[string]any{"trusted-root": "virtual", "certificate-identity": identity, "certificate-oidc-issuer": issuer}
			}, want{code: verify.CodeSCTFailed}},
			tc{format + "/root that does not hold the CA", sign(identity, issuer), func() map[string]any {
				return map[string]any{"certificate-identity": identity, "certificate-oidc-issuer": issuer, "insecure-ignore-sct": true}
			}, want{code: verify.CodeCertificateInvalid}},
		)
	}
	cases = append(cases, tc{"bundle/log entry of another artifact", func(t *testing.T, d name.Digest) {
		testutil.AttachBundle(t, d, testutil.Bundle{Virtual: w.virtual, Identity: identity, Issuer: issuer, ForeignTlog: true})
	}, base(exact), want{code: verify.CodeTlogFailed}})
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := w.image(t, "keyless/case"+string(rune('a'+i%26))+string(rune('a'+i/26)))
			c.sign(t, d)
			res := verifyImage(t, w.v, d.String(), opts(t, c.opts(), false), verify.Signatures)
			check(t, res, c.expect)
			if c.expect.verified {
				s := res.Signatures[0]
				if s.Subject != identity || s.Issuer != issuer || s.Tlog == nil {
					t.Fatalf("signature identity = %q %q tlog %v, want %q %q with tlog", s.Subject, s.Issuer, s.Tlog, identity, issuer)
				}
			}
		})
	}
}
