//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDecisionLogsRecordBuiltinResults holds docs/builtins.md to its claim
// (issue 16 item 12): with `nd_builtin_cache: true` a decision log event
// carries the cosign.verify call and its result; without it (the default),
// it does not.
func TestDecisionLogsRecordBuiltinResults(t *testing.T) {
	host := startRegistry(t)
	k := newKeyPair(t)
	d := push(t, host, "e2e/ndcache", "v1")
	sign(t, v2, k, d.String(), nil)
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("nd_builtin_cache %v", on), func(t *testing.T) {
			dir := writeFiles(t, map[string]string{
				"policy.rego": "package e2e\n\nresult := cosign.verify(input.image, input.opts)\n",
				"config.yaml": fmt.Sprintf("plugins:\n  cosign:\n    timeout: 20s\n    registry:\n      insecure: [%q]\n"+
					"decision_logs:\n  console: true\nnd_builtin_cache: %v\n", host, on),
			})
			addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			out := startLogged(t, bin(t, "build/opa-cosign"), []string{"OPA_COSIGN_INSECURE_REGISTRIES="}, "run", "--server", "--addr", addr,
				"--config-file", filepath.Join(dir, "config.yaml"), filepath.Join(dir, "policy.rego"))
			waitHTTP(t, "http://"+addr+"/health?plugins")
			body, _ := json.Marshal(map[string]any{"input": map[string]any{"image": d.String(), "opts": keyOpts(k, t, nil)}})
			resp, err := http.Post("http://"+addr+"/v1/data/e2e/result", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			event := decisionEvent(t, out)
			cache, has := event["nd_builtin_cache"].(map[string]any)
			if !on {
				if has {
					t.Fatalf("nd_builtin_cache recorded while off: %v", cache)
				}
				return
			}
			calls, _ := json.Marshal(cache["cosign.verify"])
			if !strings.Contains(string(calls), `"verified":true`) || !strings.Contains(string(calls), d.DigestStr()) {
				t.Fatalf("nd_builtin_cache does not record the verification: %s", calls)
			}
		})
	}
}

// decisionEvent waits for the first decision log event in a server's output.
func decisionEvent(t *testing.T, out *syncBuffer) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range strings.Split(out.String(), "\n") {
			var e map[string]any
			if json.Unmarshal([]byte(l), &e) == nil && e["msg"] == "Decision Log" {
				return e
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no decision log event:\n%s", tail(out.String(), 3000))
	return nil
}
