package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/memo"
)

// memoDetails is shared by the two memo built-ins' reference text.
const memoDetails = "The pair keeps, across queries, a value the policy computes as a pure function of `key` and of the " +
	"policy itself — the library's config validation, a namespace's effective config, an image's matched rule — so that it is " +
	"paid once per config revision, not on every decision. Never give it a value that depends on anything but the key and " +
	"the policy (a verification result, the time, the input beyond the key). Lookups hit only while the cosign plugin runs: " +
	"it empties the store on every policy change, every reconfiguration and every committed write to OPA's store (the Data API, a bundle's activation, " +
	"kube-mgmt's replication), since the store may change its values in place. Without it (`opa-cosign eval`, `test`) every lookup " +
	"misses, so the policy computes each value as it would without the pair. Keys are compared by value; each name keeps at " +
	"most 4,096 values (least recently used out first), at most 8 keys whose hashes collide (oldest out first), and at most 32 names exist.\n\n" +
	"```rego\nerrors := e if {\n\te := imagepolicy.cached(\"validation\", settings.config)\n} else := imagepolicy.cache(\"validation\", settings.config, computed_errors)\n```"

var imagepolicyCached = Builtin{
	Decl: &rego.Function{
		Name: "imagepolicy.cached",
		Description: "Returns the value imagepolicy.cache kept for `key` under `name`; undefined when there is none " +
			"(always, without the cosign plugin). Pure for the policy that stored it: the store is emptied whenever the policy changes.",
		Decl: types.NewFunction(
			types.Args(
				types.Named("name", types.S).Description("which cache, e.g. \"validation\""),
				types.Named("key", types.A).Description("the value the cached one is a function of"),
			),
			types.Named("value", types.A).Description("the value kept; undefined on a miss"),
		),
		Nondeterministic: true,
	},
	Details: memoDetails,
}

func imagepolicyCachedImpl(_ rego.BuiltinContext, nameTerm, keyTerm *ast.Term) (*ast.Term, error) {
	name, err := builtins.StringOperand(nameTerm.Value, 1)
	if err != nil {
		return nil, err
	}
	if v, ok := memo.Default.Get(string(name), keyTerm); ok {
		return v, nil
	}
	return nil, nil // undefined: a miss
}
