package verify

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// matchAny is a regexp that every value matches; sigstore-go treats an empty
// one as "no criterion given".
const matchAny = "^"

// verifyBundlePKI verifies a bundle against bring-your-own PKI: the CA is the
// given certificate-chain, the logs and timestamp authorities come from the
// trust root, and identity criteria are optional (as for legacy signatures).
// With `certificate`, the bundle's certificate must be that one.
func (v *Verifier) verifyBundlePKI(b *sgbundle.Bundle, t Target, o *Options, co *cosign.CheckOpts) (*verify.VerificationResult, error) {
	base, err := v.trustedMaterial(o)
	if err != nil {
		return nil, err
	}
	chain := o.Certificate.Chain
	ca := &root.FulcioCertificateAuthority{Root: chain[len(chain)-1], Intermediates: chain[:len(chain)-1]}
	tm, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{ca},
		base.CTLogs(), base.TimestampingAuthorities(), base.RekorLogs())
	if err != nil {
		return nil, fmt.Errorf("building trusted material from certificate-chain: %w", err)
	}
	if want := o.Certificate.Cert; want != nil {
		vc, err := b.VerificationContent()
		if err != nil {
			return nil, err
		}
		if got := vc.Certificate(); got == nil || !bytes.Equal(got.Raw, want.Raw) {
			return nil, errors.New("the bundle is not signed with the given certificate")
		}
	}
	var vopts []verify.VerifierOption
	if !co.IgnoreSCT {
		vopts = append(vopts, verify.WithSignedCertificateTimestamps(1))
	}
	if co.UseSignedTimestamps {
		vopts = append(vopts, verify.WithSignedTimestamps(1))
	}
	switch {
	case !co.IgnoreTlog:
		vopts = append(vopts, verify.WithTransparencyLog(1))
		if !co.UseSignedTimestamps {
			vopts = append(vopts, verify.WithIntegratedTimestamps(1))
		}
	case !co.UseSignedTimestamps:
		vopts = append(vopts, verify.WithCurrentTime())
	}
	verifier, err := verify.NewVerifier(tm, vopts...)
	if err != nil {
		return nil, err
	}
	identity, err := pkiIdentityPolicy(o.Identity)
	if err != nil {
		return nil, err
	}
	digest, err := hex.DecodeString(t.Digest.Hex)
	if err != nil {
		return nil, err
	}
	return verifier.Verify(b, verify.NewPolicy(verify.WithArtifactDigest(t.Digest.Algorithm, digest), identity))
}

// pkiIdentityPolicy turns optional identity criteria into a policy. Without
// any, the CA alone decides, as with cosign's --certificate-chain.
func pkiIdentityPolicy(i Identity) (verify.PolicyOption, error) {
	if !i.any() && !i.githubClaims() {
		return verify.WithoutIdentitiesUnsafe(), nil
	}
	sanRe, issRe := i.SubjectRegexp, i.IssuerRegexp
	if i.Subject == "" && sanRe == "" {
		sanRe = matchAny
	}
	if i.Issuer == "" && issRe == "" {
		issRe = matchAny
	}
	san, err := verify.NewSANMatcher(i.Subject, sanRe)
	if err != nil {
		return nil, err
	}
	iss, err := verify.NewIssuerMatcher(i.Issuer, issRe)
	if err != nil {
		return nil, err
	}
	id, err := verify.NewCertificateIdentity(san, iss, certificate.Extensions{
		GithubWorkflowTrigger: i.GithubWorkflowTrigger, GithubWorkflowSHA: i.GithubWorkflowSHA,
		GithubWorkflowName: i.GithubWorkflowName, GithubWorkflowRepository: i.GithubWorkflowRepository,
		GithubWorkflowRef: i.GithubWorkflowRef,
	})
	if err != nil {
		return nil, err
	}
	return verify.WithCertificateIdentity(id), nil
}
