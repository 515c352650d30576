package plugins

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/test/e2e"

	"github.com/opa-cosign/opa-cosign/builtins"
)

// memoServer starts an OPA server in this process with the cosign plugin
// (which enables the memo) and the policy library, its store returning AST
// values (--optimize-store-for-read-speed, whose writes change the store's
// objects in place) or not, and returns its URL.
func memoServer(t *testing.T, astStore bool) string {
	t.Helper()
	builtins.Register()
	Register()
	var paths []string
	err := filepath.WalkDir("../rego/imagepolicy", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(conf, []byte("plugins:\n  cosign: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	params := e2e.NewAPIServerTestParams()
	params.Addrs = &[]string{"127.0.0.1:0"}
	params.Paths = paths
	params.ConfigFile = conf
	params.ReadAstValuesFromStore = astStore
	params.Logger = logging.NewNoOpLogger()
	params.GracefulShutdownPeriod = 1
	rt, err := e2e.NewTestRuntime(params)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = rt.Runtime.Serve(rt.Ctx)
	}()
	t.Cleanup(func() {
		rt.Cancel()
		<-done
	})
	if err := rt.WaitForServer(); err != nil {
		t.Fatal(err)
	}
	return rt.URL()
}

// send makes one Data API request and fails the test unless it succeeds.
func send(t *testing.T, method, url, body string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPatch {
		req.Header.Set("Content-Type", "application/json-patch+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s (%v)", method, url, resp.StatusCode, out, err)
	}
	return out
}

type memoDecision struct {
	Allowed bool     `json:"allowed"`
	Reasons []string `json:"reasons"`
	Images  []struct {
		Matched struct {
			Rule string `json:"rule"`
		} `json:"matched"`
	} `json:"images"`
}

// decide asks the server's decision entrypoint about image in namespace.
func decide(t *testing.T, url, image, namespace string) memoDecision {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"input": map[string]any{"images": []string{image}, "namespace": namespace}})
	out := send(t, http.MethodPost, url+"/v1/data/imagepolicy/decision", string(in))
	var r struct {
		Result *memoDecision `json:"result"`
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&r); err != nil || r.Result == nil {
		t.Fatalf("decision: %s (%v)", out, err)
	}
	return *r.Result
}

// A namespace selected by its labels: the first namespace_selectors entry
// whose labels it carries gives its config. "open" allows every docker.io
// image without verification, "closed" allows none.
const (
	memoImage     = "docker.io/library/nginx:1"
	memoDenied    = "docker.io/library/nginx:1: no rule of the verification config matches docker.io/library/nginx"
	openOverlay   = `{"allow_without_verification": {"docker.io": ["**"]}}`
	closedOverlay = `{"allow_without_verification": {}}`
)

func memoConfig(selectors string) string {
	return `{"allow_with_verification": {}, "allow_without_verification": {}, "mode": "enforce", "namespace_selectors": ` + selectors + `}`
}

func selector(label, overlay string) string {
	return `{"match_labels": {` + label + `}, "config": ` + overlay + `}`
}

// Namespace "team" carries both labels, so the order of the selectors decides.
var (
	openFirst   = "[" + selector(`"tier": "a"`, openOverlay) + ", " + selector(`"env": "b"`, closedOverlay) + "]"
	closedFirst = "[" + selector(`"env": "b"`, closedOverlay) + ", " + selector(`"tier": "a"`, openOverlay) + "]"
)

// TestMemoFollowsDataAPIWrites: a running server decides, then the inputs of
// the values it keeps across decisions (imagepolicy.cached) change through the
// Data API — the config, in whole or in part, and the replicated namespace
// labels that namespace_selectors read — and the next decision must follow.
// The writes are chosen to leave OPA's hash of the changed value as it was
// (OPA sums element hashes, so a reordered array or values swapped between
// keys hash alike): with the AST store, which changes its objects in place, a
// memo that only compared keys would find the old entry under the new key and
// keep allowing. Each step asserts the decision and its reason, both ways.
func TestMemoFollowsDataAPIWrites(t *testing.T) {
	for _, ast := range []bool{true, false} {
		t.Run(map[bool]string{true: "optimize-store-for-read-speed", false: "plain-store"}[ast], func(t *testing.T) {
			url := memoServer(t, ast)
			data := url + "/v1/data"
			send(t, http.MethodPut, data+"/kubernetes/namespaces/team", `{"metadata": {"name": "team", "labels": {"tier": "a", "env": "b"}}}`)
			send(t, http.MethodPut, data+"/imagepolicy/config", memoConfig(openFirst))
			allowed := func(step string) {
				t.Helper()
				for range 2 { // the second decision is the one served from the memo
					if d := decide(t, url, memoImage, "team"); !d.Allowed || len(d.Reasons) != 0 || d.Images[0].Matched.Rule != "allow_without_verification" {
						t.Fatalf("%s: want allowed without verification, got %+v", step, d)
					}
				}
			}
			denied := func(step string) {
				t.Helper()
				for range 2 {
					if d := decide(t, url, memoImage, "team"); d.Allowed || len(d.Reasons) != 1 || d.Reasons[0] != memoDenied {
						t.Fatalf("%s: want denied (%q), got %+v", step, memoDenied, d)
					}
				}
			}
			allowed("start")

			// Part of the config: the same selectors, in the other order.
			send(t, http.MethodPut, data+"/imagepolicy/config/namespace_selectors", closedFirst)
			denied("selectors reordered by PUT of config/namespace_selectors")
			send(t, http.MethodPatch, data+"/imagepolicy/config", `[{"op": "replace", "path": "/namespace_selectors", "value": `+openFirst+`}]`)
			allowed("selectors reordered back by PATCH of config")

			// The whole config.
			send(t, http.MethodPut, data+"/imagepolicy/config", memoConfig(closedFirst))
			denied("whole config replaced")
			send(t, http.MethodPut, data+"/imagepolicy/config", memoConfig(openFirst))
			allowed("whole config replaced back")

			// The namespace's labels (kube-mgmt replicates them; an admin or a
			// script may write them too): values swapped between the two keys,
			// so that neither selector matches; the whole namespace; one label.
			send(t, http.MethodPatch, data+"/kubernetes/namespaces/team/metadata/labels",
				`[{"op": "replace", "path": "/tier", "value": "b"}, {"op": "replace", "path": "/env", "value": "a"}]`)
			denied("labels swapped in place (PATCH)") // no selector matches: the global config allows nothing
			send(t, http.MethodPut, data+"/kubernetes/namespaces/team", `{"metadata": {"name": "team", "labels": {"tier": "a", "env": "b"}}}`)
			allowed("namespace replaced (kube-mgmt's PUT)")
			send(t, http.MethodPut, data+"/kubernetes/namespaces/team/metadata/labels/tier", `"b"`)
			denied("one label changed (PUT of the label)")

			// A write that moves the whole tree (as a bundle's activation does).
			send(t, http.MethodPut, data, `{"imagepolicy": {"config": `+memoConfig(openFirst)+`}, "kubernetes": {"namespaces": {"team": {"metadata": {"name": "team", "labels": {"tier": "a", "env": "b"}}}}}}`)
			allowed("root replaced")
		})
	}
}
