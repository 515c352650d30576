package registry

import (
	"context"
	"sync"
)

// Tracker records the first limit or policy error a transport layer raised in
// one verification, which libraries above us may have wrapped beyond
// recognition.
type Tracker struct {
	mu  sync.Mutex
	err error
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
