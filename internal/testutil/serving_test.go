package testutil

import (
	"crypto/tls"
	"crypto/x509"
	"testing"
)

func TestIssueServingVerifiesForItsHostsOnly(t *testing.T) {
	ca := NewCA(t)
	certPEM, keyPEM := ca.IssueServing(t, "127.0.0.1", "localhost")
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Root)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "evil.example", Roots: roots}); err == nil {
		t.Error("verified for a host it was not issued for")
	}
}
