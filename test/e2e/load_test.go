//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// Load test shape: bounded in time and count, loopback only.
const (
	loadGoodWorkers = 8                // well-behaved clients, back to back
	loadEvilWorkers = 6                // two per fault, back to back
	loadControl     = 6 * time.Second  // well-behaved only
	loadMixed       = 12 * time.Second // well-behaved beside malicious
	loadFresh       = 300              // per phase: signed images verified once each (cache misses)
	loadUnsigned    = 150              // per phase: unsigned images, each asked once
	loadHot         = 8                // signed images asked again and again (cache hits)
	serverTimeout   = 8 * time.Second  // the plugin's default deadline
)

// loadWorld is what the load runs against: a healthy registry with signed and
// unsigned images, and a hostile one.
type loadWorld struct {
	healthy  string
	evil     *testutil.Hostile
	key      testutil.Key
	hot      []string
	fresh    chan string // by tag: tag resolution + verification
	unsigned chan string
}

// fill pushes the fresh images of one phase: each phase has its own, so that
// the second is not left with cache hits only.
func (w *loadWorld) fill(t *testing.T, phase string) {
	t.Helper()
	w.fresh, w.unsigned = make(chan string, loadFresh), make(chan string, loadUnsigned)
	for i := range loadFresh {
		d := testutil.PushImage(t, w.healthy, fmt.Sprintf("load/%s-signed-%d", phase, i), "v1")
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer})
		w.fresh <- d.Context().Name() + ":v1"
	}
	for i := range loadUnsigned {
		w.unsigned <- testutil.PushImage(t, w.healthy, fmt.Sprintf("load/%s-unsigned-%d", phase, i), "v1").String()
	}
}

// next picks a well-behaved request: mostly cache hits, then fresh images
// while they last. It returns the request's kind, the reference, and whether
// it must verify (else it must be denied with no_signatures).
func (w *loadWorld) next(r *rand.Rand) (string, string, bool) {
	switch p := r.IntN(10); {
	case p < 2:
		select {
		case ref := <-w.fresh:
			return "uncached", ref, true
		default:
		}
	case p < 3:
		select {
		case ref := <-w.unsigned:
			return "unsigned", ref, false
		default:
		}
	}
	return "cached", w.hot[r.IntN(len(w.hot))], true
}

// TestLoad runs the server under a bounded mixed load: cached, uncached and
// unsigned images of a healthy registry, and images of a hostile one that
// hangs, lists 10,000 signatures or streams an endless blob. Every answer must
// be the expected verdict (verified, or the denial with its code); the
// well-behaved requests' p99 while malicious ones are in flight must stay far
// below the deadline; goroutines and heap must come back to their baseline.
// With LOAD_OUT set, the figures are written there (BENCHMARKS.md).
func TestLoad(t *testing.T) {
	healthySrv := testutil.RegistryServer(t)
	evil := testutil.NewHostile(t)
	w := &loadWorld{healthy: strings.TrimPrefix(healthySrv.URL, "http://"), evil: evil, key: testutil.NewKey(t, testutil.ECDSAP256)}
	for i := range loadHot {
		d := testutil.PushImage(t, w.healthy, fmt.Sprintf("load/hot-%d", i), "v1")
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer})
		w.hot = append(w.hot, d.String())
	}
	// The plugin's defaults (8 s deadline, 16 verifications at once), as shipped.
	srv := startServerWith(t, fmt.Sprintf("    registry:\n      insecure: [%q, %q]\n", w.healthy, evil.Host()), "--pprof")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadGoodWorkers + loadEvilWorkers}}
	opts := map[string]any{"key": w.key.PublicPEM, "insecure-ignore-tlog": true}
	for _, ref := range w.hot { // warm the cache and every code path once
		if res := loadVerify(client, srv, ref, opts); !res.ok(true, "") {
			t.Fatalf("warm-up %s: %s", ref, res.err)
		}
	}
	quiesce := func() {
		client.CloseIdleConnections()
		healthySrv.CloseClientConnections()
		evil.CloseConnections()
	}
	quiesce()
	base := srv.settled(t, 0)
	t.Logf("baseline: %d goroutines, heap in use %.1f MiB", base.goroutines, mib(base.heap))

	w.fill(t, "control")
	control := runLoad(t, client, srv, w, opts, loadControl, false, nil)
	var peak serverStats
	sample := func() {
		if s, err := srv.stats(false); err == nil {
			peak.goroutines, peak.heap = max(peak.goroutines, s.goroutines), max(peak.heap, s.heap)
		}
	}
	w.fill(t, "mixed")
	if out := os.Getenv("LOAD_PROFILE"); out != "" { // the server's CPU profile of the mixed phase
		go srv.saveProfile(t, out, loadMixed-2*time.Second)
	}
	mixed := runLoad(t, client, srv, w, opts, loadMixed, true, sample)
	quiesce()
	after := srv.settled(t, base.goroutines)
	t.Logf("after: %d goroutines, heap in use %.1f MiB; peak under load: %d goroutines, %.1f MiB; %.0f MiB of huge blobs streamed",
		after.goroutines, mib(after.heap), peak.goroutines, mib(peak.heap), mib(evil.Streamed()))

	for _, r := range []*loadReport{control, mixed} {
		t.Log(r)
		if r.unexpected.Load() != 0 {
			t.Errorf("%s: %d unexpected answers, first: %s", r.name, r.unexpected.Load(), *r.firstUnexpected.Load())
		}
	}
	if p99 := mixed.percentile(0.99); p99 > serverTimeout/4 {
		t.Errorf("well-behaved p99 with malicious requests in flight = %s, want under %s", p99, serverTimeout/4)
	}
	if mixed.evil.Load() == 0 || mixed.codes["timeout"].Load() == 0 || mixed.codes["limit_exceeded"].Load() == 0 {
		t.Errorf("the malicious requests did not all run: %s", mixed)
	}
	// A hanging registry is denied at the deadline, the others well before.
	for fault, bound := range map[string]time.Duration{testutil.FaultHang: serverTimeout + 2*time.Second,
		testutil.FaultEndless: serverTimeout / 2, testutil.FaultHuge: serverTimeout / 2} {
		if worst := percentile(mixed.evilLatency[fault], 1); worst > bound {
			t.Errorf("%s: denied after %s, want within %s", fault, worst, bound)
		}
	}
	// The huge fault's layer claims 64 MiB, past max_blob_bytes: it is refused
	// from its descriptor, never requested (docs/security.md #2).
	if n := evil.Streamed(); n != 0 {
		t.Errorf("the hostile registry streamed %d bytes of a blob whose descriptor is over the limit", n)
	}
	if after.goroutines > base.goroutines+loadSlackGoroutines {
		t.Errorf("goroutines: %d after the run, %d before", after.goroutines, base.goroutines)
	}
	// The caches keep what they verified (bounded by cache.max_entries): heap
	// may grow by that, not by what the hostile registry sent.
	if after.heap > base.heap+64<<20 {
		t.Errorf("heap in use: %.1f MiB after the run, %.1f MiB before", mib(after.heap), mib(base.heap))
	}
	if peak.heap > 256<<20 {
		t.Errorf("peak heap in use under the hostile registry: %.1f MiB, want under 256 MiB", mib(peak.heap))
	}
	if out := os.Getenv("LOAD_OUT"); out != "" {
		writeLoadReport(t, out, base, after, peak, evil.Streamed(), control, mixed)
	}
}

