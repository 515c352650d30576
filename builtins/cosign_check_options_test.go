package builtins

import (
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

func TestCosignCheckOptions(t *testing.T) {
	Register()
	key := testutil.NewKey(t, testutil.ECDSAP256)
	for _, c := range []struct {
		name        string
		opts        any
		attestation bool
		want        string // "" when valid; else a substring of the only problem
	}{
		{"valid key", map[string]any{"key": key.PublicPEM}, false, ""},
		{"valid keyless", map[string]any{"certificate-identity": "a@b.c", "certificate-oidc-issuer": "https://i"}, false, ""},
		{"valid attestation", map[string]any{"key": key.PublicPEM, "type": "vuln"}, true, ""},
		{"not a key", map[string]any{"key": "DEV"}, false, `option "key": not a PEM public key`},
		{"unknown option", map[string]any{"key": key.PublicPEM, "keys": "x"}, false, `option "keys": unknown option`},
		{"type on a signature", map[string]any{"key": key.PublicPEM, "type": "vuln"}, false, `option "type": unknown option`},
		{"attestation without type", map[string]any{"key": key.PublicPEM}, true, `option "type": required`},
		{"no method", map[string]any{"insecure-ignore-tlog": true}, false, "no verification method"},
		{"bad regexp", map[string]any{"certificate-identity-regexp": "(", "certificate-oidc-issuer": "https://i"}, false, `option "certificate-identity-regexp": invalid regexp`},
		{"wrong type", map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": "true"}, false, `option "insecure-ignore-tlog": must be a boolean`},
		{"unknown trusted root", map[string]any{"certificate-identity": "a", "certificate-oidc-issuer": "b", "trusted-root": "corp"}, false, `option "trusted-root"`},
		{"not an object", "key", false, "options must be an object, got string"},
		{"array", []any{map[string]any{"key": key.PublicPEM}}, false, "options must be an object, got array"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := eval(t, `cosign.check_options(input.opts, input.att)`, map[string]any{"opts": c.opts, "att": c.attestation}, true)
			if err != nil {
				t.Fatal(err)
			}
			problems, _ := got.([]any)
			if c.want == "" {
				if got == nil || len(problems) != 0 {
					t.Fatalf("want no problems, got %v", got)
				}
				return
			}
			if len(problems) != 1 || !strings.Contains(problems[0].(string), c.want) {
				t.Fatalf("want one problem containing %q, got %v", c.want, got)
			}
		})
	}
}
