package verify_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// publicGoodObject is the embedded public-good root as the JSON object a
// policy's data would carry.
func publicGoodObject(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../trust/public-good/trusted_root.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// An inline trusted_root.json is parsed into the options, named by its hash,
// and changes the fingerprint, so a result verified under one root is never
// reused under another.
func TestInlineTrustedRoot(t *testing.T) {
	t.Parallel()
	key := testutil.NewKey(t, testutil.ECDSAP256).PublicPEM
	pg := publicGoodObject(t)
	o, err := verify.ParseOptions(map[string]any{"key": key, "trusted-root": pg}, false)
	if err != nil {
		t.Fatal(err)
	}
	if o.TrustedMaterial == nil || len(o.TrustedRoot) != len("inline sha256:")+12 {
		t.Fatalf("inline root not parsed: name %q, material %v", o.TrustedRoot, o.TrustedMaterial)
	}
	rotated := publicGoodObject(t)
	delete(rotated, "ctlogs") // another root: same shape, different content
	o2, err := verify.ParseOptions(map[string]any{"key": key, "trusted-root": rotated}, false)
	if err != nil {
		t.Fatal(err)
	}
	if o.Fingerprint() == o2.Fingerprint() || o.TrustedRoot == o2.TrustedRoot {
		t.Fatalf("two roots share fingerprint %s / name %s", o.Fingerprint(), o.TrustedRoot)
	}
}

// A malformed inline root is misuse naming trusted-root, never a verification
// result: it fails closed before any image is looked at.
func TestInlineTrustedRootMalformed(t *testing.T) {
	t.Parallel()
	key := testutil.NewKey(t, testutil.ECDSAP256).PublicPEM
	for name, v := range map[string]any{
		"not a root":   map[string]any{"mediaType": "nonsense"},
		"wrong type":   42,
		"empty string": "",
	} {
		_, err := verify.ParseOptions(map[string]any{"key": key, "trusted-root": v}, false)
		var oe *verify.OptionError
		if !errors.As(err, &oe) || oe.Option != "trusted-root" {
			t.Errorf("%s: want an OptionError on trusted-root, got %v", name, err)
		}
	}
}
