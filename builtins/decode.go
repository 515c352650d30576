package builtins

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// decodeOptions validates an options operand at position pos.
func decodeOptions(eng *engine.Engine, pos int, t *ast.Term, attestation bool) (*verify.Options, error) {
	obj, err := builtins.ObjectOperand(t.Value, pos)
	if err != nil {
		return nil, err
	}
	opts, err := parseOptions(eng, obj, attestation)
	if err != nil {
		return nil, builtins.NewOperandErr(pos, "%s", err.Error())
	}
	return opts, nil
}

// parseOptions validates an options object; the error names the option.
func parseOptions(eng *engine.Engine, obj ast.Object, attestation bool) (*verify.Options, error) {
	raw, err := ast.JSON(obj)
	if err != nil {
		return nil, fmt.Errorf("options must be JSON: %w", err)
	}
	m, _ := raw.(map[string]any)
	opts, err := verify.ParseOptions(m, attestation)
	if err == nil {
		err = eng.CheckOptions(opts)
	}
	if err != nil {
		var oe *verify.OptionError
		if errors.As(err, &oe) {
			return nil, oe
		}
		return nil, err
	}
	return opts, nil
}

// imageOperand reads an image reference operand.
func imageOperand(t *ast.Term, pos int) (string, error) {
	s, err := builtins.StringOperand(t.Value, pos)
	if err != nil {
		return "", err
	}
	return string(s), nil
}
