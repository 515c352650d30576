package engine

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// concurrency is a slow transport that records the most requests in flight
// at once.
type concurrency struct {
	now, peak atomic.Int64
}

func (c *concurrency) RoundTrip(req *http.Request) (*http.Response, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
	}
	time.Sleep(5 * time.Millisecond)
	return http.DefaultTransport.RoundTrip(req)
}

// TestMaxConcurrencyBoundsAllRegistryWork (issue 11 #2): tag resolution and
// verification alike run under max_concurrency, across concurrent batches;
// before, resolutions ran outside the slots.
func TestMaxConcurrencyBoundsAllRegistryWork(t *testing.T) {
	t.Parallel()
	host := testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	var reqs []Request
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 24 {
		d := testutil.PushImage(t, host, fmt.Sprintf("bound/app%d", i), "v1")
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
		reqs = append(reqs, Request{Image: d.Context().Name() + ":v1", Options: o})
	}
	rt := &concurrency{}
	e, err := New(Config{Registry: registry.Config{Insecure: []string{host}, Transport: rt}, MaxConcurrency: 3, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []*verify.Result, 2)
	for _, half := range [][]Request{reqs[:12], reqs[12:]} {
		go func() { done <- e.VerifyBatch(context.Background(), half) }()
	}
	for range 2 {
		for _, r := range <-done {
			if !r.Verified {
				t.Fatalf("%s: %+v", r.Image, r.Errors)
			}
		}
	}
	if p := rt.peak.Load(); p > 3 {
		t.Fatalf("%d registry requests at once with max_concurrency 3", p)
	}
	t.Logf("peak %d registry requests at once (max_concurrency 3)", rt.peak.Load())
}
