package verify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
)

// Typed failures of one candidate, raised by our own checks.
type (
	digestClaimError struct{ error }
	tlogError        struct{ error }
	malformedError   struct{ error }
	typeError        struct{ got, want string }
	annotationError  struct {
		key, want string
		got       any
		present   bool
	}
)

func (e *digestClaimError) Error() string {
	return "signed payload is for another image digest: " + e.error.Error()
}
func (e *tlogError) Error() string { return "transparency log: " + e.error.Error() }
func (e *typeError) Error() string {
	return fmt.Sprintf("predicate type is %q, want %q", e.got, e.want)
}
func (e *annotationError) Error() string {
	if !e.present {
		return fmt.Sprintf("annotation %q is missing, want %q", e.key, e.want)
	}
	return fmt.Sprintf("annotation %q is %v, want %q", e.key, e.got, e.want)
}

// classifyCandidate maps why a candidate failed to an error code. Our own
// checks are typed; cosign's and sigstore-go's are recognised by their text.
func classifyCandidate(err error, kind Kind) string {
	var (
		ann  *annotationError
		typ  *typeError
		tlog *tlogError
	)
	noMatch := CodeNoMatchingSignatures
	if kind == Attestations {
		noMatch = CodeNoMatchingAttestation
	}
	msg := err.Error()
	switch {
	case errors.As(err, &ann):
		return CodeAnnotationMismatch
	case errors.As(err, &typ):
		return CodeTypeMismatch
	case errors.As(err, &tlog), isTlogError(err):
		return CodeTlogFailed
	case strings.Contains(msg, "none of the expected identities"),
		strings.Contains(msg, "expected GitHub Workflow"),
		strings.Contains(msg, "no matching CertificateIdentity"),
		strings.Contains(msg, "failed to verify certificate identity"):
		return CodeIdentityMismatch
	case strings.Contains(msg, "SCT"), strings.Contains(msg, "signed certificate timestamp"):
		return CodeSCTFailed
	case isCertificateError(err):
		return CodeCertificateInvalid
	default:
		return noMatch
	}
}

func isTlogError(err error) bool {
	msg := err.Error()
	for _, s := range []string{"error verifying bundle", "offline verification failed", "rekor client not provided",
		"transparency log", "tlog", "integrated timestamp", "inclusion"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func isCertificateError(err error) bool {
	var nocert *cosign.ErrNoCertificateFoundOnSignature
	if errors.As(err, &nocert) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "x509:") || strings.Contains(msg, "certificate has expired") ||
		strings.Contains(msg, "checking expiry") || strings.Contains(msg, "certificate chain") ||
		strings.Contains(msg, "certificate verification failed")
}
