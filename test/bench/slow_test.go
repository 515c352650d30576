package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestSlowTimeline (SLOW=n) verifies n images behind a 10 ms proxy with one
// engine (max_concurrency 64) and prints when each registry request started,
// by kind, as the client sent it and as the proxy got it: the critical path
// of a cold Pod, request by request. (It showed go-containerregistry's
// default of 4 blob reads at once for all of a Pod's verifications.)
func TestSlowTimeline(t *testing.T) {
	var n int
	if _, err := fmt.Sscan(os.Getenv("SLOW"), &n); err != nil || n == 0 {
		t.Skip("SLOW=<images> prints the timeline")
	}
	host := testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	var images []string
	target, _ := url.Parse("http://" + host)
	rp := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var log []string
	var start time.Time
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		log = append(log, fmt.Sprintf("%6.1f ms %s %s", float64(time.Since(start).Microseconds())/1000, r.Method, kind(r.URL.Path)))
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	phost := strings.TrimPrefix(proxy.URL, "http://")
	for i := range n {
		d := testutil.PushImage(t, host, fmt.Sprintf("slow/app%02d", i), "v1")
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
		images = append(images, phost+"/"+d.Context().RepositoryStr()+"@"+d.DigestStr())
	}
	cfg, err := engine.DefaultConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Registry.Insecure = []string{phost}
	cfg.MaxConcurrency, cfg.MaxConcurrencyPerRegistry = 64, 64
	cfg.Registry.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		log = append(log, fmt.Sprintf("%6.1f ms client %s %s", float64(time.Since(start).Microseconds())/1000, r.Method, kind(r.URL.Path)))
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	var reqs []engine.Request
	for _, img := range images {
		reqs = append(reqs, engine.Request{Image: img, Options: opts})
	}
	start = time.Now()
	for _, r := range eng.VerifyBatch(context.Background(), reqs) {
		if !r.Verified {
			t.Fatalf("%+v", r.Errors)
		}
	}
	took := time.Since(start)
	sort.Strings(log)
	fmt.Printf("%d images: %.1f ms, %d requests\n%s\n", n, float64(took.Microseconds())/1000, len(log), strings.Join(log, "\n"))
}

func kind(p string) string {
	switch {
	case p == "/v2/":
		return "ping"
	case strings.Contains(p, "/manifests/"):
		return "manifest " + p[strings.LastIndex(p, "/")+1:][:min(20, len(p)-strings.LastIndex(p, "/")-1)]
	case strings.Contains(p, "/blobs/"):
		return "blob"
	}
	return p
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
