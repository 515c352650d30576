package engine

import (
	"context"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// VerifyBatch verifies reqs concurrently, at most MaxConcurrency at once, doing
// identical requests once. It returns when all are done or the deadline (the
// engine's timeout, never past ctx's) passes; what did not finish by then is a
// timeout entry. The result is aligned with reqs.
func (e *Engine) VerifyBatch(ctx context.Context, reqs []Request) []*verify.Result {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()

	type job struct {
		req  Request
		done chan *verify.Result
	}
	jobs := map[string]*job{}
	order := make([]*job, len(reqs))
	for i, r := range reqs {
		k := requestKey(r)
		j, ok := jobs[k]
		if !ok {
			j = &job{req: r, done: make(chan *verify.Result, 1)}
			jobs[k] = j
			go func() { j.done <- e.run(ctx, j.req) }()
		}
		order[i] = j
	}

	results := map[*job]*verify.Result{}
	out := make([]*verify.Result, len(reqs))
	for i, j := range order {
		res, ok := results[j]
		if !ok {
			select {
			case res = <-j.done:
			case <-ctx.Done():
				res = timeoutResult(j.req.Image)
			}
			results[j] = res
		}
		out[i] = res
	}
	return out
}

func requestKey(r Request) string {
	kind := "s"
	if r.Kind == verify.Attestations {
		kind = "a"
	}
	return kind + "\x00" + r.Options.Fingerprint() + "\x00" + r.Image
}

func timeoutResult(image string) *verify.Result {
	return &verify.Result{Image: image, Errors: []verify.Error{{Code: verify.CodeTimeout, Message: "verification did not finish before the deadline"}}}
}
