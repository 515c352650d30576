package engine

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

type evictions struct {
	noObserver
	n atomic.Int64
}

func (e *evictions) CacheEvicted() { e.n.Add(1) }

// TestCacheHasNoGoroutine: building caches starts nothing (the expirable LRU
// started a cleanup goroutine per cache that never exited, and panicked for a
// TTL under 100ns); entries expire when read; only entries pushed out to make
// room count as evictions.
func TestCacheHasNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	obs := &evictions{}
	var caches []*cache
	for range 20 {
		c, err := newCache(CacheConfig{MaxEntries: 2, TTL: 250 * time.Millisecond, FailureTTL: time.Nanosecond, TagTTL: time.Nanosecond}, obs)
		if err != nil {
			t.Fatal(err)
		}
		caches = append(caches, c)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after building 20 caches, %d before", n, before)
	}
	c := caches[0]
	ok := &verify.Result{Verified: true}
	c.put("a", ok)
	if got, hit := c.get("a", true); !hit || got != ok {
		t.Fatal("a fresh entry is not found")
	}
	time.Sleep(300 * time.Millisecond) // past the TTL; the TTL leaves room for a loaded machine between put and get
	if _, hit := c.get("a", true); hit {
		t.Fatal("an expired entry is still found")
	}
	if obs.n.Load() != 0 {
		t.Fatalf("expiry counted %d evictions", obs.n.Load())
	}
	c.put("b", ok)
	c.put("c", ok)
	c.put("d", ok) // pushes b out
	if _, hit := c.get("b", true); hit || obs.n.Load() != 1 {
		t.Fatalf("capacity eviction: b found %v, %d evictions counted, want 1", hit, obs.n.Load())
	}
	// Transient failures are never cached; definitive ones are.
	c.put("t", &verify.Result{Errors: []verify.Error{{Code: verify.CodeTimeout}}})
	if _, hit := c.get("t", true); hit {
		t.Fatal("a timeout was cached")
	}
}
