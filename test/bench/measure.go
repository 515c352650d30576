package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(float64(len(s)-1)*p)]
}

func (e *env) refs(n int, host string) []string {
	out := make([]string, n)
	for i := range n {
		out[i] = e.via(e.images[i], host)
	}
	return out
}

// serverCold: a fresh server (empty cache) admits a Pod with n images.
func (e *env) serverCold(n int, host string, rounds int) time.Duration {
	return e.serverColdWith(serverOpts{}, e.refs(n, host), rounds)
}

func (e *env) serverColdWith(o serverOpts, refs []string, rounds int) time.Duration {
	var ds []time.Duration
	for range rounds {
		s := e.startServerWith(o)
		ds = append(ds, s.admit(review(refs)))
		e.stopLast()
	}
	return median(ds)
}

// cosignPerImage runs `cosign verify --key` once per image, as CI scripts do.
func (e *env) cosignPerImage(n int) time.Duration {
	start := time.Now()
	for _, ref := range e.refs(n, e.registry) {
		if out, err := e.run(nil, e.bin("build/tools/bin/cosign-v2"), "verify", "--key", e.pub, "--insecure-ignore-tlog",
			"--allow-insecure-registry", ref); err != nil {
			panic(out)
		}
	}
	return time.Since(start)
}

// inProcessSequential verifies the images one after another with the same
// verifier code, as a sequential built-in would.
func (e *env) inProcessSequential(n int, host string) time.Duration {
	reg, err := registry.New(registry.Config{Insecure: []string{e.registry, e.proxy}})
	must(err)
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{})
	must(err)
	v := verify.New(reg, roots)
	pub, err := os.ReadFile(e.pub)
	must(err)
	o, err := verify.ParseOptions(map[string]any{"key": string(pub), "insecure-ignore-tlog": true}, false)
	must(err)
	start := time.Now()
	for _, ref := range e.refs(n, host) {
		if !v.Verify(context.Background(), ref, o, verify.Signatures).Verified {
			panic("not verified: " + ref)
		}
	}
	return time.Since(start)
}

// load is what a warm measurement saw.
type load struct {
	p50, p99  time.Duration
	perSecond float64
}

// load sends perClient requests from each of clients concurrent clients.
func (s server) load(path string, body []byte, ok func([]byte) bool, clients, perClient int) load {
	s.post(path, body, ok) // prepares the query
	return measureLoad(clients, perClient, func() time.Duration { return s.post(path, body, ok) })
}

// measureLoad runs one perClient times in each of clients concurrent
// goroutines and returns the latencies' median, p99 and calls per second.
func measureLoad(clients, perClient int, one func() time.Duration) load {
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, perClient)
			for range perClient {
				local = append(local, one())
			}
			mu.Lock()
			all = append(all, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return load{percentile(all, .5), percentile(all, .99), float64(len(all)) / elapsed.Seconds()}
}

// requestCounts counts proxied registry requests for one verification, once
// the repository's connection is set up (ping): by digest, by tag, cache hit.
func (e *env) requestCounts() (byDigest, byTag, hit int64) {
	s := e.startServer()
	warmed := e.via(e.images[0], e.proxy)
	s.admit(review([]string{warmed}))
	count := func(img string) int64 {
		before := e.requests.Load()
		s.admit(review([]string{img}))
		return e.requests.Load() - before
	}
	hit = count(warmed)
	byDigest = count(e.via(e.extra[0], e.proxy))
	byTag = count(fmt.Sprintf("%s/%s:v3", e.proxy, e.extra[1].Context().RepositoryStr()))
	return byDigest, byTag, hit
}

// concurrentSame sends 100 concurrent admissions of one uncached image and
// returns the upstream verifications the server performed.
func (e *env) concurrentSame() int {
	s := e.startServer()
	before := s.upstream()
	body := review([]string{e.via(e.images[3], e.registry)})
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); s.admit(body) }()
	}
	wg.Wait()
	return s.upstream() - before
}

func writeFile(dir, name, content string) string {
	p := filepath.Join(dir, name)
	must(os.WriteFile(p, []byte(content), 0o600))
	return p
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
