//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// cli runs opa-cosign in dir with env (OPA_COSIGN_INSECURE_REGISTRIES empty
// unless env sets it) and returns its exit code and combined output.
func cli(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	out, err := run(t, dir, append([]string{"OPA_COSIGN_INSECURE_REGISTRIES="}, env...), bin(t, "build/opa-cosign"), args...)
	return exitStatus(t, err), out
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, s := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestEvalShowsMisuse (issue 16 item 1): an unknown option, a file name for
// the key, a bad regexp or a malformed OPA_COSIGN_INSECURE_REGISTRIES printed
// `undefined` and exited 0; now each is on stderr, naming the option, and the
// exit code is 2. The twin: a verification that fails (nothing listens) is a
// result, exit 0, nothing on stderr.
func TestEvalShowsMisuse(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, query string
		env         []string
		says        string
	}{
		{"unknown option", `cosign.verify("127.0.0.1:1/app:v1", {"kee": "x"})`, nil, `cosign.verify: operand 2 option "kee": unknown option (known: annotations,`},
		{"key file name", `cosign.verify("127.0.0.1:1/app:v1", {"key": "cosign.pub"})`, nil, `option "key": not a PEM public key: "cosign.pub" is not PEM text; the option takes the key itself, not a file name`},
		{"bad regexp", `cosign.verify("127.0.0.1:1/app:v1", {"certificate-identity-regexp": "(", "certificate-oidc-issuer": "https://x"})`, nil,
			`option "certificate-identity-regexp": invalid regexp`},
		{"batch request", `cosign.verify_batch([{"image": "127.0.0.1:1/app:v1"}])`, nil, `cosign.verify_batch: operand 1 request 0: image and opts are required`},
		{"malformed insecure registries", `image.digest("127.0.0.1:1/app:v1")`, []string{"OPA_COSIGN_INSECURE_REGISTRIES=http://127.0.0.1:1"},
			`image.digest: OPA_COSIGN_INSECURE_REGISTRIES: "http://127.0.0.1:1" has a scheme: write the registry as it appears in image references, 127.0.0.1:1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out := cli(t, dir, c.env, "eval", "--format", "pretty", c.query)
			if code != 2 || !strings.HasPrefix(out, "undefined\nerror: 1 cosign built-in error(s): each made its call undefined, so the result above is not a verification result:\n") ||
				!strings.Contains(out, c.says) {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			// With --strict-builtin-errors OPA reports it itself, once.
			code, out = cli(t, dir, c.env, "eval", "--strict-builtin-errors", "--format", "pretty", c.query)
			if code != 2 || strings.Count(out, c.says) != 1 {
				t.Fatalf("strict: exit %d:\n%s", code, out)
			}
		})
	}
	k := newKeyPair(t)
	code, out := cli(t, dir, nil, "eval", "--format", "raw", fmt.Sprintf(`cosign.verify("127.0.0.1:1/app:v1", {"key": %q, "insecure-ignore-tlog": true}).errors[0].code`, k.pem(t)))
	if code != 0 || out != "registry_error\n" {
		t.Fatalf("a failed verification: exit %d:\n%s", code, out)
	}
}

// TestTestShowsMisuse (issue 16 item 1): in `opa-cosign test`, a misused
// built-in is printed with the file and line of the call, and the run exits
// 2 even though the test that called it asserted a denial and passed. The
// twin, the same suite with the option right and the built-in mocked, exits 0
// and prints nothing of the kind.
func TestTestShowsMisuse(t *testing.T) {
	const policy = "package app\n\nimport rego.v1\n\nkey := data.key\n\nallow if cosign.verify(\"ghcr.io/acme/app:v1\", {\"key\": key}).verified\n"
	const tests = "package app_test\n\nimport rego.v1\n\nimport data.app\n\ntest_denied if not app.allow with data.key as \"cosign.pub\"\n\n" +
		"test_allowed if app.allow with cosign.verify as {\"verified\": true} with data.key as data.pem\n"
	dir := writeFiles(t, map[string]string{"app.rego": policy, "app_test.rego": tests, "data.json": fmt.Sprintf(`{"pem": %q}`, newKeyPair(t).pem(t))})
	code, out := cli(t, dir, nil, "test", ".")
	if code != 2 || !strings.Contains(out, "PASS: 2/2") ||
		!strings.Contains(out, "error: 1 cosign built-in error(s): each made its call undefined, so tests may have passed or failed for that reason:\n"+
			"  app.rego:7: cosign.verify: operand 2 option \"key\": not a PEM public key: \"cosign.pub\" is not PEM text") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out = cli(t, dir, nil, "test", ".", "--run", "test_allowed")
	if code != 0 || strings.Contains(out, "error:") {
		t.Fatalf("the twin: exit %d:\n%s", code, out)
	}
}

// TestConfigFileOutsideRun (issue 16 item 4): the plugins.cosign section of
// run's config file configures the built-ins in eval (--config-file, or
// OPA_EVAL_CONFIG_FILE), test (--config-file) and exec (--config-file, which
// failed with `plugin "cosign" not registered`): here a private trust root
// and a registry reached over plain HTTP. Without it, the same calls fail.
func TestConfigFileOutsideRun(t *testing.T) {
	host := startRegistry(t)
	k := newKeyPair(t)
	d := push(t, host, "e2e/config-file", "v1")
	sign(t, v2, k, d.String(), nil)
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf("plugins:\n  cosign:\n    timeout: 20s\n    registry:\n      insecure: [%q]\n    trust_roots:\n      corp: {trusted_root_file: %q}\n",
		host, testutil.WriteTrustedRoot(t, vs))
	keyless := `{"certificate-identity": "a@example.com", "certificate-oidc-issuer": "https://issuer.example", "trusted-root": "corp", "insecure-ignore-sct": true}`
	dir := writeFiles(t, map[string]string{
		"config.yaml": config,
		"policy/p.rego": "package p\n\nimport rego.v1\n\nresult := cosign.verify(input.image, {\"key\": data.pem, \"insecure-ignore-tlog\": true})\n\n" +
			"problems := cosign.check_options(" + keyless + ", false)\n",
		"policy/p_test.rego": "package p_test\n\nimport rego.v1\n\ntest_corp_root if data.p.problems == []\n",
		"policy/data.json":   fmt.Sprintf(`{"pem": %q}`, k.pem(t)),
		"input.json":         fmt.Sprintf(`{"image": %q}`, d.String()),
	})

	code, out := cli(t, dir, nil, "eval", "--config-file", "config.yaml", "-d", "policy", "-i", "input.json", "-f", "raw", "[data.p.result.verified, data.p.problems]")
	if code != 0 || out != "[true,[]]\n" {
		t.Fatalf("eval --config-file: exit %d:\n%s", code, out)
	}
	code, out = cli(t, dir, []string{"OPA_EVAL_CONFIG_FILE=config.yaml"}, "eval", "-d", "policy", "-i", "input.json", "-f", "raw", "[data.p.result.verified, data.p.problems]")
	if code != 0 || out != "[true,[]]\n" {
		t.Fatalf("OPA_EVAL_CONFIG_FILE: exit %d:\n%s", code, out)
	}
	code, out = cli(t, dir, nil, "eval", "-d", "policy", "-i", "input.json", "-f", "raw", "[data.p.result.errors[0].code, data.p.problems]")
	if code != 0 || !strings.Contains(out, `["registry_error",["option \"trusted-root\": unknown trusted root \"corp\"`) {
		t.Fatalf("eval without the config: exit %d:\n%s", code, out)
	}
	if code, out = cli(t, dir, nil, "test", "--config-file", "config.yaml", "policy"); code != 0 || !strings.Contains(out, "PASS: 1/1") {
		t.Fatalf("test --config-file: exit %d:\n%s", code, out)
	}
	if code, out = cli(t, dir, nil, "test", "policy"); code != 2 || !strings.Contains(out, "FAIL: 1/1") {
		t.Fatalf("test without the config: exit %d:\n%s", code, out)
	}
	code, out = cli(t, dir, nil, "exec", "--config-file", "config.yaml", "--bundle", "policy", "--decision", "p/result", "input.json")
	if code != 0 || !strings.Contains(out, `"verified": true`) {
		t.Fatalf("exec --config-file: exit %d:\n%s", code, out)
	}
	bad := writeFiles(t, map[string]string{"bad.yaml": "plugins:\n  cosign:\n    timeout: 8\n"})
	code, out = cli(t, bad, nil, "eval", "--config-file", "bad.yaml", "1")
	if code != 2 || !strings.Contains(out, `error: --config-file bad.yaml: invalid value for plugins.cosign.timeout field, should be a duration string such as "8s", got 8 (a number)`) {
		t.Fatalf("a bad config file: exit %d:\n%s", code, out)
	}
}

// TestServerMakesNoCallHome (issue 16 item 10): `opa-cosign run --server`
// does not ask for OPA's latest release; with --skip-version-check=false it
// does, at start. The version check's URL is pointed at a local server.
func TestServerMakesNoCallHome(t *testing.T) {
	var calls atomic.Int64
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNotFound)
	}))
	defer home.Close()
	env := []string{"OPA_VERSION_CHECK_SERVICE_URL=" + home.URL}
	serve := func(extra ...string) {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		cmd := startProc(t, bin(t, "build/opa-cosign"), env, append([]string{"run", "--server", "--addr", addr}, extra...)...)
		waitHTTP(t, "http://"+addr+"/health")
		time.Sleep(2 * time.Second) // the check runs as the server starts
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	serve()
	if n := calls.Load(); n != 0 {
		t.Fatalf("the server called the version check %d times by default", n)
	}
	serve("--skip-version-check=false")
	if calls.Load() == 0 {
		t.Fatal("with --skip-version-check=false the version check was never called: the test does not see it")
	}
}

// TestHelpAndVersionNameTheDistribution (issue 16 item 10).
func TestHelpAndVersionNameTheDistribution(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--help"}, {"version"}} {
		code, out := cli(t, dir, nil, args...)
		for _, want := range []string{
			"Distribution: opa-cosign",
			"Built-ins: image.parse, image.digest, cosign.verify, cosign.verify_attestation, cosign.verify_batch, cosign.check_options",
			"Plugins: cosign, envoy_ext_authz_grpc",
			"Trusted Root: Sigstore public-good, embedded from github.com/sigstore/sigstore v",
			"newest key valid from 20",
			"replace it with plugins.cosign.trust_roots.public-good.trusted_root_file",
			"Version Check: off",
		} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("opa-cosign %s: exit %d, no %q:\n%s", args[0], code, want, out)
			}
		}
	}
	if _, out := cli(t, dir, nil, "run", "--help"); !strings.Contains(out, "--skip-version-check[=true|false]") || !strings.Contains(out, "(default true)") {
		t.Errorf("run --help does not show the version check off by default:\n%s", out)
	}
}
