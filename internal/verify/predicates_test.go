package verify_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/in-toto/in-toto-golang/in_toto"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestPredicateTypesMatchCosign (issue 11 #5): the shorthand table is
// cosign's own. cosign's PredicateTypeMap lives in a package that pulls in
// the Kubernetes client, so it is read from its source in the module cache:
// every shorthand it lists, mapped to the constant it names, and nothing
// else.
func TestPredicateTypesMatchCosign(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/sigstore/cosign/v2").Output()
	if err != nil {
		t.Fatalf("locating the cosign module: %v", err)
	}
	file := filepath.Join(strings.TrimSpace(string(out)), "cmd", "cosign", "cli", "options", "predicate.go")
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The constants the table is made of, by the name cosign's source uses.
	known := map[string]string{
		"attestation.CosignCustomProvenanceV01": attestation.CosignCustomProvenanceV01,
		"attestation.CosignVulnProvenanceV01":   attestation.CosignVulnProvenanceV01,
		"attestation.OpenVexNamespace":          attestation.OpenVexNamespace,
		"slsa02.PredicateSLSAProvenance":        slsa02.PredicateSLSAProvenance,
		"slsa1.PredicateSLSAProvenance":         slsa1.PredicateSLSAProvenance,
		"in_toto.PredicateSPDX":                 in_toto.PredicateSPDX,
		"in_toto.PredicateCycloneDX":            in_toto.PredicateCycloneDX,
		"in_toto.PredicateLinkV1":               in_toto.PredicateLinkV1,
	}
	shorthands := map[string]string{} // const name → shorthand
	cosign := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, id := range vs.Names {
			if i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				shorthands[id.Name], _ = strconv.Unquote(lit.Value)
			}
			cl, ok := vs.Values[i].(*ast.CompositeLit)
			if !ok || id.Name != "PredicateTypeMap" {
				continue
			}
			for _, e := range cl.Elts {
				kv := e.(*ast.KeyValueExpr)
				sel := kv.Value.(*ast.SelectorExpr)
				ref := sel.X.(*ast.Ident).Name + "." + sel.Sel.Name
				uri, ok := known[ref]
				if !ok {
					t.Errorf("cosign's table names %s, which this test does not know: add it, and to predicateTypes", ref)
				}
				cosign[kv.Key.(*ast.Ident).Name] = uri
			}
		}
		return true
	})
	if len(cosign) == 0 {
		t.Fatalf("no PredicateTypeMap in %s", file)
	}
	want := map[string]string{}
	for constName, uri := range cosign {
		want[shorthands[constName]] = uri
	}
	got := verify.PredicateTypes()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("shorthand %q: %q, cosign %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("shorthand %q is not cosign's", k)
		}
	}
}
