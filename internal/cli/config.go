package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"

	"github.com/open-policy-agent/opa/v1/util"
	"github.com/spf13/cobra"

	"github.com/opa-cosign/opa-cosign/plugins"
)

const configFlag = "config-file"

// addConfigFlag gives a command that runs without the plugin (eval, test,
// bench) a --config-file: the OPA config file of `run`, of which only
// plugins.cosign is read. OPA maps OPA_<COMMAND>_CONFIG_FILE to it.
func addConfigFlag(c *cobra.Command) {
	c.Flags().String(configFlag, "", "OPA config file whose plugins.cosign section configures the cosign built-ins "+
		"(trust roots, registry CA and credentials, insecure registries, timeout, limits); other sections are ignored")
	wrapRunE(c, func(cmd *cobra.Command, _ []string) error {
		file, _ := cmd.Flags().GetString(configFlag)
		if file == "" {
			return nil
		}
		if err := installConfigFile(file); err != nil {
			return fmt.Errorf("--%s %s: %w", configFlag, file, err)
		}
		return nil
	})
}

// installConfigFile installs an engine built from the plugins.cosign section
// of an OPA config file (the defaults when it has none).
func installConfigFile(file string) error {
	raw, err := pluginSection(file)
	if err != nil {
		return err
	}
	return plugins.InstallConfig(raw)
}

// pluginSection reads an OPA config file (YAML or JSON, ${VAR} replaced from
// the environment as `run` does) and returns its plugins.cosign section as
// JSON, nil when it has none.
func pluginSection(file string) ([]byte, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	raw = envVar.ReplaceAllFunc(raw, func(m []byte) []byte { return []byte(os.Getenv(string(m[2 : len(m)-1]))) })
	var doc struct {
		Plugins map[string]json.RawMessage `json:"plugins"`
	}
	if err := util.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("not an OPA config file: %w", err)
	}
	return doc.Plugins[plugins.Name], nil
}

// envVar is OPA's ${VAR} notation in config files.
var envVar = regexp.MustCompile(`\$\{[^}]*\}`)

// wrapRunE runs before ahead of c's own RunE (after its PreRunE, which maps
// environment variables to flags); an error from before is printed and
// exits 2, as eval's errors do.
func wrapRunE(c *cobra.Command, before func(*cobra.Command, []string) error) {
	inner := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if err := before(cmd, args); err != nil {
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
			return exitCode(2)
		}
		return inner(cmd, args)
	}
}
