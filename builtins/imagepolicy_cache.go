package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/memo"
)

var imagepolicyCache = Builtin{
	Decl: &rego.Function{
		Name: "imagepolicy.cache",
		Description: "Keeps `value` for `key` under `name`, for imagepolicy.cached, and returns it. `value` must be a pure " +
			"function of `key` and the policy.",
		Decl: types.NewFunction(
			types.Args(
				types.Named("name", types.S).Description("which cache, e.g. \"validation\""),
				types.Named("key", types.A).Description("the value the cached one is a function of"),
				types.Named("value", types.A).Description("the value to keep"),
			),
			types.Named("result", types.A).Description("value, unchanged"),
		),
		Nondeterministic: true,
	},
	Details: memoDetails,
}

func imagepolicyCacheImpl(_ rego.BuiltinContext, nameTerm, keyTerm, valueTerm *ast.Term) (*ast.Term, error) {
	name, err := builtins.StringOperand(nameTerm.Value, 1)
	if err != nil {
		return nil, err
	}
	memo.Default.Put(string(name), keyTerm, valueTerm)
	return valueTerm, nil
}
