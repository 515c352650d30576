package engine

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// counting is a transport that counts requests and can fail or stall them.
type counting struct {
	n     atomic.Int64
	fail  atomic.Bool // answer 503
	stall atomic.Bool // never answer until the request is cancelled
}

func (c *counting) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	if c.stall.Load() {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	if c.fail.Load() {
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
	}
	return http.DefaultTransport.RoundTrip(req)
}

type countingObserver struct {
	noObserver
	verifications atomic.Int64
}

func (o *countingObserver) Verified(string, string, time.Duration) { o.verifications.Add(1) }

type fixture struct {
	host  string
	key   testutil.Key
	rt    *counting
	obs   *countingObserver
	e     *Engine
	image name.Digest
}

func newFixture(t *testing.T, cache CacheConfig, timeout time.Duration) *fixture {
	t.Helper()
	f := &fixture{host: testutil.Registry(t), key: testutil.NewKey(t, testutil.ECDSAP256), rt: &counting{}, obs: &countingObserver{}}
	var err error
	f.e, err = New(Config{Registry: registry.Config{Insecure: []string{f.host}, Transport: f.rt}, Cache: cache, Timeout: timeout, Observer: f.obs})
	if err != nil {
		t.Fatal(err)
	}
	f.image = testutil.PushImage(t, f.host, "cache/app", "v1")
	testutil.AttachLegacy(t, f.image, testutil.Legacy{Signer: f.key.Signer})
	return f
}

func (f *fixture) request(t *testing.T, image string) Request {
	t.Helper()
	o, err := verify.ParseOptions(map[string]any{"key": f.key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	return Request{Image: image, Options: o}
}

func TestCacheHitMakesNoRequest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{}, 0)
	byTag := f.image.Context().Name() + ":v1"
	if r := f.e.Verify(context.Background(), f.request(t, byTag)); !r.Verified {
		t.Fatalf("first: %+v", r.Errors)
	}
	cold := f.rt.n.Load()
	// By tag (tag cache) and by digest (result cache), written differently.
	for _, img := range []string{byTag, f.image.String(), byTag} {
		r := f.e.Verify(context.Background(), f.request(t, img))
		if !r.Verified || r.Image != img {
			t.Fatalf("cached %s: %+v", img, r)
		}
	}
	if n := f.rt.n.Load(); n != cold {
		t.Fatalf("cache hits made %d registry requests", n-cold)
	}
	t.Logf("cold verification by tag: %d requests (ping, token-less), warm: 0", cold)
}

func TestConcurrentIdenticalWorkIsDoneOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{}, 0)
	var wg sync.WaitGroup
	var verified atomic.Int64
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if f.e.Verify(context.Background(), f.request(t, f.image.String())).Verified {
				verified.Add(1)
			}
		}()
	}
	wg.Wait()
	if verified.Load() != 100 {
		t.Fatalf("%d of 100 verified", verified.Load())
	}
	if n := f.obs.verifications.Load(); n != 1 {
		t.Fatalf("%d upstream verifications for 100 concurrent identical requests, want 1", n)
	}
}

func TestTransientFailuresAreNotCached(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{}, 0)
	f.rt.fail.Store(true)
	if r := f.e.Verify(context.Background(), f.request(t, f.image.String())); r.Verified || r.Errors[0].Code != verify.CodeRegistryError {
		t.Fatalf("during the outage: %+v", r)
	}
	f.rt.fail.Store(false)
	if r := f.e.Verify(context.Background(), f.request(t, f.image.String())); !r.Verified {
		t.Fatalf("after recovery: %+v", r.Errors)
	}
}

func TestDefinitiveFailuresExpire(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{FailureTTL: time.Second}, 0)
	unsigned := testutil.PushImage(t, f.host, "cache/later", "v1")
	req := f.request(t, unsigned.String())
	if r := f.e.Verify(context.Background(), req); r.Verified || r.Errors[0].Code != verify.CodeNoSignatures {
		t.Fatalf("unsigned: %+v", r)
	}
	testutil.AttachLegacy(t, unsigned, testutil.Legacy{Signer: f.key.Signer})
	if r := f.e.Verify(context.Background(), req); r.Verified {
		t.Fatal("a cached failure should still answer within failure_ttl")
	}
	time.Sleep(1100 * time.Millisecond)
	if r := f.e.Verify(context.Background(), req); !r.Verified {
		t.Fatalf("after failure_ttl: %+v", r.Errors)
	}
}