// loadSlackGoroutines allows for goroutines that come and go on their own
// (timers, the decision logger) between two reads.
const loadSlackGoroutines = 5

// runLoad drives the server for d with the well-behaved workers and, when
// malicious, the hostile ones; sample is called every 250 ms. It returns once
// every request it started has been answered.
func runLoad(t *testing.T, client *http.Client, srv server, w *loadWorld, opts map[string]any, d time.Duration, malicious bool, sample func()) *loadReport {
	t.Helper()
	name := "well-behaved only"
	if malicious {
		name = "well-behaved beside malicious"
	}
	r := newLoadReport(name)
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range loadGoodWorkers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for time.Now().Before(stop) {
				kind, ref, verified := w.next(rng)
				start := time.Now()
				res := loadVerify(client, srv, ref, opts)
				r.good(kind, time.Since(start), res, verified)
			}
		})
	}
	if malicious {
		faults := []string{testutil.FaultHang, testutil.FaultEndless, testutil.FaultHuge}
		codes := map[string]string{testutil.FaultHang: "timeout", testutil.FaultEndless: "limit_exceeded", testutil.FaultHuge: "limit_exceeded"}
		for i := range loadEvilWorkers {
			fault := faults[i%len(faults)]
			wg.Go(func() {
				for time.Now().Before(stop) {
					start := time.Now()
					res := loadVerify(client, srv, w.evil.Image(fault), opts)
					r.bad(fault, time.Since(start), res, codes[fault])
				}
			})
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			r.took = time.Since(stop.Add(-d))
			return r
		case <-tick.C:
			if sample != nil {
				sample()
			}
		}
	}
}

// loadResult is one answer of the server.
type loadResult struct {
	verified bool
	code     string
	err      string // transport or HTTP failure
}

func (r loadResult) ok(verified bool, code string) bool {
	return r.err == "" && r.verified == verified && r.code == code
}

func loadVerify(client *http.Client, srv server, image string, opts map[string]any) loadResult {
	body, _ := json.Marshal(map[string]any{"input": map[string]any{"image": image, "opts": opts}})
	resp, err := client.Post(srv.url+"/v1/data/e2e/result", "application/json", bytes.NewReader(body))
	if err != nil {
		return loadResult{err: err.Error()}
	}
	defer resp.Body.Close()
	var out struct{ Result *verdict }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || out.Result == nil {
		return loadResult{err: fmt.Sprintf("HTTP %d, %v", resp.StatusCode, err)}
	}
	return loadResult{verified: out.Result.Verified, code: out.Result.code()}
}

// percentile is the p-quantile of a sample of latencies.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(p*float64(len(s))))]
}
