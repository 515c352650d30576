//go:build e2e && k8s && gatekeeper

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// gatekeeperWebhookTimeout is the timeoutSeconds docs/gatekeeper.md asks for on
// both of Gatekeeper's webhooks (its chart's defaults are 3 and 1).
const gatekeeperWebhookTimeout = 10 * time.Second

// gatekeeperIdentity is Gatekeeper's certificate authority and webhook
// certificate, as its cert-controller makes them with external data enabled:
// serverAuth for the API server's calls and clientAuth, because Gatekeeper
// presents the same certificate to providers.
type gatekeeperIdentity struct {
	dir   string // --cert-dir: tls.crt, tls.key, ca.crt
	caPEM []byte
}

// newGatekeeperIdentity issues it from a CA of its own (testutil's).
func newGatekeeperIdentity(t *testing.T) gatekeeperIdentity {
	t.Helper()
	ca := testutil.NewCA(t)
	certPEM, keyPEM := ca.IssueTLS(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		"127.0.0.1", "gatekeeper-webhook-service.gatekeeper-system.svc")
	id := gatekeeperIdentity{dir: t.TempDir(), caPEM: []byte(testutil.CertPEM(ca.Root))}
	writeFile(t, filepath.Join(id.dir, "ca.crt"), string(id.caPEM))
	writeFile(t, filepath.Join(id.dir, "tls.crt"), string(certPEM))
	writeFile(t, filepath.Join(id.dir, "tls.key"), string(keyPEM))
	return id
}

// certificate is the key pair Gatekeeper presents.
func (id gatekeeperIdentity) certificate(t *testing.T) tls.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(id.dir, "tls.crt"), filepath.Join(id.dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// startGatekeeper runs the pinned Gatekeeper out of cluster against c (its
// namespace, gatekeeper-system, created beforehand), as the
// TECH-NOTES recipe does: its CRDs applied, a fake Pod for its status objects,
// the given certificate instead of its cert-controller, external data on.
// Then it registers Gatekeeper's own webhook configurations (from its
// install manifest) by URL, with failurePolicy Fail and the timeouts
// docs/gatekeeper.md asks for.
func startGatekeeper(t *testing.T, c cluster, id gatekeeperIdentity) {
	t.Helper()
	gk := bin(t, "build/tools/bin/gatekeeper")
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(repoRoot, "build/tools/gatekeeper/crds"))
	port, health, metrics := freePort(t), freePort(t), freePort(t)
	start(t, gk, []string{"POD_NAMESPACE=gatekeeper-system", "POD_NAME=gatekeeper-e2e"},
		"--kubeconfig", c.kubeconfig, "--debug-use-fake-pod", "--disable-cert-rotation", "--cert-dir", id.dir,
		"--port", fmt.Sprint(port), "--health-addr", fmt.Sprintf("127.0.0.1:%d", health), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metrics),
		"--operation", "webhook,mutation-webhook,mutation-controller,generate,status", "--enable-external-data=true",
		"--log-level", "INFO")
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", health))

	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	var hooks []map[string]any
	for _, o := range shippedList(t, c, "build/tools/gatekeeper/gatekeeper.yaml") {
		if kind := o["kind"]; kind != "MutatingWebhookConfiguration" && kind != "ValidatingWebhookConfiguration" {
			continue
		}
		for _, h := range o["webhooks"].([]any) {
			hook := h.(map[string]any)
			path := hook["clientConfig"].(map[string]any)["service"].(map[string]any)["path"].(string)
			hook["clientConfig"] = map[string]any{"url": base + path, "caBundle": base64.StdEncoding.EncodeToString(id.caPEM)}
			hook["failurePolicy"] = "Fail"
			hook["timeoutSeconds"] = int(gatekeeperWebhookTimeout.Seconds())
		}
		hooks = append(hooks, o)
	}
	if len(hooks) != 2 {
		t.Fatalf("Gatekeeper's manifest has %d webhook configurations, want 2", len(hooks))
	}
	b, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": hooks})
	if err != nil {
		t.Fatal(err)
	}
	c.mustKubectl(t, string(b), "apply", "-f", "-")
}

// applyGatekeeperPolicy applies the shipped ConstraintTemplate and Constraint,
// and the Providers gen-secrets.sh rendered (with their caBundle), pointed at
// the provider's URL: there is no Service network on loopback.
func applyGatekeeperPolicy(t *testing.T, c cluster, p gkProvider) {
	t.Helper()
	rel, err := filepath.Rel(repoRoot, p.providers)
	if err != nil {
		t.Fatal(err)
	}
	providers := shippedList(t, c, rel)
	if len(providers) != 2 {
		t.Fatalf("%s has %d Providers, want 2", p.providers, len(providers))
	}
	for _, provider := range providers {
		spec := provider["spec"].(map[string]any)
		if spec["caBundle"] != base64.StdEncoding.EncodeToString(p.caPEM) {
			t.Fatalf("Provider %v: caBundle is not gen-secrets.sh's CA", provider["metadata"])
		}
		url := spec["url"].(string)
		spec["url"] = p.url + url[strings.LastIndex(url, "/"):]
	}
	b, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": providers})
	if err != nil {
		t.Fatal(err)
	}
	c.mustKubectl(t, string(b), "apply", "-f", "-")
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(repoRoot, "deploy/gatekeeper/template.yaml"))
	// Gatekeeper creates the Constraint's CRD from the template.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := c.kubectl(t, "", "get", "crd", "opacosignverifiedimages.constraints.gatekeeper.sh"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Gatekeeper did not create the constraint CRD from template.yaml")
		}
		time.Sleep(500 * time.Millisecond)
	}
	c.waitApply(t, filepath.Join(repoRoot, "deploy/gatekeeper/constraint.yaml"))
}

// waitApply applies a manifest, retrying while the API server does not serve
// its kind yet (a CRD just created).
func (c cluster) waitApply(t *testing.T, file string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.kubectl(t, "", "apply", "-f", file)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl apply -f %s: %v\n%s", file, err, out)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitFor polls a server-side dry run of object in namespace until check
// accepts kubectl's output and error: Gatekeeper takes templates,
// constraints, providers and mutators in through informers.
func (c cluster) waitFor(t *testing.T, what, namespace string, object map[string]any, check func(out string, err error) bool, args ...string) {
	t.Helper()
	b, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		out, err := c.kubectl(t, string(b), append([]string{"-n", namespace, "create", "--dry-run=server", "-f", "-"}, args...)...)
		if check(out, err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in effect after 90 s: %v\n%s", what, err, out)
		}
		time.Sleep(time.Second)
	}
}

// providerClient is an HTTPS client trusting the provider's CA and
// presenting cert, if any.
func providerClient(caPEM []byte, cert *tls.Certificate) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}
