package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/opa-cosign/opa-cosign/internal/reference"
)

var imageParse = Builtin{
	Decl: &rego.Function{
		Name: "image.parse",
		Description: "Normalises a container image reference the way the container runtime resolves it: " +
			"Docker Hub aliases become docker.io, official images get library/, no tag and no digest means latest, " +
			"hosts are lower-cased. Pure: makes no request. An invalid reference is an error.",
		Decl: types.NewFunction(
			types.Args(types.Named("ref", types.S).Description("image reference, e.g. nginx:1.25 or ghcr.io/acme/app@sha256:…")),
			types.Named("result", types.NewObject([]*types.StaticProperty{
				types.NewStaticProperty("registry", types.S),
				types.NewStaticProperty("repository", types.S),
				types.NewStaticProperty("tag", types.S),
				types.NewStaticProperty("digest", types.S),
				types.NewStaticProperty("name", types.S),
				types.NewStaticProperty("reference", types.S),
			}, nil)).Description("registry, repository, tag (\"\" if none), digest (\"\" if none), name (registry/repository) and the normalised reference"),
		),
		Memoize: true,
	},
	Details: "```rego\nimage.parse(\"nginx\")\n# {\"registry\": \"docker.io\", \"repository\": \"library/nginx\", \"tag\": \"latest\", \"digest\": \"\",\n#  \"name\": \"docker.io/library/nginx\", \"reference\": \"docker.io/library/nginx:latest\"}\n```\n\n" +
		"A reference with both a tag and a digest keeps both; the digest is what runs. " +
		"`docker.io.evil.com/nginx` is another registry, not Docker Hub.\n\n" +
		"A runtime image ID — `sha256:<64 hex>`, or a bare lower-case hex string of 12 to 64 characters with no registry, " +
		"path, tag or digest — is not a reference and is an error (cosign.verify: `invalid_reference`): the container " +
		"runtime resolves it to an image already on the node, never to `docker.io/library/<hex>`. Written in full " +
		"(`docker.io/library/<hex>`), the same name is an ordinary Docker Hub image.",
}

func imageParseImpl(_ rego.BuiltinContext, refTerm *ast.Term) (*ast.Term, error) {
	s, err := imageOperand(refTerm, 1)
	if err != nil {
		return nil, err
	}
	r, err := reference.Parse(s)
	if err != nil {
		return nil, builtins.NewOperandErr(1, "%s", err.Error())
	}
	v, err := ast.InterfaceToValue(r.Map())
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}
