package engine

import (
	"errors"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// maxParsedOptions bounds the option sets kept parsed: a config names few
// (one per pattern at most), and a policy that makes options up per call
// only pushes older ones out.
const maxParsedOptions = 1024

// parsedOptions keeps the outcome of parsing and checking each distinct
// option set — PEM keys loaded, regexps compiled, trust roots looked up —
// so that a decision pays a lookup, not a parse, per request (issue 14).
// Only outcomes that depend on the options and this engine alone are kept:
// valid options, and misuse reported as a verify.OptionError.
type parsedOptions struct {
	lru *lru.Cache[string, optionsOutcome]
}

type optionsOutcome struct {
	opts *verify.Options
	err  error
}

func newParsedOptions() *parsedOptions {
	c, _ := lru.New[string, optionsOutcome](maxParsedOptions) // cannot fail: the size is positive
	return &parsedOptions{lru: c}
}

// Options returns the parsed and checked options that key names; parse reads
// them when this engine has not seen key. key must identify the options
// exactly (the builtins use the canonical text of the options value and
// whether they are for an attestation). The returned Options are shared: read
// only.
func (e *Engine) Options(key string, parse func() (*verify.Options, error)) (*verify.Options, error) {
	if out, ok := e.options.lru.Get(key); ok {
		return out.opts, out.err
	}
	o, err := parse()
	if err == nil {
		err = e.CheckOptions(o)
	}
	var oe *verify.OptionError
	if err == nil || errors.As(err, &oe) {
		e.options.lru.Add(key, optionsOutcome{opts: o, err: err})
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}
