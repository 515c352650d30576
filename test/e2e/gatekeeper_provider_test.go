//go:build e2e && k8s && gatekeeper

package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gkProvider is opa-cosign running as deploy/gatekeeper/opa-cosign.yaml runs
// it, with the provider on loopback.
type gkProvider struct {
	cmd       *exec.Cmd
	url       string // https://127.0.0.1:port
	caPEM     []byte // the CA of its serving certificate
	providers string // providers.yaml rendered by gen-secrets.sh
}

// startGatekeeperProvider runs opa-cosign with the shipped Deployment's
// arguments and the shipped server config, their paths and ports moved to
// the test's: the standalone bundle built with verification config cfg, the
// serving certificate gen-secrets.sh made (read back from the Secret it
// applied to gatekeeper-system), Gatekeeper's CA as client CA, and the test
// registries marked insecure in place of the docker config.
func startGatekeeperProvider(t *testing.T, c cluster, cfg map[string]any, gatekeeperCA string, insecure ...string) gkProvider {
	t.Helper()
	dir, secrets := t.TempDir(), t.TempDir()
	mustRun(t, repoRoot, []string{"EXTRA_SANS=IP:127.0.0.1"}, filepath.Join(repoRoot, "deploy/gatekeeper/gen-secrets.sh"), secrets)
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(secrets, "secrets.yaml"))
	tlsSecret := secretData(t, c, "gatekeeper-system", "opa-cosign-provider-tls")
	tlsCert, tlsKey := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writeFile(t, tlsCert, tlsSecret["tls.crt"])
	writeFile(t, tlsKey, tlsSecret["tls.key"])
	port, api, diag := freePort(t), freePort(t), freePort(t)
	p := gkProvider{url: fmt.Sprintf("https://127.0.0.1:%d", port), caPEM: readFile(t, filepath.Join(secrets, "ca.crt")),
		providers: filepath.Join(secrets, "providers.yaml")}

	config := shippedObject(t, c, "deploy/gatekeeper/opa-cosign.yaml", "ConfigMap", "opa-cosign-provider")["data"].(map[string]any)["config.yaml"].(string)
	quoted, _ := json.Marshal(insecure)
	config = replaceAll(t, "shipped server config", config, map[string]string{
		`addr: ":9443"`:                         fmt.Sprintf("addr: \"127.0.0.1:%d\"", port),
		"/etc/opa-cosign/tls/tls.crt":           tlsCert,
		"/etc/opa-cosign/tls/tls.key":           tlsKey,
		"/etc/opa-cosign/gatekeeper/ca.crt":     gatekeeperCA,
		"docker_config: /etc/opa-cosign/docker": "insecure: " + string(quoted),
	})
	writeFile(t, filepath.Join(dir, "config.yaml"), config)

	deployment := shippedObject(t, c, "deploy/gatekeeper/opa-cosign.yaml", "Deployment", "opa-cosign-provider")
	container := deployment["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	var args []string
	for _, a := range container["args"].([]any) {
		args = append(args, a.(string))
	}
	joined := replaceAll(t, "shipped Deployment arguments", strings.Join(args, "\n"), map[string]string{
		"--addr=127.0.0.1:8181":                            fmt.Sprintf("--addr=127.0.0.1:%d", api),
		"--diagnostic-addr=0.0.0.0:8282":                   fmt.Sprintf("--diagnostic-addr=127.0.0.1:%d", diag),
		"--config-file=/etc/opa-cosign/server/config.yaml": "--config-file=" + filepath.Join(dir, "config.yaml"),
		"/etc/opa-cosign/bundle/opa-cosign.tar.gz":         standaloneBundle(t, cfg),
	})
	p.cmd = startProc(t, bin(t, "build/opa-cosign"), nil, strings.Split(joined, "\n")...)
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/health?plugins", diag))
	return p
}

// replaceAll replaces each key of r in s, failing when one is missing: the
// shipped file changed under the test.
func replaceAll(t *testing.T, what, s string, r map[string]string) string {
	t.Helper()
	for old, repl := range r {
		if !strings.Contains(s, old) {
			t.Fatalf("%s has no %q to replace:\n%s", what, old, s)
		}
		s = strings.ReplaceAll(s, old, repl)
	}
	return s
}

// standaloneBundle builds the standalone bundle with scripts/bundles.sh, with
// cfg as its data.imagepolicy.config, as docs/gatekeeper.md tells users to.
func standaloneBundle(t *testing.T, cfg map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(map[string]any{"imagepolicy": map[string]any{"config": cfg}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "data.json"), string(data))
	mustRun(t, repoRoot, []string{"BUNDLE_DATA=" + filepath.Join(dir, "data.json"), "BUNDLE_OUT=" + dir},
		filepath.Join(repoRoot, "scripts/bundles.sh"), "standalone")
	return filepath.Join(dir, "standalone.tar.gz")
}

// secretData reads a Secret's decoded data through the API server.
func secretData(t *testing.T, c cluster, namespace, name string) map[string]string {
	t.Helper()
	var o struct {
		Data map[string][]byte `json:"data"` // base64 in JSON
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "-n", namespace, "get", "secret", name, "-o", "json")), &o); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, v := range o.Data {
		out[k] = string(v)
	}
	return out
}
