// Command opa-cosign is the Open Policy Agent with built-ins that verify
// Sigstore/cosign container-image signatures, and the cosign plugin.
package main

import (
	"errors"
	"os"

	"github.com/open-policy-agent/opa/cmd"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/plugins"
)

func main() {
	builtins.Register()
	plugins.Register()

	if err := cmd.RootCommand.Execute(); err != nil {
		var exit *cmd.ExitError
		if errors.As(err, &exit) {
			os.Exit(exit.Exit)
		}
		os.Exit(1)
	}
}
