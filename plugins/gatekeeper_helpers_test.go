package plugins

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// testCA issues loopback certificates with the usages a test asks for:
// Gatekeeper presents its serving certificate (serverAuth and clientAuth) to
// providers.
type testCA struct {
	*testutil.CA
	pem []byte // the root, which is what a client or server trusts
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	ca := testutil.NewCA(t)
	return &testCA{CA: ca, pem: []byte(testutil.CertPEM(ca.Root))}
}

// issue returns a certificate for 127.0.0.1 with the given usages, as PEM.
func (ca *testCA) issue(t *testing.T, usages ...x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	return ca.IssueTLS(t, usages, "127.0.0.1")
}

// files writes name=content pairs into dir and returns their paths.
func files(t *testing.T, dir string, contents map[string][]byte) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for name, c := range contents {
		paths[name] = filepath.Join(dir, name)
		if err := os.WriteFile(paths[name], c, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// testProvider is the plugin running with a provider on a loopback port.
type testProvider struct {
	url      string // https://127.0.0.1:port
	client   *http.Client
	plugin   *Plugin
	manager  *plugins.Manager
	registry *prometheus.Registry
	serverCA *testCA
}

// providerOptions shape startProvider.
type providerOptions struct {
	config      map[string]any // plugins.cosign, merged over the provider's own section
	clientCA    *testCA        // set client_ca_file
	data        map[string]any // the store's data
	managerOpts []func(*plugins.Manager)
}

// startProvider loads the Rego files of dir into a manager (as `opa run
// dir` would) and starts the cosign plugin with the provider on 127.0.0.1.
func startProvider(t *testing.T, dir string, o providerOptions) *testProvider {
	t.Helper()
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, x509.ExtKeyUsageServerAuth)
	tmp := t.TempDir()
	paths := files(t, tmp, map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM})
	gk := map[string]any{"addr": "127.0.0.1:0", "tls_cert_file": paths["tls.crt"], "tls_key_file": paths["tls.key"]}
	if o.clientCA != nil {
		gk["client_ca_file"] = files(t, tmp, map[string][]byte{"client-ca.crt": o.clientCA.pem})["client-ca.crt"]
	}
	cfg := map[string]any{"timeout": "1s"}
	for k, v := range o.config {
		cfg[k] = v
	}
	if extra, ok := cfg["gatekeeper_provider"].(map[string]any); ok {
		for k, v := range extra {
			gk[k] = v
		}
	}
	cfg["gatekeeper_provider"] = gk
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewRegistry()
	opts := []func(*plugins.Manager){plugins.WithPrometheusRegister(reg), plugins.Logger(logging.NewNoOpLogger())}
	if dir != "" {
		// The library's tests and test fixtures are not part of what a server loads.
		loaded, err := loader.NewFileLoader().Filtered([]string{dir}, func(_ string, info fs.FileInfo, _ int) bool {
			return strings.HasSuffix(info.Name(), "_test.rego") || (info.IsDir() && info.Name() == "testing")
		})
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, plugins.InitFiles(*loaded))
	}
	if o.data == nil {
		o.data = map[string]any{}
	}
	m, err := plugins.New([]byte(`{}`), "test", inmem.NewFromObject(o.data), append(opts, o.managerOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	parsed, err := Factory{}.Validate(m, raw)
	if err != nil {
		t.Fatal(err)
	}
	p := Factory{}.New(m, parsed).(*Plugin)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.pem)
	return &testProvider{
		url:    "https://" + p.gatekeeper.addr,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		plugin: p, manager: m, registry: reg, serverCA: ca,
	}
}

// post sends body to path and decodes the answer, which must be a
// ProviderResponse whatever the status.
func (tp *testProvider) post(t *testing.T, path string, body []byte) (int, providerResponse) {
	t.Helper()
	resp, err := tp.client.Post(tp.url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q", ct)
	}
	var out providerResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.APIVersion == "" || out.Kind != gatekeeperResponseKind || !out.Response.Idempotent {
		t.Fatalf("not a ProviderResponse: %+v", out)
	}
	return resp.StatusCode, out
}

// request is a ProviderRequest for keys, as Gatekeeper sends it.
func request(t *testing.T, keys ...any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"apiVersion": gatekeeperAPIVersion, "kind": "ProviderRequest", "request": map[string]any{"keys": keys}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// itemsByKey indexes a response's items.
func itemsByKey(r providerResponse) map[string]item {
	out := map[string]item{}
	for _, it := range r.Response.Items {
		out[it.Key] = it
	}
	return out
}

// putPolicy replaces the module loaded from file in the manager's store, as a
// bundle activation or a PUT /v1/policies does; the manager recompiles on
// commit.
func putPolicy(t *testing.T, m *plugins.Manager, file, module string) {
	t.Helper()
	ctx := context.Background()
	txn := storage.NewTransactionOrDie(ctx, m.Store, storage.WriteParams)
	ids, err := m.Store.ListPolicies(ctx, txn)
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	for _, p := range ids {
		if strings.HasSuffix(file, p) {
			id = p
		}
	}
	if id == "" {
		t.Fatalf("%s is not among the loaded policies %v", file, ids)
	}
	if err := m.Store.UpsertPolicy(ctx, txn, id, []byte(module)); err != nil {
		t.Fatal(err)
	}
	if err := m.Store.Commit(ctx, txn); err != nil {
		t.Fatal(err)
	}
}
