package verify

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/opa-cosign/opa-cosign/internal/registry"
)

// oversized refuses, before a byte of it is read, a blob whose descriptor
// already claims more than limits.max_blob_bytes. The transport would cut it
// at the limit anyway, but only after reading (and hashing) up to the limit:
// under a hostile registry that was most of the server's CPU (BENCHMARKS.md,
// "Where the time goes under attack"). A descriptor that claims less than the
// blob is held by the transport's limit and go-containerregistry's digest
// check.
func (v *Verifier) oversized(what string, digest v1.Hash, size int64) error {
	if limit := v.reg.Limits().MaxBlobBytes; size > limit {
		return fmt.Errorf("%w: the %s %s claims %d bytes, more than limits.max_blob_bytes (%d); it was not read",
			registry.ErrLimitExceeded, what, digest, size, limit)
	}
	return nil
}
