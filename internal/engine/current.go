package engine

import (
	"sync"
	"sync/atomic"

	"github.com/opa-cosign/opa-cosign/internal/memo"
	"github.com/opa-cosign/opa-cosign/internal/registry"
)

var (
	current     atomic.Pointer[Engine]
	defaultOnce sync.Once
	defaultEng  *Engine
	defaultErr  error
)

// Install makes e the engine the built-ins use (the plugin calls it on start
// and reconfiguration) and closes the engine it replaces: calls running on
// that one finish there, then its connections are closed (docs/security.md #35).
func Install(e *Engine) {
	// Values the policy kept (internal/memo) may depend on the engine's trust
	// roots (cosign.check_options): forget them with the engine.
	memo.Default.Invalidate()
	if old := current.Swap(e); old != nil && old != e {
		old.Close()
	}
}

// Current returns the installed engine, or a default one built from the
// environment when no plugin runs (opa-cosign eval, opa-cosign test).
func Current() (*Engine, error) {
	if e := current.Load(); e != nil {
		return e, nil
	}
	defaultOnce.Do(func() {
		cfg, err := DefaultConfig()
		if err != nil {
			defaultErr = err
			return
		}
		defaultEng, defaultErr = New(cfg)
	})
	return defaultEng, defaultErr
}

// DefaultConfig is the configuration without a plugin: defaults plus the
// registries named in OPA_COSIGN_INSECURE_REGISTRIES, whose malformed value is
// an error.
func DefaultConfig() (Config, error) {
	var cfg Config
	hosts, err := registry.InsecureFromEnv()
	cfg.Registry.Insecure = hosts
	return cfg, err
}
