package verify_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

func sum256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keySignerOf is the signer a key gives, computed here from its DER
// SubjectPublicKeyInfo, independently of the code under test.
func keySignerOf(t *testing.T, k testutil.Key) string {
	t.Helper()
	pub, err := k.Signer.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return "key:sha256:" + sum256(der)
}

// storedDigests lists, from the registry, what each signature of d should be
// identified by: SHA-256 of the decoded signature annotation of every legacy
// .sig layer, and the layer digest of every bundle referrer.
func storedDigests(t *testing.T, d name.Digest) (legacy, bundle []string) {
	t.Helper()
	hexPart := strings.TrimPrefix(d.DigestStr(), "sha256:")
	if img, err := remote.Image(d.Context().Tag("sha256-"+hexPart+".sig"), remote.WithAuthFromKeychain(nil)); err == nil {
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Layers {
			raw, err := base64.StdEncoding.DecodeString(l.Annotations["dev.cosignproject.cosign/signature"])
			if err != nil {
				t.Fatal(err)
			}
			legacy = append(legacy, "sha256:"+sum256(raw))
		}
	}
	if idx, err := remote.Index(d.Context().Tag("sha256-" + hexPart)); err == nil {
		m, err := idx.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, desc := range m.Manifests {
			img, err := remote.Image(d.Context().Digest(desc.Digest.String()))
			if err != nil {
				t.Fatal(err)
			}
			bm, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			bundle = append(bundle, bm.Layers[0].Digest.String())
		}
	}
	return legacy, bundle
}

// TestSignerAndDigestKey (docs/security.md #26): the signer is the key, whatever the
// image or format; two keys are two signers; each signature is identified by
// its own bytes as stored.
func TestSignerAndDigestKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, b, c := w.image(t, "signer/a"), w.image(t, "signer/b"), w.image(t, "signer/c")
	testutil.AttachLegacy(t, a, testutil.Legacy{Signer: w.key.Signer})
	testutil.AttachBundle(t, b, testutil.Bundle{Signer: w.key.Signer})
	testutil.AttachLegacy(t, c, testutil.Legacy{Signer: w.other.Signer})
	byKey := func(k testutil.Key) *verify.Options {
		return opts(t, ignoreTlog(map[string]any{"key": k.PublicPEM}), false)
	}

	ra := verifyImage(t, w.v, a.String(), byKey(w.key), verify.Signatures)
	check(t, ra, want{verified: true, format: verify.FormatLegacy})
	rb := verifyImage(t, w.v, b.String(), byKey(w.key), verify.Signatures)
	check(t, rb, want{verified: true, format: verify.FormatBundle})
	rc := verifyImage(t, w.v, c.String(), byKey(w.other), verify.Signatures)
	check(t, rc, want{verified: true})

	sa, sb, sc := ra.Signatures[0], rb.Signatures[0], rc.Signatures[0]
	if want := keySignerOf(t, w.key); sa.Signer != want || sb.Signer != want {
		t.Errorf("same key on two images and formats: signers %q and %q, want %q", sa.Signer, sb.Signer, want)
	}
	if want := keySignerOf(t, w.other); sc.Signer != want || sc.Signer == sa.Signer {
		t.Errorf("another key: signer %q, want %q (distinct from %q)", sc.Signer, want, sa.Signer)
	}
	for _, s := range []verify.Signature{sa, sb, sc} {
		if s.Subject != "" || s.Issuer != "" {
			t.Errorf("key-signed signature reports an identity: %+v", s)
		}
	}
	legacyA, _ := storedDigests(t, a)
	_, bundleB := storedDigests(t, b)
	if len(legacyA) != 1 || sa.Digest != legacyA[0] {
		t.Errorf("legacy digest %q, want %v", sa.Digest, legacyA)
	}
	if len(bundleB) != 1 || sb.Digest != bundleB[0] {
		t.Errorf("bundle digest %q, want %v", sb.Digest, bundleB)
	}
	// The negative twin: the other key's signature does not verify with this key.
	check(t, verifyImage(t, w.v, c.String(), byKey(w.key), verify.Signatures), want{code: verify.CodeNoMatchingSignatures})
}

// TestSignerKeyless: a certificate identity is "cert:<issuer>|<subject>", in
// both formats, and two signatures of one identity are one signer with two
// digests.
func TestSignerKeyless(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	legacy, bundle := w.image(t, "signer/keyless-legacy"), w.image(t, "signer/keyless-bundle")
	w.keylessLegacy(t, legacy, identity, issuer)
	testutil.AttachBundle(t, bundle, testutil.Bundle{Virtual: w.virtual, Identity: identity, Issuer: issuer})
	o := opts(t, map[string]any{"trusted-root": "virtual", "insecure-ignore-sct": true, "certificate-identity": identity, "certificate-oidc-issuer": issuer}, false)
	wantSigner := "cert:" + issuer + "|" + identity
	var digests []string
	for _, d := range []name.Digest{legacy, bundle} {
		res := verifyImage(t, w.v, d.String(), o, verify.Signatures)
		check(t, res, want{verified: true})
		s := res.Signatures[0]
		if s.Signer != wantSigner || s.Subject != identity || s.Issuer != issuer {
			t.Errorf("%s: signer %q subject %q issuer %q, want %q", s.Format, s.Signer, s.Subject, s.Issuer, wantSigner)
		}
		l, b := storedDigests(t, d)
		if stored := append(l, b...); len(stored) != 1 || s.Digest != stored[0] {
			t.Errorf("%s: digest %q, stored %v", s.Format, s.Digest, stored)
		}
		digests = append(digests, s.Digest)
	}
	if digests[0] == digests[1] {
		t.Errorf("two signatures share the digest %s", digests[0])
	}
	// Negative twin: another identity of the same issuer does not verify.
	other := opts(t, map[string]any{"trusted-root": "virtual", "insecure-ignore-sct": true, "certificate-identity": "https://github.com/evil/app", "certificate-oidc-issuer": issuer}, false)
	check(t, verifyImage(t, w.v, legacy.String(), other, verify.Signatures), want{code: verify.CodeIdentityMismatch})
}

