package verify

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/trust"
)

// FuzzBundle: any bytes as a Sigstore bundle attached to an image, checked as
// a signature and as an attestation with a key. Nothing panics; a failure has
// a documented code; and whatever verifies is signed by the key over a
// statement about the image's digest.
func FuzzBundle(f *testing.F) {
	key := testutil.NewKey(f, testutil.ECDSAP256)
	ref, err := reference.Parse("registry.example/app@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	if err != nil {
		f.Fatal(err)
	}
	d, err := name.NewDigest(ref.Name + "@" + ref.Digest)
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range []testutil.Bundle{
		{Signer: key.Signer}, {Signer: key.Signer, Annotations: map[string]any{"env": "prod"}},
		{Signer: key.Signer, PredicateType: "https://slsa.dev/provenance/v0.2", Predicate: map[string]any{"builder": map[string]any{"id": "x"}}},
		{Signer: key.Signer, Tamper: true}, {Signer: key.Signer, RawPayload: []byte("{}")},
	} {
		f.Add(testutil.BundleJSON(f, d, b))
	}
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}`))
	reg, err := registry.New(registry.Config{})
	if err != nil {
		f.Fatal(err)
	}
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{})
	if err != nil {
		f.Fatal(err)
	}
	v := New(reg, roots)
	h, err := v1.NewHash(ref.Digest)
	if err != nil {
		f.Fatal(err)
	}
	target := Target{Image: ref.Reference, Ref: ref, Digest: h}
	signatures, err := ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		f.Fatal(err)
	}
	attestations, err := ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true, "type": "slsaprovenance"}, true)
	if err != nil {
		f.Fatal(err)
	}
	// The first seed verifies: the invariants below are exercised.
	co, err := v.checkOpts(signatures)
	if err != nil {
		f.Fatal(err)
	}
	seed := &sgbundle.Bundle{}
	if err := seed.UnmarshalJSON(testutil.BundleJSON(f, d, testutil.Bundle{Signer: key.Signer})); err != nil {
		f.Fatal(err)
	}
	if res := target.Result(); func() error {
		_, err := v.bundleOne(target, seed, v1.Hash{}, signatures, co, Signatures, res)
		return err
	}() != nil || len(res.Signatures) != 1 {
		f.Fatal("the seed bundle does not verify")
	}
	known := map[string]bool{}
	for _, c := range Codes() {
		known[c.Code] = true
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b := &sgbundle.Bundle{}
		if b.UnmarshalJSON(raw) != nil {
			return
		}
		for _, c := range []struct {
			o    *Options
			kind Kind
		}{{signatures, Signatures}, {attestations, Attestations}} {
			co, err := v.checkOpts(c.o)
			if err != nil {
				t.Fatal(err)
			}
			res := target.Result()
			skip, err := v.bundleOne(target, b, v1.Hash{}, c.o, co, c.kind, res)
			if err != nil {
				if code := classifyCandidate(err, c.kind); !known[code] {
					t.Fatalf("undocumented code %q for %v", code, err)
				}
				continue
			}
			if skip || len(res.Signatures)+len(res.Attestations) == 0 {
				continue
			}
			// Verified: the key signed it, over a statement about the digest.
			if derr := bundleDiagnosis(b, c.o, co); derr != nil {
				t.Fatalf("verified, but the signature does not verify with the key: %v", derr)
			}
			env := b.GetDsseEnvelope()
			if _, err := parseStatement(env.GetPayloadType(), env.GetPayload(), h); err != nil {
				t.Fatalf("verified a statement about another digest: %v", err)
			}
		}
	})
}
