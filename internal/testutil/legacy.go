package testutil

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/cosign/v2/pkg/types"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Legacy describes a legacy (.sig / .att) signature to attach.
type Legacy struct {
	Signer      signature.Signer
	Annotations map[string]any
	// ClaimDigest is the digest the signed payload names; default the image's
	// own (set another to build a transplanted signature).
	ClaimDigest *name.Digest
	// Tamper changes the payload after signing.
	Tamper bool
	// Repo stores the signature in another repository (signature-repository).
	Repo *name.Repository
	// Cert and Chain make it a certificate-signed signature.
	Cert  *x509.Certificate
	Chain []*x509.Certificate
	// Rekor, when set, adds a Rekor SET signed by this (virtual) log.
	Rekor *ca.VirtualSigstore
	// RekorPayload makes the SET cover another payload (a genuine SET from
	// another artifact, docs/security.md #7).
	RekorPayload []byte
	// Statement, when set, makes it a .att attestation with this in-toto
	// statement (JSON) as DSSE payload.
	Statement []byte
}

// AttachLegacy signs d as cosign v2 does and writes it under sha256-<hex>.sig
// (or .att).
func AttachLegacy(t testing.TB, d name.Digest, l Legacy) {
	t.Helper()
	claim := d
	if l.ClaimDigest != nil {
		claim = *l.ClaimDigest
	}
	var p []byte
	var b64sig string
	var err error
	if l.Statement != nil {
		p, err = sigdsse.WrapSigner(l.Signer, types.IntotoPayloadType).SignMessage(bytes.NewReader(l.Statement))
		must(t, err)
	} else {
		p, err = (&payload.Cosign{Image: claim, Annotations: l.Annotations}).MarshalJSON()
		must(t, err)
		sig, err := l.Signer.SignMessage(bytes.NewReader(p))
		must(t, err)
		b64sig = base64.StdEncoding.EncodeToString(sig)
	}
	if l.Tamper {
		p = bytes.Replace(p, []byte(`"`), []byte(`"x`), 1)
	}
	var opts []static.Option
	if l.Cert != nil {
		opts = append(opts, static.WithCertChain(pemCert(l.Cert), pemCerts(l.Chain...)))
	}
	if l.Rekor != nil {
		opts = append(opts, static.WithBundle(rekorBundle(t, l, p, b64sig)))
	}
	repo := d.Context()
	if l.Repo != nil {
		repo = *l.Repo
	}
	se, err := ociremote.SignedEntity(d)
	must(t, err)
	if l.Statement != nil {
		att, err := static.NewAttestation(p, opts...)
		must(t, err)
		se, err = mutate.AttachAttestationToEntity(se, att)
		must(t, err)
		must(t, ociremote.WriteAttestations(repo, se))
		return
	}
	sig, err := static.NewSignature(p, b64sig, opts...)
	must(t, err)
	se, err = mutate.AttachSignatureToEntity(se, sig)
	must(t, err)
	must(t, ociremote.WriteSignatures(repo, se))
}

// rekorBundle builds a hashedrekord entry for the signature and has the
// virtual log sign its SET, as Rekor would at upload.
func rekorBundle(t testing.TB, l Legacy, p []byte, b64sig string) *bundle.RekorBundle {
	t.Helper()
	var keyPEM []byte
	if l.Cert != nil {
		keyPEM = pemCert(l.Cert)
	} else {
		pub, err := l.Signer.PublicKey()
		must(t, err)
		keyPEM, err = cryptoutils.MarshalPublicKeyToPEM(pub)
		must(t, err)
	}
	if l.RekorPayload != nil {
		p = l.RekorPayload
	}
	sum := sha256.Sum256(p)
	body, err := json.Marshal(map[string]any{
		"apiVersion": "0.0.1", "kind": "hashedrekord",
		"spec": map[string]any{
			"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(sum[:])}},
			"signature": map[string]any{"content": b64sig, "publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(keyPEM)}},
		},
	})
	must(t, err)
	logID, err := l.Rekor.RekorLogID()
	must(t, err)
	rp := tlog.RekorPayload{Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: time.Now().Unix(), LogIndex: 42, LogID: logID}
	set, err := l.Rekor.RekorSignPayload(rp)
	must(t, err)
	return &bundle.RekorBundle{SignedEntryTimestamp: set, Payload: bundle.RekorPayload{
		Body: rp.Body, IntegratedTime: rp.IntegratedTime, LogIndex: rp.LogIndex, LogID: rp.LogID,
	}}
}

func pemCert(c *x509.Certificate) []byte {
	if c == nil {
		return nil
	}
	b, _ := cryptoutils.MarshalCertificateToPEM(c)
	return b
}

func pemCerts(cs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, pemCert(c)...)
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
