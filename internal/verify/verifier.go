package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/trust"
)

// Verifier verifies images through one registry client against one set of
// trust roots. It is safe for concurrent use.
type Verifier struct {
	reg   *registry.Client
	roots *trust.Roots
}

// New returns a Verifier.
func New(reg *registry.Client, roots *trust.Roots) *Verifier {
	return &Verifier{reg: reg, roots: roots}
}

// Target is an image resolved to the digest that runs.
type Target struct {
	Image  string
	Ref    reference.Reference
	Digest v1.Hash
}

// Result starts the result for t.
func (t Target) Result() *Result {
	return &Result{Image: t.Image, Digest: t.Digest.String(), Reference: t.Ref.Name + "@" + t.Digest.String()}
}

// Parse normalises image; a bad reference is a failed Result, not an error,
// because it comes from the workload under review, not from the policy.
func Parse(image string) (reference.Reference, *Result) {
	ref, err := reference.Parse(image)
	if err != nil {
		return ref, (&Result{Image: image}).fail(CodeInvalidReference, err.Error())
	}
	return ref, nil
}

// Resolve finds the digest of ref (no request when it carries one).
func (v *Verifier) Resolve(ctx context.Context, image string, ref reference.Reference) (Target, *Result) {
	tracker := &registry.Tracker{}
	d, err := v.reg.Digest(registry.WithTracker(ctx, tracker), ref)
	if err != nil {
		res := &Result{Image: image}
		code, msg := classifyRegistry(ctx, err, tracker)
		return Target{}, res.fail(code, fmt.Sprintf("resolving digest of %s: %s", ref.Reference, msg))
	}
	return Target{Image: image, Ref: ref, Digest: d}, nil
}

// CheckOptions returns an error when o cannot verify anything with this
// verifier's trust roots: an unknown trusted root, a check the root has
// nothing to check against, a certificate that does not verify against its
// chain and identity options. It is misuse, raised before any work, so that
// it is never a cached verification failure.
func (v *Verifier) CheckOptions(o *Options) error {
	tm, err := v.trustedMaterial(o)
	if err != nil {
		return &OptionError{Option: "trusted-root", Reason: err.Error()}
	}
	root := o.TrustedRoot
	if root == "" {
		root = "public-good"
	}
	certificates := o.Key == nil
	switch {
	case !o.IgnoreTlog && len(tm.RekorLogs()) == 0:
		return &OptionError{Option: "insecure-ignore-tlog", Reason: fmt.Sprintf("is false, but trusted root %q has no transparency log to check entries against", root)}
	case certificates && !o.IgnoreSCT && len(tm.CTLogs()) == 0:
		return &OptionError{Option: "insecure-ignore-sct", Reason: fmt.Sprintf("is false, but trusted root %q has no certificate transparency log to check SCTs against", root)}
	case certificates && o.Certificate == nil && len(tm.FulcioCertificateAuthorities()) == 0:
		return &OptionError{Option: "trusted-root", Reason: fmt.Sprintf("%q has no certificate authority for keyless verification", root)}
	}
	if o.Certificate != nil && o.Certificate.Cert != nil {
		if _, err := v.checkOpts(o); err != nil {
			return &OptionError{Option: "certificate", Reason: err.Error()}
		}
	}
	return nil
}

// trustedMaterial is o's trust root: given inline, or named.
func (v *Verifier) trustedMaterial(o *Options) (root.TrustedMaterial, error) {
	if o.TrustedMaterial != nil {
		return o.TrustedMaterial, nil
	}
	return v.roots.Get(o.TrustedRoot)
}

// Verify parses, resolves and verifies image in one call.
func (v *Verifier) Verify(ctx context.Context, image string, o *Options, kind Kind) *Result {
	ref, res := Parse(image)
	if res != nil {
		return res
	}
	t, res := v.Resolve(ctx, image, ref)
	if res != nil {
		return res
	}
	return v.VerifyDigest(ctx, t, o, kind)
}

// signatureRepo is where t's signatures and attestations are stored, in both
// formats: signature-repository when given, else the image's repository.
func (v *Verifier) signatureRepo(t Target, o *Options) (name.Repository, error) {
	return v.reg.Repo(SignatureRef(t.Ref, o))
}

// SignatureRef is the reference whose repository holds ref's signatures.
func SignatureRef(ref reference.Reference, o *Options) reference.Reference {
	if o.SignatureRepository != nil {
		return *o.SignatureRepository
	}
	return ref
}

