// Package builtins declares opa-cosign's Rego built-ins — image.parse,
// image.digest, cosign.verify, cosign.verify_attestation, cosign.verify_batch —
// and converts between Rego values and the engine. Verification failures are
// data in the result; only misuse of a built-in is an error.
package builtins
