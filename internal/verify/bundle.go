package verify

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

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
	repo, err := v.reg.Repo(t.Ref)
	if err != nil {
		return nil, err
	}
	if o.SignatureRepository != "" {
		if repo, err = v.reg.NamedRepo(o.SignatureRepository); err != nil {
			return nil, err
		}
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
		b, err := ociremote.Bundle(repo.Digest(desc.Digest.String()), ropts)
		if err != nil {
			if ctx.Err() != nil || isTransportRefusal(ctx) {
				return outcomes, err
			}
			outcomes = append(outcomes, candidateOutcome{format: FormatBundle, code: classifyCandidate(err, kind), err: fmt.Errorf("reading bundle %s: %w", desc.Digest, err)})
			continue
		}
		skip, err := v.bundleOne(t, b, o, co, kind, res)
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
func (v *Verifier) bundleOne(t Target, b *sgbundle.Bundle, o *Options, base *cosign.CheckOpts, kind Kind, res *Result) (skip bool, err error) {
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
	run := func(co *cosign.CheckOpts) error {
		var err error
		if o.Certificate != nil {
			vr, err = v.verifyBundlePKI(b, t, o, co)
		} else {
			vr, err = cosign.VerifyNewBundle(context.Background(), co, verify.WithArtifactDigest(t.Digest.Algorithm, digest), b)
		}
		return err
	}
	if err := run(&co); err != nil {
		return false, diagnoseTlog(err, co, run)
	}
	s := bundleSignature(b, vr, st, co.IgnoreTlog)
	if kind == Signatures {
		if err := checkAnnotations(o.Annotations, st.annotations); err != nil {
			return false, err
		}
		res.Signatures = append(res.Signatures, s)
		return false, nil
	}
	return false, addAttestation(res, st, o, s)
}

// bundleSignature describes a verified bundle.
func bundleSignature(b *sgbundle.Bundle, vr *verify.VerificationResult, st *statement, ignoreTlog bool) Signature {
	s := Signature{Format: FormatBundle, Annotations: st.annotations}
	if vr != nil && vr.Signature != nil && vr.Signature.Certificate != nil {
		summarize(&s, vr.Signature.Certificate)
	}
	if !ignoreTlog {
		if entries, err := b.TlogEntries(); err == nil && len(entries) > 0 {
			s.Tlog = &Tlog{LogIndex: entries[0].LogIndex(), IntegratedTime: entries[0].IntegratedTime().Unix()}
		}
	}
	return s
}
