//go:build e2e

package e2e

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// ciDoc is docs/ci.md.
func ciDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docCommand is the line of a `sh` block of docs/ci.md that starts with
// prefix; the test fails when there is not exactly one.
func docCommand(t *testing.T, doc, prefix string) string {
	t.Helper()
	var found []string
	for _, b := range fenced(doc)["sh"] {
		for _, l := range strings.Split(b, "\n") {
			if strings.HasPrefix(l, prefix) {
				found = append(found, l)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("docs/ci.md has %d commands starting with %q", len(found), prefix)
	}
	return found[0]
}

// shell runs a documented command line with bash in dir.
func shell(t *testing.T, dir string, env []string, line string) (int, string) {
	t.Helper()
	out, err := run(t, dir, env, "bash", "-c", line)
	return exitStatus(t, err), out
}

// ciWorkspace is a CI job's directory: the library as opa-cosign/rego, a
// verification config that requires the key's signature on <host>/e2e/ci-*,
// and opa-config.yaml reaching the registry over plain HTTP.
func ciWorkspace(t *testing.T, host string, k keyPair) string {
	t.Helper()
	cfg := fmt.Sprintf(`{"imagepolicy": {"config": {"allow_with_verification": {%q: {"e2e/ci-*": {"key": %q, "insecure-ignore-tlog": true}}}}}}`, host, k.pem(t))
	dir := writeFiles(t, map[string]string{
		"imagepolicy.json": cfg,
		"opa-config.yaml":  fmt.Sprintf("plugins:\n  cosign:\n    timeout: 20s\n    registry:\n      insecure: [%q]\n", host),
		"cosign.pub":       k.pem(t),
	})
	if err := os.Symlink(repoRoot, filepath.Join(dir, "opa-cosign")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCIRecipes runs the gates of docs/ci.md as written (issue 16 item 7):
// `opa-cosign verify`, the decision gate and the audit gate each exit 0 for
// signed images and non-zero, saying why, for an unsigned one.
func TestCIRecipes(t *testing.T) {
	host := startRegistry(t)
	k := newKeyPair(t)
	signed := push(t, host, "e2e/ci-app", "v1")
	sign(t, v2, k, signed.String(), nil)
	unsigned := push(t, host, "e2e/ci-tool", "v1")
	dir := ciWorkspace(t, host, k)
	doc := ciDoc(t)
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + filepath.Join(repoRoot, "build") + ":" + os.Getenv("PATH"), "OPA_COSIGN_INSECURE_REGISTRIES="}

	t.Run("verify", func(t *testing.T) {
		line := docCommand(t, doc, "opa-cosign verify ")
		withImage := func(ref string) []string {
			return append(env[:len(env):len(env)], "IMAGE="+ref, "OPA_COSIGN_INSECURE_REGISTRIES="+host)
		}
		// As written, a signature made without a transparency-log entry is
		// refused, and the message says which flag accepts it.
		code, out := shell(t, dir, withImage(signed.String()), line)
		if code != 12 || !strings.Contains(out, "set insecure-ignore-tlog to accept signatures without one") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if code, out = shell(t, dir, withImage(signed.String()), line+" --insecure-ignore-tlog"); code != 0 || !strings.Contains(out, "Verified: "+signed.String()) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		if code, out = shell(t, dir, withImage(unsigned.String()), line+" --insecure-ignore-tlog"); code != 10 || !strings.Contains(out, "no_signatures") {
			t.Fatalf("unsigned: exit %d:\n%s", code, out)
		}
	})

	t.Run("decision", func(t *testing.T) {
		line := docCommand(t, doc, "opa-cosign eval --config-file opa-config.yaml -d opa-cosign/rego -d imagepolicy.json -i images.json ")
		write("images.json", fmt.Sprintf(`{"images": [%q]}`, signed.Context().Name()+":v1"))
		if code, out := shell(t, dir, env, line); code != 0 || strings.TrimSpace(out) != "undefined" {
			t.Fatalf("allowed: exit %d:\n%s", code, out)
		}
		write("images.json", fmt.Sprintf(`{"images": [%q, %q]}`, signed.String(), unsigned.String()))
		code, out := shell(t, dir, env, line)
		if code != 1 || !strings.Contains(out, unsigned.String()) || !strings.Contains(out, "no_signatures: no signatures found") || strings.Contains(out, signed.String()) {
			t.Fatalf("denied: exit %d:\n%s", code, out)
		}
		// Fail closed: without the library the decision is missing, and the gate stops.
		if code, out := shell(t, dir, env, strings.Replace(line, "-d opa-cosign/rego ", "", 1)); code != 1 {
			t.Fatalf("no library: exit %d:\n%s", code, out)
		}
	})

	t.Run("audit", func(t *testing.T) {
		line := docCommand(t, doc, "opa-cosign eval --config-file opa-config.yaml -d opa-cosign/rego -d imagepolicy.json -i pods.json ")
		pod := func(name, image string) string {
			return fmt.Sprintf(`{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": %q, "namespace": "prod"}, "spec": {"containers": [{"name": "c", "image": %q}]}}`, name, image)
		}
		write("pods.json", `{"apiVersion": "v1", "kind": "List", "items": [`+pod("ok", signed.String())+`]}`)
		if code, out := shell(t, dir, env, line); code != 0 || strings.TrimSpace(out) != "undefined" {
			t.Fatalf("all allowed: exit %d:\n%s", code, out)
		}
		write("pods.json", `{"apiVersion": "v1", "kind": "List", "items": [`+pod("ok", signed.String())+`, `+pod("bad", unsigned.String())+`]}`)
		if code, out := shell(t, dir, env, strings.Replace(line, "-d opa-cosign/rego ", "", 1)); code != 1 {
			t.Fatalf("no library: exit %d:\n%s", code, out)
		}
		code, out := shell(t, dir, env, line)
		if code != 1 || !strings.Contains(out, `"name":"bad"`) || strings.Contains(out, `"name":"ok"`) || !strings.Contains(out, "no_signatures: no signatures found") {
			t.Fatalf("a violation: exit %d:\n%s", code, out)
		}
	})

	t.Run("github actions", func(t *testing.T) { githubVerifyStep(t, host, doc) })
}

// githubVerifyStep runs the "Verify with opa-cosign" step of the workflow in
// docs/ci.md as written, against keyless signatures made by a virtual
// Sigstore for the workflow's identity, in both formats, and for the same
// workflow on another branch and another repository's.
func githubVerifyStep(t *testing.T, host, doc string) {
	script := workflowStep(t, doc, "Verify with opa-cosign")
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	root := testutil.WriteTrustedRoot(t, vs)
	const workflow = "acme/app/.github/workflows/release.yml@refs/heads/main"
	const issuer = "https://token.actions.githubusercontent.com"
	// Here only: the private Sigstore's root, whose certificates carry no SCT.
	shim := writeFiles(t, map[string]string{"opa-cosign": fmt.Sprintf("#!/bin/sh\nexec %q \"$@\" --trusted-root %q --insecure-ignore-sct\n",
		filepath.Join(repoRoot, "build", "opa-cosign"), root)})
	if err := os.Chmod(filepath.Join(shim, "opa-cosign"), 0o755); err != nil {
		t.Fatal(err)
	}
	script = strings.ReplaceAll(script, "${{ github.workflow_ref }}", workflow)
	if strings.Contains(script, "${{") {
		t.Fatalf("the step uses an expression the test does not fill in:\n%s", script)
	}
	legacy := func(repo, identity string) string {
		d := push(t, host, repo, "v1")
		cert, priv, err := vs.GenerateLeafCert(identity, issuer)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := signature.LoadSigner(priv, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: signer, Cert: cert, Rekor: vs})
		return d.String()
	}
	bundle := func(repo, identity string) string {
		d := push(t, host, repo, "v1")
		testutil.AttachBundle(t, d, testutil.Bundle{Virtual: vs, Identity: identity, Issuer: issuer})
		return d.String()
	}
	for _, c := range []struct {
		name, ref string
		code      int
		says      string
	}{
		{"cosign v2 (legacy), this workflow", legacy("acme/app", "https://github.com/"+workflow), 0, "Verified: "},
		{"cosign v3 (bundle), this workflow", bundle("acme/app-v3", "https://github.com/"+workflow), 0, "Verified: "},
		{"this workflow on another branch", legacy("acme/app-branch", "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/evil"), 12, "identity_mismatch"},
		{"another repository's workflow", bundle("acme/app-fork", "https://github.com/evil/app/.github/workflows/release.yml@refs/heads/main"), 12, "identity_mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			image, digest, _ := strings.Cut(c.ref, "@")
			env := []string{"PATH=" + shim + ":" + os.Getenv("PATH"), "IMAGE=" + image, "DIGEST=" + digest, "OPA_COSIGN_INSECURE_REGISTRIES=" + host}
			code, out := shell(t, t.TempDir(), env, script)
			if code != c.code || !strings.Contains(out, c.says) {
				t.Fatalf("exit %d, want %d saying %q:\n%s", code, c.code, c.says, out)
			}
			if c.code == 0 && !strings.Contains(out, "transparency log index") {
				t.Fatalf("verified without checking the transparency log:\n%s", out)
			}
		})
	}
}

// workflowStep returns the `run: |` script of the named step of the
// workflow in docs/ci.md.
func workflowStep(t *testing.T, doc, name string) string {
	t.Helper()
	for _, b := range fenced(doc)["yaml"] {
		lines := strings.Split(b, "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) != "- name: "+name {
				continue
			}
			for j := i + 1; j < len(lines); j++ {
				if strings.TrimSpace(lines[j]) != "run: |" {
					continue
				}
				indent := len(lines[j]) - len(strings.TrimLeft(lines[j], " ")) + 2
				var script []string
				for _, s := range lines[j+1:] {
					if len(s)-len(strings.TrimLeft(s, " ")) < indent {
						break
					}
					script = append(script, s[indent:])
				}
				return strings.Join(script, "\n")
			}
		}
	}
	t.Fatalf("docs/ci.md has no workflow step %q with a run script", name)
	return ""
}

