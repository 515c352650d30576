//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandaloneExample runs the ExecStart line of the shipped systemd unit
// with its installed paths mapped to the repository (the binary, the shipped
// config, the bundle from `make bundles`) and asks it a decision.
func TestStandaloneExample(t *testing.T) {
	unit, err := os.Open(filepath.Join(repoRoot, "deploy/standalone/opa-cosign.service"))
	if err != nil {
		t.Fatal(err)
	}
	defer unit.Close()
	var execStart []string
	for s := bufio.NewScanner(unit); s.Scan(); {
		if line, ok := strings.CutPrefix(s.Text(), "ExecStart="); ok {
			execStart = strings.Fields(line)
		}
	}
	if len(execStart) == 0 {
		t.Fatal("the unit has no ExecStart")
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	installed := map[string]string{
		"/usr/local/bin/opa-cosign":         bin(t, "build/opa-cosign"),
		"/etc/opa-cosign/config.yaml":       filepath.Join(repoRoot, "deploy/standalone/config.yaml"),
		"/etc/opa-cosign/standalone.tar.gz": bin(t, "build/bundles/standalone.tar.gz"),
		"--addr=127.0.0.1:8181":             "--addr=" + addr,
	}
	args := make([]string, len(execStart))
	for i, a := range execStart {
		for from, to := range installed {
			a = strings.Replace(a, from, to, 1)
		}
		args[i] = a
	}
	if args[0] != bin(t, "build/opa-cosign") || !strings.Contains(strings.Join(args, " "), "--addr="+addr) {
		t.Fatalf("ExecStart changed shape; update this test: %v", execStart)
	}
	start(t, args[0], nil, args[1:]...)
	waitHTTP(t, "http://"+addr+"/health?bundles&plugins")

	body := `{"input": {"images": ["nginx:1.27"]}}`
	resp, err := http.Post("http://"+addr+"/v1/data/imagepolicy/decision", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result struct {
			Allowed bool `json:"allowed"`
			Images  []struct {
				Image   string   `json:"image"`
				Allowed bool     `json:"allowed"`
				Reasons []string `json:"reasons"`
			} `json:"images"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	r := out.Result
	if r.Allowed || len(r.Images) != 1 || r.Images[0].Allowed || !strings.Contains(strings.Join(r.Images[0].Reasons, " "), "no rule") {
		t.Fatalf("decision for an image no rule matches: %+v", r)
	}
}
