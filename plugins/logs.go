package plugins

import (
	"sort"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/logging"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/trust"
)

// logConfig logs the configuration in effect, at start and on every reload,
// so that an operator sees what the plugin does without reading the file:
// deadlines, bounds, which registries are reached over plain HTTP (and from
// where that came), trust roots. Only settings and file paths; the files'
// contents, credentials among them, are never logged.
func logConfig(log logging.Logger, c *Config, event string) {
	e := c.engine
	roots := []string{trust.PublicGoodName + " (embedded)"}
	for name, tr := range c.TrustRoots {
		if name == trust.PublicGoodName {
			roots[0] = name + " (" + tr.TrustedRootFile + ")"
			continue
		}
		roots = append(roots, name+" ("+tr.TrustedRootFile+")")
	}
	sort.Strings(roots[1:])
	dockerConfig := e.Registry.DockerConfig
	if dockerConfig == "" {
		dockerConfig = "$DOCKER_CONFIG or ~/.docker"
	}
	gatekeeper := "off"
	if c.GatekeeperProvider.Addr != "" {
		gatekeeper = c.GatekeeperProvider.Addr
	}
	log.WithFields(map[string]any{
		"timeout":                      e.Timeout.String(),
		"max_concurrency":              e.MaxConcurrency,
		"max_concurrency_per_registry": e.MaxConcurrencyPerRegistry,
		"cache": map[string]any{"max_entries": e.Cache.MaxEntries, "ttl": e.Cache.TTL.String(),
			"failure_ttl": e.Cache.FailureTTL.String(), "tag_ttl": e.Cache.TagTTL.String()},
		"registry": map[string]any{"insecure": nonNil(e.Registry.Insecure), "docker_config": dockerConfig, "ca_file": e.Registry.CAFile},
		"limits": map[string]any{"max_signatures": e.Registry.Limits.MaxSignatures, "max_referrers": e.Registry.Limits.MaxReferrers,
			"max_manifest_bytes": e.Registry.Limits.MaxManifestBytes, "max_blob_bytes": e.Registry.Limits.MaxBlobBytes,
			"max_redirects": e.Registry.Limits.MaxRedirects},
		"trust_roots":         roots,
		"gatekeeper_provider": gatekeeper,
	}).Info("cosign plugin %s: configuration in effect.", event)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// misuseLog logs misuse of the built-ins in the server — where OPA makes the
// call undefined and logs nothing, so that a policy passing a bad option
// denies everything silently — once per distinct message for as long as one
// configuration is in effect, never per request.
type misuseLog struct {
	log  logging.Logger
	mu   sync.Mutex
	seen map[string]bool
}

// maxMisuse bounds the messages remembered; past it, misuse is still logged
// at debug level.
const maxMisuse = 256

func (l *misuseLog) report(m builtins.Misuse) {
	msg := m.String()
	l.mu.Lock()
	first, full := !l.seen[msg], len(l.seen) >= maxMisuse
	if first && !full {
		l.seen[msg] = true
	}
	l.mu.Unlock()
	switch {
	case first && !full:
		l.log.WithFields(map[string]any{"builtin": m.Builtin, "error": msg}).
			Error("A cosign built-in was called with bad options or configuration; the call is undefined (this is logged once): %s", msg)
	case first:
		l.log.Debug("%s", msg)
	}
}

// nop observes nothing, where OPA gives the plugin no metrics registry.
type nop struct{}

func (nop) Verified(string, string, time.Duration) {}
func (nop) Cache(bool)                             {}
func (nop) CacheEvicted()                          {}
func (nop) InFlight(int)                           {}
func (nop) RegistryRequest(string)                 {}

// observer adds debug logs of each resolution and verification to the
// metrics.
type observer struct {
	engine.Observer
	log logging.Logger
}

var _ engine.Tracer = observer{}

func (o observer) Trace(t engine.Trace) {
	if o.log.GetLevel() < logging.Debug {
		return
	}
	fields := map[string]any{
		"image": t.Image, "registry": t.Registry, "result": t.Result,
		"duration_ms": t.Duration.Milliseconds(), "registry_requests": t.Requests,
	}
	if t.Digest != "" {
		fields["digest"] = t.Digest
	}
	if t.Message != "" {
		fields["message"] = t.Message
	}
	if t.Step == "resolve" {
		o.log.WithFields(fields).Debug("cosign: resolved the tag of %s: %s.", t.Image, t.Result)
		return
	}
	fields["kind"], fields["format"] = t.Kind, t.Format
	o.log.WithFields(fields).Debug("cosign: verified the %s of %s: %s.", t.Kind, t.Image, t.Result)
}
