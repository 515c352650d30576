package builtins

import (
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

var cosignVerifyBatch = Builtin{
	Decl: &rego.Function{
		Name: "cosign.verify_batch",
		Description: "Verifies many images at once: concurrently (bounded by the plugin's max_concurrency and max_concurrency_per_registry), identical requests " +
			"done once, and under one deadline (the plugin's timeout) after which unfinished entries are `timeout` errors. " +
			"Each distinct image (by normalised reference) is resolved to a digest once per call, and every request of that " +
			"image — other options, attestations — is verified against that one digest, which every result names. " +
			"The result array is aligned with the requests. A malformed request is an error naming its index.",
		Decl: types.NewFunction(
			types.Args(types.Named("requests", types.NewArray(nil, types.NewObject([]*types.StaticProperty{
				types.NewStaticProperty("image", types.S),
				types.NewStaticProperty("opts", optionsType),
			}, types.NewDynamicProperty(types.S, types.A)))).Description(`[{"image": ref, "opts": {…}, "attestation": false}]`)),
			types.Named("results", types.NewArray(nil, attestationResultType)).Description("one result per request, in order; attestation requests also carry attestations"),
		),
		Memoize:          true,
		Nondeterministic: true,
	},
	Details: "```rego\nresults := cosign.verify_batch([\n  {\"image\": \"ghcr.io/acme/app:1.2\", \"opts\": {\"key\": key}},\n" +
		"  {\"image\": \"ghcr.io/acme/app:1.2\", \"opts\": {\"key\": key, \"type\": \"slsaprovenance1\"}, \"attestation\": true},\n])\n```\n\n" +
		"Each request takes the options of cosign.verify, or of cosign.verify_attestation when `attestation` is true.",
}

func cosignVerifyBatchImpl(bctx rego.BuiltinContext, reqsTerm *ast.Term) (*ast.Term, error) {
	arr, err := builtins.ArrayOperand(reqsTerm.Value, 1)
	if err != nil {
		return nil, err
	}
	eng, err := engine.Current()
	if err != nil {
		return nil, misuse(bctx, cosignVerifyBatch.Decl.Name, err)
	}
	reqs := make([]engine.Request, arr.Len())
	kinds := make([]bool, arr.Len())
	for i := range arr.Len() {
		r, err := decodeRequest(eng, arr.Elem(i))
		if err != nil {
			return nil, misuse(bctx, cosignVerifyBatch.Decl.Name, builtins.NewOperandErr(1, "request %d: %v", i, err))
		}
		reqs[i], kinds[i] = r, r.Kind == verify.Attestations
	}
	results := eng.VerifyBatch(bctx.Context, reqs)
	out := make([]*ast.Term, len(results))
	for i, res := range results {
		out[i] = resultValue(res, kinds[i])
	}
	return ast.ArrayTerm(out...), nil
}

func decodeRequest(eng *engine.Engine, t *ast.Term) (engine.Request, error) {
	obj, ok := t.Value.(ast.Object)
	if !ok {
		return engine.Request{}, fmt.Errorf("must be an object, got %s", ast.ValueName(t.Value))
	}
	var req engine.Request
	var optsTerm *ast.Term
	err := obj.Iter(func(k, v *ast.Term) error {
		key, ok := k.Value.(ast.String)
		if !ok {
			return fmt.Errorf("keys must be strings")
		}
		switch string(key) {
		case "image":
			s, ok := v.Value.(ast.String)
			if !ok {
				return fmt.Errorf("image must be a string")
			}
			req.Image = string(s)
		case "opts":
			optsTerm = v
		case "attestation":
			b, ok := v.Value.(ast.Boolean)
			if !ok {
				return fmt.Errorf("attestation must be a boolean")
			}
			if b {
				req.Kind = verify.Attestations
			}
		default:
			return fmt.Errorf("unknown key %q (known: image, opts, attestation)", string(key))
		}
		return nil
	})
	if err != nil {
		return req, err
	}
	if req.Image == "" || optsTerm == nil {
		return req, fmt.Errorf("image and opts are required")
	}
	obj, isObj := optsTerm.Value.(ast.Object)
	if !isObj {
		return req, fmt.Errorf("opts must be an object, got %s", ast.ValueName(optsTerm.Value))
	}
	opts, err := parseOptions(eng, obj, req.Kind == verify.Attestations)
	if err != nil {
		return req, err
	}
	req.Options = opts
	return req, nil
}
