// Package cli is the opa-cosign command: OPA's own commands under the
// opa-cosign name, with the distribution's defaults (offline, misuse of the
// cosign built-ins shown and failing), the plugin's config available to
// eval, test, bench and exec, and `verify`/`verify-attestation` with cosign's
// flags.
package cli
