package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
)

// CA is a private certificate authority (root and intermediate) for
// bring-your-own-PKI tests.
type CA struct {
	Root, Intermediate *x509.Certificate
	rootKey, interKey  *ecdsa.PrivateKey
}

// Fulcio extension OIDs (v1, raw string values), read by cosign and sigstore-go.
var (
	oidIssuer             = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
	oidGithubTrigger      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 2}
	oidGithubSHA          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 3}
	oidGithubWorkflowName = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 4}
	oidGithubRepository   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 5}
	oidGithubRef          = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 6}
)

// NewCA creates a root and an intermediate valid for a day around now.
func NewCA(t testing.TB) *CA {
	t.Helper()
	c := &CA{}
	var err error
	c.rootKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	c.interKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	c.Root = createCert(t, rootTmpl, rootTmpl, &c.rootKey.PublicKey, c.rootKey)
	interTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "test intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	c.Intermediate = createCert(t, interTmpl, c.Root, &c.interKey.PublicKey, c.rootKey)
	return c
}

// Leaf describes a signing certificate.
type Leaf struct {
	URI, Issuer string            // no URI: a certificate without any SAN
	Github      map[string]string // trigger, sha, name, repository, ref
	NotBefore   time.Time         // default an hour ago
	NotAfter    time.Time         // default in an hour
}

// Issue returns a leaf certificate and a signer for its key.
func (c *CA) Issue(t testing.TB, l Leaf) (*x509.Certificate, signature.SignerVerifier) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	if l.NotBefore.IsZero() {
		l.NotBefore = time.Now().Add(-time.Hour)
	}
	if l.NotAfter.IsZero() {
		l.NotAfter = time.Now().Add(time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    l.NotBefore, NotAfter: l.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}
	if l.URI != "" { // else a certificate without any SAN
		u, err := url.Parse(l.URI)
		must(t, err)
		tmpl.URIs = []*url.URL{u}
	}
	add := func(oid asn1.ObjectIdentifier, v string) {
		if v != "" {
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oid, Value: []byte(v)})
		}
	}
	add(oidIssuer, l.Issuer)
	add(oidGithubTrigger, l.Github["trigger"])
	add(oidGithubSHA, l.Github["sha"])
	add(oidGithubWorkflowName, l.Github["name"])
	add(oidGithubRepository, l.Github["repository"])
	add(oidGithubRef, l.Github["ref"])
	cert := createCert(t, tmpl, c.Intermediate, &key.PublicKey, c.interKey)
	sv, err := signature.LoadSignerVerifier(key, crypto.SHA256)
	must(t, err)
	return cert, sv
}

// ChainPEM is the intermediate and the root, root last, as
// `certificate-chain` wants it.
func (c *CA) ChainPEM() string { return string(pemCerts(c.Intermediate, c.Root)) }

// CertPEM encodes one certificate.
func CertPEM(cert *x509.Certificate) string { return string(pemCert(cert)) }

func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub any, priv crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, priv)
	must(t, err)
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	return cert
}
