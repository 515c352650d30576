package verify_test

import (
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestOptionsThatCanOnlyFail (issue 11 #3): option sets that could only ever
// fail — or only be ignored — are misuse naming the option, raised at the
// call (ParseOptions, or CheckOptions against the engine's trust roots),
// never a verification failure that the cache would keep. Each has a twin
// that is accepted.
func TestOptionsThatCanOnlyFail(t *testing.T) {
	t.Parallel()
	corp, other := testutil.NewCA(t), testutil.NewCA(t)
	const uri = "https://ci.corp.example/pipelines/app"
	leaf, _ := corp.Issue(t, testutil.Leaf{URI: uri})
	foreign, _ := other.Issue(t, testutil.Leaf{URI: uri})
	key := testutil.NewKey(t, testutil.ECDSAP256).PublicPEM
	reg, err := registry.New(registry.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// "bare" has no log, no CT log and no certificate authority.
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{"bare": &root.BaseTrustedMaterial{}})
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(reg, roots)
	pki := func(extra map[string]any) map[string]any {
		o := map[string]any{"insecure-ignore-tlog": true, "insecure-ignore-sct": true, "certificate-chain": corp.ChainPEM()}
		for k, val := range extra {
			o[k] = val
		}
		return o
	}
	keyless := map[string]any{"certificate-identity": uri, "certificate-oidc-issuer": "https://issuer.example", "trusted-root": "bare"}
	with := func(base map[string]any, k string, val any) map[string]any {
		o := map[string]any{}
		for bk, bv := range base {
			o[bk] = bv
		}
		o[k] = val
		return o
	}
	for _, c := range []struct {
		name        string
		raw         map[string]any
		attestation bool
		option      string // "" when accepted
	}{
		{"certificate without certificate-chain", map[string]any{"certificate": testutil.CertPEM(leaf), "insecure-ignore-tlog": true, "insecure-ignore-sct": true}, false, "certificate"},
		{"certificate with its chain", pki(map[string]any{"certificate": testutil.CertPEM(leaf)}), false, ""},
		{"certificate from another CA", pki(map[string]any{"certificate": testutil.CertPEM(foreign)}), false, "certificate"},
		{"certificate whose identity the options exclude", pki(map[string]any{"certificate": testutil.CertPEM(leaf), "certificate-identity": "https://other.example/x"}), false, "certificate"},
		{"certificate whose identity the options name", pki(map[string]any{"certificate": testutil.CertPEM(leaf), "certificate-identity": uri}), false, ""},
		{"annotations on an attestation", map[string]any{"key": key, "type": "vuln", "annotations": map[string]any{"env": "prod"}}, true, "annotations"},
		{"annotations on a signature", map[string]any{"key": key, "annotations": map[string]any{"env": "prod"}}, false, ""},
		{"log required, root without a log", map[string]any{"key": key, "trusted-root": "bare"}, false, "insecure-ignore-tlog"},
		{"log ignored, root without a log", map[string]any{"key": key, "trusted-root": "bare", "insecure-ignore-tlog": true}, false, ""},
		{"SCT required, root without a CT log", with(keyless, "insecure-ignore-tlog", true), false, "insecure-ignore-sct"},
		{"keyless, root without a certificate authority", with(with(keyless, "insecure-ignore-tlog", true), "insecure-ignore-sct", true), false, "trusted-root"},
		{"keyless with the public-good root", map[string]any{"certificate-identity": uri, "certificate-oidc-issuer": "https://issuer.example"}, false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, err := verify.ParseOptions(c.raw, c.attestation)
			if err == nil {
				err = v.CheckOptions(o)
			}
			switch {
			case c.option == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.option != "" && (err == nil || !strings.Contains(err.Error(), `option "`+c.option+`"`)):
				t.Fatalf("error %v, want one naming option %q", err, c.option)
			}
		})
	}
}
