//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStandaloneExample runs the ExecStart line of the shipped systemd unit
// with its installed paths mapped to the repository (the binary, the shipped
// config, the bundle from `make bundles`): the shipped config's allow and
// deny, the bundle's API authorization and its decision-log masking.
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
	token := strings.Repeat("t0k3n", 8)
	log := startLogged(t, args[0], []string{"OPA_COSIGN_API_TOKEN=" + token}, args[1:]...)
	base := "http://" + addr
	waitHTTP(t, base+"/health?bundles&plugins")
	waitHTTP(t, base+"/health/ready")

	// The shipped config shows an allow and a deny with no setup, and trusts no signer (docs/security.md #27).
	for _, c := range []struct {
		image   string
		allowed bool
		reason  string
	}{
		{"registry.k8s.io/pause:3.10", true, ""},
		{"nginx:1.27", false, "no rule of the verification config matches docker.io/library/nginx"},
		{"ghcr.io/attacker/evil:latest", false, "no rule of the verification config matches ghcr.io/attacker/evil"},
	} {
		var out struct {
			Result struct {
				Allowed bool `json:"allowed"`
				Images  []struct {
					Allowed bool     `json:"allowed"`
					Reasons []string `json:"reasons"`
				} `json:"images"`
			} `json:"result"`
		}
		code := call(t, "POST", base+"/v1/data/imagepolicy/decision", fmt.Sprintf(`{"input": {"images": [%q]}}`, c.image), "", &out)
		r := out.Result
		if code != http.StatusOK || r.Allowed != c.allowed || len(r.Images) != 1 || strings.Join(r.Images[0].Reasons, "") != c.reason {
			t.Fatalf("%s: status %d, %+v; want allowed=%v, reason %q", c.image, code, r, c.allowed, c.reason)
		}
	}

	// The bundle's system.authz: anonymous callers ask decisions, nothing else (issue 10, item 14).
	for _, c := range []struct{ method, path, body, token string }{
		{"PUT", "/v1/policies/evil", "package evil\n", ""},
		{"PUT", "/v1/data/kubernetes/namespaces/prod", `{"metadata": {"labels": {"opa-cosign.openpolicyagent.org/mode": "warn"}}}`, ""},
		{"GET", "/v1/data", "", ""},
		{"POST", "/v1/query", `{"query": "data"}`, ""},
		{"PUT", "/v1/policies/evil", "package evil\n", "not-the-token"},
	} {
		if code := call(t, c.method, base+c.path, c.body, c.token, nil); code != http.StatusUnauthorized {
			t.Errorf("%s %s with token %q: %d, want 401", c.method, c.path, c.token, code)
		}
	}
	if code := call(t, "PUT", base+"/v1/data/kubernetes/namespaces/prod", `{}`, token, nil); code != http.StatusNoContent {
		t.Errorf("PUT with the API token: %d, want 204", code)
	}

	// Decision logs carry no Pod spec beyond its images (docs/security.md #29).
	review := admissionReview("Pod", "CREATE", "prod", map[string]any{"spec": map[string]any{"containers": []any{
		map[string]any{"name": "app", "image": "nginx:1.27", "env": []any{map[string]any{"name": "DB_PASSWORD", "value": "s3cr3t-in-env"}}},
	}}})
	body, err := json.Marshal(map[string]any{"input": review})
	if err != nil {
		t.Fatal(err)
	}
	if code := call(t, "POST", base+"/v1/data/imagepolicy/kubernetes/validate", string(body), "", nil); code != http.StatusOK {
		t.Fatalf("validate: %d", code)
	}
	waitFor(t, "the decision log entry", func() bool {
		return strings.Contains(log.String(), `"decision_id"`) && strings.Contains(log.String(), "kubernetes/validate")
	})
	if logged := log.String(); strings.Contains(logged, "s3cr3t-in-env") || !strings.Contains(logged, `"image":"nginx:1.27"`) {
		t.Fatalf("decision log leaks the env value or lacks the image:\n%s", tail(logged, 3000))
	}
}

// call makes an HTTP request, with a bearer token when given, and decodes a JSON answer into out (when not nil).
func call(t *testing.T, method, url, body, token string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
