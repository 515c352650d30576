package plugins

import (
	"context"
	"sync"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/runtime"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/engine"
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
}

// Start builds the engine and makes the built-ins use it.
func (p *Plugin) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.install(p.config); err != nil {
		return err
	}
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
	p.mu.Unlock()
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
