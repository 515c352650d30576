package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// The two kinds of registry work, each run as a flight under a slot.

// resolved is the outcome of resolving an image's tag.
type resolved struct {
	target verify.Target
	failed *verify.Result
}

// resolveWork asks the registry which digest img's tag names, with img's
// credentials, remembering a success for the tag TTL.
func (e *Engine) resolveWork(img *imageWork) func(context.Context) any {
	image, ref, kr, key := img.image, img.ref, img.keyring, img.tagKey
	return func(ctx context.Context) any {
		e.enter()
		defer e.leave()
		start, requests := time.Now(), &registry.Counter{}
		t, failed := e.verifier.Resolve(registry.WithCounter(registry.WithKeyring(ctx, kr), requests), image, ref)
		if timedOut(failed) {
			failed = timeoutResult(image, resolveStep(ref), ref.Registry, e.cfg.Timeout)
		}
		if failed == nil {
			e.cache.tags.add(key, t.Digest)
		}
		e.trace(func() Trace {
			tr := Trace{Step: "resolve", Image: ref.Reference, Registry: ref.Registry, Digest: t.Digest.String(), Result: "resolved"}
			if failed != nil {
				tr.Digest, tr.Result, tr.Message = "", failed.Errors[0].Code, failed.Errors[0].Message
			}
			tr.Duration, tr.Requests = time.Since(start), requests.Count()
			return tr
		})
		return resolved{t, failed}
	}
}

// verifyWork verifies j's request of the resolved image t, with j's
// credentials, and caches the outcome (transient failures excepted).
func (e *Engine) verifyWork(key string, t verify.Target, j *job) func(context.Context) any {
	r, kr := j.req, j.keyring
	return func(ctx context.Context) any {
		e.enter()
		defer e.leave()
		e.obs.InFlight(1)
		defer e.obs.InFlight(-1)
		start, requests := time.Now(), &registry.Counter{}
		res := e.verifier.VerifyDigest(registry.WithCounter(registry.WithKeyring(ctx, kr), requests), t, r.Options, r.Kind)
		if timedOut(res) {
			res = timeoutResult(res.Image, verifyStep(t, r), verifyHost(t, r.Options), e.cfg.Timeout)
		}
		took := time.Since(start)
		e.obs.Verified(outcome(res), format(res), took)
		e.trace(func() Trace {
			tr := Trace{Step: "verify", Image: t.Ref.Name + "@" + t.Digest.String(), Kind: "signatures", Registry: verifyHost(t, r.Options),
				Digest: t.Digest.String(), Result: outcome(res), Format: format(res), Duration: took, Requests: requests.Count()}
			if r.Kind == verify.Attestations {
				tr.Kind = "attestations"
			}
			if len(res.Errors) > 0 {
				tr.Message = res.Errors[0].Message
			}
			return tr
		})
		e.cache.put(key, res)
		return res
	}
}

// trace hands the observer a trace, built only when it wants one.
func (e *Engine) trace(build func() Trace) {
	if t, ok := e.obs.(Tracer); ok {
		t.Trace(build())
	}
}

func tagKey(ref reference.Reference) string { return ref.Name + ":" + ref.Tag }

// requestKey identifies what a request asks of any one image: kind and
// options. It groups a batch's requests of one image.
func requestKey(r Request) string {
	kind := "sig"
	if r.Kind == verify.Attestations {
		kind = "att"
	}
	return kind + "\x00" + r.Options.Fingerprint()
}

// resultKey identifies work whose result does not depend on who asks: it
// keys the result cache and the verification flights.
func resultKey(t verify.Target, r Request) string {
	return t.Ref.Name + "@" + t.Digest.String() + "\x00" + requestKey(r)
}

// verifyHost is the registry a verification reads from: where the signatures
// are stored.
func verifyHost(t verify.Target, o *verify.Options) string {
	return verify.SignatureRef(t.Ref, o).Registry
}

// withImage returns r as seen by the caller that asked for image (results are
// shared between callers who wrote the same image differently).
func withImage(r *verify.Result, image string) *verify.Result {
	c := *r
	c.Image = image
	return &c
}

// timedOut reports whether the work itself saw its deadline. The flight's
// deadline and the batch's are the same timeout and either may fire first, so
// both must produce the same message: timeoutResult's.
func timedOut(r *verify.Result) bool {
	return r != nil && len(r.Errors) > 0 && r.Errors[0].Code == verify.CodeTimeout
}

// resolveStep names a tag resolution for a timeout message.
func resolveStep(ref reference.Reference) string { return "resolving the tag of " + ref.Reference }

// verifyStep names a verification for a timeout message.
func verifyStep(t verify.Target, r Request) string {
	what := "verifying the signatures of "
	if r.Kind == verify.Attestations {
		what = "verifying the attestations of "
	}
	return what + t.Ref.Name + "@" + t.Digest.String()
}

// timeoutResult says which step against which registry was still running
// (or waiting for a slot) at the deadline, and the deadline.
func timeoutResult(image, step, registry string, deadline time.Duration) *verify.Result {
	msg := fmt.Sprintf("%s at registry %s did not finish before the deadline (plugins.cosign.timeout is %s)", step, registry, deadline)
	return &verify.Result{Image: image, Errors: []verify.Error{{Code: verify.CodeTimeout, Message: msg}}}
}

func outcome(r *verify.Result) string {
	if r.Verified {
		return "verified"
	}
	if len(r.Errors) > 0 {
		return r.Errors[0].Code
	}
	return "failed"
}

func format(r *verify.Result) string {
	switch {
	case len(r.Signatures) > 0:
		return r.Signatures[0].Format
	case len(r.Attestations) > 0:
		return r.Attestations[0].Signature.Format
	default:
		return "none"
	}
}
