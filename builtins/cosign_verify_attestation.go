package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

var cosignVerifyAttestation = Builtin{
	Decl: &rego.Function{
		Name: "cosign.verify_attestation",
		Description: "Verifies an image's in-toto attestations (legacy `.att` and Sigstore bundles) and returns only the verified " +
			"statements of the requested `type`. A statement of another type, an unparsable DSSE payload or a statement about " +
			"another digest never verifies. Failures are data, as for cosign.verify.",
		Decl: types.NewFunction(
			types.Args(
				types.Named("ref", types.S).Description("image reference"),
				types.Named("opts", optionsType).Description("cosign options plus the required `type`"),
			),
			types.Named("result", attestationResultType).Description("as cosign.verify, plus attestations: [{predicate_type, predicate, signature}]"),
		),
		Memoize:          true,
		Nondeterministic: true,
	},
	Details: optionsDetails(true) + "\n" + "Each attestation's `signature` has the fields of a `signatures` entry of cosign.verify, `signer` and `digest` included.",
}

func cosignVerifyAttestationImpl(bctx rego.BuiltinContext, refTerm, optsTerm *ast.Term) (*ast.Term, error) {
	return verifyOne(bctx, refTerm, optsTerm, verify.Attestations)
}
