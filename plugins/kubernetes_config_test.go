package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubernetesConfig: the kubernetes section is off when absent, checked as a whole when present, with errors
// that name the field; out of a cluster the API server must be named.
func TestKubernetesConfig(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("t"), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("no"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not in a Pod: the in-cluster defaults do not apply (not parallel: the environment).
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")

	c, err := ParseConfig([]byte(`{}`))
	if err != nil || c.engine.PullSecrets != nil {
		t.Fatalf("absent section: %v, %v; want off", c.engine.PullSecrets, err)
	}
	ok := `{"kubernetes": {"namespaces": ["*"], "api_server": "https://127.0.0.1:6443", "token_file": "` + token + `", "cache_ttl": "5s"}}`
	if c, err = ParseConfig([]byte(ok)); err != nil || c.engine.PullSecrets == nil {
		t.Fatalf("valid section: %v, %v", c, err)
	}
	for raw, want := range map[string]string{
		`{"kubernetes": {}}`: `plugins.cosign.kubernetes.namespaces field, should list the namespaces`,
		`{"kubernetes": {"namespaces": ["*"], "token_file": "` + token + `"}}`:                                                                      `plugins.cosign.kubernetes.api_server field, should be set: not running in a Kubernetes Pod`,
		`{"kubernetes": {"namespaces": ["*"], "api_server": "http://127.0.0.1:6443", "token_file": "` + token + `"}}`:                               `plugins.cosign.kubernetes.api_server field, "http://127.0.0.1:6443" is not an https://host:port URL`,
		`{"kubernetes": {"namespaces": ["*"], "api_server": "https://127.0.0.1:6443", "token_file": "` + filepath.Join(dir, "none") + `"}}`:         `plugins.cosign.kubernetes.token_file field, should name the ServiceAccount token`,
		`{"kubernetes": {"namespaces": ["*"], "api_server": "https://127.0.0.1:6443", "token_file": "` + token + `", "ca_file": "` + notPEM + `"}}`: `plugins.cosign.kubernetes.ca_file field`,
		`{"kubernetes": {"namespaces": ["*", "prod"], "api_server": "https://127.0.0.1:6443", "token_file": "` + token + `"}}`:                      `plugins.cosign.kubernetes.namespaces field, "*" is not a namespace name ("*" alone means every namespace)`,
		`{"kubernetes": {"namespaces": ["*"], "api_server": "https://127.0.0.1:6443", "token_file": "` + token + `", "cache_ttl": "1"}}`:            `plugins.cosign.kubernetes.cache_ttl field`,
		`{"kubernetes": {"namespace": ["*"]}}`: `unknown field "namespace"`,
	} {
		if _, err := ParseConfig([]byte(raw)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", raw, err, want)
		}
	}
	// In a Pod, the API server comes from the environment the kubelet sets.
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	if _, err := ParseConfig([]byte(`{"kubernetes": {"namespaces": ["team-a"], "token_file": "` + token + `", "ca_file": "` + notPEM + `"}}`)); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("in a Pod: %v, want the CA file checked", err)
	}
}
