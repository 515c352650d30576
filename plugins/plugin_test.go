package plugins

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opa-cosign/opa-cosign/internal/engine"
)

func TestParseConfigErrorsNameTheField(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.json")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for raw, field := range map[string]string{
		`{"timeout": "soon"}`:                                             "plugins.cosign.timeout",
		`{"timeout": "-1s"}`:                                              "plugins.cosign.timeout",
		`{"max_concurrency": 0}`:                                          "plugins.cosign.max_concurrency",
		`{"max_concurrency_per_registry": 0}`:                             "plugins.cosign.max_concurrency_per_registry",
		`{"max_concurrency": 4, "max_concurrency_per_registry": 5}`:       "plugins.cosign.max_concurrency_per_registry",
		`{"cache": {"ttl": "x"}}`:                                         "plugins.cosign.cache.ttl",
		`{"cache": {"failure_ttl": "0s"}}`:                                "plugins.cosign.cache.failure_ttl",
		`{"cache": {"tag_ttl": "1"}}`:                                     "plugins.cosign.cache.tag_ttl",
		`{"cache": {"max_entries": -5}}`:                                  "plugins.cosign.cache.max_entries",
		`{"limits": {"max_blob_bytes": 0}}`:                               "plugins.cosign.limits.max_blob_bytes",
		`{"limits": {"max_signatures": -1}}`:                              "plugins.cosign.limits.max_signatures",
		`{"registry": {"insecure": ["a b"]}}`:                             "plugins.cosign.registry.insecure[0]",
		`{"registry": {"ca_file": "` + missing + `"}}`:                    "plugins.cosign.registry.ca_file",
		`{"trust_roots": {"corp": {}}}`:                                   "plugins.cosign.trust_roots.corp.trusted_root_file",
		`{"trust_roots": {"corp": {"trusted_root_file": "` + bad + `"}}}`: "plugins.cosign.trust_roots.corp.trusted_root_file",
		`{"timout": "8s"}`:                                                `unknown field "timout"`,
		`{"cache": {"tll": "1m"}}`:                                        `unknown field "tll"`,
	} {
		_, err := ParseConfig([]byte(raw))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %v does not name %s", raw, err, field)
		}
	}
}

func TestParseConfigDefaults(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{``, `null`, `{}`} {
		c, err := ParseConfig([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		e := c.engine
		if e.Timeout != engine.DefaultTimeout || e.MaxConcurrency != engine.DefaultMaxConcurrency || e.MaxConcurrencyPerRegistry != 12 ||
			e.Cache.TTL != engine.DefaultCacheTTL || e.Cache.TagTTL != engine.DefaultTagTTL || e.Registry.Limits.MaxSignatures != 32 {
			t.Fatalf("defaults for %q: %+v", raw, e)
		}
	}
	c, err := ParseConfig([]byte(`{"timeout": "3s", "max_concurrency": 4, "cache": {"ttl": "1m"}, "registry": {"insecure": ["localhost:5000"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.engine.Timeout != 3*time.Second || c.engine.MaxConcurrency != 4 || c.engine.MaxConcurrencyPerRegistry != 3 ||
		c.engine.Cache.TTL != time.Minute || c.engine.Registry.Insecure[0] != "localhost:5000" {
		t.Fatalf("parsed: %+v", c.engine)
	}
}

// TestMetricsSurviveReregistration: a reload registers the collectors again.
func TestMetricsSurviveReregistration(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	first := newMetrics(reg).(*metrics)
	second := newMetrics(reg).(*metrics)
	second.Cache(true)
	second.RegistryRequest("200")
	if first.cache != second.cache || first.registry != second.registry {
		t.Fatal("the second registration did not reuse the collectors")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, n := range []string{"cosign_cache_total", "cosign_registry_requests_total"} {
		if !names[n] {
			t.Errorf("%s not gathered: %v", n, names)
		}
	}
}

func TestPluginLifecycle(t *testing.T) {
	m, err := plugins.New([]byte(`{}`), "test", inmem.New(), plugins.WithPrometheusRegister(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Factory{}.Validate(m, []byte(`{"timeout": "2s"}`))
	if err != nil {
		t.Fatal(err)
	}
	p := Factory{}.New(m, cfg)
	if s := m.PluginStatus()[Name]; s == nil || s.State != plugins.StateNotReady {
		t.Fatalf("status before start: %+v", s)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, _ := engine.Current()
	if s := m.PluginStatus()[Name]; s.State != plugins.StateOK {
		t.Fatalf("status after start: %+v", s)
	}
	next, err := Factory{}.Validate(m, []byte(`{"timeout": "3s"}`))
	if err != nil {
		t.Fatal(err)
	}
	p.Reconfigure(context.Background(), next)
	if second, _ := engine.Current(); second == first {
		t.Fatal("reconfigure did not swap the engine")
	}
	p.Stop(context.Background())
	if s := m.PluginStatus()[Name]; s.State != plugins.StateNotReady {
		t.Fatalf("status after stop: %+v", s)
	}
}
