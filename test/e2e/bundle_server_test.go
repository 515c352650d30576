//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// bundleServer serves one bundle at /bundle.tar.gz, which the test replaces
// at will: OPA's bundle plugin polls it (ETag, 304 when unchanged).
type bundleServer struct {
	url  string
	mu   sync.Mutex
	body []byte
	etag string
}

func startBundleServer(t *testing.T) *bundleServer {
	t.Helper()
	b := &bundleServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		body, etag := b.body, b.etag
		b.mu.Unlock()
		if r.URL.Path != "/bundle.tar.gz" || body == nil {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// publish replaces the served bundle by the library (rego/, tests left out,
// as scripts/bundles.sh builds it) with cfg as data.imagepolicy.config, under
// the given manifest revision.
func (b *bundleServer) publish(t *testing.T, revision string, cfg map[string]any) {
	t.Helper()
	body := libraryBundle(t, revision, cfg)
	sum := sha256.Sum256(body)
	b.mu.Lock()
	b.body, b.etag = body, `"`+hex.EncodeToString(sum[:])+`"`
	b.mu.Unlock()
}

func libraryBundle(t *testing.T, revision string, cfg map[string]any) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	add := func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	manifest, err := json.Marshal(map[string]any{"revision": revision, "roots": []string{"imagepolicy", "system"}, "rego_version": 1})
	if err != nil {
		t.Fatal(err)
	}
	add(".manifest", manifest)
	data, err := json.Marshal(map[string]any{"imagepolicy": map[string]any{"config": cfg}})
	if err != nil {
		t.Fatal(err)
	}
	add("data.json", data)
	dir := filepath.Join(repoRoot, "rego")
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testing":
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego"):
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		add(filepath.ToSlash(rel), src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bundleRevision is the revision of the bundle the server has activated ("" before any).
func (s server) bundleRevision(t *testing.T, name string) string {
	t.Helper()
	var out struct {
		Result string `json:"result"`
	}
	call(t, "GET", s.url+"/v1/data/system/bundles/"+name+"/manifest/revision", "", "", &out)
	return out.Result
}

// waitRevision waits (bounded: 30 s, the bundle polls every 1-2 s) until the
// server has activated the given revision.
func (s server) waitRevision(t *testing.T, name, revision string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.bundleRevision(t, name) != revision {
		if time.Now().After(deadline) {
			t.Fatalf("bundle %s: revision %q not activated within 30 s (have %q)", name, revision, s.bundleRevision(t, name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// bundleFedServer runs opa-cosign with no local policy: the library, the
// config and its trust material all come from the bundle server.
func bundleFedServer(t *testing.T, bundles *bundleServer, insecure string) (server, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`services:
  control:
    url: %s
bundles:
  library:
    service: control
    resource: bundle.tar.gz
    polling: {min_delay_seconds: 1, max_delay_seconds: 2}
plugins:
  cosign:
    timeout: 20s
    registry: {insecure: [%q]}
`, bundles.url, insecure)
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	out := startLogged(t, bin(t, "build/opa-cosign"), nil, "run", "--server", "--addr", addr, "--config-file", filepath.Join(dir, "config.yaml"))
	waitHTTP(t, "http://"+addr+"/health?bundles&plugins")
	return server{url: "http://" + addr}, out
}

// virtualRoot is a private Sigstore (Fulcio CA, Rekor, CT log, TSA) made at
// test time, and its trusted_root.json as a JSON object for the config.
func virtualRoot(t *testing.T) (*ca.VirtualSigstore, map[string]any) {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(testutil.WriteTrustedRoot(t, vs))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	return vs, obj
}

// signWithCertificate signs ref with the real cosign CLI (v2, legacy format,
// no log upload) using a leaf certificate for identity/issuer that vs's
// Fulcio CA issued, as a keyless signature from that private Sigstore would
// carry: the key is imported into cosign's format, the certificate and its
// chain (intermediate, root) given with --certificate / --certificate-chain.
func signWithCertificate(t *testing.T, vs *ca.VirtualSigstore, identity, issuer, ref string) {
	t.Helper()
	cert, priv, err := vs.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	fulcio, ok := vs.FulcioCertificateAuthorities()[0].(*root.FulcioCertificateAuthority)
	if !ok {
		t.Fatal("the virtual Sigstore's CA is not a Fulcio CA")
	}
	chain := append(append([]*x509.Certificate{}, fulcio.Intermediates...), fulcio.Root)
	dir := t.TempDir()
	write := func(name, typ string, blocks ...[]byte) string {
		var out []byte
		for _, b := range blocks {
			out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})...)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, out, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("leaf.pem", "PRIVATE KEY", der)
	certFile := write("leaf.crt", "CERTIFICATE", cert.Raw)
	var chainDER [][]byte
	for _, c := range chain {
		chainDER = append(chainDER, c.Raw)
	}
	chainFile := write("chain.pem", "CERTIFICATE", chainDER...)
	cosign := bin(t, "build/tools/bin/"+v2)
	env := []string{"COSIGN_PASSWORD="}
	mustRun(t, dir, env, cosign, "import-key-pair", "--key", keyFile, "--output-key-prefix", "leaf", "-y")
	mustRun(t, dir, env, cosign, "sign", "--key", filepath.Join(dir, "leaf.key"), "--certificate", certFile,
		"--certificate-chain", chainFile, "--tlog-upload=false", "--allow-insecure-registry", "-y", ref)
}
