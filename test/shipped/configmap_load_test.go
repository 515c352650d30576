package shipped

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/opa-cosign/opa-cosign/builtins"
)

// TestPolicyConfigMapLoadsKeyByKey: kube-mgmt PUTs each key of the policy
// ConfigMap as its own module, and OPA refuses a module that does not compile
// with those already loaded (kube-mgmt then marks the ConfigMap failed). So
// every prefix of the keys, in the order scripts/gen-deploy.sh numbers them,
// must compile — a rule moved to a later file of its package breaks this
// while every test that loads the whole library still passes.
func TestPolicyConfigMapLoadsKeyByKey(t *testing.T) {
	builtins.Register()
	b, err := os.ReadFile(filepath.Join(root, "deploy/kubernetes/policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := util.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(cm.Data))
	for k := range cm.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) < 10 {
		t.Fatalf("policy ConfigMap has %d keys; want the whole library", len(keys))
	}
	loaded := map[string]*ast.Module{}
	for _, k := range keys {
		m, err := ast.ParseModule(k, cm.Data[k])
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		loaded[k] = m
		c := ast.NewCompiler()
		if c.Compile(loaded); c.Failed() {
			t.Fatalf("after loading %s (key %d of %d), the policy does not compile: %v", k, len(loaded), len(keys), c.Errors)
		}
	}
}