// Kind selects signatures or attestations.
type Kind int

// Kinds of verification.
const (
	Signatures Kind = iota
	Attestations
)

// VerifyDigest verifies the signatures (or attestations) of t's digest: legacy
// first, and bundles only when no legacy one verified, so that the common case
// costs the fewest registry requests. The result depends only on (repository,
// digest, options, trust root): it is what a cache may keep.
func (v *Verifier) VerifyDigest(ctx context.Context, t Target, o *Options, kind Kind) *Result {
	tracker := &registry.Tracker{}
	ctx = registry.WithTracker(ctx, tracker)
	res := t.Result()
	co, err := v.checkOpts(o)
	if err != nil {
		// Only options that CheckOptions refuses get here: misuse, which is
		// never cached.
		res.misuse = true
		return res.fail(CodeCertificateInvalid, err.Error())
	}
	var all []candidateOutcome
	for _, f := range []func(context.Context, Target, *Options, *cosign.CheckOpts, Kind, *Result) ([]candidateOutcome, error){v.legacy, v.bundles} {
		outcomes, err := f(ctx, t, o, co, kind, res)
		if len(res.Signatures) > 0 || len(res.Attestations) > 0 {
			res.Verified = true
			res.Errors = nil
			return res
		}
		if err != nil {
			code, msg := classifyRegistry(ctx, err, tracker)
			what := "signatures"
			if kind == Attestations {
				what = "attestations"
			}
			return res.fail(code, fmt.Sprintf("reading the %s of %s from %s: %s", what, res.Reference, SignatureRef(t.Ref, o).Registry, msg))
		}
		all = append(all, outcomes...)
	}
	// No candidate at all for a digest the caller named (not one a tag just
	// resolved to): say so when the image itself does not exist, as a missing
	// tag does, rather than that it is unsigned. One HEAD, on this path only.
	if len(all) == 0 && t.Ref.Digest != "" && v.reg.Missing(ctx, t.Ref, t.Digest) {
		return res.fail(CodeNotFound, fmt.Sprintf("the registry has no image %s in %s", t.Digest, t.Ref.Name))
	}
	return res.failWith(kind, all)
}

// candidateOutcome is why one signature candidate did not verify.
type candidateOutcome struct {
	format string
	code   string
	err    error
}

// failWith reports the failures, the most specific code first: a signature
// that verified cryptographically but failed a constraint says more than one
// made with another key.
func (r *Result) failWith(kind Kind, outcomes []candidateOutcome) *Result {
	if len(outcomes) == 0 {
		if kind == Attestations {
			return r.fail(CodeNoAttestations, "no attestations found")
		}
		return r.fail(CodeNoSignatures, "no signatures found")
	}
	seen := map[string]int{}
	for _, code := range codePriority {
		for _, o := range outcomes {
			if o.code != code {
				continue
			}
			msg := o.format + ": " + explain(o.err.Error())
			if i, ok := seen[code]; ok {
				r.Errors[i].Message += "; " + msg
				continue
			}
			seen[code] = len(r.Errors)
			r.fail(code, msg)
		}
	}
	for i := range r.Errors {
		r.Errors[i] = hint(r.Errors[i])
	}
	return r
}

var codePriority = []string{
	CodeTypeMismatch, CodeAnnotationMismatch, CodeIdentityMismatch, CodeSCTFailed, CodeTlogFailed,
	CodeCertificateInvalid, CodeLimitExceeded, CodeNoMatchingAttestation, CodeNoMatchingSignatures,
}

// classifyRegistry maps a discovery error to a code. The tracker knows when our
// own transport refused something, however the libraries wrapped it.
func classifyRegistry(ctx context.Context, err error, tracker *registry.Tracker) (string, string) {
	if terr := tracker.Err(); terr != nil {
		switch {
		case errors.Is(terr, registry.ErrLimitExceeded):
			return CodeLimitExceeded, terr.Error()
		default:
			return CodeRegistryError, terr.Error()
		}
	}
	var layers *oci.MaxLayersExceeded
	switch {
	case errors.Is(err, registry.ErrLimitExceeded), errors.As(err, &layers):
		return CodeLimitExceeded, err.Error()
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout, "deadline exceeded: " + err.Error()
	case registry.IsNotFound(err):
		return CodeNotFound, err.Error()
	case registry.IsUnauthorized(err):
		return CodeUnauthorized, err.Error()
	default:
		return CodeRegistryError, err.Error()
	}
}
