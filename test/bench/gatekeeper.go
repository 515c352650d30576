package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
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
	var t benchTB
	ca := testutil.NewCA(t)
	serverCert, serverKey := ca.IssueServing(t, "127.0.0.1")
	clientCert, clientKey := ca.IssueTLS(t, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	for file, b := range map[string][]byte{
		"ca.crt": []byte(testutil.CertPEM(ca.Root)), "server.crt": serverCert, "server.key": serverKey,
		"client.crt": clientCert, "client.key": clientKey,
	} {
		must(os.WriteFile(filepath.Join(dir, file), b, 0o600))
	}
	return dir
}

// benchTB lets the bench, a program rather than a test, use testutil's
// certificate helpers: they only mark helpers and fail, and a failure here
// stops the bench as must does. Any other testing.TB method is not used by
// them and would panic on the nil interface.
type benchTB struct{ testing.TB }

func (benchTB) Helper()                   {}
func (benchTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (benchTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
