//go:build e2e && k8s

package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// serving is a loopback TLS identity: a CA, and a certificate it issued for
// 127.0.0.1 and localhost with its key written out as PEM files.
type serving struct {
	caPEM     []byte
	cert, key string // file paths
}

func newServing(t *testing.T) serving {
	t.Helper()
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	certPEM, keyPEM := ca.IssueServing(t, "127.0.0.1", "localhost")
	s := serving{caPEM: []byte(testutil.CertPEM(ca.Root)), cert: filepath.Join(dir, "tls.crt"), key: filepath.Join(dir, "tls.key")}
	writeFile(t, s.cert, string(certPEM))
	writeFile(t, s.key, string(keyPEM))
	return s
}

// client trusts only the serving CA.
func (s serving) client() *http.Client { return trusting(s.caPEM) }

// trusting is an HTTP client that trusts only the CA certificates in caPEM.
func trusting(caPEM []byte) *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cluster is a Kubernetes control plane on loopback: etcd from Debian and the
// pinned kube-apiserver, with a kubectl of the same version. No controller
// manager, scheduler or kubelet runs: admission is all this suite needs, and
// Pods stay Pending.
type cluster struct {
	kubeconfig string
	kubectlBin string
	auditLog   string // the API server's audit log (auditPolicy), JSON lines
}

// auditPolicy records, at level Metadata (who did what to which object, the
// response status, and the admission webhooks' auditAnnotations; no object
// bodies), every write to the kinds the shipped webhooks check. Nothing else
// is recorded, so the log stays small for the suites that do not read it.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch]
    resources:
      - group: ""
        resources: [pods, pods/ephemeralcontainers, replicationcontrollers]
      - group: apps
        resources: [deployments, replicasets, statefulsets, daemonsets]
      - group: batch
        resources: [jobs, cronjobs]
  - level: None
`

const adminToken = "e2e-admin-token"

func startCluster(t *testing.T) cluster {
	t.Helper()
	etcdBin, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatal("etcd is missing: install Debian's etcd-server (.ci/run does)")
	}
	apiserver := bin(t, "build/tools/bin/kube-apiserver")
	kubectl := bin(t, "build/tools/bin/kubectl")
	dir := t.TempDir()

	clientPort, peerPort := freePort(t), freePort(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	start(t, etcdBin, nil,
		"--data-dir", filepath.Join(dir, "etcd"), "--name", "e2e",
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("e2e=http://127.0.0.1:%d", peerPort))
	waitHTTP(t, etcdURL+"/health")

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	saFile := filepath.Join(dir, "sa.key")
	writeFile(t, saFile, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)})))
	tokens := filepath.Join(dir, "tokens.csv")
	writeFile(t, tokens, adminToken+`,e2e-admin,e2e-admin,"system:masters"`+"\n")
	tlsID := newServing(t)
	port := freePort(t)
	policy, auditLog := filepath.Join(dir, "audit-policy.yaml"), filepath.Join(dir, "audit.log")
	writeFile(t, policy, auditPolicy)
	start(t, apiserver, nil,
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", fmt.Sprint(port),
		"--cert-dir", filepath.Join(dir, "certs"), "--tls-cert-file", tlsID.cert, "--tls-private-key-file", tlsID.key,
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", saFile, "--service-account-signing-key-file", saFile,
		"--token-auth-file", tokens, "--authorization-mode", "RBAC",
		"--service-cluster-ip-range", "10.96.0.0/16",
		// blocking: the request handler writes its events itself (no batching);
		// readers still poll, the last stage may land just after the response.
		"--audit-policy-file", policy, "--audit-log-path", auditLog, "--audit-log-format", "json", "--audit-log-mode", "blocking")

	c := cluster{kubeconfig: filepath.Join(dir, "kubeconfig"), kubectlBin: kubectl, auditLog: auditLog}
	writeFile(t, c.kubeconfig, fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: e2e, cluster: {server: "https://127.0.0.1:%d", certificate-authority-data: %s}}]
users: [{name: admin, user: {token: %s}}]
contexts: [{name: e2e, context: {cluster: e2e, user: admin}}]
current-context: e2e
`, port, base64.StdEncoding.EncodeToString(tlsID.caPEM), adminToken))

	deadline := time.Now().Add(90 * time.Second)
	for {
		out, err := c.kubectl(t, "", "get", "--raw", "/readyz")
		if err == nil && strings.TrimSpace(out) == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiserver not ready: %s", out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	return c
}

// kubectl runs the pinned kubectl against the cluster with stdin, returning
// its combined output.
func (c cluster) kubectl(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.kubectlBin, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c cluster) mustKubectl(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := c.kubectl(t, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// namespace creates a namespace and its default ServiceAccount (no controller
// manager runs to create it, and the ServiceAccount admission plugin needs it).
func (c cluster) namespace(t *testing.T, name string) {
	t.Helper()
	c.mustKubectl(t, "", "create", "namespace", name)
	c.mustKubectl(t, "", "-n", name, "create", "serviceaccount", "default")
}
