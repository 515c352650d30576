package cli

import (
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/spf13/cobra"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/trust"
)

// about is what makes this OPA opa-cosign, for `--help` and `version`.
type about struct {
	plugins []string
}

func (a about) builtins() string {
	var names []string
	for _, b := range builtins.All() {
		names = append(names, b.Decl.Name)
	}
	return strings.Join(names, ", ")
}

// trustedRoot describes the embedded public-good root: where it came from and
// how recent it is (the newest validity start of its keys), so that an
// operator can tell a stale binary and knows how to replace the root.
func (a about) trustedRoot() string {
	tr, err := trust.PublicGood()
	if err != nil {
		return "unreadable: " + err.Error()
	}
	from := "github.com/sigstore/sigstore"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, d := range info.Deps {
			if d.Path == from {
				from += " " + d.Version
			}
		}
	}
	return fmt.Sprintf("Sigstore public-good, embedded from %s, newest key valid from %s "+
		"(replace it with plugins.cosign.trust_roots.public-good.trusted_root_file)", from, newest(tr).Format(time.DateOnly))
}

func newest(tr *root.TrustedRoot) time.Time {
	var t time.Time
	later := func(s time.Time) {
		if s.After(t) {
			t = s
		}
	}
	for _, ca := range tr.FulcioCertificateAuthorities() {
		if f, ok := ca.(*root.FulcioCertificateAuthority); ok {
			later(f.ValidityPeriodStart)
		}
	}
	for _, logs := range []map[string]*root.TransparencyLog{tr.RekorLogs(), tr.CTLogs()} {
		for _, l := range logs {
			later(l.ValidityPeriodStart)
		}
	}
	for _, tsa := range tr.TimestampingAuthorities() {
		if s, ok := tsa.(*root.SigstoreTimestampingAuthority); ok {
			later(s.ValidityPeriodStart)
		}
	}
	return t
}

func (a about) write(w io.Writer) {
	fmt.Fprintln(w, "Distribution: opa-cosign (the Open Policy Agent with Sigstore/cosign image verification)")
	fmt.Fprintln(w, "Built-ins: "+a.builtins())
	fmt.Fprintln(w, "Plugins: "+strings.Join(a.plugins, ", "))
	fmt.Fprintln(w, "Trusted Root: "+a.trustedRoot())
	fmt.Fprintln(w, "Version Check: off (opa-cosign calls no one unless asked: run --skip-version-check=false, or version --check)")
}

// brand adds opa-cosign's facts to the root command's help and to `version`.
func (a about) brand(rootCmd, version *cobra.Command) {
	var b strings.Builder
	b.WriteString("opa-cosign is the Open Policy Agent with Sigstore/cosign image verification built in: every opa\n" +
		"command, plus built-ins that verify container-image signatures and attestations offline, the cosign\n" +
		"plugin, and `verify`/`verify-attestation` with cosign's flags.\n\n")
	a.write(&b)
	rootCmd.Long = b.String()
	inner := version.RunE
	version.RunE = func(cmd *cobra.Command, args []string) error {
		if err := inner(cmd, args); err != nil {
			return err
		}
		a.write(cmd.OutOrStdout())
		return nil
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
