package verify

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Prefixes of Signature.Signer, one per way a signer is known. Policies count
// distinct signers by this string (N-of-M, docs/security.md #26), so it names who
// signed, never how the signature was found.
const (
	signerKey     = "key:sha256:"     // key-signed: the verifying key's SubjectPublicKeyInfo
	signerCert    = "cert:"           // certificate identity: "cert:<issuer>|<subject>"
	signerCertKey = "certkey:sha256:" // certificate without any SAN: the leaf's SubjectPublicKeyInfo
)

// keySigner names the holder of a verifying public key.
func keySigner(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encoding public key: %w", err)
	}
	return signerKey + sha256Hex(der), nil
}

// sha256Digest identifies signature bytes as "sha256:<hex>".
func sha256Digest(b []byte) string { return "sha256:" + sha256Hex(b) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// describeCertificate fills the identity of a signature made with cert, a
// certificate that verification has accepted. subject is the SAN the
// verification matched ("" to choose it here: the first SAN the identity
// options match, else the one sigstore-go reports).
func describeCertificate(s *Signature, cert *x509.Certificate, id Identity, subject string) {
	ext, err := certificate.ParseExtensions(cert.Extensions)
	if err == nil {
		s.Issuer = ext.Issuer
		s.Extensions = extensionMap(ext)
	}
	sans := cryptoutils.GetSubjectAlternateNames(cert)
	if len(sans) == 0 {
		s.Subject = ""
		s.Signer = signerCertKey + sha256Hex(cert.RawSubjectPublicKeyInfo)
		return
	}
	if subject == "" {
		subject = matchedSAN(cert, sans, id)
	}
	s.Subject = subject
	s.Signer = signerCert + s.Issuer + "|" + subject
}

// matchedSAN is the SAN the identity options select, as cosign matches them
// (any SAN, in GetSubjectAlternateNames order); without options, the SAN
// sigstore-go summarises (URI, then e-mail, then other name), else the first.
func matchedSAN(cert *x509.Certificate, sans []string, id Identity) string {
	re, _ := regexp.Compile(id.SubjectRegexp) // validated with the options
	for _, san := range sans {
		if (id.Subject != "" && san == id.Subject) || (id.SubjectRegexp != "" && re.MatchString(san)) {
			return san
		}
	}
	if sum, err := certificate.SummarizeCertificate(cert); err == nil {
		return sum.SubjectAlternativeName
	}
	return sans[0]
}

// extensionMap copies the Fulcio extensions that are set, by their JSON
// names (e.g. githubWorkflowRepository).
func extensionMap(ext certificate.Extensions) map[string]string {
	out := map[string]string{}
	b, err := json.Marshal(ext)
	if err != nil {
		return out
	}
	var all map[string]any
	if json.Unmarshal(b, &all) != nil {
		return out
	}
	for k, v := range all {
		if str, ok := v.(string); ok && str != "" {
			out[k] = str
		}
	}
	return out
}
