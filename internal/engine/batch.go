package engine

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// VerifyBatch verifies reqs concurrently, doing identical requests once. Each
// distinct image (by normalised reference, so "nginx" and
// "docker.io/library/nginx:latest" are one) is resolved to a digest once, and
// every request of that image is verified against that one digest (docs/security.md
// #30). All registry work runs under the engine's slots (max_concurrency in
// all, max_concurrency_per_registry per registry) and shares flights with
// concurrent calls. It returns when all are done or the deadline (the
// engine's timeout, never past ctx's) passes; what did not finish by then is a
// timeout entry. The result is aligned with reqs.
func (e *Engine) VerifyBatch(ctx context.Context, reqs []Request) []*verify.Result {
	e.enter()
	defer e.leave()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()

	b := newBatch(e, len(reqs))
	out := make([]*verify.Result, len(reqs))
	jobs := make([]*job, len(reqs))
	creds := e.resolveCredentials(ctx, reqs)
	for i, r := range reqs {
		ref, bad := verify.Parse(r.Image)
		if bad != nil {
			out[i] = bad
			continue
		}
		if creds[i] != nil && creds[i].failed != nil {
			out[i] = credentialsFailed(r.Image, creds[i].failed)
			continue
		}
		kr := creds[i].keyringOrNil()
		jobs[i] = b.image(ref, r.Image, kr).job(r, kr)
	}
	b.run(ctx)
	for i, j := range jobs {
		if j != nil {
			// Requests merged into one job may have spelled the image differently.
			out[i] = withNotes(withImage(j.result, reqs[i].Image), creds[i])
		}
	}
	return out
}

// batch is the work of one call: images to resolve, then the distinct
// requests of each image to verify against its digest.
type batch struct {
	e       *Engine
	images  map[string]*imageWork
	pending []work             // ready, waiting for a slot
	waiting map[*flight][]work // started or joined, waiting for the flight
	notify  chan *flight       // flights this batch waits for that ended
	started map[*flight]int    // joins per flight, to leave them all
}

type imageWork struct {
	ref      reference.Reference
	image    string // as first written
	keyring  *registry.Keyring
	fp       string // of the credentials that read the image's repository
	tagKey   string // of the tag cache and the resolution's flight
	target   verify.Target
	failed   *verify.Result
	resolved bool
	jobs     map[string]*job
}

type job struct {
	img     *imageWork
	req     Request
	keyring *registry.Keyring
	fp      string // of the credentials that read the signatures' repository
	result  *verify.Result
}

// work is an image's resolution (job == nil) or a job's verification.
type work struct {
	img    *imageWork
	job    *job
	looked bool // the result cache was asked once already
}

func newBatch(e *Engine, size int) *batch {
	return &batch{
		e: e, images: map[string]*imageWork{}, waiting: map[*flight][]work{},
		started: map[*flight]int{}, notify: make(chan *flight, 2*size+1),
	}
}

// image adds ref (written as image) to the batch, once per normalised
// reference and credentials (kr, nil for the docker config's). A reference
// with a digest needs no resolution.
func (b *batch) image(ref reference.Reference, image string, kr *registry.Keyring) *imageWork {
	fp := kr.Fingerprint(ref.Name)
	key := credKey(ref.Reference, fp)
	if img, ok := b.images[key]; ok {
		return img
	}
	img := &imageWork{ref: ref, image: image, keyring: kr, fp: fp, tagKey: credKey(tagKey(ref), fp), jobs: map[string]*job{}}
	b.images[key] = img
	if ref.Digest == "" {
		b.pending = append(b.pending, work{img: img})
		return img
	}
	img.resolved = true
	h, err := v1.NewHash(ref.Digest)
	if err != nil {
		img.failed = &verify.Result{Image: image, Errors: []verify.Error{{Code: verify.CodeInvalidReference, Message: err.Error()}}}
		return img
	}
	img.target = verify.Target{Image: image, Ref: ref, Digest: h}
	return img
}

// job adds a request of img, once per kind, options and the credentials
// that read its signatures (kr, nil for the docker config's).
func (img *imageWork) job(r Request, kr *registry.Keyring) *job {
	fp := kr.Fingerprint(verify.SignatureRef(img.ref, r.Options).Name)
	k := credKey(requestKey(r), fp)
	if j, ok := img.jobs[k]; ok {
		return j
	}
	j := &job{img: img, req: r, keyring: kr, fp: fp}
	img.jobs[k] = j
	return j
}

