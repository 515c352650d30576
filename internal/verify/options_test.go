package verify_test

import (
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

func TestParseOptionsMisuse(t *testing.T) {
	t.Parallel()
	key := testutil.NewKey(t, testutil.ECDSAP256).PublicPEM
	cases := []struct {
		name        string
		raw         map[string]any
		attestation bool
		option      string // the option the error must name
	}{
		{"unknown option", map[string]any{"key": key, "kee": "x"}, false, "kee"},
		{"type on a signature", map[string]any{"key": key, "type": "vuln"}, false, "type"},
		{"no method", map[string]any{"insecure-ignore-tlog": true}, false, "key"},
		{"key not PEM", map[string]any{"key": "not a key"}, false, "key"},
		{"key not a string", map[string]any{"key": 42}, false, "key"},
		{"key and identity", map[string]any{"key": key, "certificate-identity": "a", "certificate-oidc-issuer": "b"}, false, "key"},
		{"identity without issuer", map[string]any{"certificate-identity": "a"}, false, "certificate-oidc-issuer"},
		{"issuer without identity", map[string]any{"certificate-oidc-issuer": "b"}, false, "certificate-identity"},
		{"invalid identity regexp", map[string]any{"certificate-identity-regexp": "(", "certificate-oidc-issuer": "b"}, false, "certificate-identity-regexp"},
		{"invalid issuer regexp", map[string]any{"certificate-identity": "a", "certificate-oidc-issuer-regexp": "[z-a]"}, false, "certificate-oidc-issuer-regexp"},
		{"identity and its regexp", map[string]any{"certificate-identity": "a", "certificate-identity-regexp": "a", "certificate-oidc-issuer": "b"}, false, "certificate-identity-regexp"},
		{"annotations not strings", map[string]any{"key": key, "annotations": map[string]any{"n": 1}}, false, "annotations"},
		{"annotations not an object", map[string]any{"key": key, "annotations": "env=prod"}, false, "annotations"},
		{"ignore-tlog not boolean", map[string]any{"key": key, "insecure-ignore-tlog": "true"}, false, "insecure-ignore-tlog"},
		{"bad signature repository", map[string]any{"key": key, "signature-repository": "UPPER/case"}, false, "signature-repository"},
		{"certificate not PEM", map[string]any{"certificate": "x", "certificate-chain": "y"}, false, "certificate"},
		{"attestation without type", map[string]any{"key": key}, true, "type"},
		{"attestation with unknown shorthand", map[string]any{"key": key, "type": "slsa"}, true, "type"},
		{"empty trusted root", map[string]any{"key": key, "trusted-root": ""}, false, "trusted-root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := verify.ParseOptions(c.raw, c.attestation)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), `"`+c.option+`"`) {
				t.Fatalf("error %q does not name option %q", err, c.option)
			}
		})
	}
}

func TestOptionsFingerprint(t *testing.T) {
	t.Parallel()
	key := testutil.NewKey(t, testutil.ECDSAP256).PublicPEM
	a, err := verify.ParseOptions(map[string]any{"key": key, "annotations": map[string]any{"a": "1", "b": "2"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, err := verify.ParseOptions(map[string]any{"annotations": map[string]any{"b": "2", "a": "1"}, "key": key}, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := verify.ParseOptions(map[string]any{"key": key, "annotations": map[string]any{"a": "1"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() {
		t.Fatal("equal options have different fingerprints")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Fatal("different options share a fingerprint")
	}
}

func TestTypeShorthands(t *testing.T) {
	t.Parallel()
	key := testutil.NewKey(t, testutil.ECDSAP256).PublicPEM
	for short, uri := range map[string]string{
		"slsaprovenance": "https://slsa.dev/provenance/v0.2", "slsaprovenance1": "https://slsa.dev/provenance/v1",
		"vuln": "https://cosign.sigstore.dev/attestation/vuln/v1", "cyclonedx": "https://cyclonedx.org/bom",
		"spdxjson": "https://spdx.dev/Document", "openvex": "https://openvex.dev/ns", "custom": "https://cosign.sigstore.dev/attestation/v1",
		"https://example.com/my-predicate/v1": "https://example.com/my-predicate/v1",
	} {
		o, err := verify.ParseOptions(map[string]any{"key": key, "type": short}, true)
		if err != nil {
			t.Fatal(err)
		}
		if o.Type != uri {
			t.Errorf("type %q = %q, want %q", short, o.Type, uri)
		}
	}
}
