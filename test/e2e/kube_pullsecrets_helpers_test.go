//go:build e2e && k8s

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pullSecretsWebhook is opa-cosign serving the kubernetes-admission bundle
// as the cluster's webhook, reading registry credentials from the cluster
// (plugins.cosign.kubernetes), with its output kept for the test to read.
type pullSecretsWebhook struct {
	cmd *exec.Cmd
	url string
	out *syncBuffer // stdout and stderr: server log and console decision log
}

// kubeAccess is how opa-cosign reaches the API server: its URL, a file with
// the API server's CA, and a file with a ServiceAccount token.
type kubeAccess struct {
	apiServer, caFile, tokenFile string
}

// serviceAccountAccess creates ServiceAccount name in namespace and returns
// the API server's address and CA (read back from the kubeconfig) and a token
// of that ServiceAccount (`kubectl create token`), as files in a new
// directory. The token carries no permission of its own: RBAC grants them.
func (c cluster) serviceAccountAccess(t *testing.T, namespace, name string) kubeAccess {
	t.Helper()
	dir := t.TempDir()
	c.mustKubectl(t, "", "-n", namespace, "create", "serviceaccount", name)
	token := strings.TrimSpace(c.mustKubectl(t, "", "-n", namespace, "create", "token", name, "--duration=1h"))
	a := kubeAccess{
		apiServer: c.mustKubectl(t, "", "config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.server}"),
		caFile:    filepath.Join(dir, "ca.crt"),
		tokenFile: filepath.Join(dir, "token"),
	}
	ca, err := base64.StdEncoding.DecodeString(c.mustKubectl(t, "", "config", "view", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, a.caFile, string(ca))
	writeFile(t, a.tokenFile, token)
	return a
}

// applyNarrowRBAC applies deploy/kubernetes/pull-secrets/narrow.yaml once per
// namespace, as its comment says to, its subject being opa-cosign/opa.
func (c cluster) applyNarrowRBAC(t *testing.T, namespaces ...string) {
	t.Helper()
	for _, ns := range namespaces {
		objects := shippedList(t, c, "deploy/kubernetes/pull-secrets/narrow.yaml")
		for _, o := range objects {
			o["metadata"].(map[string]any)["namespace"] = ns
		}
		b, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": objects})
		if err != nil {
			t.Fatal(err)
		}
		c.mustKubectl(t, string(b), "apply", "-f", "-")
	}
}

// applyShipped applies a manifest file of the repository as it is.
func (c cluster) applyShipped(t *testing.T, rel string) {
	t.Helper()
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(repoRoot, rel))
}

// startPullSecretsWebhook runs opa-cosign with the kubernetes-admission
// bundle (verification config cfg) and the shipped server config, in which
// the registry section trusts caFile and names an empty docker config (so
// that the server's own credentials can read nothing), and a kubernetes
// section reads the pull secrets of namespaces through access, cached for
// cacheTTL. Then it registers the shipped webhooks, pointed at it.
func startPullSecretsWebhook(t *testing.T, c cluster, cfg map[string]any, caFile string, access kubeAccess, namespaces []string, cacheTTL string) pullSecretsWebhook {
	t.Helper()
	dir := t.TempDir()
	bundle := admissionBundle(t, cfg)

	serverConfig := shippedObject(t, c, "deploy/kubernetes/opa-cosign.yaml", "ConfigMap", "opa-cosign-server")["data"].(map[string]any)["config.yaml"].(string)
	if !strings.Contains(serverConfig, "decision_logs:\n  console: true") {
		t.Fatalf("shipped server config no longer logs decisions to the console, which this test reads:\n%s", serverConfig)
	}
	quoted, _ := json.Marshal(namespaces)
	kubernetes := fmt.Sprintf("    kubernetes:\n      namespaces: %s\n      api_server: %q\n      ca_file: %q\n      token_file: %q\n      cache_ttl: %s",
		quoted, access.apiServer, access.caFile, access.tokenFile, cacheTTL)
	lines := strings.Split(serverConfig, "\n")
	replaced := false
	for i, line := range lines {
		if strings.Contains(line, "docker_config: /etc/opa-cosign/docker") {
			indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
			lines[i] = fmt.Sprintf("%sdocker_config: %q\n%sca_file: %q\n%s", indent, t.TempDir(), indent, caFile, kubernetes)
			replaced = true
		}
	}
	if !replaced {
		t.Fatalf("shipped server config has no docker_config line to replace:\n%s", serverConfig)
	}
	serverConfig = strings.Join(lines, "\n")
	t.Logf("server config:\n%s", serverConfig)
	writeFile(t, filepath.Join(dir, "config.yaml"), serverConfig)

	tlsID := newServing(t)
	port, diag := freePort(t), freePort(t)
	w := pullSecretsWebhook{url: fmt.Sprintf("https://127.0.0.1:%d", port)}
	diagnostic := fmt.Sprintf("http://127.0.0.1:%d", diag)
	// DOCKER_CONFIG too points nowhere: no credentials of the test's user or
	// machine reach the server by a default path.
	w.cmd, w.out = startCapture(t, bin(t, "build/opa-cosign"), []string{"DOCKER_CONFIG=" + t.TempDir()}, "run", "--server",
		"--addr", w.url, "--diagnostic-addr", diagnostic,
		"--tls-cert-file", tlsID.cert, "--tls-private-key-file", tlsID.key,
		"--config-file", filepath.Join(dir, "config.yaml"), "--bundle", bundle)
	waitHTTP(t, diagnostic+"/health?bundles&plugins")
	waitOK(t, tlsID.client(), w.url+"/health")
	c.registerWebhooks(t, w.url, tlsID.caPEM)
	return w
}

// dockerRegistrySecret is a kubernetes.io/dockerconfigjson Secret for host,
// as `kubectl create secret docker-registry` writes it.
func dockerRegistrySecret(name, host, user, password string) map[string]any {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	config, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"username": user, "password": password, "auth": auth}}})
	return map[string]any{
		"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": name},
		"type": "kubernetes.io/dockerconfigjson",
		"data": map[string]any{".dockerconfigjson": base64.StdEncoding.EncodeToString(config)},
	}
}

// apply submits object to namespace with `kubectl apply`.
func (c cluster) apply(t *testing.T, namespace string, object map[string]any) {
	t.Helper()
	b, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	c.mustKubectl(t, string(b), "-n", namespace, "apply", "-f", "-")
}

// withPullSecrets names Secrets in a Pod spec's imagePullSecrets.
func withPullSecrets(spec map[string]any, names ...string) map[string]any {
	var refs []any
	for _, n := range names {
		refs = append(refs, map[string]any{"name": n})
	}
	spec["imagePullSecrets"] = refs
	return spec
}
