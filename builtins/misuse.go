package builtins

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Misuse is an error a built-in raised because the policy called it wrongly
// (an unknown option, a malformed key, certificate or regexp, a malformed
// batch request) or because the built-ins' own configuration is invalid.
// OPA turns such an error into an undefined call and, outside
// --strict-builtin-errors, says nothing: a reporter makes it seen.
// Verification failures are data and never reported here.
type Misuse struct {
	Builtin  string
	Location *ast.Location // the call in the policy or query; may be nil
	Err      error
}

// String is the misuse as a user reads it: where, which built-in, why.
func (m Misuse) String() string {
	msg := m.Builtin + ": " + m.Err.Error()
	if m.Location != nil && m.Location.File != "" {
		return m.Location.String() + ": " + msg
	}
	return msg
}

var (
	reportersMu sync.RWMutex
	reporters   = map[int]func(Misuse){}
	nextID      int
)

// ReportMisuse calls f with every misuse from now on (concurrently: f must be
// safe for that) until the returned function is called. The CLI uses it to
// print misuse and fail; the plugin to log it.
func ReportMisuse(f func(Misuse)) (stop func()) {
	reportersMu.Lock()
	defer reportersMu.Unlock()
	id := nextID
	nextID++
	reporters[id] = f
	return func() {
		reportersMu.Lock()
		defer reportersMu.Unlock()
		delete(reporters, id)
	}
}

// misuse reports err as a misuse of the built-in called at bctx and returns
// it unchanged (it still makes the call undefined).
func misuse(bctx rego.BuiltinContext, name string, err error) error {
	reportersMu.RLock()
	defer reportersMu.RUnlock()
	for _, f := range reporters {
		f(Misuse{Builtin: name, Location: bctx.Location, Err: err})
	}
	return err
}
