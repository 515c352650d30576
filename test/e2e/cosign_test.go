//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// keyPair is a cosign key pair made by the real CLI (empty password).
type keyPair struct{ dir, private, public string }

func newKeyPair(t *testing.T) keyPair {
	t.Helper()
	dir := t.TempDir()
	mustRun(t, dir, []string{"COSIGN_PASSWORD="}, bin(t, "build/tools/bin/cosign-v2"), "generate-key-pair")
	return keyPair{dir: dir, private: filepath.Join(dir, "cosign.key"), public: filepath.Join(dir, "cosign.pub")}
}

func (k keyPair) pem(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(k.public)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cosign versions and how each signs offline.
const (
	v2 = "cosign-v2" // legacy .sig format
	v3 = "cosign-v3" // Sigstore bundle as an OCI referrer
)

// sign signs ref with the real CLI, without a transparency-log upload.
func sign(t *testing.T, version string, k keyPair, ref string, env []string, extra ...string) {
	t.Helper()
	args := []string{"sign", "--key", k.private, "--tlog-upload=false", "--allow-insecure-registry", "-y"}
	if version == v3 {
		args = append(args, "--use-signing-config=false")
	}
	args = append(append(args, extra...), ref)
	mustRun(t, t.TempDir(), append([]string{"COSIGN_PASSWORD="}, env...), bin(t, "build/tools/bin/"+version), args...)
}

// cosignVerify is the reference verdict: the real CLI's exit code (0 when it
// verified) and output. It also returns the arguments it passed after the
// program name, so that opa-cosign verify can be run with the same ones.
func cosignVerify(t *testing.T, version string, k keyPair, ref string, ignoreTlog bool, env []string, extra ...string) (int, string, []string) {
	t.Helper()
	args := []string{"verify", "--key", k.public, "--allow-insecure-registry"}
	if ignoreTlog {
		args = append(args, "--insecure-ignore-tlog")
	} else {
		args = append(args, "--offline")
	}
	args = append(append(args, extra...), ref)
	out, err := run(t, t.TempDir(), env, bin(t, "build/tools/bin/"+version), args...)
	return exitStatus(t, err), out, args
}

// exitStatus is a command's exit code from run's error.
func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		t.Fatalf("command did not run: %v", err)
		return -1
	}
}

// attest attaches an in-toto attestation of the given type with the real CLI.
func attest(t *testing.T, version string, k keyPair, ref, typ, predicate string) {
	t.Helper()
	dir := t.TempDir()
	pred := filepath.Join(dir, "predicate.json")
	if err := os.WriteFile(pred, []byte(predicate), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"attest", "--key", k.private, "--type", typ, "--predicate", pred, "--tlog-upload=false", "--allow-insecure-registry", "-y"}
	if version == v3 {
		args = append(args, "--use-signing-config=false")
	}
	mustRun(t, dir, []string{"COSIGN_PASSWORD="}, bin(t, "build/tools/bin/"+version), append(args, ref)...)
}
