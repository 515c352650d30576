package verify_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestMessageCodes (issue 11 #4): every entry of the message table is
// produced here by the library it names, through the call that produces it
// in verification, and maps to its code. A library upgrade that rewords a
// message fails here rather than silently changing an error code.
func TestMessageCodes(t *testing.T) {
	t.Parallel()
	corp := testutil.NewCA(t)
	const uri = "https://ci.corp.example/app"
	leaf, _ := corp.Issue(t, testutil.Leaf{URI: uri})
	expired, expiredSigner := corp.Issue(t, testutil.Leaf{URI: uri, NotBefore: time.Now().Add(-50 * time.Minute), NotAfter: time.Now().Add(-10 * time.Minute)})
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(corp.Root)
	intermediates.AddCert(corp.Intermediate)
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	statement := []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"x","digest":{"sha256":"` + strings.Repeat("a", 64) + `"}}],"predicateType":"https://example.com/p","predicate":{}}`)
	entity, err := vs.Attest(identity, issuer, statement)
	if err != nil {
		t.Fatal(err)
	}
	key := testutil.NewKey(t, testutil.ECDSAP256)
	// sigstoreGo verifies the virtual Sigstore's entity with the given
	// verifier options and identity.
	sigstoreGo := func(subject string, opts ...sgverify.VerifierOption) error {
		v, err := sgverify.NewVerifier(vs, append([]sgverify.VerifierOption{sgverify.WithIntegratedTimestamps(1)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		id, err := sgverify.NewShortCertificateIdentity(issuer, "", subject, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Verify(entity, sgverify.NewPolicy(sgverify.WithoutArtifactUnsafe(), sgverify.WithCertificateIdentity(id)))
		return err
	}
	// legacy is a cosign v2 signature over a payload, made by signer, with
	// the given extras (certificate, Rekor bundle).
	legacy := func(signer signature.Signer, opts ...static.Option) (*cosign.CheckOpts, func(*cosign.CheckOpts) error) {
		payload := []byte(`{"critical":{}}`)
		sig, err := signer.SignMessage(bytes.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		s, err := static.NewSignature(payload, base64.StdEncoding.EncodeToString(sig), opts...)
		if err != nil {
			t.Fatal(err)
		}
		return &cosign.CheckOpts{}, func(co *cosign.CheckOpts) error {
			_, err := cosign.VerifyImageSignature(context.Background(), s, v1.Hash{}, co)
			return err
		}
	}
	pem := func(c ...*x509.Certificate) []byte {
		b, err := cryptoutils.MarshalCertificatesToPEM(c)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	produce := map[string]func() error{
		"none of the expected identities matched": func() error {
			return cosign.CheckCertificatePolicy(leaf, &cosign.CheckOpts{Identities: []cosign.Identity{{Subject: "https://other.example"}}})
		},
		"expected GitHub Workflow": func() error {
			return cosign.CheckCertificatePolicy(leaf, &cosign.CheckOpts{CertGithubWorkflowRepository: "evil/app"})
		},
		"failed to verify certificate identity": func() error { return sigstoreGo("https://other.example", sgverify.WithTransparencyLog(1)) },
		"certificate does not include required embedded SCT": func() error {
			_, err := cosign.ValidateAndUnpackCert(leaf, &cosign.CheckOpts{RootCerts: roots, IntermediateCerts: intermediates})
			return err
		},
		"failed to verify signed certificate timestamp": func() error {
			return sigstoreGo(identity, sgverify.WithTransparencyLog(1), sgverify.WithSignedCertificateTimestamps(1))
		},
		"leaf certificate verification failed": func() error {
			_, err := sgverify.VerifyLeafCertificate(time.Now(), leaf, vs)
			return err
		},
		"signatures were entered in log": func() error { return cosign.CheckExpiry(expired, time.Now()) },
		"expected a signed timestamp to verify an expired certificate": func() error {
			co, run := legacy(expiredSigner, static.WithCertChain(pem(expired), pem(corp.Intermediate, corp.Root)))
			co.IgnoreTlog, co.IgnoreSCT, co.RootCerts, co.IntermediateCerts = true, true, roots, intermediates
			return run(co)
		},
		"error verifying bundle": func() error {
			co, run := legacy(key.Signer, static.WithBundle(&cbundle.RekorBundle{SignedEntryTimestamp: []byte("x"), Payload: cbundle.RekorPayload{Body: "not base64", LogID: "00"}}))
			co.SigVerifier, co.TrustedMaterial, co.Offline = key.Signer, vs, true
			return run(co)
		},
		"offline verification failed": func() error {
			co, run := legacy(key.Signer)
			co.SigVerifier, co.TrustedMaterial, co.Offline = key.Signer, vs, true
			return run(co)
		},
		"failed to verify log inclusion": func() error { return sigstoreGo(identity, sgverify.WithTransparencyLog(2)) },
		"failed to verify timestamps": func() error {
			return sigstoreGo(identity, sgverify.WithTransparencyLog(1), sgverify.WithSignedTimestamps(2))
		},
	}
	seen := map[string]bool{}
	for _, m := range verify.MessageCodes {
		seen[m.Fragment] = true
		p, ok := produce[m.Fragment]
		if !ok {
			t.Errorf("%q (%s): no test produces it", m.Fragment, m.Source)
			continue
		}
		err := p()
		if err == nil || !strings.Contains(err.Error(), m.Fragment) {
			t.Errorf("%q (%s): the library said %v", m.Fragment, m.Source, err)
			continue
		}
		if got := verify.Classify(err); got != m.Code {
			t.Errorf("%q: classified %s, want %s", m.Fragment, got, m.Code)
		}
	}
	for f := range produce {
		if !seen[f] {
			t.Errorf("%q is tested but not in the table", f)
		}
	}
}

// countingVerifier counts signature checks.
type countingVerifier struct {
	signature.Verifier
	n *int
}

func (c countingVerifier) VerifySignature(sig, msg io.Reader, opts ...signature.VerifyOption) error {
	*c.n++
	return c.Verifier.VerifySignature(sig, msg, opts...)
}

// TestLogFailureDiagnosis (issue 11 #4): a candidate that fails at the log
// step is told apart by one signature check, not by running the whole
// verification again: another key's signature is no match (one check of the
// key per candidate), the right key's is a log failure.
func TestLogFailureDiagnosis(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range []struct {
		name   string
		signer testutil.Key
		sign   func(name.Digest, testutil.Key)
		code   string
	}{
		{"legacy, another key", w.other, func(d name.Digest, k testutil.Key) { testutil.AttachLegacy(t, d, testutil.Legacy{Signer: k.Signer}) }, verify.CodeNoMatchingSignatures},
		{"legacy, the key", w.key, func(d name.Digest, k testutil.Key) { testutil.AttachLegacy(t, d, testutil.Legacy{Signer: k.Signer}) }, verify.CodeTlogFailed},
		{"bundle, another key", w.other, func(d name.Digest, k testutil.Key) { testutil.AttachBundle(t, d, testutil.Bundle{Signer: k.Signer}) }, verify.CodeNoMatchingSignatures},
		{"bundle, the key", w.key, func(d name.Digest, k testutil.Key) { testutil.AttachBundle(t, d, testutil.Bundle{Signer: k.Signer}) }, verify.CodeTlogFailed},
	} {
		d := w.image(t, "diagnose/"+strings.NewReplacer(" ", "-", ",", "").Replace(c.name))
		c.sign(d, c.signer)
		o := opts(t, map[string]any{"key": w.key.PublicPEM}, false) // log required; none in the signature
		checks := 0
		o.Key = countingVerifier{o.Key, &checks}
		check(t, verifyImage(t, w.v, d.String(), o, verify.Signatures), want{code: c.code})
		if c.code == verify.CodeNoMatchingSignatures && checks != 1 {
			t.Errorf("%s: %d checks of the key, want 1", c.name, checks)
		}
	}
}
