package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
)

var errDSSESignatures = errors.New("DSSE envelope must hold exactly one signature")

// Typed failures of one candidate, raised by our own checks.
type (
	digestClaimError struct{ error }
	tlogError        struct{ error }
	malformedError   struct{ error }
	signatureError   struct{ error } // the signature does not verify with the key or certificate
	certificateError struct{ error } // the certificate does not chain to the trust root
	noCertError      struct{}        // keyless or chain-only, and the signature carries no certificate
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
func (e *tlogError) Error() string      { return "transparency log: " + e.error.Error() }
func (e *signatureError) Error() string { return "signature: " + e.error.Error() }
func (e *certificateError) Error() string {
	return "certificate chain: " + e.error.Error()
}
func (*noCertError) Error() string { return "no certificate found on signature" }
func (e *typeError) Error() string {
	return fmt.Sprintf("predicate type is %q, want %q", e.got, e.want)
}
func (e *annotationError) Error() string {
	if !e.present {
		return fmt.Sprintf("annotation %q is missing, want %q", e.key, e.want)
	}
	return fmt.Sprintf("annotation %q is %v, want %q", e.key, e.got, e.want)
}

// classifyCandidate maps why a candidate failed to an error code: our own
// typed errors, then the libraries' typed errors, then the message fragments
// of cosign and sigstore-go that have no type (messageCodes). Anything else
// is a signature that does not match.
func classifyCandidate(err error, kind Kind) string {
	noMatch := CodeNoMatchingSignatures
	if kind == Attestations {
		noMatch = CodeNoMatchingAttestation
	}
	var (
		ann     *annotationError
		typ     *typeError
		tlog    *tlogError
		sig     *signatureError
		chain   *certificateError
		noCert  *noCertError
		noCert2 *cosign.ErrNoCertificateFoundOnSignature
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &ann):
		return CodeAnnotationMismatch
	case errors.As(err, &typ):
		return CodeTypeMismatch
	case errors.As(err, &tlog):
		return CodeTlogFailed
	case errors.As(err, &sig):
		return noMatch
	case errors.As(err, &chain), errors.As(err, &noCert), errors.As(err, &noCert2), errors.As(err, &unknown), errors.As(err, &invalid):
		return CodeCertificateInvalid
	}
	if code := classifyMessage(err); code != "" {
		return code
	}
	return noMatch
}

// messageCode is a fragment of a library's error message that says which
// check failed, where the library gives that error no type. Each entry has a
// test that makes the library produce it (TestMessageCodes), so a library
// upgrade that changes a message fails there instead of changing a code.
type messageCode struct {
	Fragment, Code, Source string
}

// messageCodes is the only place error messages are matched.
var messageCodes = []messageCode{
	{"none of the expected identities matched", CodeIdentityMismatch, "cosign CheckCertificatePolicy"},
	{"expected GitHub Workflow", CodeIdentityMismatch, "cosign CheckCertificatePolicy (GitHub workflow extensions)"},
	{"failed to verify certificate identity", CodeIdentityMismatch, "sigstore-go Verifier.Verify"},
	{"certificate does not include required embedded SCT", CodeSCTFailed, "cosign ValidateAndUnpackCert"},
	{"failed to verify signed certificate timestamp", CodeSCTFailed, "sigstore-go Verifier.Verify"},
	{"leaf certificate verification failed", CodeCertificateInvalid, "sigstore-go VerifyLeafCertificate (via cosign and Verifier.Verify)"},
	{"signatures were entered in log", CodeCertificateInvalid, "cosign CheckExpiry"},
	{"expected a signed timestamp to verify an expired certificate", CodeCertificateInvalid, "cosign VerifyImageSignature (log ignored, certificate expired)"},
	{"error verifying bundle", CodeTlogFailed, "cosign VerifyImageSignature (Rekor SET)"},
	{"offline verification failed", CodeTlogFailed, "cosign VerifyImageSignature (no Rekor SET)"},
	{"failed to verify log inclusion", CodeTlogFailed, "sigstore-go Verifier.Verify"},
	{"failed to verify timestamps", CodeTlogFailed, "sigstore-go Verifier.Verify"},
}

// classifyMessage is the code of the first fragment err's message holds, or "".
func classifyMessage(err error) string {
	msg := err.Error()
	for _, m := range messageCodes {
		if strings.Contains(msg, m.Fragment) {
			return m.Code
		}
	}
	return ""
}
