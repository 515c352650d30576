package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// slowSection is section 2: a cold server behind the delaying proxy (10 ms
// per registry request), with max_concurrency 64 so that 50 images fit.
func (e *env) slowSection() string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("\n## 2. Cold Pod with 10 ms added to every registry request (delaying proxy)\n\n")
	p("A fresh server with `max_concurrency: 64` (and per registry); the proxy sleeps 10 ms before each request it forwards. ")
	p("Round trips on the critical path = time / 10 ms, rounded down (the rest is CPU).\n\n")
	p("| images | opa-cosign server | round trips | in-process sequential | ratio |\n|---|---|---|---|---|\n")
	e.delay.Store(int64(10 * time.Millisecond))
	defer e.delay.Store(0)
	o := serverOpts{maxConcurrency: 64}
	byTag := []string{fmt.Sprintf("%s/%s:v1", e.proxy, e.images[0].Context().RepositoryStr())}
	srv := e.serverColdWith(o, byTag, 3)
	p("| 1 by tag | %s | %d | — | — |\n", ms(srv), srv/(10*time.Millisecond))
	for _, n := range []int{1, 10, 50} {
		srv := e.serverColdWith(o, e.refs(n, e.proxy), 3)
		seq := e.inProcessSequential(n, e.proxy)
		p("| %d by digest | %s | %d | %s | %s |\n", n, ms(srv), srv/(10*time.Millisecond), ms(seq), ratio(seq, srv))
	}
	return b.String()
}

// coldPings admits a cold n-image Pod through the proxy and counts the
// registry requests it made, and the pings among them.
func (e *env) coldPings(n int) (pings, requests int64) {
	s := e.startServer()
	defer e.stopLast()
	before, beforePings := e.requests.Load(), e.pings.Load()
	s.admit(review(e.refs(n, e.proxy)))
	return e.pings.Load() - beforePings, e.requests.Load() - before
}

// memorySection is section 9: the result cache's memory, from
// TestCacheMemory in its own process.
func (e *env) memorySection() string {
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestCacheMemory$", "-v", "./test/bench")
	cmd.Dir = e.root
	cmd.Env = append(os.Environ(), "MEMORY=10000")
	out, err := cmd.CombinedOutput()
	var n, extra, h0, h1, h2, r0, r1, r2 uint64
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "RESULT ") {
			_, err = fmt.Sscan(strings.TrimPrefix(line, "RESULT "), &n, &extra, &h0, &h1, &h2, &r0, &r1, &r2)
		}
	}
	if err != nil || n == 0 {
		panic(fmt.Sprintf("memory measurement failed: %v\n%s", err, out))
	}
	mib := func(v uint64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }
	return fmt.Sprintf("\n## 9. Memory of the result cache\n\n"+
		"`MEMORY=%d go test -run TestCacheMemory ./test/bench`: one engine (default `cache.max_entries` %d) verifies %d distinct signed images "+
		"of an in-process registry (each its own repository), then %d more; heap in use and RSS after a GC.\n\n"+
		"| | heap in use | RSS |\n|---|---|---|\n| before | %s | %s |\n| after %d verifications | %s | %s |\n| after %d more | %s | %s |\n\n"+
		"Per cached verification: %.1f KiB of heap ((after − before) / %d; each image is its own repository here, so this includes "+
		"the registry client's per-repository set-up, which it drops every 4,096 repositories), about %s at the default max_entries; "+
		"the %d verifications past the bound changed heap in use by %s.\n",
		n, 10000, n, extra, mib(h0), mib(r0), n, mib(h1), mib(r1), extra, mib(h2), mib(r2),
		float64(h1-h0)/float64(n)/1024, n, mib((h1-h0)/n*10000), extra, signedMiB(int64(h2)-int64(h1)))
}

func signedMiB(v int64) string { return fmt.Sprintf("%+.1f MiB", float64(v)/(1<<20)) }
