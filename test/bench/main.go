// Command bench measures opa-cosign side by side with the tools users would
// otherwise run, in one run, against the real Distribution registry on
// loopback with images signed by the real cosign CLI. It prints a Markdown
// report (scripts/bench.sh writes it to BENCHMARKS.md). Run from the repo root
// after `make build tools` (and scripts/peers.sh for the peer engines).
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func ratio(a, b time.Duration) string { return fmt.Sprintf("%.1f×", float64(a)/float64(b)) }

func main() {
	root, err := os.Getwd()
	must(err)
	work, err := os.MkdirTemp("", "opa-cosign-bench")
	must(err)
	defer os.RemoveAll(work)
	e := &env{root: root, work: work}
	defer e.stop()
	// BENCH_ONLY=<section> measures one section alone, with the images it needs.
	if only := os.Getenv("BENCH_ONLY"); only != "" {
		sections := map[string]struct {
			images int
			run    func() string
		}{
			"gatekeeper": {10, e.gatekeeperSection},
			"envoy":      {1, e.envoySection},
			"warm":       {10, e.warmSection},
			"slow":       {50, e.slowSection},
			"scale":      {50, e.scaleSection},
			"memory":     {0, e.memorySection},
		}
		sec, ok := sections[only]
		if !ok {
			panic("BENCH_ONLY: unknown section " + only + " (gatekeeper, envoy, warm, slow, scale, memory)")
		}
		if sec.images > 0 {
			e.setup(sec.images)
		}
		fmt.Print(sec.run())
		return
	}
	e.setup(50)

	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("Machine: %d cores (GOMAXPROCS %d), %s/%s, %s. Medians of %d cold rounds; one run.\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), 3)

	p("## 1. Cold Pod, plain loopback (fresh server, empty cache; server start excluded)\n\n")
	p("| images | opa-cosign server | cosign verify per image | ratio | in-process sequential | ratio |")
	peers := e.has("build/tools/bin/kyverno")
	tester := e.has("build/tools/bin/policy-tester")
	if peers {
		p(" Kyverno CLI apply | ratio |")
	}
	if tester {
		p(" policy-controller tester per image | ratio |")
	}
	p("\n|---|---|---|---|---|---|")
	if peers {
		p("---|---|")
	}
	if tester {
		p("---|---|")
	}
	p("\n")
	for _, n := range []int{1, 10, 50} {
		srv := e.serverCold(n, e.registry, 3)
		cli := e.cosignPerImage(n)
		seq := e.inProcessSequential(n, e.registry)
		p("| %d | %s | %s | %s | %s | %s |", n, ms(srv), ms(cli), ratio(cli, srv), ms(seq), ratio(seq, srv))
		if peers {
			k := e.kyverno(n)
			p(" %s | %s |", ms(k), ratio(k, srv))
		}
		if tester {
			pt := e.policyTester(n)
			p(" %s | %s |", ms(pt), ratio(pt, srv))
		}
		p("\n")
	}
	if peers {
		p("\nKyverno CLI process start alone (`kyverno version`): %s.\n", ms(e.kyvernoStart()))
	}
	pings, requests := e.coldPings(50)
	p("\nRegistry requests of the cold 50-image Pod (50 repositories of one registry, through the counting proxy): %d, of which %d pings (`GET /v2/`).\n", requests, pings)

	p("%s", e.slowSection())
	p("%s", e.warmSection())

	p("\n## 4. Registry requests per verification (counted by the proxy; repository connection warm)\n\n")
	byDigest, byTag, hit := e.requestCounts()
	p("| by digest | by tag | cache hit |\n|---|---|---|\n| %d | %d | %d |\n", byDigest, byTag, hit)

	p("\n## 5. 100 concurrent admissions of one uncached image\n\n")
	p("Upstream verifications performed: %d.\n", e.concurrentSame())
	p("%s", e.envoySection())
	p("%s", e.scaleSection())
	p("%s", e.memorySection())
	p("%s", e.gatekeeperSection())

	fmt.Print(b.String())
	if out := os.Getenv("BENCH_OUT"); out != "" {
		must(os.WriteFile(filepath.Clean(out), []byte(b.String()), 0o644))
	}
}
