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

// parseOptions validates an options object; the error names the option. The
// engine keeps each distinct option set parsed and checked (issue 14), so a
// decision pays a lookup, not a parse, per call.
func parseOptions(eng *engine.Engine, obj ast.Object, attestation bool) (*verify.Options, error) {
	opts, err := eng.Options(optionsKey(obj, attestation), func() (*verify.Options, error) {
		raw, err := ast.JSON(obj)
		if err != nil {
			return nil, fmt.Errorf("options must be JSON: %w", err)
		}
		m, _ := raw.(map[string]any)
		return verify.ParseOptions(m, attestation)
	})
	if err != nil {
		var oe *verify.OptionError
		if errors.As(err, &oe) {
			return nil, oe
		}
		return nil, err
	}
	return opts, nil
}

// optionsKey identifies an options value for the engine's parsed-options
// cache: its Rego text, which differs for any two different values.
func optionsKey(obj ast.Object, attestation bool) string {
	if attestation {
		return "att\x00" + obj.String()
	}
	return "sig\x00" + obj.String()
}

// imageOperand reads an image reference operand.
func imageOperand(t *ast.Term, pos int) (string, error) {
	s, err := builtins.StringOperand(t.Value, pos)
	if err != nil {
		return "", err
	}
	return string(s), nil
}
