package testutil

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

// CosignSignPredicate is the predicate type of a cosign v3 image signature.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

const inTotoPayloadType = "application/vnd.in-toto+json"

// Bundle describes a Sigstore bundle (v0.3, DSSE) to attach as a referrer,
// as cosign v3 does.
type Bundle struct {
	// Signer makes a key-signed bundle without a log entry; with Cert, a
	// certificate-signed one (bring-your-own PKI).
	Signer signature.Signer
	Cert   *x509.Certificate
	// Virtual, Identity and Issuer make a keyless bundle with a Fulcio-style
	// certificate, a Rekor entry with inclusion proof and a signed timestamp.
	Virtual          *ca.VirtualSigstore
	Identity, Issuer string

	PredicateType string         // default CosignSignPredicate
	Predicate     any            // default {}
	Annotations   map[string]any // on the subject, where cosign v3 puts -a
	// SubjectDigest is the digest the statement names; default the image's.
	SubjectDigest *name.Digest
	Tamper        bool // change the payload after signing
	// Keyless only: Timestamp adds the virtual TSA's RFC 3161 timestamp;
	// NoTlog leaves the Rekor entry out.
	Timestamp, NoTlog bool
	// ForeignTlog carries the genuine log entry of another artifact (docs/security.md #7).
	ForeignTlog bool
	// RawPayload replaces the statement (for malformed-payload tests).
	RawPayload []byte
}

// AttachBundle signs d and attaches the bundle through the referrers tag
// fallback.
func AttachBundle(t testing.TB, d name.Digest, b Bundle) {
	t.Helper()
	raw := BundleJSON(t, d, b)
	if b.PredicateType == "" {
		b.PredicateType = CosignSignPredicate
	}
	must(t, ociremote.WriteAttestationNewBundleFormat(d, raw, b.PredicateType))
}

// BundleJSON signs d and returns the bundle as it is stored (JSON).
func BundleJSON(t testing.TB, d name.Digest, b Bundle) []byte {
	t.Helper()
	if b.PredicateType == "" {
		b.PredicateType = CosignSignPredicate
	}
	payload := b.RawPayload
	if payload == nil {
		payload = Statement(t, d, b.SubjectDigest, b.PredicateType, b.Predicate, b.Annotations)
	}
	var pb *protobundle.Bundle
	if b.Virtual != nil {
		pb = keylessBundle(t, b, payload)
	} else {
		pb = keyBundle(t, b.Signer, payload)
	}
	if b.Cert != nil {
		pb.VerificationMaterial.Content = &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: b.Cert.Raw}}
	}
	if b.Tamper {
		env := pb.GetDsseEnvelope()
		env.Payload = bytes.Replace(env.Payload, []byte(`"`), []byte(`"x`), 1)
	}
	raw, err := (&sgbundle.Bundle{Bundle: pb}).MarshalJSON()
	must(t, err)
	return raw
}

// Statement is an in-toto v1 statement about d (or subject when given).
func Statement(t testing.TB, d name.Digest, subject *name.Digest, predicateType string, predicate any, annotations map[string]any) []byte {
	t.Helper()
	if subject == nil {
		subject = &d
	}
	if predicate == nil {
		predicate = map[string]any{}
	}
	h := subject.DigestStr()
	sub := map[string]any{"name": subject.Context().Name(), "digest": map[string]string{"sha256": h[len("sha256:"):]}}
	if annotations != nil {
		sub["annotations"] = annotations
	}
	st, err := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "subject": []any{sub},
		"predicateType": predicateType, "predicate": predicate,
	})
	must(t, err)
	return st
}

func keyBundle(t testing.TB, signer signature.Signer, payload []byte) *protobundle.Bundle {
	t.Helper()
	envJSON, err := sigdsse.WrapSigner(signer, inTotoPayloadType).SignMessage(bytes.NewReader(payload))
	must(t, err)
	var env struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	must(t, json.Unmarshal(envJSON, &env))
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	must(t, err)
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	must(t, err)
	return &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: ""}},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: body, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
}

func keylessBundle(t testing.TB, b Bundle, payload []byte) *protobundle.Bundle {
	t.Helper()
	ent, err := b.Virtual.AttestAtTime(b.Identity, b.Issuer, payload, time.Now(), true)
	must(t, err)
	vc, err := ent.VerificationContent()
	must(t, err)
	sc, err := ent.SignatureContent()
	must(t, err)
	env := sc.EnvelopeContent().RawEnvelope()
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	must(t, err)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	must(t, err)
	entries, err := ent.TlogEntries()
	must(t, err)
	if b.ForeignTlog {
		other, err := b.Virtual.AttestAtTime(b.Identity, b.Issuer, []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"x","predicate":{}}`), time.Now(), true)
		must(t, err)
		entries, err = other.TlogEntries()
		must(t, err)
	}
	tles := make([]*protorekor.TransparencyLogEntry, 0, len(entries))
	for _, e := range entries {
		tle := e.TransparencyLogEntry()
		var kv struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
		}
		must(t, json.Unmarshal(tle.CanonicalizedBody, &kv))
		tle.KindVersion = &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion}
		set, err := b.Virtual.RekorSignPayload(tlog.RekorPayload{
			Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
			IntegratedTime: tle.IntegratedTime, LogIndex: tle.LogIndex, LogID: hex.EncodeToString(tle.LogId.KeyId),
		})
		must(t, err)
		tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
		tles = append(tles, tle)
	}
	if b.NoTlog {
		tles = nil
	}
	var tsv *protobundle.TimestampVerificationData
	if b.Timestamp {
		ts, err := ent.Timestamps()
		must(t, err)
		tsv = &protobundle.TimestampVerificationData{}
		for _, raw := range ts {
			tsv.Rfc3161Timestamps = append(tsv.Rfc3161Timestamps, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: raw})
		}
	}
	return &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               tles,
			TimestampVerificationData: tsv,
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: body, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
}
