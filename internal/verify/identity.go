package verify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"regexp"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Identity constrains the certificate of a keyless or certificate-signed
// signature. Regexps are Go RE2 and match anywhere unless anchored by the user,
// as in cosign.
type Identity struct {
	Subject, SubjectRegexp, Issuer, IssuerRegexp string

	GithubWorkflowTrigger, GithubWorkflowSHA, GithubWorkflowName string
	GithubWorkflowRepository, GithubWorkflowRef                  string
}

func (i Identity) any() bool { return i.Subject+i.SubjectRegexp+i.Issuer+i.IssuerRegexp != "" }

func (i Identity) githubClaims() bool {
	return i.GithubWorkflowTrigger+i.GithubWorkflowSHA+i.GithubWorkflowName+i.GithubWorkflowRepository+i.GithubWorkflowRef != ""
}

// cosignIdentities is the identity as cosign's CheckOpts wants it.
func (i Identity) cosignIdentities() []cosign.Identity {
	if !i.any() {
		return nil
	}
	return []cosign.Identity{{Subject: i.Subject, SubjectRegExp: i.SubjectRegexp, Issuer: i.Issuer, IssuerRegExp: i.IssuerRegexp}}
}

// CertificateOptions are bring-your-own-PKI inputs: a signing certificate with
// its chain, or only a chain that the signature's own certificate must chain to.
type CertificateOptions struct {
	Cert  *x509.Certificate
	Chain []*x509.Certificate
}

func parseCertificate(o *Options, v any) error {
	certs, err := pemCertificates(v)
	if err != nil {
		return err
	}
	if len(certs) != 1 {
		return fmt.Errorf("must hold exactly one certificate, found %d", len(certs))
	}
	if o.Certificate == nil {
		o.Certificate = &CertificateOptions{}
	}
	o.Certificate.Cert = certs[0]
	return nil
}

func parseCertificateChain(o *Options, v any) error {
	certs, err := pemCertificates(v)
	if err != nil {
		return err
	}
	if o.Certificate == nil {
		o.Certificate = &CertificateOptions{}
	}
	o.Certificate.Chain = certs
	return nil
}

func pemCertificates(v any) ([]*x509.Certificate, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("must be a PEM string, got %s", typeName(v))
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("not PEM certificates: %w", err)
	}
	if len(certs) == 0 {
		return nil, errors.New("holds no PEM certificate")
	}
	return certs, nil
}

// validate rejects option sets that cannot mean one verification.
func (o *Options) validate(attestation bool) error {
	cert := o.Certificate != nil && o.Certificate.Cert != nil
	chainOnly := o.Certificate != nil && o.Certificate.Cert == nil
	methods := 0
	for _, m := range []bool{o.Key != nil, cert, chainOnly, o.Identity.any() && o.Certificate == nil} {
		if m {
			methods++
		}
	}
	switch {
	case methods == 0:
		return &OptionError{Option: "key", Reason: "no verification method: give key, certificate, certificate-chain, or certificate-identity with certificate-oidc-issuer"}
	case o.Key != nil && (o.Certificate != nil || o.Identity.any()):
		return &OptionError{Option: "key", Reason: "conflicts with certificate options: a key-signed signature has no certificate identity"}
	case o.Key != nil && o.Identity.githubClaims():
		return &OptionError{Option: "key", Reason: "conflicts with certificate-github-workflow-* options"}
	}
	if o.Identity.Subject != "" && o.Identity.SubjectRegexp != "" {
		return &OptionError{Option: "certificate-identity-regexp", Reason: "conflicts with certificate-identity: give one"}
	}
	if o.Identity.Issuer != "" && o.Identity.IssuerRegexp != "" {
		return &OptionError{Option: "certificate-oidc-issuer-regexp", Reason: "conflicts with certificate-oidc-issuer: give one"}
	}
	for opt, re := range map[string]string{"certificate-identity-regexp": o.Identity.SubjectRegexp, "certificate-oidc-issuer-regexp": o.Identity.IssuerRegexp} {
		if _, err := regexp.Compile(re); err != nil {
			return &OptionError{Option: opt, Reason: "invalid regexp: " + err.Error()}
		}
	}
	keyless := o.Key == nil && o.Certificate == nil
	if keyless {
		if o.Identity.Subject == "" && o.Identity.SubjectRegexp == "" {
			return &OptionError{Option: "certificate-identity", Reason: "keyless verification needs certificate-identity or certificate-identity-regexp"}
		}
		if o.Identity.Issuer == "" && o.Identity.IssuerRegexp == "" {
			return &OptionError{Option: "certificate-oidc-issuer", Reason: "keyless verification needs certificate-oidc-issuer or certificate-oidc-issuer-regexp"}
		}
	}
	if attestation && o.Type == "" {
		return &OptionError{Option: "type", Reason: "required for attestations (a cosign shorthand such as slsaprovenance or vuln, or a predicate type URI)"}
	}
	// Combinations that could only ever fail, or only be ignored, are misuse
	// named at the call, never a verification failure kept in the cache.
	if cert && len(o.Certificate.Chain) == 0 {
		return &OptionError{Option: "certificate", Reason: "needs certificate-chain: the chain (intermediates, then root) the certificate is validated against"}
	}
	if attestation && o.Annotations != nil {
		return &OptionError{Option: "annotations", Reason: "applies to signatures only: attestations carry no signature annotations (check the predicate with the policy instead)"}
	}
	return nil
}
