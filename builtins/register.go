package builtins

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// Builtin is a declaration with the extra reference text docs/builtins.md shows.
type Builtin struct {
	Decl *rego.Function
	// Details is Markdown appended to the generated reference.
	Details string
}

var registerOnce sync.Once

// Register adds the built-ins to OPA (once: a second registration would
// duplicate the declarations).
func Register() {
	registerOnce.Do(func() {
		rego.RegisterBuiltin1(imageParse.Decl, imageParseImpl)
		rego.RegisterBuiltin1(imageDigest.Decl, imageDigestImpl)
		rego.RegisterBuiltin2(cosignVerify.Decl, cosignVerifyImpl)
		rego.RegisterBuiltin2(cosignVerifyAttestation.Decl, cosignVerifyAttestationImpl)
		rego.RegisterBuiltin1(cosignVerifyBatch.Decl, cosignVerifyBatchImpl)
		rego.RegisterBuiltin2(cosignCheckOptions.Decl, cosignCheckOptionsImpl)
		rego.RegisterBuiltin2(imagepolicyCached.Decl, imagepolicyCachedImpl)
		rego.RegisterBuiltin3(imagepolicyCache.Decl, imagepolicyCacheImpl)
	})
}

// All lists the built-ins in reference order.
func All() []Builtin {
	return []Builtin{imageParse, imageDigest, cosignVerify, cosignVerifyAttestation, cosignVerifyBatch, cosignCheckOptions, imagepolicyCached, imagepolicyCache}
}

func sortedOptionNames() []string { return verify.OptionNames() }
