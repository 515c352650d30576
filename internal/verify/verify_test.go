package verify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// world is one registry with images signed in every way the tests need.
type world struct {
	host    string
	key     testutil.Key
	other   testutil.Key
	virtual *ca.VirtualSigstore
	v       *verify.Verifier
}

func newWorld(t *testing.T) *world { return newWorldB(t) }

func newWorldB(t testing.TB) *world {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{
		host:    testutil.Registry(t),
		key:     testutil.NewKey(t, testutil.ECDSAP256),
		other:   testutil.NewKey(t, testutil.ECDSAP256),
		virtual: vs,
	}
	w.v = w.verifier(t, []string{w.host})
	return w
}

func (w *world) verifier(t testing.TB, insecure []string) *verify.Verifier {
	t.Helper()
	reg, err := registry.New(registry.Config{Insecure: insecure})
	if err != nil {
		t.Fatal(err)
	}
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{"virtual": w.virtual})
	if err != nil {
		t.Fatal(err)
	}
	return verify.New(reg, roots)
}

// image pushes a fresh image called repo:tag.
func (w *world) image(t *testing.T, repo string) name.Digest {
	t.Helper()
	return testutil.PushImage(t, w.host, repo, "v1")
}

func tagRef(d name.Digest) string { return d.Context().Name() + ":v1" }

// opts builds options; it fails the test on misuse.
func opts(t *testing.T, raw map[string]any, attestation bool) *verify.Options {
	t.Helper()
	o, err := verify.ParseOptions(raw, attestation)
	if err != nil {
		t.Fatalf("options %v: %v", raw, err)
	}
	return o
}

type want struct {
	verified bool
	code     string // first error code when not verified
	format   string // format of the first signature when verified
}

func check(t *testing.T, res *verify.Result, w want) {
	t.Helper()
	if res.Verified != w.verified {
		t.Fatalf("verified = %v, want %v; errors %+v", res.Verified, w.verified, res.Errors)
	}
	if !w.verified {
		if len(res.Errors) == 0 || res.Errors[0].Code != w.code {
			t.Fatalf("errors = %+v, want first code %q", res.Errors, w.code)
		}
		if len(res.Signatures)+len(res.Attestations) != 0 {
			t.Fatalf("unverified result lists signatures: %+v", res.Signatures)
		}
		return
	}
	if len(res.Errors) != 0 {
		t.Fatalf("verified result has errors %+v", res.Errors)
	}
	var format string
	switch {
	case len(res.Signatures) > 0:
		format = res.Signatures[0].Format
	case len(res.Attestations) > 0:
		format = res.Attestations[0].Signature.Format
	default:
		t.Fatal("verified result lists no signature")
	}
	if w.format != "" && format != w.format {
		t.Fatalf("format = %q, want %q", format, w.format)
	}
}

func ignoreTlog(raw map[string]any) map[string]any {
	raw["insecure-ignore-tlog"] = true
	return raw
}

func verifyImage(t *testing.T, v *verify.Verifier, ref string, o *verify.Options, kind verify.Kind) *verify.Result {
	t.Helper()
	res := v.Verify(context.Background(), ref, o, kind)
	if res.Image != ref {
		t.Fatalf("result image = %q, want %q", res.Image, ref)
	}
	return res
}

func TestDigestBinding(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.image(t, "bind/app")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer})
	res := verifyImage(t, w.v, tagRef(d), opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM}), false), verify.Signatures)
	check(t, res, want{verified: true, format: verify.FormatLegacy})
	if res.Digest != d.DigestStr() || res.Reference != d.Context().Name()+"@"+d.DigestStr() {
		t.Fatalf("digest/reference = %s %s, want %s", res.Digest, res.Reference, d)
	}
}

func TestUnreachableWithoutInsecureOptIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.image(t, "plain/app")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer})
	strict := w.verifier(t, nil)
	res := verifyImage(t, strict, d.String(), opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM}), false), verify.Signatures)
	check(t, res, want{code: verify.CodeRegistryError})
	if !strings.Contains(res.Errors[0].Message, "not marked insecure") {
		t.Fatalf("message %q does not say why", res.Errors[0].Message)
	}
}

func TestReferenceErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	o := opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM}), false)
	check(t, verifyImage(t, w.v, "UPPER/Case::bad", o, verify.Signatures), want{code: verify.CodeInvalidReference})
	check(t, verifyImage(t, w.v, w.host+"/missing/app:nope", o, verify.Signatures), want{code: verify.CodeNotFound})
}
