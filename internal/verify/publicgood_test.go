package verify_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// cosignTestdata reads a file of cosign's own test data from the module cache
// (a real public-good bundle with its trusted root; not copied into this repo).
func cosignTestdata(t *testing.T, file string) []byte {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/sigstore/cosign/v2").Output()
	if err != nil {
		t.Fatalf("locating the cosign module: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "pkg", "cosign", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRealPublicGoodBundle verifies, offline, a bundle signed by the real
// public-good Fulcio and logged in the real Rekor, with its identity.
func TestRealPublicGoodBundle(t *testing.T) {
	t.Parallel()
	pgi, err := root.NewTrustedRootFromJSON(cosignTestdata(t, "trusted_root_pgi.json"))
	if err != nil {
		t.Fatal(err)
	}
	host := testutil.Registry(t)
	ref, err := name.NewTag(host+"/real/empty:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, empty.Image); err != nil {
		t.Fatal(err)
	}
	d, _ := empty.Image.Digest()
	digest := ref.Context().Digest(d.String())
	if err := ociremote.WriteAttestationNewBundleFormat(digest, cosignTestdata(t, "oci-attestation.sigstore.json"), "https://cosign.sigstore.dev/attestation/v1"); err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(registry.Config{Insecure: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{"pgi": pgi, "virtual": vs})
	if err != nil {
		t.Fatal(err)
	}
	v := verify.New(reg, roots)
	base := map[string]any{"trusted-root": "pgi", "type": "custom", "certificate-oidc-issuer": "https://github.com/login/oauth"}
	with := func(k, val string) map[string]any {
		o := map[string]any{"certificate-identity": "cody@soyland.com"}
		for k, v := range base {
			o[k] = v
		}
		o[k] = val
		return o
	}

	res := verifyImage(t, v, digest.String(), opts(t, with("certificate-identity", "cody@soyland.com"), true), verify.Attestations)
	check(t, res, want{verified: true, format: verify.FormatBundle})
	s := res.Attestations[0].Signature
	if s.Subject != "cody@soyland.com" || s.Issuer != "https://github.com/login/oauth" || s.Tlog == nil || s.Tlog.IntegratedTime != 1740770291 {
		t.Fatalf("signature = %+v", s)
	}
	// The same bundle verifies against the public-good root embedded in the
	// binary, the default when no trusted-root is named.
	embedded := with("certificate-identity", "cody@soyland.com")
	delete(embedded, "trusted-root")
	check(t, verifyImage(t, v, digest.String(), opts(t, embedded, true), verify.Attestations), want{verified: true})
	// Its negative twins: another identity; a root whose CA did not issue
	// the certificate.
	check(t, verifyImage(t, v, digest.String(), opts(t, with("certificate-identity", "someone@else.com"), true), verify.Attestations), want{code: verify.CodeIdentityMismatch})
	check(t, verifyImage(t, v, digest.String(), opts(t, with("trusted-root", "virtual"), true), verify.Attestations), want{code: verify.CodeCertificateInvalid})
}
