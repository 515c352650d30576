package verify

// Error codes are stable: policies match on them.
const (
	CodeInvalidReference      = "invalid_reference"
	CodeNotFound              = "not_found"
	CodeUnauthorized          = "unauthorized"
	CodeNoSignatures          = "no_signatures"
	CodeNoMatchingSignatures  = "no_matching_signatures"
	CodeNoAttestations        = "no_attestations"
	CodeNoMatchingAttestation = "no_matching_attestations"
	CodeIdentityMismatch      = "identity_mismatch"
	CodeAnnotationMismatch    = "annotation_mismatch"
	CodeTypeMismatch          = "type_mismatch"
	CodeTlogFailed            = "tlog_verification_failed"
	CodeSCTFailed             = "sct_verification_failed"
	CodeCertificateInvalid    = "certificate_verification_failed"
	CodeLimitExceeded         = "limit_exceeded"
	CodeTimeout               = "timeout"
	CodeRegistryError         = "registry_error"
	CodeCredentials           = "credentials_error"
)

// Formats of a signature.
const (
	FormatLegacy = "legacy" // `.sig`/`.att` tag, cosign v1/v2
	FormatBundle = "bundle" // Sigstore bundle as an OCI referrer, cosign v3
)

// Result is the outcome of one verification. Verified is true only when at
// least one signature (or attestation of the requested type) verified.
type Result struct {
	Verified     bool
	Image        string
	Digest       string
	Reference    string
	Signatures   []Signature
	Attestations []Attestation // attestations only
	Errors       []Error

	misuse bool // options CheckOptions refuses: never cached
}

// Signature describes one verified signature.
type Signature struct {
	Format string
	// Signer names who signed, in one of three forms: "key:sha256:<hex>" (the
	// verifying key's DER SubjectPublicKeyInfo), "cert:<issuer>|<subject>" (a
	// certificate identity) or "certkey:sha256:<hex>" (a certificate without
	// any SAN, by its key). Equal signers are one signer.
	Signer string
	// Digest identifies the signature itself, "sha256:<hex>": of the decoded
	// signature bytes (legacy) or of the bundle blob as stored (bundle).
	Digest      string
	Subject     string            // certificate identity (SAN); "" when key-signed
	Issuer      string            // OIDC issuer; "" when key-signed
	Extensions  map[string]string // Fulcio extensions, keyless only
	Annotations map[string]any
	Tlog        *Tlog // nil when the transparency log was not checked
}

// Tlog is the verified transparency-log inclusion of a signature.
type Tlog struct {
	LogIndex       int64
	IntegratedTime int64
}

// Attestation is one verified in-toto statement of the requested type.
type Attestation struct {
	PredicateType string
	Predicate     any
	Signature     Signature
}

// Error is a verification or registry failure, as data.
type Error struct {
	Code    string
	Message string
}

func (r *Result) fail(code, msg string) *Result {
	r.Errors = append(r.Errors, Error{Code: code, Message: msg})
	return r
}

// Transient reports whether the result must never be cached: it failed for a
// reason that may pass on retry (timeouts, registry errors), or for options
// that CheckOptions refuses.
func (r *Result) Transient() bool {
	if r.misuse {
		return true
	}
	for _, e := range r.Errors {
		switch e.Code {
		case CodeTimeout, CodeRegistryError, CodeUnauthorized:
			return true
		}
	}
	return false
}
