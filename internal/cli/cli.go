package cli

import (
	"errors"

	opacmd "github.com/open-policy-agent/opa/cmd"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/runtime"
	"github.com/open-policy-agent/opa/v1/sdk"
	"github.com/spf13/cobra"
)

// Execute runs the opa-cosign command with args (without the program name)
// and returns the exit code. The built-ins must be registered already;
// factories are the plugins the distribution includes, registered here for
// `run` and for `exec` (OPA's exec builds its runtime through the SDK, which
// knows no registered plugin: without this, `exec --config-file` failed with
// `plugin "cosign" not registered`).
func Execute(args []string, factories map[string]plugins.Factory) int {
	for name, f := range factories {
		runtime.RegisterPlugin(name, f)
	}
	sdk.SetDefaultOptions(sdk.Options{Plugins: factories})

	root := New(sortedKeys(factories))
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		var exit *opacmd.ExitError
		if errors.As(err, &exit) {
			return exit.Exit
		}
		return 1
	}
	return 0
}

// consequences say, per command, what an undefined built-in call meant there.
var consequences = map[string]string{
	"eval":  "so the result above is not a verification result",
	"test":  "so tests may have passed or failed for that reason",
	"bench": "so what was measured is not a verification",
	"exec":  "so the results above are not verification results",
}

// New builds the command tree: OPA's commands branded opa-cosign, with the
// distribution's defaults, and the verify commands.
func New(pluginNames []string) *cobra.Command {
	root := opacmd.Command(&cobra.Command{
		Use:   "opa-cosign",
		Short: "The Open Policy Agent with Sigstore/cosign image verification",
	}, "opa-cosign")
	a := about{plugins: pluginNames}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "run":
			offlineByDefault(c)
		case "eval", "test":
			addConfigFlag(c)
			failOnMisuse(c, consequences[c.Name()])
		case "bench", "exec": // both take --config-file already
			failOnMisuse(c, consequences[c.Name()])
		case "version":
			a.brand(root, c)
		}
	}
	root.AddCommand(verifyCommand(false), verifyCommand(true))
	return root
}
