package engine

import (
	"context"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// VerifyBatch verifies reqs concurrently, at most MaxConcurrency at once, doing
// identical requests once. Each distinct image (by normalised reference, so
// "nginx" and "docker.io/library/nginx:latest" are one) is resolved to a
// digest once, and every request of that image is verified against that one
// digest (THREATS #30): a tag re-pointed during the batch cannot give one
// decision results about two images. It returns when all are done or the
// deadline (the engine's timeout, never past ctx's) passes; what did not
// finish by then is a timeout entry. The result is aligned with reqs.
func (e *Engine) VerifyBatch(ctx context.Context, reqs []Request) []*verify.Result {
	e.enter()
	defer e.leave()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()

	type image struct {
		done   chan struct{}
		target verify.Target
		failed *verify.Result
	}
	type job struct {
		req  Request
		done chan *verify.Result
	}
	images := map[string]*image{}
	jobs := map[string]*job{}
	out := make([]*verify.Result, len(reqs))
	order := make([]*job, len(reqs))
	for i, r := range reqs {
		ref, bad := verify.Parse(r.Image)
		if bad != nil {
			out[i] = bad
			continue
		}
		img, ok := images[ref.Reference]
		if !ok {
			img = &image{done: make(chan struct{})}
			images[ref.Reference] = img
			go func(image string, ref reference.Reference) {
				defer close(img.done)
				img.target, img.failed = e.resolve(ctx, image, ref)
			}(r.Image, ref)
		}
		k := requestKey(ref, r)
		j, ok := jobs[k]
		if !ok {
			j = &job{req: r, done: make(chan *verify.Result, 1)}
			jobs[k] = j
			go func() {
				select {
				case <-img.done:
				case <-ctx.Done():
					j.done <- timeoutResult(j.req.Image)
					return
				}
				if img.failed != nil {
					j.done <- img.failed
					return
				}
				j.done <- e.run(ctx, img.target, j.req)
			}()
		}
		order[i] = j
	}

	results := map[*job]*verify.Result{}
	for i, j := range order {
		if j == nil {
			continue
		}
		res, ok := results[j]
		if !ok {
			select {
			case res = <-j.done:
			case <-ctx.Done():
				res = timeoutResult(j.req.Image)
			}
			results[j] = res
		}
		// Requests merged into one job may have spelled the image differently.
		out[i] = withImage(res, reqs[i].Image)
	}
	return out
}

// requestKey identifies identical requests of one batch: same normalised
// image, kind and options.
func requestKey(ref reference.Reference, r Request) string {
	kind := "s"
	if r.Kind == verify.Attestations {
		kind = "a"
	}
	return kind + "\x00" + r.Options.Fingerprint() + "\x00" + ref.Reference
}

func timeoutResult(image string) *verify.Result {
	return &verify.Result{Image: image, Errors: []verify.Error{{Code: verify.CodeTimeout, Message: "verification did not finish before the deadline"}}}
}
