// Command opa-cosign is the Open Policy Agent with built-ins that verify
// Sigstore/cosign container-image signatures, the cosign plugin, and the
// upstream OPA-Envoy plugin (envoy_ext_authz_grpc), so that OPA beside Envoy
// can gate registry pulls and deploy APIs with the same built-ins.
package main

import (
	"errors"
	"os"

	"github.com/open-policy-agent/opa-envoy-plugin/plugin"
	"github.com/open-policy-agent/opa/cmd"
	"github.com/open-policy-agent/opa/v1/runtime"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/plugins"
)

func main() {
	builtins.Register()
	plugins.Register()
	runtime.RegisterPlugin(plugin.PluginName, plugin.Factory{})

	if err := cmd.RootCommand.Execute(); err != nil {
		var exit *cmd.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.Exit)
		}
		os.Exit(1)
	}
}
