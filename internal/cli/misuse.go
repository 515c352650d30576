package cli

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	opacmd "github.com/open-policy-agent/opa/cmd"
	"github.com/spf13/cobra"

	"github.com/opa-cosign/opa-cosign/builtins"
)

// maxShown bounds the misuse printed after a command; the rest is counted.
const maxShown = 10

// failOnMisuse makes misuse of the cosign built-ins during c (an unknown
// option, a malformed key or regexp, a bad OPA_COSIGN_INSECURE_REGISTRIES)
// visible: OPA makes such a call undefined and says nothing, so that
// `eval` printed `undefined` or a denial and exited 0. After the command,
// each distinct misuse is printed to stderr with the call's location, and the
// exit code is 2 (OPA's code for an evaluation error). Verification failures
// are data and change nothing. With eval's --strict-builtin-errors the error
// has been printed already.
func failOnMisuse(c *cobra.Command, consequence string) {
	inner := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		var mu sync.Mutex
		seen := map[string]bool{}
		stop := builtins.ReportMisuse(func(m builtins.Misuse) {
			mu.Lock()
			defer mu.Unlock()
			seen[m.String()] = true
		})
		err := inner(cmd, args)
		stop()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || strict(cmd) {
			return err
		}
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		msgs := make([]string, 0, len(seen))
		for m := range seen {
			msgs = append(msgs, m)
		}
		sort.Strings(msgs)
		w := cmd.ErrOrStderr()
		fmt.Fprintf(w, "error: %d cosign built-in error(s): each made its call undefined, %s:\n", len(msgs), consequence)
		for i, m := range msgs {
			if i == maxShown {
				fmt.Fprintf(w, "  … and %d more\n", len(msgs)-maxShown)
				break
			}
			fmt.Fprintln(w, "  "+m)
		}
		var exit *opacmd.ExitError
		if errors.As(err, &exit) && exit.Exit > 2 {
			return err
		}
		return exitCode(2)
	}
}

// strict reports whether the command already raises built-in errors itself.
func strict(cmd *cobra.Command) bool {
	on, err := cmd.Flags().GetBool("strict-builtin-errors")
	return err == nil && on
}

func exitCode(n int) error { return &opacmd.ExitError{Exit: n} }
