package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/opa-cosign/opa-cosign/internal/registry"
)

// legacyTag is where cosign v1/v2 store signatures (".sig") or attestations
// (".att") of a digest: sha256-<hex>.<suffix> in the image's repository or in
// signature-repository.
func (v *Verifier) legacyTag(t Target, o *Options, kind Kind) (name.Tag, error) {
	repo, err := v.signatureRepo(t, o)
	if err != nil {
		return name.Tag{}, err
	}
	suffix := "sig"
	if kind == Attestations {
		suffix = "att"
	}
	return repo.Tag(fmt.Sprintf("%s-%s.%s", t.Digest.Algorithm, t.Digest.Hex, suffix)), nil
}

// legacy verifies the candidates under the legacy tag, adding the verified ones
// to res. A missing tag means no candidates.
func (v *Verifier) legacy(ctx context.Context, t Target, o *Options, co *cosign.CheckOpts, kind Kind, res *Result) ([]candidateOutcome, error) {
	tag, err := v.legacyTag(t, o, kind)
	if err != nil {
		return nil, err
	}
	sigs, err := ociremote.Signatures(tag, ociremote.WithRemoteOptions(v.reg.RemoteOptions(ctx)...))
	if err != nil {
		return nil, err
	}
	list, err := sigs.Get()
	if err != nil {
		return nil, err
	}
	if max := v.reg.Limits().MaxSignatures; len(list) > max {
		return nil, fmt.Errorf("%w: %d legacy candidates under %s, at most %d are checked", registry.ErrLimitExceeded, len(list), tag, max)
	}
	var outcomes []candidateOutcome
	for _, sig := range list {
		if ctx.Err() != nil {
			return outcomes, ctx.Err()
		}
		if err := v.oversizedLayer(sig); err != nil {
			return outcomes, err
		}
		// Read the payload blob once: cosign, the claim check and the result
		// all ask for it.
		sig, err := static.Copy(sig)
		if err != nil {
			if ctx.Err() != nil || isTransportRefusal(ctx) {
				return outcomes, err
			}
			outcomes = append(outcomes, candidateOutcome{format: FormatLegacy, code: classifyCandidate(err, kind), err: err})
			continue
		}
		if err := v.legacyOne(ctx, sig, t.Digest, o, co, kind, res); err != nil {
			outcomes = append(outcomes, candidateOutcome{format: FormatLegacy, code: classifyCandidate(err, kind), err: err})
		}
	}
	return outcomes, nil
}

// oversizedLayer applies oversized to a candidate's payload layer. Its size
// and digest come from the signature manifest: asking costs no request.
func (v *Verifier) oversizedLayer(sig oci.Signature) error {
	size, err := sig.Size()
	if err != nil {
		return nil // static.Copy meets the same error and reports it
	}
	digest, err := sig.Digest()
	if err != nil {
		return nil
	}
	return v.oversized("signature layer", digest, size)
}

// legacyOne verifies one candidate with cosign, the digest claim and
// annotations checked by our claim verifier so that their failures are typed.
func (v *Verifier) legacyOne(ctx context.Context, sig oci.Signature, h v1.Hash, o *Options, base *cosign.CheckOpts, kind Kind, res *Result) error {
	co := *base
	co.UseSignedTimestamps = co.TrustedMaterial != nil && len(co.TrustedMaterial.TimestampingAuthorities()) > 0
	var statement *statement
	co.ClaimVerifier = func(sig oci.Signature, h v1.Hash, _ map[string]any) error {
		if kind == Attestations {
			st, err := legacyStatement(sig, h)
			statement = st
			return err
		}
		return signatureClaims(sig, h, o.Annotations)
	}
	var err error
	if kind == Attestations {
		_, err = cosign.VerifyBlobAttestation(ctx, sig, h, &co)
	} else {
		_, err = cosign.VerifyImageSignature(ctx, sig, h, &co)
	}
	if err != nil {
		return diagnoseTlog(err, func() error { return legacyDiagnosis(sig, &co, kind) })
	}
	s, err := legacySignature(sig, o, kind, co.IgnoreTlog)
	if err != nil {
		return err
	}
	if kind == Signatures {
		res.Signatures = append(res.Signatures, s)
		return nil
	}
	return addAttestation(res, statement, o, s)
}

