package plugins

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/trust"
)

// Name is the plugin's key under `plugins:` in OPA's configuration.
const Name = "cosign"

// Config is `plugins.cosign` as written in OPA's config file (snake_case).
type Config struct {
	Timeout        string                     `json:"timeout"`
	MaxConcurrency *int                       `json:"max_concurrency"`
	MaxPerRegistry *int                       `json:"max_concurrency_per_registry"`
	Cache          CacheConfig                `json:"cache"`
	Registry       RegistryConfig             `json:"registry"`
	TrustRoots     map[string]TrustRootConfig `json:"trust_roots"`
	Limits         LimitsConfig               `json:"limits"`
	// GatekeeperProvider is Gatekeeper's external-data provider (gatekeeper_config.go).
	GatekeeperProvider GatekeeperConfig `json:"gatekeeper_provider"`
	// Kubernetes is registry credentials from the cluster (kubernetes_config.go); nil: off.
	Kubernetes *KubernetesConfig `json:"kubernetes"`

	engine engine.Config // the validated result
}

// CacheConfig bounds and times the verification cache.
type CacheConfig struct {
	MaxEntries *int   `json:"max_entries"`
	TTL        string `json:"ttl"`
	FailureTTL string `json:"failure_ttl"`
	TagTTL     string `json:"tag_ttl"`
}

// RegistryConfig is how registries are reached.
type RegistryConfig struct {
	Insecure     []string `json:"insecure"`
	DockerConfig string   `json:"docker_config"`
	CAFile       string   `json:"ca_file"`
}

// TrustRootConfig names a trusted_root.json file.
type TrustRootConfig struct {
	TrustedRootFile string `json:"trusted_root_file"`
}

// LimitsConfig caps what a registry can make us read (docs/security.md #1-#4).
type LimitsConfig struct {
	MaxSignatures    *int   `json:"max_signatures"`
	MaxReferrers     *int   `json:"max_referrers"`
	MaxManifestBytes *int64 `json:"max_manifest_bytes"`
	MaxBlobBytes     *int64 `json:"max_blob_bytes"`
	MaxRedirects     *int   `json:"max_redirects"`
}

// fieldError names the offending field by its full path, as OPA's plugins do.
func fieldError(field, why string) error {
	return fmt.Errorf("invalid value for plugins.%s.%s field, %s", Name, field, why)
}

// ParseConfig validates raw (the JSON of plugins.cosign; nil means defaults)
// and fills defaults. It reads trust root files but starts nothing.
func ParseConfig(raw []byte) (*Config, error) {
	c := &Config{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return nil, decodeError(raw, err)
		}
	}
	e := engine.Config{Registry: registry.Config{
		Insecure: c.Registry.Insecure, DockerConfig: c.Registry.DockerConfig, CAFile: c.Registry.CAFile,
	}}
	var err error
	if e.Timeout, err = duration("timeout", c.Timeout, engine.DefaultTimeout); err != nil {
		return nil, err
	}
	if c.GatekeeperProvider.provider, err = c.GatekeeperProvider.settings(e.Timeout); err != nil {
		return nil, err
	}
	if e.MaxConcurrency, err = positive("max_concurrency", c.MaxConcurrency, engine.DefaultMaxConcurrency); err != nil {
		return nil, err
	}
	perRegistry := engine.DefaultMaxConcurrencyPerRegistry(e.MaxConcurrency)
	if e.MaxConcurrencyPerRegistry, err = positive("max_concurrency_per_registry", c.MaxPerRegistry, perRegistry); err != nil {
		return nil, err
	}
	if e.MaxConcurrencyPerRegistry > e.MaxConcurrency {
		return nil, fieldError("max_concurrency_per_registry", fmt.Sprintf("should be at most max_concurrency (%d), got %d", e.MaxConcurrency, e.MaxConcurrencyPerRegistry))
	}
	if e.Cache, err = c.Cache.engine(); err != nil {
		return nil, err
	}
	if e.Registry.Limits, err = c.Limits.registry(); err != nil {
		return nil, err
	}
	if e.Registry.Insecure, err = insecureRegistries(c.Registry.Insecure); err != nil {
		return nil, err
	}
	if f := c.Registry.CAFile; f != "" {
		if _, err := os.Stat(f); err != nil {
			return nil, fieldError("registry.ca_file", err.Error())
		}
	}
	if r, err := c.Kubernetes.resolver(); err != nil {
		return nil, err
	} else if r != nil {
		e.PullSecrets = r
	}
	e.TrustRoots = map[string]root.TrustedMaterial{}
	for name, tr := range c.TrustRoots {
		field := "trust_roots." + name + ".trusted_root_file"
		if tr.TrustedRootFile == "" {
			return nil, fieldError(field, "should name a trusted_root.json file")
		}
		m, err := trust.LoadFile(tr.TrustedRootFile)
		if err != nil {
			return nil, fieldError(field, err.Error())
		}
		e.TrustRoots[name] = m
	}
	c.engine = e
	return c, nil
}

func (c CacheConfig) engine() (engine.CacheConfig, error) {
	var out engine.CacheConfig
	var err error
	if out.MaxEntries, err = positive("cache.max_entries", c.MaxEntries, engine.DefaultCacheEntries); err != nil {
		return out, err
	}
	if out.TTL, err = duration("cache.ttl", c.TTL, engine.DefaultCacheTTL); err != nil {
		return out, err
	}
	if out.FailureTTL, err = duration("cache.failure_ttl", c.FailureTTL, engine.DefaultFailureTTL); err != nil {
		return out, err
	}
	if out.TagTTL, err = duration("cache.tag_ttl", c.TagTTL, engine.DefaultTagTTL); err != nil {
		return out, err
	}
	return out, nil
}

func (l LimitsConfig) registry() (registry.Limits, error) {
	var out registry.Limits
	var err error
	if out.MaxSignatures, err = positive("limits.max_signatures", l.MaxSignatures, registry.DefaultMaxSignatures); err != nil {
		return out, err
	}
	if out.MaxReferrers, err = positive("limits.max_referrers", l.MaxReferrers, registry.DefaultMaxReferrers); err != nil {
		return out, err
	}
	if out.MaxRedirects, err = positive("limits.max_redirects", l.MaxRedirects, registry.DefaultMaxRedirects); err != nil {
		return out, err
	}
	if out.MaxManifestBytes, err = positive("limits.max_manifest_bytes", l.MaxManifestBytes, registry.DefaultMaxManifestBytes); err != nil {
		return out, err
	}
	if out.MaxBlobBytes, err = positive("limits.max_blob_bytes", l.MaxBlobBytes, registry.DefaultMaxBlobBytes); err != nil {
		return out, err
	}
	return out, nil
}

func duration(field, s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fieldError(field, fmt.Sprintf("should be a positive duration such as 30s, got %q", s))
	}
	return d, nil
}

func positive[T int | int64](field string, v *T, def T) (T, error) {
	if v == nil {
		return def, nil
	}
	if *v <= 0 {
		return 0, fieldError(field, fmt.Sprintf("should be a positive integer, got %d", *v))
	}
	return *v, nil
}
