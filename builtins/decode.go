package builtins

import (
	"errors"

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
	raw, err := ast.JSON(obj)
	if err != nil {
		return nil, builtins.NewOperandErr(pos, "options must be JSON: %v", err)
	}
	m, _ := raw.(map[string]any)
	opts, err := verify.ParseOptions(m, attestation)
	if err == nil {
		err = eng.CheckOptions(opts)
	}
	if err != nil {
		var oe *verify.OptionError
		if errors.As(err, &oe) {
			return nil, builtins.NewOperandErr(pos, "%s", oe.Error())
		}
		return nil, builtins.NewOperandErr(pos, "%s", err.Error())
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
