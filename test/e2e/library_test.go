//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// libraryServer runs opa-cosign serving the policy library (rego/) with cfg
// as data.imagepolicy.config, the insecure hosts marked as plain HTTP, and
// console decision logs. Its output is the decision log.
func libraryServer(t *testing.T, cfg map[string]any, insecure ...string) (server, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"imagepolicy": map[string]any{"config": cfg}})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := json.Marshal(insecure)
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf("plugins:\n  cosign:\n    timeout: 20s\n    registry:\n      insecure: %s\ndecision_logs:\n  console: true\n", hosts)
	for f, s := range map[string]string{"data.json": string(b), "config.yaml": config} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	out := startLogged(t, bin(t, "build/opa-cosign"), nil, "run", "--server", "--addr", addr, "--config-file", filepath.Join(dir, "config.yaml"),
		filepath.Join(repoRoot, "rego"), filepath.Join(dir, "data.json"))
	waitHTTP(t, "http://"+addr+"/health?plugins")
	return server{url: "http://" + addr}, out
}

// imageDecision is one image of imagepolicy.decision.
type imageDecision struct {
	Image    string   `json:"image"`
	Allowed  bool     `json:"allowed"`
	Verified bool     `json:"verified"`
	Digest   string   `json:"digest"`
	Signers  []string `json:"signers"`
	Reasons  []string `json:"reasons"`
}

type decision struct {
	Allowed bool            `json:"allowed"`
	Mode    string          `json:"mode"`
	Images  []imageDecision `json:"images"`
}

// decide asks imagepolicy.decision through the data API.
func (s server) decide(t *testing.T, images []string, namespace string) decision {
	t.Helper()
	body, err := json.Marshal(map[string]any{"input": map[string]any{"images": images, "namespace": namespace}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.url+"/v1/data/imagepolicy/decision", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result *decision `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out.Result == nil || len(out.Result.Images) != len(images) {
		t.Fatalf("server answered %d, result %+v", resp.StatusCode, out.Result)
	}
	return *out.Result
}
