package registry

import (
	"context"
	"sync"
	"sync/atomic"
)

// Tracker records what one verification asked of registries: the number of
// requests, and the first limit or policy error a transport layer raised, which
// libraries above us may have wrapped beyond recognition.
type Tracker struct {
	requests atomic.Int64
	mu       sync.Mutex
	err      error
}

type trackerKey struct{}

// WithTracker returns a context whose registry requests are recorded in t.
func WithTracker(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, trackerKey{}, t)
}

// TrackerFrom returns the tracker of ctx, or nil.
func TrackerFrom(ctx context.Context) *Tracker {
	t, _ := ctx.Value(trackerKey{}).(*Tracker)
	return t
}

// Requests is the number of HTTP requests made so far.
func (t *Tracker) Requests() int64 { return t.requests.Load() }

// Err is the first transport-level refusal (limit, insecure, digest mismatch).
func (t *Tracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *Tracker) fail(err error) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}