// TestOfflineTestingRecipe runs the user test file of docs/ci.md with the
// documented commands (issue 16 item 8): with the library, its three tests
// pass using the library's mock and a world of its own; loaded alone, it
// fails to compile with the documented message.
func TestOfflineTestingRecipe(t *testing.T) {
	doc := ciDoc(t)
	var test string
	for _, b := range fenced(doc)["rego"] {
		if strings.HasPrefix(b, "package policy_test") {
			test = b + "\n"
		}
	}
	if test == "" {
		t.Fatal("docs/ci.md shows no policy_test file")
	}
	dir := writeFiles(t, map[string]string{"policy/images_test.rego": test})
	if err := os.Symlink(repoRoot, filepath.Join(dir, "opa-cosign")); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + filepath.Join(repoRoot, "build") + ":" + os.Getenv("PATH")}
	texts := fenced(doc)["text"]
	for i, c := range []struct {
		prefix string
		code   int
	}{{"opa-cosign test opa-cosign/rego policy/", 0}, {"opa-cosign test policy/", 1}} {
		code, out := shell(t, dir, env, docCommand(t, doc, c.prefix))
		if code != c.code || i >= len(texts) || !strings.Contains(out, texts[i]) {
			t.Fatalf("%s: exit %d, want %d and the documented output:\n%s", c.prefix, code, c.code, out)
		}
	}
	if code, out := shell(t, dir, env, "opa-cosign fmt --fail policy/"); code != 0 {
		t.Fatalf("the documented test file is not opa fmt clean:\n%s", out)
	}
}
