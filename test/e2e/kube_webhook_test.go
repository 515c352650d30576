//go:build e2e && k8s

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// webhook is opa-cosign serving the kubernetes-admission bundle over TLS, as
// the cluster's admission webhook.
type webhook struct {
	cmd        *exec.Cmd
	url        string // https://127.0.0.1:port
	diagnostic string // http://127.0.0.1:port
	client     *http.Client
}

// startWebhook runs opa-cosign with the kubernetes-admission bundle built
// with verification config cfg, and the shipped server config
// (deploy/kubernetes/opa-cosign.yaml) with the test registries marked
// insecure. Then it registers the shipped webhook configurations, pointed at
// this server by URL.
func startWebhook(t *testing.T, c cluster, cfg map[string]any, insecure ...string) webhook {
	t.Helper()
	dir := t.TempDir()
	bundle := admissionBundle(t, cfg)

	serverConfig := shippedObject(t, c, "deploy/kubernetes/opa-cosign.yaml", "ConfigMap", "opa-cosign-server")["data"].(map[string]any)["config.yaml"].(string)
	const dockerConfig = "docker_config: /etc/opa-cosign/docker"
	if !strings.Contains(serverConfig, dockerConfig) {
		t.Fatalf("shipped server config has no %q line to replace:\n%s", dockerConfig, serverConfig)
	}
	quoted, _ := json.Marshal(insecure)
	serverConfig = strings.Replace(serverConfig, dockerConfig, "insecure: "+string(quoted), 1)
	writeFile(t, filepath.Join(dir, "config.yaml"), serverConfig)

	tlsID := newServing(t)
	port, diag := freePort(t), freePort(t)
	w := webhook{url: fmt.Sprintf("https://127.0.0.1:%d", port), diagnostic: fmt.Sprintf("http://127.0.0.1:%d", diag)}
	w.cmd = startProc(t, bin(t, "build/opa-cosign"), nil, "run", "--server",
		"--addr", w.url, "--diagnostic-addr", w.diagnostic,
		"--tls-cert-file", tlsID.cert, "--tls-private-key-file", tlsID.key,
		"--config-file", filepath.Join(dir, "config.yaml"), "--bundle", bundle)
	waitHTTP(t, w.diagnostic+"/health?bundles&plugins")
	waitOK(t, tlsID.client(), w.url+"/health")

	w.client = tlsID.client()
	c.registerWebhooks(t, w.url, tlsID.caPEM)
	return w
}

// replicate puts Namespaces read from the API server into data.kubernetes.namespaces, as kube-mgmt does with
// --replicate-cluster=v1/namespaces: their labels select namespace_selectors entries.
func (w webhook) replicate(t *testing.T, c cluster, names ...string) {
	t.Helper()
	for _, name := range names {
		ns := c.mustKubectl(t, "", "get", "namespace", name, "-o", "json")
		req, err := http.NewRequest(http.MethodPut, w.url+"/v1/data/kubernetes/namespaces/"+name, strings.NewReader(ns))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := w.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("replicating namespace %s: %d", name, resp.StatusCode)
		}
	}
}

// registerWebhooks applies the shipped webhook configurations with their
// Service reference swapped for a URL on base (https://host:port) and ca as
// caBundle: there is no Service network on loopback.
func (c cluster) registerWebhooks(t *testing.T, base string, ca []byte) {
	t.Helper()
	list := shippedList(t, c, "deploy/kubernetes/webhooks/webhooks.yaml")
	for _, item := range list {
		for _, h := range item["webhooks"].([]any) {
			hook := h.(map[string]any)
			path := hook["clientConfig"].(map[string]any)["service"].(map[string]any)["path"].(string)
			hook["clientConfig"] = map[string]any{"url": base + path, "caBundle": base64.StdEncoding.EncodeToString(ca)}
		}
	}
	b, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": list})
	if err != nil {
		t.Fatal(err)
	}
	c.mustKubectl(t, string(b), "apply", "-f", "-")
}

// admissionBundle builds the kubernetes-admission bundle with scripts/bundles.sh,
// with cfg as its data.imagepolicy.config in place of the shipped data.json.
func admissionBundle(t *testing.T, cfg map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(map[string]any{"imagepolicy": map[string]any{"config": cfg}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "data.json"), string(data))
	mustRun(t, repoRoot, []string{"BUNDLE_DATA=" + filepath.Join(dir, "data.json"), "BUNDLE_OUT=" + dir},
		filepath.Join(repoRoot, "scripts/bundles.sh"), "kubernetes-admission")
	return filepath.Join(dir, "kubernetes-admission.tar.gz")
}

// shippedList reads a manifest file of the repository as JSON objects, through
// kubectl's own decoder.
func shippedList(t *testing.T, c cluster, rel string) []map[string]any {
	t.Helper()
	out := c.mustKubectl(t, "", "create", "--dry-run=client", "-o", "json", "-f", filepath.Join(repoRoot, rel))
	// One JSON document per object, or a List.
	var objects []map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var o map[string]any
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if items, ok := o["items"].([]any); ok && o["kind"] == "List" {
			for _, item := range items {
				objects = append(objects, item.(map[string]any))
			}
			continue
		}
		objects = append(objects, o)
	}
	return objects
}

func shippedObject(t *testing.T, c cluster, rel, kind, name string) map[string]any {
	t.Helper()
	for _, o := range shippedList(t, c, rel) {
		if o["kind"] == kind && o["metadata"].(map[string]any)["name"] == name {
			return o
		}
	}
	t.Fatalf("%s has no %s %s", rel, kind, name)
	return nil
}

// waitWebhooks polls with server-side dry runs until the API server applies
// newly registered webhooks (it learns of them through an informer): until a
// Deployment of pinnable comes back pinned to pinned (mutating webhook), when
// pinnable is set, and one of refused is denied (validating webhook).
func (c cluster) waitWebhooks(t *testing.T, namespace, pinnable, pinned, refused string) {
	t.Helper()
	dryRun := func(image string, args ...string) (string, error) {
		b, err := json.Marshal(workload("Deployment", "apps/v1", "webhook-probe", podSpec([]string{image}, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return c.kubectl(t, string(b), append([]string{"-n", namespace, "create", "--dry-run=server", "-f", "-"}, args...)...)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mutating := true
		if pinnable != "" {
			out, err := dryRun(pinnable, "-o", "jsonpath={.spec.template.spec.containers[0].image}")
			mutating = err == nil && out == pinned
		}
		out, err := dryRun(refused)
		validating := err != nil && strings.Contains(out, "denied the request")
		if mutating && validating {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks not in effect after 30 s (mutating %v, validating %v): %s", mutating, validating, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