// run does the batch's work until it is done or ctx ends; then every job has
// a result.
func (b *batch) run(ctx context.Context) {
	for _, img := range b.images {
		if img.resolved {
			b.ready(img)
		}
	}
	for len(b.pending) > 0 || len(b.waiting) > 0 {
		freed := b.e.slots.released()
		b.start(ctx)
		if len(b.pending) == 0 && len(b.waiting) == 0 {
			break
		}
		if len(b.pending) == 0 {
			freed = nil // nothing to start: wait for flights only
		}
		select {
		case f := <-b.notify:
			b.finished(f)
		case <-freed:
		case <-ctx.Done():
			b.abandon()
			return
		}
	}
}

// start begins (or joins) every pending piece of work it can: from the
// caches, else as a flight when a slot is free. What gets no slot stays
// pending; other registries' work is tried all the same.
func (b *batch) start(ctx context.Context) {
	e := b.e
	var still []work
	for len(b.pending) > 0 { // ready appends to pending: work found in the caches is followed up at once
		w := b.pending[0]
		b.pending = b.pending[1:]
		var key, host string
		var fn func(context.Context) any
		if w.job == nil {
			ref := w.img.ref
			if h, ok := e.cache.tags.get(w.img.tagKey); ok {
				w.img.target = verify.Target{Image: w.img.image, Ref: ref, Digest: h}
				w.img.resolved = true
				b.ready(w.img)
				continue
			}
			key, host, fn = "tag\x00"+w.img.tagKey, ref.Registry, e.resolveWork(w.img)
		} else {
			t := w.img.target
			key = credKey(resultKey(t, w.job.req), w.img.fp, w.job.fp)
			cached, ok := e.cache.get(key, !w.looked)
			if ok {
				w.job.result = cached
				continue
			}
			w.looked = true
			host, fn = verifyHost(t, w.job.req.Options), e.verifyWork(key, t, w.job)
		}
		f := e.flights.join(ctx, key, b.notify, func() (func(), bool) { return e.slots.tryAcquire(host) }, e.cfg.Timeout, fn)
		if f == nil {
			still = append(still, w)
			continue
		}
		b.waiting[f] = append(b.waiting[f], w)
		b.started[f]++
	}
	b.pending = still
}

// finished hands a flight's outcome to the work waiting for it.
func (b *batch) finished(f *flight) {
	ws, ok := b.waiting[f]
	if !ok {
		return // a second notice for a flight joined twice
	}
	delete(b.waiting, f)
	delete(b.started, f)
	for _, w := range ws {
		if w.job != nil {
			w.job.result = f.val.(*verify.Result)
			continue
		}
		r := f.val.(resolved)
		w.img.resolved = true
		if r.failed != nil {
			w.img.failed = withImage(r.failed, w.img.image)
		} else {
			w.img.target = r.target
			w.img.target.Image = w.img.image
		}
		b.ready(w.img)
	}
}

// ready queues the verifications of a resolved image, or fails them all with
// its resolution's failure.
func (b *batch) ready(img *imageWork) {
	for _, j := range img.jobs {
		if img.failed != nil {
			j.result = img.failed
			continue
		}
		b.pending = append(b.pending, work{img: img, job: j})
	}
}

// abandon leaves every flight at the deadline (the last waiter's leave
// cancels it and frees its slot) and times out whatever has no result.
func (b *batch) abandon() {
	for f, n := range b.started {
		for range n {
			b.e.flights.leave(f)
		}
	}
	for _, img := range b.images {
		if !img.resolved {
			img.failed = timeoutResult(img.image, resolveStep(img.ref), img.ref.Registry, b.e.cfg.Timeout)
		}
		for _, j := range img.jobs {
			switch {
			case j.result != nil:
			case img.failed != nil: // never resolved: its jobs never started
				j.result = img.failed
			default:
				t := img.target
				j.result = timeoutResult(img.image, verifyStep(t, j.req), verifyHost(t, j.req.Options), b.e.cfg.Timeout)
			}
		}
	}
}
