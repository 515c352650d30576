//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadReport counts one phase of the load test.
type loadReport struct {
	name            string
	took            time.Duration
	mu              sync.Mutex
	latency         map[string][]time.Duration // well-behaved, by kind
	evilLatency     map[string][]time.Duration // malicious, by fault
	evil            atomic.Int64
	codes           map[string]*atomic.Int64 // denials by code, malicious included
	unexpected      atomic.Int64
	firstUnexpected atomic.Pointer[string]
}

func newLoadReport(name string) *loadReport {
	r := &loadReport{name: name, latency: map[string][]time.Duration{}, evilLatency: map[string][]time.Duration{}, codes: map[string]*atomic.Int64{}}
	for _, c := range []string{"no_signatures", "timeout", "limit_exceeded"} {
		r.codes[c] = &atomic.Int64{}
	}
	return r
}

func (r *loadReport) good(kind string, took time.Duration, res loadResult, verified bool) {
	want := ""
	if !verified {
		want = "no_signatures"
	}
	r.check(kind, res, verified, want)
	r.mu.Lock()
	r.latency[kind] = append(r.latency[kind], took)
	r.mu.Unlock()
}

func (r *loadReport) bad(fault string, took time.Duration, res loadResult, code string) {
	r.evil.Add(1)
	r.check("malicious "+fault, res, false, code)
	r.mu.Lock()
	r.evilLatency[fault] = append(r.evilLatency[fault], took)
	r.mu.Unlock()
}

// evilSummary says how long each fault took to be denied.
func (r *loadReport) evilSummary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for _, f := range []string{"hang", "endless", "huge"} {
		if l := r.evilLatency[f]; len(l) > 0 {
			parts = append(parts, fmt.Sprintf("%s %d (p50 %s, max %s)", f, len(l), ms(percentile(l, 0.5)), ms(percentile(l, 1))))
		}
	}
	return strings.Join(parts, ", ")
}

func (r *loadReport) check(kind string, res loadResult, verified bool, code string) {
	if !res.ok(verified, code) {
		r.unexpected.Add(1)
		msg := fmt.Sprintf("%s: verified=%v code=%q err=%q, want verified=%v code=%q", kind, res.verified, res.code, res.err, verified, code)
		r.firstUnexpected.CompareAndSwap(nil, &msg)
		return
	}
	if c := r.codes[code]; c != nil {
		c.Add(1)
	}
}

// all is every well-behaved latency.
func (r *loadReport) all() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for _, l := range r.latency {
		out = append(out, l...)
	}
	return out
}

func (r *loadReport) percentile(p float64) time.Duration { return percentile(r.all(), p) }

func (r *loadReport) String() string {
	var b strings.Builder
	good := r.all()
	fmt.Fprintf(&b, "%s, %s: %d well-behaved requests (%.0f/s), p50 %s, p99 %s, max %s", r.name, r.took.Round(time.Millisecond),
		len(good), float64(len(good))/r.took.Seconds(), ms(percentile(good, 0.5)), ms(percentile(good, 0.99)), ms(percentile(good, 1)))
	r.mu.Lock()
	for _, k := range []string{"cached", "uncached", "unsigned"} {
		fmt.Fprintf(&b, "; %s %d (p99 %s)", k, len(r.latency[k]), ms(percentile(r.latency[k], 0.99)))
	}
	r.mu.Unlock()
	fmt.Fprintf(&b, "; malicious %d (timeout %d, limit_exceeded %d: %s); unexpected %d",
		r.evil.Load(), r.codes["timeout"].Load(), r.codes["limit_exceeded"].Load(), r.evilSummary(), r.unexpected.Load())
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// serverStats is what the server's /metrics says of itself.
type serverStats struct{ goroutines, heap int64 }

// stats reads go_goroutines and go_memstats_heap_inuse_bytes; with gc, after
// a garbage collection (the pprof heap endpoint runs one when asked).
func (s server) stats(gc bool) (serverStats, error) {
	if gc {
		resp, err := http.Get(s.url + "/debug/pprof/heap?gc=1")
		if err != nil {
			return serverStats{}, err
		}
		resp.Body.Close()
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		return serverStats{}, err
	}
	defer resp.Body.Close()
	var st serverStats
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "go_goroutines":
			st.goroutines = int64(f)
		case "go_memstats_heap_inuse_bytes":
			st.heap = int64(f)
		}
	}
	return st, sc.Err()
}

// settled waits until the server's goroutines stop falling (or reach target,
// when given), for at most 30 s, and returns its stats after a GC.
func (s server) settled(t *testing.T, target int64) serverStats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last, err := s.stats(true)
	for err == nil && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		var now serverStats
		if now, err = s.stats(true); err != nil {
			break
		}
		if (target == 0 && now.goroutines >= last.goroutines) || (target > 0 && now.goroutines <= target) {
			return now
		}
		last = now
	}
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// writeLoadReport writes the figures as Markdown for BENCHMARKS.md.
func writeLoadReport(t *testing.T, out string, base, after, peak serverStats, streamed int64, phases ...*loadReport) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "| phase | well-behaved requests | p50 | p99 | max | cached / uncached / unsigned | malicious (timeout, limit_exceeded) | unexpected |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range phases {
		good := r.all()
		r.mu.Lock()
		mix := fmt.Sprintf("%d / %d / %d", len(r.latency["cached"]), len(r.latency["uncached"]), len(r.latency["unsigned"]))
		r.mu.Unlock()
		fmt.Fprintf(&b, "| %s, %s | %d (%.0f/s) | %s | %s | %s | %s | %d (%d, %d) | %d |\n", r.name, r.took.Round(100*time.Millisecond),
			len(good), float64(len(good))/r.took.Seconds(), ms(percentile(good, 0.5)), ms(percentile(good, 0.99)), ms(percentile(good, 1)),
			mix, r.evil.Load(), r.codes["timeout"].Load(), r.codes["limit_exceeded"].Load(), r.unexpected.Load())
	}
	fmt.Fprintf(&b, "\nMalicious requests, denied after: %s.\n", phases[len(phases)-1].evilSummary())
	fmt.Fprintf(&b, "\nServer goroutines: %d before, %d at the peak, %d after. Heap in use (after a GC): %.1f MiB before, %.1f MiB after; "+
		"peak sampled under load %.1f MiB, while the hostile registry wrote %.0f MiB of endless blobs into its sockets.\n",
		base.goroutines, peak.goroutines, after.goroutines, mib(base.heap), mib(after.heap), mib(peak.heap), mib(streamed))
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// saveProfile writes the server's CPU profile over d to out.
func (s server) saveProfile(t *testing.T, out string, d time.Duration) {
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.url, int(d.Seconds())))
	if err != nil {
		t.Errorf("profile: %v", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Errorf("profile: %v", err)
		return
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Errorf("profile: %v", err)
	}
}
