//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatekeeperTemplateRego: the ConstraintTemplate's Rego
// (deploy/gatekeeper/template.yaml) is deploy/gatekeeper/policy/verifiedimages.rego,
// which is opa fmt clean, passes a strict check against opa-cosign's
// capabilities plus Gatekeeper's external_data, and passes its opa test
// suite with external_data mocked (gator cannot call providers).
func TestGatekeeperTemplateRego(t *testing.T) {
	policy := filepath.Join(repoRoot, "deploy/gatekeeper/policy")
	rego := fileText(t, filepath.Join(policy, "verifiedimages.rego"))
	template := fileText(t, filepath.Join(repoRoot, "deploy/gatekeeper/template.yaml"))
	const marker, indent = "            rego: |\n", "              "
	i := strings.Index(template, marker)
	if i < 0 {
		t.Fatalf("template.yaml has no %q", marker)
	}
	var embedded strings.Builder
	for _, line := range strings.SplitAfter(template[i+len(marker):], "\n") {
		embedded.WriteString(strings.TrimPrefix(line, indent))
	}
	if embedded.String() != rego {
		t.Fatal("template.yaml's Rego differs from policy/verifiedimages.rego: copy the file into the template, indented by 14 spaces")
	}

	// Gatekeeper declares external_data as any -> any (frameworks' rego driver).
	var caps map[string]any
	if err := json.Unmarshal([]byte(fileText(t, filepath.Join(repoRoot, "build/capabilities.json"))), &caps); err != nil {
		t.Fatal(err)
	}
	caps["builtins"] = append(caps["builtins"].([]any), map[string]any{
		"name": "external_data",
		"decl": map[string]any{"type": "function", "args": []any{map[string]any{"type": "any"}}, "result": map[string]any{"type": "any"}},
	})
	b, err := json.Marshal(caps)
	if err != nil {
		t.Fatal(err)
	}
	capsFile := filepath.Join(t.TempDir(), "capabilities.json")
	if err := os.WriteFile(capsFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	opa := bin(t, "build/opa-cosign")
	if out := mustRun(t, repoRoot, nil, opa, "fmt", "-l", policy); out != "" {
		t.Fatalf("not opa fmt clean:\n%s", out)
	}
	mustRun(t, repoRoot, nil, opa, "check", "--strict", "--capabilities", capsFile, policy)
	out := mustRun(t, repoRoot, nil, opa, "test", "--count=1", "-v", "--capabilities", capsFile, policy)
	t.Log(out)
	if !strings.Contains(out, "PASS: ") || strings.Contains(out, "FAIL") || strings.Contains(out, "ERROR") {
		t.Fatalf("opa test:\n%s", out)
	}
}

func fileText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
