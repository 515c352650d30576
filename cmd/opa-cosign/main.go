// Command opa-cosign is the Open Policy Agent with built-ins that verify
// Sigstore/cosign container-image signatures, the cosign plugin, and the
// upstream OPA-Envoy plugin (envoy_ext_authz_grpc), so that OPA beside Envoy
// can gate registry pulls and deploy APIs with the same built-ins.
package main

import (
	"os"

	envoy "github.com/open-policy-agent/opa-envoy-plugin/plugin"
	opaplugins "github.com/open-policy-agent/opa/v1/plugins"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/cli"
	"github.com/opa-cosign/opa-cosign/plugins"
)

func main() {
	builtins.Register()
	os.Exit(cli.Execute(os.Args[1:], map[string]opaplugins.Factory{
		plugins.Name:     plugins.Factory{},
		envoy.PluginName: envoy.Factory{},
	}))
}
