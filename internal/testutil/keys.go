package testutil

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Key is a signing key and its PEM public key, as users pass it to `key`.
type Key struct {
	Signer    signature.SignerVerifier
	PublicPEM string
}

// Key algorithms.
const (
	ECDSAP256 = "ecdsa-p256"
	ECDSAP384 = "ecdsa-p384"
	RSA2048   = "rsa-2048"
	Ed25519   = "ed25519"
)

// NewKey generates a key of the given algorithm.
func NewKey(t testing.TB, alg string) Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case ECDSAP256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case Ed25519:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("unknown key algorithm %q", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadSignerVerifier(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return Key{Signer: sv, PublicPEM: string(pem)}
}

func discard() *log.Logger { return log.New(io.Discard, "", 0) }
