package builtins

import "github.com/open-policy-agent/opa/v1/types"

// Types shared by the declarations, so that the type checker, capabilities
// and docs describe results exactly.
var (
	optionsType = types.NewObject(nil, types.NewDynamicProperty(types.S, types.A))

	errorsType = types.NewArray(nil, types.NewObject([]*types.StaticProperty{
		types.NewStaticProperty("code", types.S),
		types.NewStaticProperty("message", types.S),
	}, nil))

	signatureType = types.NewObject([]*types.StaticProperty{
		types.NewStaticProperty("format", types.S),
		types.NewStaticProperty("signer", types.S),
		types.NewStaticProperty("digest", types.S),
		types.NewStaticProperty("subject", types.S),
		types.NewStaticProperty("issuer", types.S),
		types.NewStaticProperty("extensions", types.NewObject(nil, types.NewDynamicProperty(types.S, types.S))),
		types.NewStaticProperty("annotations", types.NewObject(nil, types.NewDynamicProperty(types.S, types.A))),
		types.NewStaticProperty("tlog", types.NewAny(types.Nl, types.NewObject([]*types.StaticProperty{
			types.NewStaticProperty("log_index", types.N),
			types.NewStaticProperty("integrated_time", types.N),
		}, nil))),
	}, nil)

	verifyProps = []*types.StaticProperty{
		types.NewStaticProperty("verified", types.B),
		types.NewStaticProperty("image", types.S),
		types.NewStaticProperty("digest", types.S),
		types.NewStaticProperty("reference", types.S),
		types.NewStaticProperty("signatures", types.NewArray(nil, signatureType)),
		types.NewStaticProperty("errors", errorsType),
	}

	verifyResultType = types.NewObject(verifyProps, nil)

	attestationResultType = types.NewObject(append(verifyProps[:len(verifyProps):len(verifyProps)],
		types.NewStaticProperty("attestations", types.NewArray(nil, types.NewObject([]*types.StaticProperty{
			types.NewStaticProperty("predicate_type", types.S),
			types.NewStaticProperty("predicate", types.A),
			types.NewStaticProperty("signature", signatureType),
		}, nil))),
	), nil)
)
