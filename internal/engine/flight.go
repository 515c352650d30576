package engine

import (
	"context"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// run verifies one request of the resolved image t: from the cache when it
// can, else once for all concurrent callers asking the same thing
// (singleflight).
func (e *Engine) run(ctx context.Context, t verify.Target, r Request) *verify.Result {
	key := resultKey(t, r)
	if cached, ok := e.cache.get(key); ok {
		return withImage(cached, r.Image)
	}
	ch := e.flights.DoChan(key, func() (any, error) { return e.verifyOnce(ctx, key, t, r), nil })
	select {
	case out := <-ch:
		return withImage(out.Val.(*verify.Result), r.Image)
	case <-ctx.Done():
		// A flight that outlived a caller's deadline is likely to fail the same
		// way: later callers start afresh instead of joining it.
		e.flights.Forget(key)
		return timeoutResult(r.Image)
	}
}

// detached gives shared work its own deadline: the caller that happened to
// start a flight must not cut it short for the others waiting on it.
func (e *Engine) detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), e.cfg.Timeout)
}

func (e *Engine) verifyOnce(ctx context.Context, key string, t verify.Target, r Request) *verify.Result {
	fctx, cancel := e.detached(ctx)
	defer cancel()
	select {
	case e.slots <- struct{}{}:
		defer func() { <-e.slots }()
	case <-fctx.Done():
		return timeoutResult(t.Image)
	}
	e.obs.InFlight(1)
	defer e.obs.InFlight(-1)
	start := time.Now()
	res := e.verifier.VerifyDigest(fctx, t, r.Options, r.Kind)
	e.obs.Verified(outcome(res), format(res), time.Since(start))
	e.cache.put(key, res)
	return res
}

type resolved struct {
	target verify.Target
	failed *verify.Result
}

// resolve finds the digest a reference runs as: its own digest, the tag cache,
// or one registry lookup shared by concurrent callers.
func (e *Engine) resolve(ctx context.Context, image string, ref reference.Reference) (verify.Target, *verify.Result) {
	if ref.Digest != "" {
		h, err := v1.NewHash(ref.Digest)
		if err != nil {
			return verify.Target{}, (&verify.Result{Image: image, Errors: []verify.Error{{Code: verify.CodeInvalidReference, Message: err.Error()}}})
		}
		return verify.Target{Image: image, Ref: ref, Digest: h}, nil
	}
	tagKey := ref.Name + ":" + ref.Tag
	if h, ok := e.cache.tags.get(tagKey); ok {
		return verify.Target{Image: image, Ref: ref, Digest: h}, nil
	}
	ch := e.flights.DoChan("tag\x00"+tagKey, func() (any, error) {
		fctx, cancel := e.detached(ctx)
		defer cancel()
		t, failed := e.verifier.Resolve(fctx, image, ref)
		if failed == nil {
			e.cache.tags.add(tagKey, t.Digest)
		}
		return resolved{t, failed}, nil
	})
	select {
	case out := <-ch:
		r := out.Val.(resolved)
		if r.failed != nil {
			return verify.Target{}, withImage(r.failed, image)
		}
		r.target.Image = image
		return r.target, nil
	case <-ctx.Done():
		e.flights.Forget("tag\x00" + tagKey)
		return verify.Target{}, timeoutResult(image)
	}
}

// resultKey identifies work whose result does not depend on who asks.
func resultKey(t verify.Target, r Request) string {
	kind := "sig"
	if r.Kind == verify.Attestations {
		kind = "att"
	}
	return kind + "\x00" + t.Ref.Name + "@" + t.Digest.String() + "\x00" + r.Options.Fingerprint()
}

// withImage returns r as seen by the caller that asked for image (results are
// shared between callers who wrote the same image differently).
func withImage(r *verify.Result, image string) *verify.Result {
	c := *r
	c.Image = image
	return &c
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
