package verify

import (
	"crypto/x509"
	"encoding/hex"
	"fmt"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/tuf"
)

// checkOpts translates options into cosign's CheckOpts. Rekor is never
// contacted: inclusion is checked offline from the SET or bundle.
func (v *Verifier) checkOpts(o *Options) (*cosign.CheckOpts, error) {
	tm, err := v.trustedMaterial(o)
	if err != nil {
		return nil, err
	}
	co := &cosign.CheckOpts{
		TrustedMaterial:              tm,
		Offline:                      true,
		IgnoreTlog:                   o.IgnoreTlog,
		IgnoreSCT:                    o.IgnoreSCT,
		SigVerifier:                  o.Key,
		Identities:                   o.Identity.cosignIdentities(),
		CertGithubWorkflowTrigger:    o.Identity.GithubWorkflowTrigger,
		CertGithubWorkflowSha:        o.Identity.GithubWorkflowSHA,
		CertGithubWorkflowName:       o.Identity.GithubWorkflowName,
		CertGithubWorkflowRepository: o.Identity.GithubWorkflowRepository,
		CertGithubWorkflowRef:        o.Identity.GithubWorkflowRef,
	}
	if o.Certificate == nil {
		return co, nil
	}
	// Bring-your-own PKI: cosign checks chains against RootCerts only when no
	// TrustedMaterial is set, so the trust root contributes its logs as keys.
	co.TrustedMaterial = nil
	co.RekorPubKeys = logKeys(tm.RekorLogs())
	co.CTLogPubKeys = logKeys(tm.CTLogs())
	chain := o.Certificate.Chain
	if o.Certificate.Cert != nil {
		verifier, err := cosign.ValidateAndUnpackCertWithChain(o.Certificate.Cert, chain, co)
		if err != nil {
			return nil, fmt.Errorf("certificate does not verify against certificate-chain: %w", err)
		}
		co.SigVerifier = verifier
		return co, nil
	}
	co.RootCerts, co.IntermediateCerts = x509.NewCertPool(), x509.NewCertPool()
	co.RootCerts.AddCert(chain[len(chain)-1])
	for _, c := range chain[:len(chain)-1] {
		co.IntermediateCerts.AddCert(c)
	}
	return co, nil
}

// logKeys converts a trust root's logs into cosign's legacy key map.
func logKeys(logs map[string]*root.TransparencyLog) *cosign.TrustedTransparencyLogPubKeys {
	keys := cosign.NewTrustedTransparencyLogPubKeys()
	for id, l := range logs {
		if len(l.ID) > 0 {
			id = hex.EncodeToString(l.ID)
		}
		keys.Keys[id] = cosign.TransparencyLogPubKey{PubKey: l.PublicKey, Status: tuf.Active}
	}
	return &keys
}