// docs/security.md #18: a tag moved to an unsigned image is denied once tag_ttl passes;
// the verified digest itself stays verified.
func TestMovedTagAfterTagTTL(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{TagTTL: 200 * time.Millisecond}, 0)
	byTag := f.image.Context().Name() + ":v1"
	if !f.e.Verify(context.Background(), f.request(t, byTag)).Verified {
		t.Fatal("signed tag")
	}
	moved := testutil.PushImage(t, f.host, "cache/app", "v1")
	time.Sleep(300 * time.Millisecond)
	r := f.e.Verify(context.Background(), f.request(t, byTag))
	if r.Verified || r.Digest != moved.DigestStr() {
		t.Fatalf("moved tag: verified=%v digest=%s, want the new unsigned digest %s", r.Verified, r.Digest, moved.DigestStr())
	}
	if !f.e.Verify(context.Background(), f.request(t, f.image.String())).Verified {
		t.Fatal("the verified digest must stay verified")
	}
}

// docs/security.md #21: a registry that never answers is a timeout within the
// deadline, and the timeout is not cached.
// Not parallel: it counts the process's goroutines.
func TestHangingRegistryTimesOut(t *testing.T) {
	f := newFixture(t, CacheConfig{}, 300*time.Millisecond)
	f.rt.stall.Store(true)
	goroutines := runtime.NumGoroutine()
	start := time.Now()
	results := f.e.VerifyBatch(context.Background(), []Request{f.request(t, f.image.String()), f.request(t, f.image.Context().Name()+":v1")})
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %s with a 300ms deadline", took)
	}
	for _, r := range results {
		if r.Verified || r.Errors[0].Code != verify.CodeTimeout {
			t.Fatalf("hanging registry: %+v", r)
		}
	}
	// No goroutine is left behind by the abandoned work.
	for deadline := time.Now().Add(3 * time.Second); runtime.NumGoroutine() > goroutines+2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after the timeout, %d before", runtime.NumGoroutine(), goroutines)
		}
	}
	f.rt.stall.Store(false)
	// A call that overlaps the stalled one shares its connection set-up (ggcr
	// initialises one fetcher per repository) and fails closed with it; a later
	// call starts afresh.
	time.Sleep(200 * time.Millisecond)
	if r := f.e.Verify(context.Background(), f.request(t, f.image.String())); !r.Verified {
		t.Fatalf("timeouts must not be cached: %+v", r.Errors)
	}
}

func TestCallerDeadlineIsRespected(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{}, 5*time.Second)
	f.rt.stall.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := f.e.Verify(ctx, f.request(t, f.image.String()))
	if time.Since(start) > time.Second || r.Verified || r.Errors[0].Code != verify.CodeTimeout {
		t.Fatalf("after %s: %+v", time.Since(start), r)
	}
}

// TestRequestCounts: once a repository's connection is set up (one ping and
// token per repository and scope, reused while the token lives), a key-signed
// legacy signature costs 2 requests by digest (signature manifest, payload
// blob) and 3 by tag (plus the HEAD that resolves it).
func TestRequestCounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, CacheConfig{}, 0)
	if !f.e.Verify(context.Background(), f.request(t, f.image.String())).Verified {
		t.Fatal("warm-up")
	}
	for _, c := range []struct {
		name string
		ref  func(name.Digest) string
		want int64
	}{
		{"by digest", func(d name.Digest) string { return d.String() }, 2},
		{"by tag", func(d name.Digest) string { return d.Context().Name() + ":by-tag" }, 3},
	} {
		d := testutil.PushImage(t, f.host, "cache/app", strings.ReplaceAll(c.name, " ", "-"))
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: f.key.Signer})
		before := f.rt.n.Load()
		if r := f.e.Verify(context.Background(), f.request(t, c.ref(d))); !r.Verified {
			t.Fatalf("%s: %+v", c.name, r.Errors)
		}
		got := f.rt.n.Load() - before
		t.Logf("%s: %d requests", c.name, got)
		if got > c.want {
			t.Errorf("%s: %d registry requests, want at most %d", c.name, got, c.want)
		}
	}
}
