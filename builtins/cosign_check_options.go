package builtins

import (
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

var cosignCheckOptions = Builtin{
	Decl: &rego.Function{
		Name: "cosign.check_options",
		Description: "Checks cosign options the way cosign.verify (or, with attestation true, cosign.verify_attestation) " +
			"would, without verifying anything: pure, no request. Returns the problems as data — an empty array when the " +
			"options are valid — so that a policy can validate its whole configuration and name each bad option, where " +
			"cosign.verify would raise an error (undefined).",
		Decl: types.NewFunction(
			types.Args(
				types.Named("opts", types.A).Description("cosign options, as for cosign.verify; any other value is reported as a problem"),
				types.Named("attestation", types.B).Description("check the options of cosign.verify_attestation (which needs `type`)"),
			),
			types.Named("problems", types.NewArray(nil, types.S)).Description(`e.g. ["option \"key\": not a PEM public key: …"]; [] when valid`),
		),
		Memoize: true,
	},
	Details: "```rego\ncosign.check_options({\"key\": \"not a key\"}, false)\n# [\"option \\\"key\\\": not a PEM public key: …\"]\n```",
}

func cosignCheckOptionsImpl(_ rego.BuiltinContext, optsTerm, attTerm *ast.Term) (*ast.Term, error) {
	attestation, ok := attTerm.Value.(ast.Boolean)
	if !ok {
		return nil, builtins.NewOperandTypeErr(2, attTerm.Value, "boolean")
	}
	problem := func(msg string) (*ast.Term, error) { return ast.ArrayTerm(ast.StringTerm(msg)), nil }
	obj, isObj := optsTerm.Value.(ast.Object)
	if !isObj {
		return problem("options must be an object, got " + ast.ValueName(optsTerm.Value))
	}
	eng, err := engine.Current()
	if err == nil {
		_, err = eng.Options(optionsKey(obj, bool(attestation)), func() (*verify.Options, error) {
			raw, err := ast.JSON(obj)
			if err != nil {
				return nil, fmt.Errorf("options must be JSON: %w", err)
			}
			m, _ := raw.(map[string]any)
			return verify.ParseOptions(m, bool(attestation))
		})
	}
	if err == nil {
		return ast.ArrayTerm(), nil
	}
	var oe *verify.OptionError
	if errors.As(err, &oe) {
		return problem(oe.Error())
	}
	return problem(err.Error())
}