// TestSignerPKI: bring-your-own PKI. A certificate with a SAN is its identity
// (issuer "" without the OIDC extension); a certificate without any SAN is
// its key; with the certificate option, the signer is that certificate; and a
// certificate carried beside a key-verified signature is never reported.
func TestSignerPKI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	corp := testutil.NewCA(t)
	const uri = "https://ci.corp.example/pipelines/app"
	named, namedSigner := corp.Issue(t, testutil.Leaf{URI: uri})
	bare, bareSigner := corp.Issue(t, testutil.Leaf{})
	chain := []*x509.Certificate{corp.Intermediate, corp.Root}
	pki := func(extra map[string]any) *verify.Options {
		raw := map[string]any{"insecure-ignore-tlog": true, "insecure-ignore-sct": true, "certificate-chain": corp.ChainPEM()}
		for k, v := range extra {
			raw[k] = v
		}
		return opts(t, raw, false)
	}
	cases := []struct {
		name   string
		sign   func(name.Digest)
		opts   *verify.Options
		signer string
		sub    string
	}{
		{"legacy, chain only", func(d name.Digest) {
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: namedSigner, Cert: named, Chain: chain})
		}, pki(nil), "cert:|" + uri, uri},
		{"bundle, chain only", func(d name.Digest) {
			testutil.AttachBundle(t, d, testutil.Bundle{Signer: namedSigner, Cert: named})
		}, pki(nil), "cert:|" + uri, uri},
		{"legacy, certificate option", func(d name.Digest) {
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: namedSigner})
		}, pki(map[string]any{"certificate": testutil.CertPEM(named)}), "cert:|" + uri, uri},
		{"legacy, certificate without SAN", func(d name.Digest) {
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: bareSigner, Cert: bare, Chain: chain})
		}, pki(nil), "certkey:sha256:" + sum256(bare.RawSubjectPublicKeyInfo), ""},
	}
	for i, c := range cases {
		d := w.image(t, "signer/pki"+string(rune('a'+i)))
		c.sign(d)
		res := verifyImage(t, w.v, d.String(), c.opts, verify.Signatures)
		check(t, res, want{verified: true})
		if s := res.Signatures[0]; s.Signer != c.signer || s.Subject != c.sub {
			t.Errorf("%s: signer %q subject %q, want %q %q", c.name, s.Signer, s.Subject, c.signer, c.sub)
		}
	}

	// A key-signed signature that carries someone else's certificate: cosign
	// verifies it with the key and never validates the certificate, so the
	// certificate's identity must not appear.
	k := testutil.NewKey(t, testutil.ECDSAP256)
	foreign := w.image(t, "signer/foreign-cert")
	testutil.AttachLegacy(t, foreign, testutil.Legacy{Signer: k.Signer, Cert: named, Chain: chain})
	res := verifyImage(t, w.v, foreign.String(), opts(t, ignoreTlog(map[string]any{"key": k.PublicPEM}), false), verify.Signatures)
	check(t, res, want{verified: true})
	if s := res.Signatures[0]; s.Signer != keySignerOf(t, k) || s.Subject != "" || s.Issuer != "" || len(s.Extensions) != 0 {
		t.Errorf("key-verified signature with a carried certificate: %+v", s)
	}
	// Its negative twin: the certificate's own key did not make it.
	check(t, verifyImage(t, w.v, foreign.String(), pki(map[string]any{"certificate": testutil.CertPEM(named)}), verify.Signatures), want{code: verify.CodeNoMatchingSignatures})
}

// TestSignerAttestations: an attestation's signature carries signer and
// digest too, in both formats.
func TestSignerAttestations(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	legacy, bundle := w.image(t, "signer/att-legacy"), w.image(t, "signer/att-bundle")
	testutil.AttachLegacy(t, legacy, testutil.Legacy{Signer: w.key.Signer, Statement: testutil.Statement(t, legacy, nil, slsaV02, provenance, nil)})
	testutil.AttachBundle(t, bundle, testutil.Bundle{Signer: w.key.Signer, PredicateType: slsaV02, Predicate: provenance})
	o := opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM, "type": "slsaprovenance"}), true)
	for _, d := range []name.Digest{legacy, bundle} {
		res := verifyImage(t, w.v, d.String(), o, verify.Attestations)
		check(t, res, want{verified: true})
		s := res.Attestations[0].Signature
		if s.Signer != keySignerOf(t, w.key) || !strings.HasPrefix(s.Digest, "sha256:") || len(s.Digest) != 71 {
			t.Errorf("%s attestation: signer %q digest %q", s.Format, s.Signer, s.Digest)
		}
	}
	// Negative twin: the other key.
	check(t, verifyImage(t, w.v, legacy.String(), opts(t, ignoreTlog(map[string]any{"key": w.other.PublicPEM, "type": "slsaprovenance"}), true), verify.Attestations),
		want{code: verify.CodeNoMatchingAttestation})
}
