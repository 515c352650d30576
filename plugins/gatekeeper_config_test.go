package plugins

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/plugins"
)

func TestGatekeeperConfigErrorsNameTheField(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	certPEM, keyPEM := ca.issue(t, x509.ExtKeyUsageServerAuth)
	dir := t.TempDir()
	p := files(t, dir, map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM, "ca.crt": ca.pem, "junk.pem": []byte("not PEM")})
	missing := filepath.Join(dir, "missing.pem")
	gk := func(fields string) string {
		return `{"gatekeeper_provider": {"addr": ":9443", "tls_cert_file": "` + p["tls.crt"] + `", "tls_key_file": "` + p["tls.key"] + `"` + fields + `}}`
	}
	for raw, want := range map[string]string{
		`{"gatekeeper_provider": {"tls_cert_file": "x"}}`:                                                                              "plugins.cosign.gatekeeper_provider.addr",
		`{"gatekeeper_provider": {"addr": "9443", "tls_cert_file": "x"}}`:                                                              "plugins.cosign.gatekeeper_provider.addr",
		`{"gatekeeper_provider": {"addr": ":9443"}}`:                                                                                   "plugins.cosign.gatekeeper_provider.tls_cert_file",
		`{"gatekeeper_provider": {"addr": ":9443", "tls_cert_file": "x"}}`:                                                             "plugins.cosign.gatekeeper_provider.tls_key_file",
		`{"gatekeeper_provider": {"addr": ":9443", "tls_cert_file": "` + missing + `", "tls_key_file": "` + missing + `"}}`:            "plugins.cosign.gatekeeper_provider.tls_cert_file",
		`{"gatekeeper_provider": {"addr": ":9443", "tls_cert_file": "` + p["tls.crt"] + `", "tls_key_file": "` + p["junk.pem"] + `"}}`: "plugins.cosign.gatekeeper_provider.tls_cert_file",
		gk(`, "client_ca_file": "` + p["junk.pem"] + `"`):                                                                              "plugins.cosign.gatekeeper_provider.client_ca_file",
		gk(`, "client_ca_file": "` + missing + `"`):                                                                                    "plugins.cosign.gatekeeper_provider.client_ca_file",
		gk(`, "timeout": "soon"`):       "plugins.cosign.gatekeeper_provider.timeout",
		gk(`, "timeout": "8s"`):         "should be longer than plugins.cosign.timeout (8s)",
		gk(`, "max_keys": 0`):           "plugins.cosign.gatekeeper_provider.max_keys",
		gk(`, "max_request_bytes": -1`): "plugins.cosign.gatekeeper_provider.max_request_bytes",
		gk(`, "client_ca": "x"`):        `unknown field "client_ca"`,
	} {
		if _, err := ParseConfig([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v does not name %s", raw, err, want)
		}
	}

	// The twins: valid sections, and the defaults.
	c, err := ParseConfig([]byte(gk(`, "client_ca_file": "` + p["ca.crt"] + `"`)))
	if err != nil {
		t.Fatal(err)
	}
	s := c.GatekeeperProvider.provider
	if s.timeout != 9*time.Second || s.maxKeys != DefaultGatekeeperMaxKeys || s.maxRequestBytes != DefaultGatekeeperMaxRequestBytes || s.clientCAFile != p["ca.crt"] {
		t.Fatalf("defaults: %+v", s)
	}
	c, err = ParseConfig([]byte(`{"timeout": "3s", ` + strings.TrimPrefix(gk(`, "timeout": "4s", "max_keys": 10`), "{")))
	if err != nil || c.GatekeeperProvider.provider.timeout != 4*time.Second || c.GatekeeperProvider.provider.maxKeys != 10 {
		t.Fatalf("explicit: %v %+v", err, c)
	}
	if c, err := ParseConfig([]byte(`{}`)); err != nil || c.GatekeeperProvider.provider.addr != "" {
		t.Fatalf("off by default: %v %+v", err, c)
	}
}

// TestGatekeeperLifecycle: the provider starts and stops with the plugin; a
// reconfiguration that keeps its settings keeps its listener, one that
// changes them replaces it; a taken port fails Start with the reason.
func TestGatekeeperLifecycle(t *testing.T) {
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{})
	first := tp.plugin.gatekeeper
	cfg := func(timeout string) any {
		s := first.settings
		raw, _ := json.Marshal(map[string]any{"timeout": "1s", "gatekeeper_provider": map[string]any{
			"addr": first.addr, "tls_cert_file": s.certFile, "tls_key_file": s.keyFile, "timeout": timeout}})
		c, err := Factory{}.Validate(tp.manager, raw)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// The settings differ from startProvider's (its addr asks for port 0):
	// the listener is replaced, on the same port.
	tp.plugin.Reconfigure(context.Background(), cfg("2s"))
	if tp.plugin.gatekeeper == first {
		t.Fatal("new settings did not replace the listener")
	}
	if status, err := tp.try(tp.client); err != nil || status != 200 {
		t.Fatalf("after a reconfiguration that replaced the listener: %d %v", status, err)
	}
	second := tp.plugin.gatekeeper
	tp.plugin.Reconfigure(context.Background(), cfg("2s"))
	if tp.plugin.gatekeeper != second {
		t.Fatal("the same settings replaced the listener")
	}
	tp.plugin.Reconfigure(context.Background(), cfg("3s"))
	if tp.plugin.gatekeeper == second || tp.plugin.gatekeeper.settings.timeout != 3*time.Second {
		t.Fatal("new settings did not replace the listener")
	}
	if status, err := tp.try(tp.client); err != nil || status != 200 {
		t.Fatalf("after replacing: %d %v", status, err)
	}

	// A second plugin on the same port fails to start, and says why.
	raw, _ := json.Marshal(map[string]any{"timeout": "1s", "gatekeeper_provider": map[string]any{
		"addr": first.addr, "tls_cert_file": first.settings.certFile, "tls_key_file": first.settings.keyFile}})
	m, err := plugins.New([]byte(`{}`), "test", tp.manager.Store)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Factory{}.Validate(m, raw)
	if err != nil {
		t.Fatal(err)
	}
	other := Factory{}.New(m, c)
	if err := other.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("second listener on %s: %v", first.addr, err)
	}
	if s := m.PluginStatus()[Name]; s == nil || s.State != plugins.StateErr {
		t.Fatalf("status after a failed start: %+v", s)
	}

	addr := tp.plugin.gatekeeper.addr
	tp.plugin.Stop(context.Background())
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("the port is still open after Stop")
	}
}
