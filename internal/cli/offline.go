package cli

import "github.com/spf13/cobra"

// offlineByDefault turns OPA's version check (a request to api.github.com at
// start and every few hours, in `run`) off unless asked for with
// --skip-version-check=false: opa-cosign runs in clusters and CI that should
// make no request they were not configured to make, and its version is not
// OPA's. `version --check` still checks when asked.
func offlineByDefault(run *cobra.Command) {
	f := run.Flags().Lookup("skip-version-check")
	if f == nil {
		return
	}
	_ = f.Value.Set("true")
	f.DefValue = "true"
	f.Usage = "skip OPA's version check against GitHub releases (opa-cosign's default: it makes no request unless asked; " +
		"--skip-version-check=false to check)"
}
