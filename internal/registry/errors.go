package registry

import (
	"errors"
	"fmt"
)

// ErrLimitExceeded marks a response that went past a configured limit.
var ErrLimitExceeded = errors.New("limit exceeded")

// ErrInsecureRefused marks a plain-HTTP request to a host not marked insecure.
var ErrInsecureRefused = errors.New("plain HTTP refused")

// ErrDigestMismatch marks a manifest whose body does not hash to the digest the
// registry claimed for it (docs/security.md #10).
var ErrDigestMismatch = errors.New("manifest digest mismatch")

func limitError(what string, limit int64) error {
	return fmt.Errorf("%w: %s larger than %d bytes", ErrLimitExceeded, what, limit)
}
