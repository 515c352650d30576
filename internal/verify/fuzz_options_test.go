package verify_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// FuzzParseOptions: any JSON object as options, for signatures or
// attestations. Misuse is always an OptionError naming an option; accepted
// options have a verification method, a fingerprint that does not depend on
// key order, and CheckOptions never panics on them.
func FuzzParseOptions(f *testing.F) {
	key := testutil.NewKey(f, testutil.ECDSAP256).PublicPEM
	cert, _ := testutil.NewCA(f).Issue(f, testutil.Leaf{URI: "https://ci.example/app"})
	for _, seed := range []map[string]any{
		{"key": key}, {"key": key, "insecure-ignore-tlog": true, "annotations": map[string]any{"env": "prod"}},
		{"key": key, "type": "slsaprovenance1"}, {"key": key, "type": "https://example.com/p"},
		{"certificate-identity": "a@b.c", "certificate-oidc-issuer": "https://issuer"},
		{"certificate-identity-regexp": "^https://github\\.com/acme/", "certificate-oidc-issuer-regexp": ".*", "certificate-github-workflow-ref": "refs/heads/main"},
		{"certificate": testutil.CertPEM(cert), "certificate-chain": testutil.CertPEM(cert)}, {"certificate-chain": testutil.CertPEM(cert)},
		{"key": key, "signature-repository": "ghcr.io/acme/sigs", "trusted-root": "public-good"},
		{"key": 1}, {"kee": key}, {}, {"key": key, "certificate-identity": "x"}, {"certificate-identity-regexp": "(", "certificate-oidc-issuer": "x"},
	} {
		b, err := json.Marshal(seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	reg, err := registry.New(registry.Config{})
	if err != nil {
		f.Fatal(err)
	}
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{})
	if err != nil {
		f.Fatal(err)
	}
	v := verify.New(reg, roots)
	f.Fuzz(func(t *testing.T, raw []byte, attestation bool) {
		m, ok := decodeObject(raw)
		if !ok {
			return
		}
		o, err := verify.ParseOptions(m, attestation)
		if err != nil {
			var oe *verify.OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("misuse that is no OptionError: %v", err)
			}
			// It names an option given (even ""), or the one missing.
			if _, given := m[oe.Option]; !given && !missable[oe.Option] {
				t.Fatalf("misuse naming %q, neither given nor missing: %v", oe.Option, err)
			}
			return
		}
		if o.Key == nil && o.Certificate == nil && o.Identity.Subject+o.Identity.SubjectRegexp == "" {
			t.Fatalf("accepted without a verification method: %s", raw)
		}
		if attestation && o.Type == "" {
			t.Fatalf("attestation options without a type: %s", raw)
		}
		// The same object, re-encoded (keys sorted), is the same work.
		again, _ := decodeObject(mustJSON(t, m))
		if o2, err := verify.ParseOptions(again, attestation); err != nil || o2.Fingerprint() != o.Fingerprint() {
			t.Fatalf("re-encoded options: %v, fingerprint %s vs %s", err, o2.Fingerprint(), o.Fingerprint())
		}
		_ = v.CheckOptions(o)
	})
}

// missable are the options an error may name for being absent.
var missable = map[string]bool{"key": true, "type": true, "certificate-identity": true, "certificate-oidc-issuer": true}

// decodeObject decodes a JSON object as the built-ins see options (numbers
// as json.Number).
func decodeObject(raw []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
