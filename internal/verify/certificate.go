package verify

import (
	"crypto/x509"
	"encoding/json"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
)

// describeCertificate fills the identity of a certificate-signed signature.
func describeCertificate(s *Signature, cert *x509.Certificate) {
	sum, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return
	}
	summarize(s, &sum)
}

// summarize copies the subject, issuer and Fulcio extensions (by their JSON
// names, e.g. githubWorkflowRepository) into s.
func summarize(s *Signature, sum *certificate.Summary) {
	s.Subject = sum.SubjectAlternativeName
	s.Issuer = sum.Extensions.Issuer
	s.Extensions = map[string]string{}
	b, err := json.Marshal(sum.Extensions)
	if err != nil {
		return
	}
	var all map[string]any
	if json.Unmarshal(b, &all) != nil {
		return
	}
	for k, v := range all {
		if str, ok := v.(string); ok && str != "" {
			s.Extensions[k] = str
		}
	}
}
