package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

var cosignVerify = Builtin{
	Decl: &rego.Function{
		Name: "cosign.verify",
		Description: "Verifies an image's cosign signatures, in both formats: legacy `.sig` signatures (cosign v1/v2) and " +
			"Sigstore bundles attached as OCI referrers (cosign v3). The signed payload is always bound to the image digest. " +
			"Verification and registry failures are data (`verified: false` with `errors[].code`); only misuse — an unknown " +
			"option, a malformed key, certificate or regexp, no verification method, conflicting options, options that could only " +
			"ever fail (`certificate` without `certificate-chain` or not valid for it and the identity options; a transparency-log, " +
			"SCT or keyless check the trusted root has nothing to check against) — is an error naming the option, never a cached result.",
		Decl: types.NewFunction(
			types.Args(
				types.Named("ref", types.S).Description("image reference; a tag is resolved to its digest first"),
				types.Named("opts", optionsType).Description("cosign options, named as the cosign CLI flags (see the options table)"),
			),
			types.Named("result", verifyResultType).Description("verified, image, digest, reference, signatures (those that verified, each with its signer and digest), errors"),
		),
		Memoize:          true,
		Nondeterministic: true,
	},
	Details: optionsDetails(false) + "\n" + signatureDetails,
}

func cosignVerifyImpl(bctx rego.BuiltinContext, refTerm, optsTerm *ast.Term) (*ast.Term, error) {
	return verifyOne(bctx, refTerm, optsTerm, verify.Signatures)
}

func verifyOne(bctx rego.BuiltinContext, refTerm, optsTerm *ast.Term, kind verify.Kind) (*ast.Term, error) {
	image, err := imageOperand(refTerm, 1)
	if err != nil {
		return nil, err
	}
	name := cosignVerify.Decl.Name
	if kind == verify.Attestations {
		name = cosignVerifyAttestation.Decl.Name
	}
	eng, err := engine.Current()
	if err != nil {
		return nil, misuse(bctx, name, err)
	}
	opts, err := decodeOptions(eng, 2, optsTerm, kind == verify.Attestations)
	if err != nil {
		return nil, misuse(bctx, name, err)
	}
	res := eng.Verify(bctx.Context, engine.Request{Image: image, Options: opts, Kind: kind})
	return resultValue(res, kind == verify.Attestations), nil
}
