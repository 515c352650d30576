package verify_test

import (
	"testing"
	"time"

	"crypto/x509"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestBringYourOwnPKI covers certificate + certificate-chain (Kyverno's
// certificates.cert/certChain) and chain-only verification of the signature's
// own certificate, with GitHub workflow claims.
func TestBringYourOwnPKI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	corp, other := testutil.NewCA(t), testutil.NewCA(t)
	const uri = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	claims := map[string]string{"trigger": "push", "repository": "acme/app", "ref": "refs/heads/main", "sha": "abc123", "name": "release"}
	leaf, signer := corp.Issue(t, testutil.Leaf{URI: uri, Issuer: "https://token.actions.githubusercontent.com", Github: claims})
	expired, expiredSigner := corp.Issue(t, testutil.Leaf{URI: uri, NotBefore: time.Now().Add(-3 * time.Hour), NotAfter: time.Now().Add(-2 * time.Hour)})
	foreign, foreignSigner := other.Issue(t, testutil.Leaf{URI: uri})

	base := func(extra map[string]any) map[string]any {
		o := map[string]any{"insecure-ignore-tlog": true, "insecure-ignore-sct": true}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	cases := []struct {
		name   string
		legacy testutil.Legacy
		opts   map[string]any
		expect want
	}{
		{"certificate and chain", testutil.Legacy{Signer: signer, Cert: leaf, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate": testutil.CertPEM(leaf), "certificate-chain": corp.ChainPEM()}), want{verified: true}},
		{"certificate signed by another key", testutil.Legacy{Signer: foreignSigner, Cert: foreign},
			base(map[string]any{"certificate": testutil.CertPEM(leaf), "certificate-chain": corp.ChainPEM()}), want{code: verify.CodeNoMatchingSignatures}},
		{"certificate from another CA", testutil.Legacy{Signer: foreignSigner, Cert: foreign},
			base(map[string]any{"certificate": testutil.CertPEM(foreign), "certificate-chain": corp.ChainPEM()}), want{code: verify.CodeCertificateInvalid}},
		{"chain only", testutil.Legacy{Signer: signer, Cert: leaf, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{verified: true}},
		{"chain only, wrong root", testutil.Legacy{Signer: foreignSigner, Cert: foreign, Chain: []*x509.Certificate{other.Intermediate, other.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{code: verify.CodeCertificateInvalid}},
		{"chain only, expired leaf without timestamp", testutil.Legacy{Signer: expiredSigner, Cert: expired, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{code: verify.CodeCertificateInvalid}},
		{"chain only, signature without certificate", testutil.Legacy{Signer: signer},
			base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{code: verify.CodeCertificateInvalid}},
		{"GitHub claims match", testutil.Legacy{Signer: signer, Cert: leaf, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM(), "certificate-identity": uri, "certificate-oidc-issuer": "https://token.actions.githubusercontent.com",
				"certificate-github-workflow-repository": "acme/app", "certificate-github-workflow-trigger": "push", "certificate-github-workflow-ref": "refs/heads/main",
				"certificate-github-workflow-sha": "abc123", "certificate-github-workflow-name": "release"}), want{verified: true}},
		{"GitHub repository differs", testutil.Legacy{Signer: signer, Cert: leaf, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM(), "certificate-github-workflow-repository": "evil/app"}), want{code: verify.CodeIdentityMismatch}},
		{"GitHub trigger differs", testutil.Legacy{Signer: signer, Cert: leaf, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM(), "certificate-github-workflow-trigger": "pull_request"}), want{code: verify.CodeIdentityMismatch}},
		{"identity differs", testutil.Legacy{Signer: signer, Cert: leaf, Chain: []*x509.Certificate{corp.Intermediate, corp.Root}},
			base(map[string]any{"certificate-chain": corp.ChainPEM(), "certificate-identity": "https://github.com/evil/x", "certificate-oidc-issuer": "https://token.actions.githubusercontent.com"}), want{code: verify.CodeIdentityMismatch}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := w.image(t, "pki/case"+string(rune('a'+i)))
			testutil.AttachLegacy(t, d, c.legacy)
			res := verifyImage(t, w.v, d.String(), opts(t, c.opts, false), verify.Signatures)
			check(t, res, c.expect)
			if c.expect.verified && res.Signatures[0].Subject != uri {
				t.Fatalf("subject = %q, want %q", res.Signatures[0].Subject, uri)
			}
		})
	}
}

// TestBringYourOwnPKIBundles: the same modes for Sigstore bundles.
func TestBringYourOwnPKIBundles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	corp, other := testutil.NewCA(t), testutil.NewCA(t)
	const uri = "https://ci.corp.example/pipelines/app"
	leaf, signer := corp.Issue(t, testutil.Leaf{URI: uri, Github: map[string]string{"repository": "acme/app"}})
	leaf2, signer2 := corp.Issue(t, testutil.Leaf{URI: uri})
	foreign, foreignSigner := other.Issue(t, testutil.Leaf{URI: uri})
	base := func(extra map[string]any) map[string]any {
		o := map[string]any{"insecure-ignore-tlog": true, "insecure-ignore-sct": true}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	cases := []struct {
		name   string
		bundle testutil.Bundle
		opts   map[string]any
		expect want
	}{
		{"chain only", testutil.Bundle{Signer: signer, Cert: leaf}, base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{verified: true, format: verify.FormatBundle}},
		{"chain only, wrong root", testutil.Bundle{Signer: foreignSigner, Cert: foreign}, base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{code: verify.CodeCertificateInvalid}},
		{"certificate and chain", testutil.Bundle{Signer: signer, Cert: leaf}, base(map[string]any{"certificate": testutil.CertPEM(leaf), "certificate-chain": corp.ChainPEM()}), want{verified: true}},
		{"another certificate of the same CA", testutil.Bundle{Signer: signer2, Cert: leaf2}, base(map[string]any{"certificate": testutil.CertPEM(leaf), "certificate-chain": corp.ChainPEM()}), want{code: verify.CodeNoMatchingSignatures}},
		{"identity matches", testutil.Bundle{Signer: signer, Cert: leaf}, base(map[string]any{"certificate-chain": corp.ChainPEM(), "certificate-identity": uri, "certificate-oidc-issuer-regexp": ".*"}), want{verified: true}},
		{"GitHub repository differs", testutil.Bundle{Signer: signer, Cert: leaf}, base(map[string]any{"certificate-chain": corp.ChainPEM(), "certificate-github-workflow-repository": "evil/app"}), want{code: verify.CodeIdentityMismatch}},
		{"tampered", testutil.Bundle{Signer: signer, Cert: leaf, Tamper: true}, base(map[string]any{"certificate-chain": corp.ChainPEM()}), want{code: verify.CodeNoMatchingSignatures}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := w.image(t, "pkib/case"+string(rune('a'+i)))
			testutil.AttachBundle(t, d, c.bundle)
			check(t, verifyImage(t, w.v, d.String(), opts(t, c.opts, false), verify.Signatures), c.expect)
		})
	}
}
