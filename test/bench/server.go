package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// server is an opa-cosign server with the policy library, trusting the key
// for bench/** on the registry and the proxy, and a trivial policy beside it
// (data.bench.trivial.allowed := true) to compare the library's cost with.
type server struct {
	url string
}

// serverOpts vary the server of a measurement.
type serverOpts struct {
	maxConcurrency int    // plugins.cosign.max_concurrency (and per registry); default 32
	patterns       int    // patterns of the registry's allow_with_verification section; default 1
	plainStore     bool   // without --optimize-store-for-read-speed
	cosignYAML     string // more of plugins.cosign, indented four spaces (e.g. gatekeeper_provider)
}

// trivialPolicy is the baseline of the warm measurements: OPA's cost for the
// same request, input and server, with no policy work.
const trivialPolicy = "package bench.trivial\n\nallowed := true\n"

func (e *env) startServer() server { return e.startServerWith(serverOpts{}) }

func (e *env) startServerWith(o serverOpts) server {
	if o.maxConcurrency == 0 {
		o.maxConcurrency = 32
	}
	pub, err := os.ReadFile(e.pub)
	must(err)
	opts := map[string]any{"key": string(pub), "insecure-ignore-tlog": true}
	own := map[string]any{"bench/**": opts}
	for i := 1; i < o.patterns; i++ {
		// Patterns that never match the bench images, each with its own key
		// text (another option set), as teams' entries of a large config.
		own[fmt.Sprintf("team%04d/**", i)] = map[string]any{"key": string(pub), "insecure-ignore-tlog": true, "annotations": map[string]any{"team": strconv.Itoa(i)}}
	}
	data := map[string]any{"imagepolicy": map[string]any{"config": map[string]any{
		"allow_with_verification": map[string]any{e.registry: own, e.proxy: own},
	}}}
	dir, err := os.MkdirTemp(e.work, "server")
	must(err)
	b, _ := json.Marshal(data)
	must(os.WriteFile(filepath.Join(dir, "data.json"), b, 0o600))
	must(os.WriteFile(filepath.Join(dir, "trivial.rego"), []byte(trivialPolicy), 0o600))
	must(os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(fmt.Sprintf(
		"plugins:\n  cosign:\n    timeout: 30s\n    max_concurrency: %d\n    max_concurrency_per_registry: %d\n    registry:\n      insecure: [%q, %q]\n%sdecision_logs:\n  console: false\n",
		o.maxConcurrency, o.maxConcurrency, e.registry, e.proxy, o.cosignYAML)), 0o600))
	addr := freeAddr()
	args := []string{"run", "--server", "--log-level", "error", "--addr", addr, "--config-file", filepath.Join(dir, "config.yaml")}
	if !o.plainStore {
		args = append(args, "--optimize-store-for-read-speed")
	}
	e.start(e.bin("build/opa-cosign"), append(args, e.bin("rego"), filepath.Join(dir, "data.json"), filepath.Join(dir, "trivial.rego"))...)
	waitHTTP("http://" + addr + "/health?plugins")
	s := server{url: "http://" + addr}
	// The first query of a fresh server prepares the policy; keep that out of
	// the cold measurement with an image that needs no registry.
	resp, err := client.Post(s.url+validatePath, "application/json", bytes.NewReader(review([]string{"warmup.invalid/none:1"})))
	must(err)
	resp.Body.Close()
	return s
}

// stopLast stops the server started last.
func (e *env) stopLast() {
	p := e.procs[len(e.procs)-1]
	_ = p.Process.Kill()
	_ = p.Wait()
	e.procs = e.procs[:len(e.procs)-1]
}

func review(images []string) []byte {
	containers := make([]any, len(images))
	for i, img := range images {
		containers[i] = map[string]any{"name": fmt.Sprintf("c%d", i), "image": img}
	}
	b, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": map[string]any{
		"uid": "bench", "kind": map[string]any{"kind": "Pod"}, "operation": "CREATE", "namespace": "bench",
		"object": map[string]any{"spec": map[string]any{"containers": containers}},
	}})
	return b
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// The entrypoints measured, each with its request and what an allowed answer contains.
const (
	validatePath = "/v0/data/imagepolicy/kubernetes/validate"
	mutatePath   = "/v0/data/imagepolicy/kubernetes/mutate"
	decisionPath = "/v0/data/imagepolicy/decision"
	trivialPath  = "/v0/data/bench/trivial/allowed"
)

func allowedReview(b []byte) bool { return bytes.Contains(b, []byte(`"allowed":true`)) }

func allowedTrue(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("true")) }

// admit posts a review and returns how long it took; it fails unless allowed.
func (s server) admit(body []byte) time.Duration { return s.post(validatePath, body, allowedReview) }

// post sends body to path and returns how long the answer took; it fails
// unless ok accepts the answer.
func (s server) post(path string, body []byte, ok func([]byte) bool) time.Duration {
	start := time.Now()
	resp, err := client.Post(s.url+path, "application/json", bytes.NewReader(body))
	must(err)
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	must(err)
	if !ok(out) {
		panic("not allowed by " + path + ": " + string(out))
	}
	return took
}

var upstreamRe = regexp.MustCompile(`(?m)^cosign_verifications_total\{[^}]*\} (\d+)`)

// upstream is the number of upstream verifications the server has done.
func (s server) upstream() int {
	resp, err := client.Get(s.url + "/metrics")
	must(err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n := 0
	for _, m := range upstreamRe.FindAllStringSubmatch(string(b), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}
