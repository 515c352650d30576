package plugins

import (
	"context"
	"crypto"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

const (
	identity = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
	issuer   = "https://token.actions.githubusercontent.com"
)

// TestPrivateTrustRootFromFile: a private Sigstore's trusted_root.json,
// configured in plugins.cosign.trust_roots and named per call, verifies
// keyless signatures in both formats, and honours signed timestamps (TSA).
func TestPrivateTrustRootFromFile(t *testing.T) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	host := testutil.Registry(t)
	cfg, err := ParseConfig([]byte(`{"registry": {"insecure": ["` + host + `"]}, "trust_roots": {"corp": {"trusted_root_file": "` + testutil.WriteTrustedRoot(t, vs) + `"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(cfg.engine)
	if err != nil {
		t.Fatal(err)
	}

	legacy := testutil.PushImage(t, host, "corp/legacy", "v1")
	cert, priv, err := vs.GenerateLeafCert(identity, issuer)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	testutil.AttachLegacy(t, legacy, testutil.Legacy{Signer: signer, Cert: cert, Rekor: vs})
	bundled := testutil.PushImage(t, host, "corp/bundle", "v1")
	testutil.AttachBundle(t, bundled, testutil.Bundle{Virtual: vs, Identity: identity, Issuer: issuer})
	stamped := testutil.PushImage(t, host, "corp/stamped", "v1")
	testutil.AttachBundle(t, stamped, testutil.Bundle{Virtual: vs, Identity: identity, Issuer: issuer, Timestamp: true, NoTlog: true})
	unstamped := testutil.PushImage(t, host, "corp/unstamped", "v1")
	testutil.AttachBundle(t, unstamped, testutil.Bundle{Virtual: vs, Identity: identity, Issuer: issuer, NoTlog: true})

	keyless := func(extra map[string]any) *verify.Options {
		raw := map[string]any{"certificate-identity": identity, "certificate-oidc-issuer": issuer, "insecure-ignore-sct": true}
		for k, v := range extra {
			raw[k] = v
		}
		o, err := verify.ParseOptions(raw, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.CheckOptions(o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	corp := map[string]any{"trusted-root": "corp"}
	for _, c := range []struct {
		name  string
		image string
		opts  *verify.Options
		want  bool
	}{
		{"legacy with the private root", legacy.String(), keyless(corp), true},
		{"legacy with the public-good root", legacy.String(), keyless(nil), false},
		{"bundle with the private root", bundled.String(), keyless(corp), true},
		{"bundle with the public-good root", bundled.String(), keyless(nil), false},
		// Without a log entry, the signed timestamp is what proves the certificate
		// was valid at signing: honoured when present, required when the log is skipped.
		{"bundle with a TSA timestamp and no log entry", stamped.String(), keyless(map[string]any{"trusted-root": "corp", "insecure-ignore-tlog": true}), true},
		{"bundle with neither, log required", unstamped.String(), keyless(corp), false},
	} {
		res := e.Verify(context.Background(), engine.Request{Image: c.image, Options: c.opts})
		if res.Verified != c.want {
			t.Errorf("%s: verified=%v, want %v (%+v)", c.name, res.Verified, c.want, res.Errors)
		}
	}
	unknown, err := verify.ParseOptions(map[string]any{"certificate-identity": identity, "certificate-oidc-issuer": issuer, "trusted-root": "nope"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.CheckOptions(unknown); err == nil {
		t.Error("an unknown trusted-root name must be an error")
	}
}
