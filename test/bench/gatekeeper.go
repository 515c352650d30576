package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// gatekeeperSection is section 10: Gatekeeper's external-data call to the
// provider, warm, beside the trivial policy on the same server.
func (e *env) gatekeeperSection() string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("\n## 10. Warm Gatekeeper external-data call: 10 images, beside a trivial policy\n\n")
	p("The provider (`plugins.cosign.gatekeeper_provider`, HTTPS with Gatekeeper's client certificate) answers `POST /validate` ")
	p("with 10 keys, every verification cached. The trivial policy is asked over the same server's v0 API with the 10-image ")
	p("AdmissionReview (plain HTTP, so the ratio also carries the provider's TLS). 1 client: 2,000 sequential calls; 16 clients: 250 each.\n\n")
	p("| clients | provider p50 | p99 | calls/s | trivial p50 | trivial p99 | trivial calls/s | ratio |\n|---|---|---|---|---|---|---|---|\n")
	tlsDir := e.gatekeeperTLS()
	addr := freeAddr()
	s := e.startServerWith(serverOpts{cosignYAML: fmt.Sprintf(
		"    gatekeeper_provider:\n      addr: %s\n      tls_cert_file: %s\n      tls_key_file: %s\n      client_ca_file: %s\n",
		addr, filepath.Join(tlsDir, "server.crt"), filepath.Join(tlsDir, "server.key"), filepath.Join(tlsDir, "ca.crt"))})
	defer e.stopLast()
	images := e.refs(10, e.registry)
	s.admit(review(images)) // verifies and caches
	gk := gatekeeperClient(tlsDir)
	body, err := json.Marshal(map[string]any{
		"apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": "ProviderRequest",
		"request": map[string]any{"keys": images},
	})
	must(err)
	call := func() time.Duration {
		start := time.Now()
		resp, err := gk.Post("https://"+addr+"/validate", "application/json", bytes.NewReader(body))
		must(err)
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		must(err)
		if resp.StatusCode != http.StatusOK || bytes.Count(got, []byte(`"allowed":true`)) != len(images) {
			panic(fmt.Sprintf("warm provider call not allowed: %d %s", resp.StatusCode, got))
		}
		return took
	}
	call() // prepares the query
	trivialBody := review(images)
	for _, c := range []struct{ clients, each int }{{1, 2000}, {16, 250}} {
		lib := measureLoad(c.clients, c.each, call)
		triv := s.load(trivialPath, trivialBody, allowedTrue, c.clients, c.each)
		r := float64(lib.p50) / float64(triv.p50)
		if c.clients > 1 {
			r = triv.perSecond / lib.perSecond
		}
		p("| %d | %s | %s | %.0f | %s | %s | %.0f | %.1f× |\n", c.clients, ms(lib.p50), ms(lib.p99), lib.perSecond,
			ms(triv.p50), ms(triv.p99), triv.perSecond, r)
	}
	return b.String()
}

// gatekeeperClient is Gatekeeper's side: its client certificate, trusting
// the provider's CA, connections kept as Gatekeeper keeps them.
func gatekeeperClient(dir string) *http.Client {
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"))
	must(err)
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	must(err)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 64,
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13},
	}}
}

// gatekeeperTLS writes a CA, the provider's serving certificate for
// 127.0.0.1 and Gatekeeper's client certificate into a new directory.
func (e *env) gatekeeperTLS() string {
	dir, err := os.MkdirTemp(e.work, "gatekeeper-tls")
	must(err)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(err)
	ca, err = x509.ParseCertificate(caDER)
	must(err)
	writePEM(filepath.Join(dir, "ca.crt"), "CERTIFICATE", caDER)
	leaf := func(file string, serial int64, usage x509.ExtKeyUsage) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: file},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		must(err)
		keyDER, err := x509.MarshalECPrivateKey(key)
		must(err)
		writePEM(filepath.Join(dir, file+".crt"), "CERTIFICATE", der)
		writePEM(filepath.Join(dir, file+".key"), "EC PRIVATE KEY", keyDER)
	}
	leaf("server", 2, x509.ExtKeyUsageServerAuth)
	leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return dir
}

func writePEM(path, kind string, der []byte) {
	must(os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
}
