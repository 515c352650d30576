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
			"The result array is aligned with the requests. A malformed request is an error naming its index. " +
			"A request's optional `kubernetes` context — `{\"namespace\", \"image_pull_secrets\": [names], \"service_account\"}` — " +
			"makes it read the registry with the credentials the kubelet would use (the plugin's `kubernetes` section; ignored without it); " +
			"results read with one set of credentials are never reused for another.",
		Decl: types.NewFunction(
			types.Args(types.Named("requests", types.NewArray(nil, types.NewObject([]*types.StaticProperty{
				types.NewStaticProperty("image", types.S),
				types.NewStaticProperty("opts", optionsType),
			}, types.NewDynamicProperty(types.S, types.A)))).Description(`[{"image": ref, "opts": {…}, "attestation": false, "kubernetes": {…}}]`)),
			types.Named("results", types.NewArray(nil, attestationResultType)).Description("one result per request, in order; attestation requests also carry attestations"),
		),
		Memoize:          true,
		Nondeterministic: true,
	},
	Details: "```rego\nresults := cosign.verify_batch([\n  {\"image\": \"ghcr.io/acme/app:1.2\", \"opts\": {\"key\": key}},\n" +
		"  {\"image\": \"ghcr.io/acme/app:1.2\", \"opts\": {\"key\": key, \"type\": \"slsaprovenance1\"}, \"attestation\": true},\n])\n```\n\n" +
		"Each request takes the options of cosign.verify, or of cosign.verify_attestation when `attestation` is true.\n\n" +
		"`kubernetes` (optional, `null` for none) says where the kubelet will find the image's registry credentials: " +
		"`namespace` (required), `image_pull_secrets` (the Secret names of the Pod spec) and `service_account` (for a workload " +
		"template: its ServiceAccount, whose pull secrets are used when `image_pull_secrets` is empty, as the ServiceAccount " +
		"admission plugin adds them to the Pods it creates). With the plugin's `kubernetes` section configured, the secrets are " +
		"read from the API server and matched to registries as the kubelet matches them, the plugin's docker config being the " +
		"fallback ([deployment.md](deployment.md#registry-credentials-from-the-cluster)); a secret or ServiceAccount that does not " +
		"exist is left out and named in an `unauthorized` result, and one that cannot be read gives `credentials_error`. Without the " +
		"section the context is ignored. The Rego library passes it for admission requests.",
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
		case "kubernetes":
			pc, err := decodePullContext(v)
			if err != nil {
				return fmt.Errorf("kubernetes: %w", err)
			}
			req.Kubernetes = pc
		default:
			return fmt.Errorf("unknown key %q (known: image, opts, attestation, kubernetes)", string(key))
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
