package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// IssueServing returns a TLS server certificate from the root (the
// intermediate is for code signing only) for hosts, IP addresses or DNS
// names, and its private key, both PEM.
func (c *CA) IssueServing(t testing.TB, hosts ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	return c.IssueTLS(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, hosts...)
}

// IssueTLS is IssueServing for other uses: a client certificate
// (x509.ExtKeyUsageClientAuth, no hosts) or one that is both.
func (c *CA) IssueTLS(t testing.TB, usages []x509.ExtKeyUsage, hosts ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: usages,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	cert := createCert(t, tmpl, c.Root, &key.PublicKey, c.rootKey)
	der, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	return pemCert(cert), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}
