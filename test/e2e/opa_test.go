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

// verdict is the part of a cosign.verify result the tests compare.
type verdict struct {
	Verified   bool   `json:"verified"`
	Digest     string `json:"digest"`
	Reference  string `json:"reference"`
	Signatures []struct {
		Format string `json:"format"`
	} `json:"signatures"`
	Errors []struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (v verdict) code() string {
	if len(v.Errors) == 0 {
		return ""
	}
	return v.Errors[0].Code
}

// evalVerify runs `opa-cosign eval` with cosign.verify(input.image, input.opts).
func evalVerify(t *testing.T, insecure string, image string, opts map[string]any) verdict {
	t.Helper()
	in, err := json.Marshal(map[string]any{"image": image, "opts": opts})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	input := filepath.Join(dir, "input.json")
	if err := os.WriteFile(input, in, 0o600); err != nil {
		t.Fatal(err)
	}
	// Set even when empty, so that the caller's environment cannot leak in.
	env := []string{"OPA_COSIGN_INSECURE_REGISTRIES=" + insecure}
	out := mustRun(t, dir, env, bin(t, "build/opa-cosign"), "eval", "--strict-builtin-errors", "-f", "raw", "-i", input, "cosign.verify(input.image, input.opts)")
	var v verdict
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("eval output %q: %v", out, err)
	}
	return v
}

// server is a running `opa-cosign run --server` with a one-rule policy. With
// insecure empty, no registry is marked insecure.
type server struct{ url string }

func startServer(t *testing.T, insecure string) server {
	t.Helper()
	settings := testTimeout
	if insecure != "" {
		settings += fmt.Sprintf("    registry:\n      insecure: [%q]\n", insecure)
	}
	return startServerWith(t, settings)
}

// testTimeout is the plugin's deadline in the e2e tests, where the machine
// may be busy: well above the default, so that no verdict is a timeout by
// accident.
const testTimeout = "    timeout: 20s\n"

// startServerWith starts the server with settings, YAML lines of the plugin's
// settings (indented under plugins.cosign), and extra arguments of `run`.
func startServerWith(t *testing.T, settings string, args ...string) server {
	t.Helper()
	dir := t.TempDir()
	policy := "package e2e\n\nresult := cosign.verify(input.image, input.opts)\n\nattestation := cosign.verify_attestation(input.image, input.opts)\n\ndigest := image.digest(input.image)\n"
	config := "plugins:\n  cosign:\n" + settings
	for f, s := range map[string]string{"policy.rego": policy, "config.yaml": config} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args = append([]string{"run", "--server", "--addr", addr, "--config-file", filepath.Join(dir, "config.yaml")}, args...)
	start(t, bin(t, "build/opa-cosign"), nil, append(args, filepath.Join(dir, "policy.rego"))...)
	waitHTTP(t, "http://"+addr+"/health?plugins")
	return server{url: "http://" + addr}
}

func (s server) verify(t *testing.T, image string, opts map[string]any) verdict {
	t.Helper()
	var v verdict
	s.query(t, "result", image, opts, &v)
	return v
}

// attestationVerdict is cosign.verify_attestation's result.
type attestationVerdict struct {
	verdict
	Attestations []struct {
		PredicateType string         `json:"predicate_type"`
		Predicate     map[string]any `json:"predicate"`
	} `json:"attestations"`
}

func (s server) verifyAttestation(t *testing.T, image string, opts map[string]any) attestationVerdict {
	t.Helper()
	var v attestationVerdict
	s.query(t, "attestation", image, opts, &v)
	return v
}

func (s server) query(t *testing.T, rule, image string, opts map[string]any, into any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"input": map[string]any{"image": image, "opts": opts}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.url+"/v1/data/e2e/"+rule+"?strict-builtin-errors=true", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(out.Result) == 0 {
		t.Fatalf("server answered %d with no result", resp.StatusCode)
	}
	if err := json.Unmarshal(out.Result, into); err != nil {
		t.Fatal(err)
	}
}

func keyOpts(k keyPair, t *testing.T, extra map[string]any) map[string]any {
	o := map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}
	for key, v := range extra {
		o[key] = v
	}
	return o
}
