package plugins

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/engine"
)

// FuzzParseConfig: any bytes as plugins.cosign. Nothing panics; a refusal
// names plugins.cosign; an accepted config has positive limits, a
// per-registry share within max_concurrency, and builds an engine. Configs
// that name files (trust roots, CA, docker config) are left to the unit
// tests: the fuzzer would read arbitrary paths.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `{}`, `[]`, `"x"`,
		`{"timeout": "8s", "max_concurrency": 16, "max_concurrency_per_registry": 12, "cache": {"max_entries": 10000, "ttl": "10m", "failure_ttl": "30s", "tag_ttl": "30s"}}`,
		`{"registry": {"insecure": ["localhost:5000", "127.0.0.1:5001"]}, "limits": {"max_signatures": 32, "max_referrers": 64, "max_manifest_bytes": 4194304, "max_blob_bytes": 1048576, "max_redirects": 3}}`,
		`{"timeout": "-1s"}`, `{"timeout": "1ns"}`, `{"max_concurrency": 0}`, `{"max_concurrency": 4, "max_concurrency_per_registry": 5}`,
		`{"cache": {"ttl": "x"}}`, `{"limits": {"max_blob_bytes": -1}}`, `{"registry": {"insecure": ["a b"]}}`, `{"timout": "8s"}`,
		`{"max_concurrency": 1e3}`, `{"max_concurrency": 9223372036854775807}`, `{"cache": {"max_entries": 1.5}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if namesFiles(raw) {
			return
		}
		c, err := ParseConfig(raw)
		if err != nil {
			if !strings.Contains(err.Error(), "plugins.cosign") {
				t.Fatalf("refusal does not name plugins.cosign: %v", err)
			}
			return
		}
		e := c.engine
		if e.Timeout <= 0 || e.MaxConcurrency <= 0 || e.MaxConcurrencyPerRegistry <= 0 || e.MaxConcurrencyPerRegistry > e.MaxConcurrency ||
			e.Cache.MaxEntries <= 0 || e.Cache.TTL <= 0 || e.Cache.FailureTTL <= 0 || e.Cache.TagTTL <= 0 ||
			e.Registry.Limits.MaxSignatures <= 0 || e.Registry.Limits.MaxReferrers <= 0 || e.Registry.Limits.MaxRedirects <= 0 ||
			e.Registry.Limits.MaxManifestBytes <= 0 || e.Registry.Limits.MaxBlobBytes <= 0 {
			t.Fatalf("accepted %s as %+v", raw, e)
		}
		eng, err := engine.New(e)
		if err != nil {
			t.Fatalf("accepted %s, but the engine refuses it: %v", raw, err)
		}
		eng.Close()
	})
}

// namesFiles reports whether raw sets a field that names a file
// (encoding/json matches field names without regard to case).
func namesFiles(raw []byte) bool {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for k, v := range m {
		switch strings.ToLower(k) {
		case "trust_roots":
			return true
		case "registry":
			reg, _ := v.(map[string]any)
			for rk := range reg {
				if rk := strings.ToLower(rk); rk == "docker_config" || rk == "ca_file" {
					return true
				}
			}
		}
	}
	return false
}
