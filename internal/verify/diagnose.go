package verify

import (
	"bytes"
	"crypto"
	"crypto/x509"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
)

// diagnoseTlog says what a failure at the transparency-log step means.
// cosign and sigstore-go check the log before anything else, so a signature
// made with another key, or by a certificate authority the trust root does
// not hold, fails there first and would read as a log problem. diagnosis
// checks the signature, then the certificate chain — one signature check and
// at most one chain check, not a second verification — and returns a typed
// error for the first that fails, nil when both hold: then it is the log.
func diagnoseTlog(err error, diagnosis func() error) error {
	if classifyMessage(err) != CodeTlogFailed {
		return err
	}
	if derr := diagnosis(); derr != nil {
		return derr
	}
	return &tlogError{err}
}

// legacyDiagnosis checks a legacy candidate's signature with the key cosign
// would use — the key or certificate option, else the signature's own
// certificate — and that certificate's chain.
func legacyDiagnosis(sig oci.Signature, co *cosign.CheckOpts, kind Kind) error {
	verifier, cert := co.SigVerifier, (*x509.Certificate)(nil)
	if verifier == nil {
		var err error
		if cert, err = sig.Cert(); err != nil {
			return &malformedError{err}
		}
		if cert == nil {
			return &noCertError{}
		}
		if verifier, err = signature.LoadVerifier(cert.PublicKey, crypto.SHA256); err != nil {
			return &signatureError{err}
		}
	}
	payload, err := sig.Payload()
	if err != nil {
		return &malformedError{err}
	}
	if kind == Attestations { // the payload is the DSSE envelope
		err = sigdsse.WrapVerifier(verifier).VerifySignature(bytes.NewReader(payload), nil)
	} else {
		var raw []byte
		if raw, err = legacySignatureBytes(sig, kind); err != nil {
			return err
		}
		err = verifier.VerifySignature(bytes.NewReader(raw), bytes.NewReader(payload))
	}
	if err != nil {
		return &signatureError{err}
	}
	if cert != nil {
		return chains(cert, co.TrustedMaterial, co.RootCerts, co.IntermediateCerts)
	}
	return nil
}

// bundleDiagnosis checks a bundle's DSSE signature with the key option, else
// the bundle's certificate, and that certificate's chain to co's trust root
// or certificate-chain.
func bundleDiagnosis(b *sgbundle.Bundle, o *Options, co *cosign.CheckOpts) error {
	verifier, cert := o.Key, (*x509.Certificate)(nil)
	if verifier == nil {
		vc, err := b.VerificationContent()
		if err != nil {
			return &malformedError{err}
		}
		if cert = vc.Certificate(); cert == nil {
			return &noCertError{}
		}
		if verifier, err = signature.LoadVerifier(cert.PublicKey, crypto.SHA256); err != nil {
			return &signatureError{err}
		}
	}
	env := b.GetDsseEnvelope()
	if env == nil || len(env.GetSignatures()) != 1 {
		return &malformedError{errDSSESignatures}
	}
	pae := dsse.PAE(env.GetPayloadType(), env.GetPayload())
	if err := verifier.VerifySignature(bytes.NewReader(env.GetSignatures()[0].GetSig()), bytes.NewReader(pae)); err != nil {
		return &signatureError{err}
	}
	if cert != nil {
		return chains(cert, co.TrustedMaterial, co.RootCerts, co.IntermediateCerts)
	}
	return nil
}

// chains checks that cert chains to the trust root's certificate authorities,
// or to roots and intermediates (bring-your-own PKI), at the time it was
// issued, as cosign and sigstore-go do; validity at signing time is the log's
// or the timestamp's to prove.
func chains(cert *x509.Certificate, tm root.TrustedMaterial, roots, intermediates *x509.CertPool) error {
	var err error
	if tm != nil {
		_, err = verify.VerifyLeafCertificate(cert.NotBefore, cert, tm)
	} else {
		_, err = cosign.TrustedCert(cert, roots, intermediates)
	}
	if err != nil {
		return &certificateError{err}
	}
	return nil
}
