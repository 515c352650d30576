// Package shipped checks the verification configs the project ships — both
// bundles' data.json and deploy/kubernetes's ConfigMap — the way a user gets
// them: valid, and admitting nobody's signature but the user's own
// (docs/security.md #27).
package shipped

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/opa-cosign/opa-cosign/builtins"
)

const root = "../.."

// Every signature verifies, as an attacker's own keyless signature from their own GitHub workflow would.
const attackerSigns = `package attacker

import rego.v1

verify_batch(reqs) := [{
	"verified": true, "image": r.image, "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111",
	"reference": "", "errors": [], "attestations": [],
	"signatures": [{"format": "bundle", "subject": "https://github.com/attacker/evil/.github/workflows/release.yml@refs/heads/main",
		"issuer": "https://token.actions.githubusercontent.com", "signer": "cert:https://token.actions.githubusercontent.com|attacker",
		"digest": "sha256:22", "extensions": {}, "annotations": {}, "tlog": null}],
} | some r in reqs]

decision := d if {
	d := data.imagepolicy.decision with cosign.verify_batch as verify_batch
}

errors := data.imagepolicy.config_errors
`

func shippedConfigs(t *testing.T) map[string]any {
	t.Helper()
	configs := map[string]any{}
	for _, b := range []string{"standalone", "kubernetes-admission"} {
		var data struct {
			Imagepolicy struct {
				Config any `json:"config"`
			} `json:"imagepolicy"`
		}
		readJSON(t, filepath.Join(root, "bundles", b, "data.json"), &data)
		configs["bundles/"+b] = data.Imagepolicy.Config
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy/kubernetes/config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := util.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	var cfg any
	if err := json.Unmarshal([]byte(cm.Data["config.json"]), &cfg); err != nil {
		t.Fatal(err)
	}
	configs["deploy/kubernetes"] = cfg
	return configs
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func eval(t *testing.T, config any, query string, input any) any {
	t.Helper()
	builtins.Register()
	store := inmem.NewFromObject(map[string]any{"imagepolicy": map[string]any{"config": config}})
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Module("attacker.rego", attackerSigns),
		rego.Store(store),
		rego.Input(input),
		rego.StrictBuiltinErrors(true),
	}
	err := filepath.WalkDir(filepath.Join(root, "rego"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") || strings.HasSuffix(path, "_test.rego") {
			return err
		}
		b, err := os.ReadFile(path)
		opts = append(opts, rego.Module(path, string(b)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rego.New(opts...)
	rs, err := r.Eval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%s: undefined", query)
	}
	return rs[0].Expressions[0].Value
}

func TestShippedConfigsAreValid(t *testing.T) {
	for name, cfg := range shippedConfigs(t) {
		t.Run(name, func(t *testing.T) {
			if errs := eval(t, cfg, "data.attacker.errors", nil); len(errs.([]any)) != 0 {
				t.Fatalf("config errors: %v", errs)
			}
		})
	}
}

// docs/security.md #27: an attacker who signs their own image keyless from their own workflow is not admitted by any
// shipped config; registry.k8s.io/pause, allowed without verification, shows what an allow looks like.
func TestShippedConfigsAdmitNoAttacker(t *testing.T) {
	for name, cfg := range shippedConfigs(t) {
		t.Run(name, func(t *testing.T) {
			images := []string{"ghcr.io/attacker/evil:latest", "docker.io/attacker/evil:latest", "registry.k8s.io/pause:3.10"}
			d := eval(t, cfg, "data.attacker.decision", map[string]any{"images": images}).(map[string]any)
			got := d["images"].([]any)
			for i, want := range []bool{false, false, true} {
				r := got[i].(map[string]any)
				if r["allowed"] != want {
					t.Errorf("%s: allowed %v, want %v (%v)", images[i], r["allowed"], want, r["reasons"])
				}
				if !want {
					reasons, _ := json.Marshal(r["reasons"])
					if !strings.Contains(string(reasons), "no rule of the verification config matches") {
						t.Errorf("%s: denied for another reason than no rule: %s", images[i], reasons)
					}
				}
			}
		})
	}
}
