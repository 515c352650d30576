package plugins

import (
	"context"
	"sync"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/runtime"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/memo"
)

var registerOnce sync.Once

// Register makes the plugin known to OPA's runtime.
func Register() {
	registerOnce.Do(func() { runtime.RegisterPlugin(Name, Factory{}) })
}

// Factory creates the cosign plugin.
type Factory struct{}

// Validate parses and checks the config; it has no side effects (OPA may call
// it more than once).
func (Factory) Validate(_ *plugins.Manager, raw []byte) (any, error) {
	return ParseConfig(raw)
}

// New creates the plugin; its engine is built and installed on Start.
func (Factory) New(m *plugins.Manager, cfg any) plugins.Plugin {
	var metrics engine.Observer = nop{}
	if reg := m.PrometheusRegister(); reg != nil {
		metrics = newMetrics(reg)
	}
	p := &Plugin{manager: m, config: cfg.(*Config), observer: observer{Observer: metrics, log: m.Logger()}}
	// Values the policy keeps across queries (imagepolicy.cached) are only
	// right for the policy that computed them: forget them whenever it
	// changes. OPA runs the trigger while no query holds the store.
	m.RegisterCompilerTrigger(func(storage.Transaction) { memo.Default.Invalidate() })
	m.UpdatePluginStatus(Name, &plugins.Status{State: plugins.StateNotReady})
	return p
}

// Plugin owns the engine of one configuration.
type Plugin struct {
	manager  *plugins.Manager
	observer engine.Observer
	mu       sync.Mutex
	config   *Config

	gatekeeper *gatekeeperProvider // Gatekeeper's external-data provider, when configured
	watch      *configWatch        // logs the library's config errors once per revision
	misuse     *misuseLog          // logs misuse of the built-ins once per message
	stopMisuse func()
	stopMemo   func(context.Context) // removes the store trigger that empties the memo
}

// Start builds the engine and makes the built-ins use it.
func (p *Plugin) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.install(p.config); err != nil {
		return err
	}
	stopMemo, err := watchMemo(ctx, p.manager)
	if err != nil {
		return err
	}
	p.stopMemo = stopMemo
	memo.Default.Enable()
	logConfig(p.manager.Logger(), p.config, "started")
	p.misuse = &misuseLog{log: p.manager.Logger(), seen: map[string]bool{}}
	p.stopMisuse = builtins.ReportMisuse(p.misuse.report)
	w, err := watchConfig(ctx, p.manager)
	if err != nil {
		return err
	}
	p.watch = w
	return p.startGatekeeper(p.config)
}

// Stop leaves the engine installed: queries still running finish on it, and
// the next Start (after a config reload) replaces it.
func (p *Plugin) Stop(ctx context.Context) {
	p.mu.Lock()
	p.stopGatekeeper(ctx)
	if p.watch != nil {
		p.watch.stop(ctx)
		p.watch = nil
	}
	if p.stopMisuse != nil {
		p.stopMisuse()
		p.stopMisuse = nil
	}
	if p.stopMemo != nil {
		p.stopMemo(ctx)
		p.stopMemo = nil
	}
	p.mu.Unlock()
	// A manager that replaces this one registers its own trigger on Start.
	memo.Default.Disable()
	p.manager.UpdatePluginStatus(Name, &plugins.Status{State: plugins.StateNotReady})
}

// Reconfigure swaps in an engine for the new config (discovery updates).
// In-flight verifications finish on the engine they started with.
func (p *Plugin) Reconfigure(_ context.Context, cfg any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.install(cfg.(*Config)); err == nil && p.startGatekeeper(cfg.(*Config)) == nil {
		p.config = cfg.(*Config)
		logConfig(p.manager.Logger(), p.config, "reconfigured")
		if p.misuse != nil { // a new configuration: misuse is worth one more line each
			p.misuse.mu.Lock()
			p.misuse.seen = map[string]bool{}
			p.misuse.mu.Unlock()
		}
	}
}

func (p *Plugin) install(c *Config) error {
	cfg := c.engine
	cfg.Observer = p.observer
	e, err := engine.New(cfg)
	if err != nil {
		p.manager.UpdatePluginStatus(Name, &plugins.Status{State: plugins.StateErr, Message: err.Error()})
		return err
	}
	engine.Install(e)
	p.manager.UpdatePluginStatus(Name, &plugins.Status{State: plugins.StateOK})
	return nil
}
