package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// cosign verify's flags become the built-in's options under the same names;
// file flags carry the file's content.
func TestVerifyFlagsAreTheBuiltinsOptions(t *testing.T) {
	t.Setenv("COSIGN_REPOSITORY", "reg.local/sigs")
	key := filepath.Join(t.TempDir(), "cosign.pub")
	if err := os.WriteFile(key, []byte("PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, f := newVerifyCommand(false)
	if err := c.ParseFlags([]string{"--key", key, "-a", "env=prod", "-a", "team=a", "--insecure-ignore-tlog", "--offline"}); err != nil {
		t.Fatal(err)
	}
	got, err := f.options()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"key": "PEM", "annotations": map[string]any{"env": "prod", "team": "a"}, "insecure-ignore-tlog": true,
		"signature-repository": "reg.local/sigs"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("options %v, want %v", got, want)
	}
	f.annotations = []string{"env"}
	if _, err := f.options(); err == nil || !strings.Contains(err.Error(), `--annotations "env": want key=value`) {
		t.Fatalf("a bad annotation: %v", err)
	}
	f.annotations, f.key = nil, filepath.Join(t.TempDir(), "missing.pub")
	if _, err := f.options(); err == nil || !strings.HasPrefix(err.Error(), "--key: ") {
		t.Fatalf("a missing key file: %v", err)
	}
}

// The exit codes are cosign's: for signatures by failure, for attestations 1.
func TestVerifyExitCodes(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{
		"": 0, "no_signatures": 10, "not_found": 11, "no_matching_signatures": 12, "annotation_mismatch": 12,
		"identity_mismatch": 12, "tlog_verification_failed": 12, "registry_error": 1, "timeout": 1, "unauthorized": 1,
	} {
		r := result{Verified: code == ""}
		if code != "" {
			r.Errors = append(r.Errors, struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}{Code: code})
		}
		if got := exitCodeOf(r, false); got != want {
			t.Errorf("%q: exit %d, want %d", code, got, want)
		}
		if got := exitCodeOf(r, true); got != min(want, 1) {
			t.Errorf("%q, attestations: exit %d, want %d", code, got, min(want, 1))
		}
	}
}
