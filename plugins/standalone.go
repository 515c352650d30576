package plugins

import "github.com/opa-cosign/opa-cosign/internal/engine"

// InstallConfig validates raw (the JSON of plugins.cosign) and makes an
// engine built from it the one the built-ins use, without a running plugin:
// how `opa-cosign eval --config-file`, `test --config-file` and `verify`
// take the same settings as the server (trust roots, registry CA, timeouts,
// limits). The Gatekeeper provider is not started.
func InstallConfig(raw []byte) error {
	c, err := ParseConfig(raw)
	if err != nil {
		return err
	}
	e, err := engine.New(c.engine)
	if err != nil {
		return err
	}
	engine.Install(e)
	return nil
}
