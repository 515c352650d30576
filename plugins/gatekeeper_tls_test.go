package plugins

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// client is an HTTPS client trusting the provider's CA, presenting cert (if
// any), at most TLS maxVersion (0 = the default).
func (tp *testProvider) clientWith(t *testing.T, certPEM, keyPEM []byte, maxVersion uint16) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(tp.serverCA.pem)
	cfg := &tls.Config{RootCAs: pool, MaxVersion: maxVersion}
	if certPEM != nil {
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func (tp *testProvider) try(c *http.Client) (int, error) {
	resp, err := c.Post(tp.url+"/validate", "application/json", strings.NewReader(`{"apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": "ProviderRequest", "request": {"keys": ["free/a:1"]}}`))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestGatekeeperClientCertificates: with client_ca_file, only a client
// presenting a certificate from that CA (as Gatekeeper presents its webhook
// certificate) gets an answer.
func TestGatekeeperClientCertificates(t *testing.T) {
	gatekeeperCA, otherCA := newTestCA(t), newTestCA(t)
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{clientCA: gatekeeperCA})

	// Gatekeeper's certificate carries both usages; it serves its webhook with it.
	gkCert, gkKey := gatekeeperCA.issue(t, x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth)
	if status, err := tp.try(tp.clientWith(t, gkCert, gkKey, 0)); err != nil || status != http.StatusOK {
		t.Fatalf("Gatekeeper's certificate: %d %v", status, err)
	}
	otherCert, otherKey := otherCA.issue(t, x509.ExtKeyUsageClientAuth)
	serverOnly, serverOnlyKey := gatekeeperCA.issue(t, x509.ExtKeyUsageServerAuth)
	for name, c := range map[string]*http.Client{
		"no certificate":                   tp.clientWith(t, nil, nil, 0),
		"a certificate of another CA":      tp.clientWith(t, otherCert, otherKey, 0),
		"a certificate without clientAuth": tp.clientWith(t, serverOnly, serverOnlyKey, 0),
	} {
		if status, err := tp.try(c); err == nil {
			t.Errorf("%s: answered %d, want the handshake refused", name, status)
		}
	}
}

// TestGatekeeperTLS13 : Gatekeeper speaks TLS 1.3 only, and so does the
// provider; an older client is refused. Without client_ca_file, any client
// that trusts the server certificate is answered.
func TestGatekeeperTLS13(t *testing.T) {
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{})
	if status, err := tp.try(tp.clientWith(t, nil, nil, 0)); err != nil || status != http.StatusOK {
		t.Fatalf("TLS 1.3 without a client certificate: %d %v", status, err)
	}
	if status, err := tp.try(tp.clientWith(t, nil, nil, tls.VersionTLS12)); err == nil {
		t.Fatalf("TLS 1.2 answered %d", status)
	}
	resp, err := http.Post(strings.Replace(tp.url, "https", "http", 1)+"/validate", "application/json", strings.NewReader(`{}`))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP answered 200")
		}
	}
}

// TestGatekeeperRotatedCertificates: a rotated serving certificate and
// client CA (Secret volumes are updated in place) apply to new connections
// without a restart.
func TestGatekeeperRotatedCertificates(t *testing.T) {
	firstCA := newTestCA(t)
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{clientCA: firstCA})
	cert, key := firstCA.issue(t, x509.ExtKeyUsageClientAuth)
	if status, err := tp.try(tp.clientWith(t, cert, key, 0)); err != nil || status != http.StatusOK {
		t.Fatalf("before rotation: %d %v", status, err)
	}

	secondCA, newServerCA := newTestCA(t), newTestCA(t)
	s := tp.plugin.gatekeeper.settings
	serverCert, serverKey := newServerCA.issue(t, x509.ExtKeyUsageServerAuth)
	for file, content := range map[string][]byte{s.certFile: serverCert, s.keyFile: serverKey, s.clientCAFile: secondCA.pem} {
		writeLater(t, file, content)
	}
	tp.serverCA = newServerCA
	newCert, newKey := secondCA.issue(t, x509.ExtKeyUsageClientAuth)
	if status, err := tp.try(tp.clientWith(t, newCert, newKey, 0)); err != nil || status != http.StatusOK {
		t.Fatalf("after rotation, the new CA's client: %d %v", status, err)
	}
	if status, err := tp.try(tp.clientWith(t, cert, key, 0)); err == nil {
		t.Fatalf("after rotation, the old CA's client answered %d", status)
	}
}

// writeLater rewrites a file with a modification time that differs from the
// previous write's, whatever the file system's time resolution.
func writeLater(t *testing.T, file string, content []byte) {
	t.Helper()
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(file)); err != nil {
		t.Fatal(err)
	}
}
