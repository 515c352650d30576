//go:build e2e && k8s

package e2e

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubernetesDeployment applies deploy/kubernetes to the real API server,
// then runs opa-cosign exactly as its Deployment says (arguments, mounted
// ConfigMaps and Secrets, environment), read back from the API server, and
// loads the policy and config ConfigMaps into it the way kube-mgmt does. The
// shipped webhooks, pointed at it, then decide real admissions.
//
// kube-mgmt itself is not on the Go module proxy, so its two REST calls
// (PUT /v1/policies/<ns>/<name>/<key> in key order, PUT /v1/data/<ns>/<name>/<key>)
// are made here, as its source does them, with its token.
func TestKubernetesDeployment(t *testing.T) {
	c := startCluster(t)
	secrets := t.TempDir()
	// 127.0.0.1 as well as the Service names: here the API server calls the
	// webhook by URL on loopback, as there is no Service network.
	mustRun(t, repoRoot, []string{"EXTRA_SANS=IP:127.0.0.1"}, filepath.Join(repoRoot, "deploy/kubernetes/gen-secrets.sh"), secrets)
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(repoRoot, "deploy/kubernetes/"))
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(secrets, "secrets.yaml"))
	// A webhook on a Service would need endpoints, which need a controller:
	// the API server validates the rendered file without storing it.
	c.mustKubectl(t, "", "apply", "--dry-run=server", "-f", filepath.Join(secrets, "webhooks.yaml"))
	checkGeneratedTLS(t, c, secrets)

	pod := deploymentPod(t, c)
	srv := runAsDeployed(t, c, pod, secrets)
	if code := srv.get(t, srv.diagnostic+srv.readinessPath, ""); code == http.StatusOK {
		t.Fatalf("ready before kube-mgmt loaded anything")
	}

	// The API is closed to anonymous writers (docs/security.md, "What is trusted": whoever can write the policy).
	if code := srv.put(t, srv.https+"/v1/policies/evil", "package evil\n", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous PUT /v1/policies over the webhook port: %d, want 401", code)
	}
	if code := srv.put(t, srv.kubeMgmtURL+"/policies/evil", "package evil\n", "not-the-token"); code != http.StatusUnauthorized {
		t.Fatalf("PUT /v1/policies with a wrong token: %d, want 401", code)
	}
	loadLikeKubeMgmt(t, c, srv)
	if code := srv.get(t, srv.diagnostic+srv.readinessPath, ""); code != http.StatusOK {
		t.Fatalf("not ready after the policy and config loaded: %d", code)
	}
	if code := srv.get(t, srv.diagnostic+srv.livenessPath, ""); code != http.StatusOK {
		t.Fatalf("liveness: %d", code)
	}

	// The shipped webhooks, pointed at this server, with the generated CA.
	c.registerWebhooks(t, srv.https, readFile(t, filepath.Join(secrets, "ca.crt")))
	c.namespace(t, "prod")
	c.namespace(t, "dev")
	c.namespace(t, "dev-tenant")
	c.mustKubectl(t, "", "label", "namespace", "dev", warnLabel+"=warn")
	replicateLikeKubeMgmt(t, c, srv)
	c.waitWebhooks(t, "prod", "", "", "nginx:1.27")

	// The shipped config allows registry.k8s.io/pause without verification and
	// nothing from Docker Hub; neither needs a registry to decide.
	c.create(t, "prod", podNamed("pause", "registry.k8s.io/pause:3.10")).admitted(t)
	c.create(t, "prod", podNamed("nginx", "nginx:1.27")).denied(t, `image "nginx:1.27": no rule of the verification config matches docker.io/library/nginx`)

	// Warn mode comes from the namespace label, replicated from the API server; a name does not give it
	// (docs/security.md #28).
	r := c.create(t, "dev", podNamed("nginx", "nginx:1.27"))
	r.admitted(t)
	if !strings.Contains(r.out, `Warning: container "c" image "nginx:1.27": no rule of the verification config matches`) {
		t.Fatalf("no warning in kubectl output:\n%s", r.out)
	}
	c.create(t, "dev-tenant", podNamed("nginx", "nginx:1.27")).denied(t, `image "nginx:1.27"`)

	// Decision logs keep the images and nothing else of the Pod (docs/security.md #29).
	secret := podNamed("secret", "registry.k8s.io/pause:3.10")
	secret["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"] = []any{map[string]any{"name": "TOKEN", "value": "s3cr3t-e2e-env"}}
	c.create(t, "prod", secret).admitted(t)
	waitFor(t, "the decision log of the secret Pod", func() bool { return strings.Contains(srv.log.String(), `"name":"secret"`) })
	if logged := srv.log.String(); strings.Contains(logged, "s3cr3t-e2e-env") || !strings.Contains(logged, `"image":"registry.k8s.io/pause:3.10"`) {
		t.Fatalf("decision log leaks the env value or lacks the image:\n%s", tail(logged, 3000))
	}

	// With opa-cosign down, failurePolicy Fail denies everywhere but in the
	// namespaces the webhooks skip, where opa-cosign itself can be repaired.
	_ = srv.cmd.Process.Kill()
	_ = srv.cmd.Wait()
	c.create(t, "prod", podNamed("pause-2", "registry.k8s.io/pause:3.10")).denied(t, `failed calling webhook "mutate.opa-cosign.openpolicyagent.org"`)
	c.mustKubectl(t, "", "-n", "opa", "create", "serviceaccount", "default")
	c.create(t, "opa", podNamed("repair", "nginx:1.27")).admitted(t)
}

func podNamed(name, image string) map[string]any {
	return pod(name, map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}})
}

// checkGeneratedTLS: the Secret's certificate is for the webhook Service and
// chains to the caBundle gen-secrets.sh wrote into the webhooks.
func checkGeneratedTLS(t *testing.T, c cluster, secrets string) {
	t.Helper()
	certPEM := opaData(t, c, "secret", "opa-cosign-tls", false)["tls.crt"]
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		t.Fatal("opa-cosign-tls holds no certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ca := readFile(t, filepath.Join(secrets, "ca.crt"))
	rendered := readFile(t, filepath.Join(secrets, "webhooks.yaml"))
	if n := strings.Count(string(rendered), "caBundle: "+base64.StdEncoding.EncodeToString(ca)); n != 2 {
		t.Fatalf("webhooks.yaml carries the CA in %d webhooks, want 2", n)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "opa-cosign.opa.svc", Roots: roots}); err != nil {
		t.Fatalf("serving certificate: %v", err)
	}
}