// signatureClaims checks that the signed payload names digest h — so a
// signature copied from another image does not verify (docs/security.md #8) — and
// carries the required annotations.
func signatureClaims(sig oci.Signature, h v1.Hash, want map[string]string) error {
	if err := cosign.SimpleClaimVerifier(sig, h, nil); err != nil {
		return &digestClaimError{err}
	}
	if len(want) == 0 {
		return nil
	}
	p, err := sig.Payload()
	if err != nil {
		return err
	}
	var sci struct {
		Optional map[string]any `json:"optional"`
	}
	if err := json.Unmarshal(p, &sci); err != nil {
		return fmt.Errorf("parsing signed payload: %w", err)
	}
	return checkAnnotations(want, sci.Optional)
}

func checkAnnotations(want map[string]string, have map[string]any) error {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return &annotationError{key: k, want: v, got: got, present: ok}
		}
	}
	return nil
}

// legacyStatement parses a legacy attestation's DSSE envelope and checks that
// its statement names digest h (docs/security.md #6, #7).
func legacyStatement(sig oci.Signature, h v1.Hash) (*statement, error) {
	env, err := legacyEnvelope(sig)
	if err != nil {
		return nil, err
	}
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, &malformedError{fmt.Errorf("DSSE payload is not base64: %w", err)}
	}
	return parseStatement(env.PayloadType, body, h)
}

// legacyEnvelope decodes a legacy attestation's DSSE envelope. It must hold
// exactly one signature, as cosign writes it and as sigstore-go requires of
// bundles: with more, which one verified (and so which signature this is)
// would be ambiguous.
func legacyEnvelope(sig oci.Signature) (*dsse.Envelope, error) {
	p, err := sig.Payload()
	if err != nil {
		return nil, err
	}
	var env dsse.Envelope
	if err := json.Unmarshal(p, &env); err != nil {
		return nil, &malformedError{fmt.Errorf("attestation is not a DSSE envelope: %w", err)}
	}
	if len(env.Signatures) != 1 {
		return nil, &malformedError{fmt.Errorf("DSSE envelope has %d signatures, want exactly one", len(env.Signatures))}
	}
	return &env, nil
}

// legacySignatureBytes are the raw bytes of a legacy candidate's signature:
// the signature annotation for a signature, the DSSE signature for an
// attestation.
func legacySignatureBytes(sig oci.Signature, kind Kind) ([]byte, error) {
	b64 := ""
	if kind == Attestations {
		env, err := legacyEnvelope(sig)
		if err != nil {
			return nil, err
		}
		b64 = env.Signatures[0].Sig
	} else {
		var err error
		if b64, err = sig.Base64Signature(); err != nil {
			return nil, err
		}
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, &malformedError{fmt.Errorf("signature is not base64: %w", err)}
	}
	return raw, nil
}

// legacySignature describes a verified legacy candidate. Its identity comes
// from what verified it: the key option, the certificate option, or else the
// certificate the signature carries (which cosign then validated). A
// certificate carried beside a key-verified signature was never validated and
// is not reported.
func legacySignature(sig oci.Signature, o *Options, kind Kind, ignoreTlog bool) (Signature, error) {
	s := Signature{Format: FormatLegacy, Annotations: map[string]any{}, Extensions: map[string]string{}}
	if kind == Signatures {
		if p, err := sig.Payload(); err == nil {
			var sci struct {
				Optional map[string]any `json:"optional"`
			}
			if json.Unmarshal(p, &sci) == nil && sci.Optional != nil {
				s.Annotations = sci.Optional
			}
		}
	}
	raw, err := legacySignatureBytes(sig, kind)
	if err != nil {
		return s, err
	}
	s.Digest = sha256Digest(raw)
	switch {
	case o.Key != nil:
		s.Signer = o.keySigner
	case o.Certificate != nil && o.Certificate.Cert != nil:
		describeCertificate(&s, o.Certificate.Cert, o.Identity, "")
	default:
		cert, err := sig.Cert()
		if err != nil {
			return s, err
		}
		if cert == nil {
			return s, &malformedError{fmt.Errorf("verified without a key but carries no certificate")}
		}
		describeCertificate(&s, cert, o.Identity, "")
	}
	if !ignoreTlog {
		if b, err := sig.Bundle(); err == nil && b != nil {
			s.Tlog = &Tlog{LogIndex: b.Payload.LogIndex, IntegratedTime: b.Payload.IntegratedTime}
		}
	}
	return s, nil
}
