package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// hangingRegistry accepts connections and never answers, until the request
// is given up or the test ends.
func hangingRegistry(t *testing.T) string {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestHangingRegistryDoesNotStarveOthers (docs/security.md #34, issue 11 #2): a steady
// stream of batches against a registry that never answers — by digest, so
// the work is verification, and by tag, so it is resolution — beside batches
// against a healthy registry. Every healthy verification finishes, verified,
// well within the deadline; every hanging one is a timeout.
func TestHangingRegistryDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	const deadline = 2 * time.Second
	healthy, hanging := testutil.Registry(t), hangingRegistry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	var images []string
	annotations := map[string]any{}
	for round := range 12 {
		annotations[fmt.Sprintf("r%d", round)] = "x"
	}
	for i := range 8 {
		d := testutil.PushImage(t, healthy, fmt.Sprintf("healthy/app%d", i), "v1")
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer, Annotations: annotations})
		images = append(images, d.Context().Name()+":v1")
	}
	e, err := New(Config{Registry: registry.Config{Insecure: []string{healthy, hanging}}, MaxConcurrency: 4, Timeout: deadline,
		Cache: CacheConfig{TagTTL: time.Nanosecond}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	var load sync.WaitGroup
	var hangingResults sync.Map
	// The hanging load: a new batch of 8 distinct images every 50ms for the
	// whole test, each arriving while the earlier ones still hang.
	load.Add(1)
	go func() {
		defer load.Done()
		for n := 0; ctx.Err() == nil; n++ {
			var reqs []Request
			for i := range 8 {
				img := fmt.Sprintf("%s/hang/app%d-%d@sha256:%064x", hanging, n, i, n*8+i)
				if i%2 == 1 {
					img = fmt.Sprintf("%s/hang/app%d-%d:v1", hanging, n, i)
				}
				reqs = append(reqs, Request{Image: img, Options: o})
			}
			load.Add(1)
			go func() {
				defer load.Done()
				for _, r := range e.VerifyBatch(context.Background(), reqs) {
					hangingResults.Store(r.Image, r)
				}
			}()
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	time.Sleep(300 * time.Millisecond) // the hanging registry holds what it can get
	var took []time.Duration
	for round := range 12 {
		// Each round requires another annotation the signatures carry: other
		// options, so nothing comes from the result cache; the tag TTL of 1ns
		// makes every round resolve the tags again too.
		ro, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true,
			"annotations": map[string]any{fmt.Sprintf("r%d", round): "x"}}, false)
		if err != nil {
			t.Fatal(err)
		}
		reqs := make([]Request, len(images))
		for i, img := range images {
			reqs[i] = Request{Image: img, Options: ro}
		}
		start := time.Now()
		res := e.VerifyBatch(context.Background(), reqs)
		took = append(took, time.Since(start))
		for _, r := range res {
			if !r.Verified {
				t.Errorf("round %d: healthy %s not verified after %s: %+v", round, r.Image, took[round], r.Errors)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	load.Wait()

	slices.Sort(took)
	t.Logf("healthy batches of %d images, %d rounds beside the hanging load: median %s, max %s (deadline %s)", len(images), len(took), took[len(took)/2], took[len(took)-1], deadline)
	if took[len(took)-1] > deadline/2 {
		t.Errorf("slowest healthy batch took %s, over half the %s deadline", took[len(took)-1], deadline)
	}
	n := 0
	hangingResults.Range(func(_, v any) bool {
		n++
		if r := v.(*verify.Result); r.Verified || r.Errors[0].Code != verify.CodeTimeout {
			t.Errorf("hanging %s: %+v, want a timeout", r.Image, r)
		}
		return true
	})
	t.Logf("%d hanging verifications, all timeouts", n)
}

// TestAbandonedWorkFreesItsSlot (issue 11 #2): when every caller waiting for
// a piece of registry work has gone (its deadline passed), the work is
// cancelled and its slot is free at once — not held until the work's own
// timeout.
func TestAbandonedWorkFreesItsSlot(t *testing.T) {
	t.Parallel()
	healthy, hanging := testutil.Registry(t), hangingRegistry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	d := testutil.PushImage(t, healthy, "freed/app", "v1")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
	e, err := New(Config{Registry: registry.Config{Insecure: []string{healthy, hanging}}, MaxConcurrency: 1, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if r := e.Verify(ctx, Request{Image: hanging + "/hang/app@" + d.DigestStr(), Options: o}); r.Errors[0].Code != verify.CodeTimeout {
		t.Fatalf("hanging: %+v", r)
	}
	start := time.Now()
	r := e.Verify(context.Background(), Request{Image: d.String(), Options: o})
	took := time.Since(start)
	t.Logf("the next verification, on the only slot: %s", took)
	if !r.Verified || took > time.Second {
		t.Fatalf("after %s: %+v (the abandoned work kept the only slot)", took, r.Errors)
	}
}

// TestBatchGoroutinesAreBoundedBySlots (issue 11 #2): a batch of 100 distinct
// images against a registry that never answers runs as many goroutines as
// it holds slots, not one per request. Not parallel: it counts goroutines.
func TestBatchGoroutinesAreBoundedBySlots(t *testing.T) {
	hanging := hangingRegistry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	e, err := New(Config{Registry: registry.Config{Insecure: []string{hanging}}, MaxConcurrency: 2, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []Request
	for i := range 100 {
		reqs = append(reqs, Request{Image: fmt.Sprintf("%s/hang/app%d@sha256:%064x", hanging, i, i), Options: o})
	}
	before := runtime.NumGoroutine()
	done := make(chan []*verify.Result)
	go func() { done <- e.VerifyBatch(context.Background(), reqs) }()
	time.Sleep(300 * time.Millisecond)
	during := runtime.NumGoroutine() - before
	for _, r := range <-done {
		if r.Verified || r.Errors[0].Code != verify.CodeTimeout {
			t.Fatalf("%s: %+v", r.Image, r)
		}
	}
	t.Logf("goroutines during a batch of 100 hanging requests with max_concurrency 2: %d more than before", during)
	if during > 20 {
		t.Fatalf("%d more goroutines during the batch", during)
	}
}
