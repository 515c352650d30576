package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// entrypoint is one way to ask the library about a Pod's images.
type entrypoint struct {
	name, path string
	body       func(images []string) []byte
}

var entrypoints = []entrypoint{
	{"validate (AdmissionReview)", validatePath, review},
	{"mutate (AdmissionReview)", mutatePath, review},
	{"imagepolicy.decision", decisionPath, func(images []string) []byte {
		b, _ := json.Marshal(map[string]any{"images": images, "namespace": "bench"})
		return b
	}},
}

// warmSection is section 3: each entrypoint and the trivial policy on one
// server, the same 10-image input, one client then 16.
func (e *env) warmSection() string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("\n## 3. Warm decisions: 10-image Pod, everything cached, beside a trivial policy\n\n")
	p("One server (`--optimize-store-for-read-speed`), the library and `package bench.trivial` / `allowed := true`, the same body for both. ")
	p("1 client: 2,000 sequential requests; 16 clients: 250 each. The ratio is the library's cost over the trivial policy's: ")
	p("p50 over p50 with one client, reviews/s over reviews/s with 16 (the server's CPU per request).\n\n")
	p("| entrypoint | clients | p50 | p99 | reviews/s | trivial p50 | trivial p99 | trivial reviews/s | ratio |\n|---|---|---|---|---|---|---|---|---|\n")
	s := e.startServer()
	defer e.stopLast()
	images := e.refs(10, e.registry)
	s.admit(review(images)) // verifies and caches
	for _, ep := range entrypoints {
		body := ep.body(images)
		ok := allowedReview
		for _, c := range []struct{ clients, each int }{{1, 2000}, {16, 250}} {
			lib := s.load(ep.path, body, ok, c.clients, c.each)
			triv := s.load(trivialPath, body, allowedTrue, c.clients, c.each)
			r := float64(lib.p50) / float64(triv.p50)
			if c.clients > 1 {
				r = triv.perSecond / lib.perSecond
			}
			p("| %s | %d | %s | %s | %.0f | %s | %s | %.0f | %.1f× |\n", ep.name, c.clients, ms(lib.p50), ms(lib.p99), lib.perSecond,
				ms(triv.p50), ms(triv.p99), triv.perSecond, r)
		}
	}
	return b.String()
}

// scaleSection is the decision's cost against the config's size and the
// Pod's: one server per pattern count, 1, 10 and 100 distinct cached images.
func (e *env) scaleSection() string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("\n## 8. Scale: warm validate by patterns in the config and images in the Pod\n\n")
	p("Median of 300 sequential warm reviews (one client) per cell; the config's other patterns are `team<n>/**` with their own options. ")
	p("100 images are the 50 bench images named through the registry and through the proxy (100 distinct references).\n\n")
	counts := []int{1, 10, 100}
	patterns := []int{1, 10, 100, 1000}
	p("| patterns |")
	for _, n := range counts {
		p(" %d image(s) |", n)
	}
	p("\n|---|%s\n", strings.Repeat("---|", len(counts)))
	cell := map[[2]int]time.Duration{}
	for _, np := range patterns {
		s := e.startServerWith(serverOpts{patterns: np})
		p("| %d |", np)
		for _, n := range counts {
			body := review(e.scaleRefs(n))
			s.admit(body)
			l := s.load(validatePath, body, allowedReview, 1, 300)
			cell[[2]int{np, n}] = l.p50
			p(" %s |", ms(l.p50))
		}
		p("\n")
		e.stopLast()
	}
	p("\nGrowth exponents (log-log slope of the median): in images, 10→100 images at 1 pattern %.2f, at 1,000 patterns %.2f; "+
		"in patterns, 1→1,000 patterns at 10 images %.2f, at 100 images %.2f.\n",
		slope(cell[[2]int{1, 10}], cell[[2]int{1, 100}], 10), slope(cell[[2]int{1000, 10}], cell[[2]int{1000, 100}], 10),
		slope(cell[[2]int{1, 10}], cell[[2]int{1000, 10}], 1000), slope(cell[[2]int{1, 100}], cell[[2]int{1000, 100}], 1000))
	return b.String()
}

func (e *env) scaleRefs(n int) []string {
	if n <= len(e.images) {
		return e.refs(n, e.registry)
	}
	return append(e.refs(len(e.images), e.registry), e.refs(n-len(e.images), e.proxy)...)
}

// slope is log(b/a) / log(factor).
func slope(a, b time.Duration, factor float64) float64 {
	return math.Log(float64(b)/float64(a)) / math.Log(factor)
}
