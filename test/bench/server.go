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
// for bench/** on the registry and the proxy.
type server struct {
	url string
}

func (e *env) startServer() server {
	pub, err := os.ReadFile(e.pub)
	must(err)
	opts := map[string]any{"key": string(pub), "insecure-ignore-tlog": true}
	data := map[string]any{"imagepolicy": map[string]any{"config": map[string]any{
		"allow_with_verification": map[string]any{
			e.registry: map[string]any{"bench/**": opts},
			e.proxy:    map[string]any{"bench/**": opts},
		},
	}}}
	dir, err := os.MkdirTemp(e.work, "server")
	must(err)
	b, _ := json.Marshal(data)
	must(os.WriteFile(filepath.Join(dir, "data.json"), b, 0o600))
	must(os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(fmt.Sprintf(
		"plugins:\n  cosign:\n    timeout: 30s\n    max_concurrency: 32\n    registry:\n      insecure: [%q, %q]\ndecision_logs:\n  console: false\n", e.registry, e.proxy)), 0o600))
	addr := freeAddr()
	e.start(e.bin("build/opa-cosign"), "run", "--server", "--log-level", "error", "--addr", addr,
		"--config-file", filepath.Join(dir, "config.yaml"), e.bin("rego"), filepath.Join(dir, "data.json"))
	waitHTTP("http://" + addr + "/health?plugins")
	s := server{url: "http://" + addr}
	// The first query of a fresh server prepares the policy; keep that out of
	// the cold measurement with an image that needs no registry.
	resp, err := client.Post(s.url+"/v0/data/imagepolicy/kubernetes/validate", "application/json", bytes.NewReader(review([]string{"warmup.invalid/none:1"})))
	must(err)
	resp.Body.Close()
	return s
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

// admit posts a review and returns how long it took; it fails unless allowed.
func (s server) admit(body []byte) time.Duration {
	start := time.Now()
	resp, err := client.Post(s.url+"/v0/data/imagepolicy/kubernetes/validate", "application/json", bytes.NewReader(body))
	must(err)
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	must(err)
	if !bytes.Contains(out, []byte(`"allowed":true`)) {
		panic("not allowed: " + string(out))
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
