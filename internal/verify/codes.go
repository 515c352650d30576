package verify

// CodeDoc documents one error code.
type CodeDoc struct{ Code, Meaning string }

// Codes lists every error code with its meaning (docs/builtins.md).
func Codes() []CodeDoc {
	return []CodeDoc{
		{CodeInvalidReference, "the image reference does not parse."},
		{CodeNotFound, "the registry has no such repository or tag, or no image with the digest the reference names."},
		{CodeUnauthorized, "the registry refused the credentials (401/403); transient, never cached."},
		{CodeNoSignatures, "no signature in either format (no `.sig` tag, no signature bundle referrer)."},
		{CodeNoMatchingSignatures, "signatures exist but none verifies with the given key, certificate or identity, or names another digest."},
		{CodeNoAttestations, "no attestation in either format."},
		{CodeNoMatchingAttestation, "attestations exist but none verifies, or their payload does not parse or names another digest."},
		{CodeIdentityMismatch, "a certificate verified but its identity, issuer or GitHub workflow claims differ from the options."},
		{CodeAnnotationMismatch, "a signature verified but lacks a required annotation value."},
		{CodeTypeMismatch, "an attestation verified but has another predicate type than `type`."},
		{CodeTlogFailed, "the transparency-log proof (Rekor SET or bundle entry) or a signed timestamp the bundle carries is missing or does not verify against the trust root, for a signature that itself verifies."},
		{CodeSCTFailed, "a keyless certificate has no valid SCT (set `insecure-ignore-sct` for private CAs without CT)."},
		{CodeCertificateInvalid, "the signing certificate does not chain to the trust root or `certificate-chain`, is missing, or had expired when it signed (or, with the log ignored and no signed timestamp, has expired now)."},
		{CodeLimitExceeded, "the registry sent more than a configured limit (signatures, referrers, bytes, redirects)."},
		{CodeTimeout, "the verification did not finish before the deadline; the message names the step (resolving the tag, verifying signatures or attestations) and the registry. Transient, never cached."},
		{CodeRegistryError, "any other registry failure: connection refused, 5xx, plain HTTP to a host not marked insecure, a manifest whose body does not match its digest; transient."},
		{CodeCredentials, "the registry credentials of the request's `kubernetes` context could not be read: the API server failed or refused a read, or a pull secret is malformed (nothing was asked of the registry); transient."},
	}
}
