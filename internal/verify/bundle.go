package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/verify"

	"github.com/opa-cosign/opa-cosign/internal/registry"
)

// bundleArtifactPrefix starts the artifact type of Sigstore bundle referrers.
const bundleArtifactPrefix = "application/vnd.dev.sigstore.bundle"

// bundles verifies the Sigstore bundles attached to t's digest as OCI
// referrers, through the referrers API or its tag-schema fallback.
func (v *Verifier) bundles(ctx context.Context, t Target, o *Options, co *cosign.CheckOpts, kind Kind, res *Result) ([]candidateOutcome, error) {
	repo, err := v.signatureRepo(t, o)
	if err != nil {
		return nil, err
	}
	ropts := ociremote.WithRemoteOptions(v.reg.RemoteOptions(ctx)...)
	idx, err := ociremote.Referrers(repo.Digest(t.Digest.String()), "", ropts)
	if err != nil {
		if registry.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	if max := v.reg.Limits().MaxReferrers; len(idx.Manifests) > max {
		return nil, fmt.Errorf("%w: %d referrers of %s, at most %d are read", registry.ErrLimitExceeded, len(idx.Manifests), t.Digest, max)
	}
	var outcomes []candidateOutcome
	candidates := 0
	for _, desc := range idx.Manifests {
		if !strings.HasPrefix(desc.ArtifactType, bundleArtifactPrefix) {
			continue
		}
		if candidates++; candidates > v.reg.Limits().MaxSignatures {
			return outcomes, fmt.Errorf("%w: more than %d bundles attached to %s", registry.ErrLimitExceeded, v.reg.Limits().MaxSignatures, t.Digest)
		}
		if ctx.Err() != nil {
			return outcomes, ctx.Err()
		}
		b, blob, err := v.fetchBundle(ctx, repo.Digest(desc.Digest.String()))
		if err != nil {
			if ctx.Err() != nil || isTransportRefusal(ctx) || errors.Is(err, registry.ErrLimitExceeded) {
				return outcomes, err
			}
			outcomes = append(outcomes, candidateOutcome{format: FormatBundle, code: classifyCandidate(err, kind), err: fmt.Errorf("reading bundle %s: %w", desc.Digest, err)})
			continue
		}
		skip, err := v.bundleOne(t, b, blob, o, co, kind, res)
		if skip {
			continue
		}
		if err != nil {
			outcomes = append(outcomes, candidateOutcome{format: FormatBundle, code: classifyCandidate(err, kind), err: err})
		}
	}
	return outcomes, nil
}

// isTransportRefusal reports whether our transport refused a response (a limit
// or a digest mismatch): the image then fails as a whole, not one candidate.
func isTransportRefusal(ctx context.Context) bool {
	t := registry.TrackerFrom(ctx)
	return t != nil && t.Err() != nil
}

// bundleOne verifies one bundle. skip is true when the bundle is of the other
// kind (an attestation when verifying signatures, or the reverse).
func (v *Verifier) bundleOne(t Target, b *sgbundle.Bundle, blob v1.Hash, o *Options, base *cosign.CheckOpts, kind Kind, res *Result) (skip bool, err error) {
	env := b.GetDsseEnvelope()
	if env == nil {
		return false, &malformedError{fmt.Errorf("bundle holds no DSSE envelope")}
	}
	st, err := parseStatement(env.GetPayloadType(), env.GetPayload(), t.Digest)
	if err != nil {
		return false, err
	}
	isSignature := st.PredicateType == cosignSignPredicate
	if isSignature != (kind == Signatures) {
		return true, nil
	}
	digest, err := hex.DecodeString(t.Digest.Hex)
	if err != nil {
		return false, err
	}
	co := *base
	if ts, err := b.Timestamps(); err == nil && len(ts) > 0 {
		co.UseSignedTimestamps = true
	}
	var vr *verify.VerificationResult
	if o.Certificate != nil {
		vr, err = v.verifyBundlePKI(b, t, o, &co)
	} else {
		vr, err = cosign.VerifyNewBundle(context.Background(), &co, verify.WithArtifactDigest(t.Digest.Algorithm, digest), b)
	}
	if err != nil {
		return false, diagnoseTlog(err, func() error { return bundleDiagnosis(b, o, &co) })
	}
	s, err := bundleSignature(b, blob, vr, st, o, co.IgnoreTlog)
	if err != nil {
		return false, err
	}
	if kind == Signatures {
		if err := checkAnnotations(o.Annotations, st.annotations); err != nil {
			return false, err
		}
		res.Signatures = append(res.Signatures, s)
		return false, nil
	}
	return false, addAttestation(res, st, o, s)
}

// bundleSignature describes a verified bundle: its signer is the key option
// or the certificate sigstore-go verified, with the SAN it matched.
func bundleSignature(b *sgbundle.Bundle, blob v1.Hash, vr *verify.VerificationResult, st *statement, o *Options, ignoreTlog bool) (Signature, error) {
	s := Signature{Format: FormatBundle, Digest: blob.String(), Annotations: st.annotations, Extensions: map[string]string{}}
	if o.Key != nil {
		s.Signer = o.keySigner
	} else {
		vc, err := b.VerificationContent()
		if err != nil {
			return s, err
		}
		cert := vc.Certificate()
		if cert == nil {
			return s, &malformedError{fmt.Errorf("verified without a key but carries no certificate")}
		}
		subject := ""
		if vr != nil && vr.Signature != nil && vr.Signature.Certificate != nil {
			subject = vr.Signature.Certificate.SubjectAlternativeName
		}
		describeCertificate(&s, cert, o.Identity, subject)
	}
	if !ignoreTlog {
		if entries, err := b.TlogEntries(); err == nil && len(entries) > 0 {
			s.Tlog = &Tlog{LogIndex: entries[0].LogIndex(), IntegratedTime: entries[0].IntegratedTime().Unix()}
		}
	}
	return s, nil
}

// fetchBundle reads the Sigstore bundle a referrer manifest holds in its one
// layer, and that layer's digest: the bundle blob as stored, which
// go-containerregistry checks against the bytes it reads.
func (v *Verifier) fetchBundle(ctx context.Context, ref name.Digest) (*sgbundle.Bundle, v1.Hash, error) {
	img, err := remote.Image(ref, v.reg.RemoteOptions(ctx)...)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	if len(m.Layers) != 1 {
		return nil, v1.Hash{}, &malformedError{fmt.Errorf("bundle manifest has %d layers, want exactly one", len(m.Layers))}
	}
	desc := m.Layers[0]
	if !strings.HasPrefix(string(desc.MediaType), bundleArtifactPrefix) {
		return nil, v1.Hash{}, &malformedError{fmt.Errorf("bundle layer has media type %q", desc.MediaType)}
	}
	if err := v.oversized("bundle layer", desc.Digest, desc.Size); err != nil {
		return nil, v1.Hash{}, err
	}
	layer, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	b := &sgbundle.Bundle{}
	if err := b.UnmarshalJSON(raw); err != nil {
		return nil, v1.Hash{}, &malformedError{fmt.Errorf("bundle does not parse: %w", err)}
	}
	if !b.MinVersion("v0.3") {
		return nil, v1.Hash{}, &malformedError{fmt.Errorf("bundle media type %q is older than v0.3", b.GetMediaType())}
	}
	return b, desc.Digest, nil
}
