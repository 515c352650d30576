package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/reference"
)

var imageDigest = Builtin{
	Decl: &rego.Function{
		Name: "image.digest",
		Description: "Returns the digest an image reference runs as. A reference with a digest returns it without any request; " +
			"otherwise the registry is asked with a HEAD of the manifest, whose sha256 Docker-Content-Digest is taken as the " +
			"tag's digest (a GET when HEAD gives no sha256 digest, hashed locally and checked against the registry's claim; see " +
			"verification.md for why the registry's word is safe where the digest is then pinned). A registry failure is an " +
			"error: use it where undefined means deny.",
		Decl: types.NewFunction(
			types.Args(types.Named("ref", types.S).Description("image reference")),
			types.Named("digest", types.S).Description("the digest, e.g. sha256:…"),
		),
		Memoize:          true,
		Nondeterministic: true,
	},
}

func imageDigestImpl(bctx rego.BuiltinContext, refTerm *ast.Term) (*ast.Term, error) {
	s, err := imageOperand(refTerm, 1)
	if err != nil {
		return nil, err
	}
	r, err := reference.Parse(s)
	if err != nil {
		return nil, builtins.NewOperandErr(1, "%s", err.Error())
	}
	if r.Digest != "" {
		return ast.StringTerm(r.Digest), nil
	}
	eng, err := engine.Current()
	if err != nil {
		return nil, misuse(bctx, imageDigest.Decl.Name, err)
	}
	d, err := eng.Digest(bctx.Context, r)
	if err != nil {
		return nil, err
	}
	return ast.StringTerm(d), nil
}
