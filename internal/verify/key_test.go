package verify_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestKeySigned covers key-signed signatures in both formats, each positive
// case next to its negative twin.
func TestKeySigned(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := func(k testutil.Key) map[string]any { return ignoreTlog(map[string]any{"key": k.PublicPEM}) }
	sigRepo, err := name.NewRepository(w.host+"/signatures/store", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}

	type tc struct {
		name   string
		setup  func(t *testing.T, d name.Digest) string // signs d, returns the reference to verify
		opts   func() map[string]any
		expect want
	}
	legacy := func(l testutil.Legacy) func(*testing.T, name.Digest) string {
		return func(t *testing.T, d name.Digest) string { testutil.AttachLegacy(t, d, l); return d.String() }
	}
	bundle := func(b testutil.Bundle) func(*testing.T, name.Digest) string {
		return func(t *testing.T, d name.Digest) string { testutil.AttachBundle(t, d, b); return d.String() }
	}
	byTag := func(f func(*testing.T, name.Digest) string) func(*testing.T, name.Digest) string {
		return func(t *testing.T, d name.Digest) string { f(t, d); return tagRef(d) }
	}
	otherDigest := func(t *testing.T) *name.Digest { d := w.image(t, "other/app"); return &d }
	algs := []string{testutil.ECDSAP384, testutil.RSA2048, testutil.Ed25519}

	cases := []tc{
		{"legacy/right key by digest", legacy(testutil.Legacy{Signer: w.key.Signer}), func() map[string]any { return key(w.key) }, want{verified: true, format: verify.FormatLegacy}},
		{"legacy/wrong key", legacy(testutil.Legacy{Signer: w.key.Signer}), func() map[string]any { return key(w.other) }, want{code: verify.CodeNoMatchingSignatures}},
		{"legacy/right key by tag", byTag(legacy(testutil.Legacy{Signer: w.key.Signer})), func() map[string]any { return key(w.key) }, want{verified: true, format: verify.FormatLegacy}},
		{"legacy/wrong key by tag", byTag(legacy(testutil.Legacy{Signer: w.key.Signer})), func() map[string]any { return key(w.other) }, want{code: verify.CodeNoMatchingSignatures}},
		{"unsigned", func(t *testing.T, d name.Digest) string { return d.String() }, func() map[string]any { return key(w.key) }, want{code: verify.CodeNoSignatures}},
		{"unsigned by tag", func(t *testing.T, d name.Digest) string { return tagRef(d) }, func() map[string]any { return key(w.key) }, want{code: verify.CodeNoSignatures}},
		{"legacy/tampered payload", legacy(testutil.Legacy{Signer: w.key.Signer, Tamper: true}), func() map[string]any { return key(w.key) }, want{code: verify.CodeNoMatchingSignatures}},
		{"legacy/transplanted from another digest", func(t *testing.T, d name.Digest) string {
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.key.Signer, ClaimDigest: otherDigest(t)})
			return d.String()
		}, func() map[string]any { return key(w.key) }, want{code: verify.CodeNoMatchingSignatures}},
		{"legacy/annotations present", legacy(testutil.Legacy{Signer: w.key.Signer, Annotations: map[string]any{"env": "prod", "team": "a"}}),
			func() map[string]any { o := key(w.key); o["annotations"] = map[string]any{"env": "prod"}; return o }, want{verified: true}},
		{"legacy/annotation mismatch", legacy(testutil.Legacy{Signer: w.key.Signer, Annotations: map[string]any{"env": "dev"}}),
			func() map[string]any { o := key(w.key); o["annotations"] = map[string]any{"env": "prod"}; return o }, want{code: verify.CodeAnnotationMismatch}},
		{"legacy/annotation missing", legacy(testutil.Legacy{Signer: w.key.Signer}),
			func() map[string]any { o := key(w.key); o["annotations"] = map[string]any{"env": "prod"}; return o }, want{code: verify.CodeAnnotationMismatch}},
		{"legacy/signature repository", legacy(testutil.Legacy{Signer: w.key.Signer, Repo: &sigRepo}),
			func() map[string]any { o := key(w.key); o["signature-repository"] = sigRepo.Name(); return o }, want{verified: true}},
		{"legacy/signature repository not given", legacy(testutil.Legacy{Signer: w.key.Signer, Repo: &sigRepo}),
			func() map[string]any { return key(w.key) }, want{code: verify.CodeNoSignatures}},
		{"legacy/tlog required, none in signature", legacy(testutil.Legacy{Signer: w.key.Signer}),
			func() map[string]any { return map[string]any{"key": w.key.PublicPEM} }, want{code: verify.CodeTlogFailed}},
		{"legacy/tlog required, SET verified offline", legacy(testutil.Legacy{Signer: w.key.Signer, Rekor: w.virtual}),
			func() map[string]any { return map[string]any{"key": w.key.PublicPEM, "trusted-root": "virtual"} }, want{verified: true}},
		{"legacy/tlog SET from another artifact", legacy(testutil.Legacy{Signer: w.key.Signer, Rekor: w.virtual, RekorPayload: []byte(`{"other":"artifact"}`)}),
			func() map[string]any { return map[string]any{"key": w.key.PublicPEM, "trusted-root": "virtual"} }, want{code: verify.CodeTlogFailed}},
		{"legacy/tlog SET with wrong key under it", legacy(testutil.Legacy{Signer: w.other.Signer, Rekor: w.virtual}),
			func() map[string]any { return map[string]any{"key": w.key.PublicPEM, "trusted-root": "virtual"} }, want{code: verify.CodeNoMatchingSignatures}},
		{"legacy/SET from a log the root does not trust", legacy(testutil.Legacy{Signer: w.key.Signer, Rekor: w.virtual}),
			func() map[string]any { return map[string]any{"key": w.key.PublicPEM} }, want{code: verify.CodeTlogFailed}},

		{"bundle/right key", bundle(testutil.Bundle{Signer: w.key.Signer}), func() map[string]any { return key(w.key) }, want{verified: true, format: verify.FormatBundle}},
		{"bundle/wrong key", bundle(testutil.Bundle{Signer: w.key.Signer}), func() map[string]any { return key(w.other) }, want{code: verify.CodeNoMatchingSignatures}},
		{"bundle/right key by tag", byTag(bundle(testutil.Bundle{Signer: w.key.Signer})), func() map[string]any { return key(w.key) }, want{verified: true, format: verify.FormatBundle}},
		{"bundle/wrong key by tag", byTag(bundle(testutil.Bundle{Signer: w.key.Signer})), func() map[string]any { return key(w.other) }, want{code: verify.CodeNoMatchingSignatures}},
		{"bundle/tampered payload", bundle(testutil.Bundle{Signer: w.key.Signer, Tamper: true}), func() map[string]any { return key(w.key) }, want{code: verify.CodeNoMatchingSignatures}},
		{"bundle/statement about another digest", func(t *testing.T, d name.Digest) string {
			testutil.AttachBundle(t, d, testutil.Bundle{Signer: w.key.Signer, SubjectDigest: otherDigest(t)})
			return d.String()
		}, func() map[string]any { return key(w.key) }, want{code: verify.CodeNoMatchingSignatures}},
		{"bundle/annotations present", bundle(testutil.Bundle{Signer: w.key.Signer, Annotations: map[string]any{"env": "prod"}}),
			func() map[string]any { o := key(w.key); o["annotations"] = map[string]any{"env": "prod"}; return o }, want{verified: true}},
		{"bundle/annotation mismatch", bundle(testutil.Bundle{Signer: w.key.Signer, Annotations: map[string]any{"env": "dev"}}),
			func() map[string]any { o := key(w.key); o["annotations"] = map[string]any{"env": "prod"}; return o }, want{code: verify.CodeAnnotationMismatch}},
		{"bundle/only an attestation of another type is no signature", bundle(testutil.Bundle{Signer: w.key.Signer, PredicateType: "https://cosign.sigstore.dev/attestation/vuln/v1"}),
			func() map[string]any { return key(w.key) }, want{code: verify.CodeNoSignatures}},
		{"bundle/unparsable payload", bundle(testutil.Bundle{Signer: w.key.Signer, RawPayload: []byte("not json")}),
			func() map[string]any { return key(w.key) }, want{code: verify.CodeNoMatchingSignatures}},
		{"bundle/tlog required, none in bundle", bundle(testutil.Bundle{Signer: w.key.Signer}),
			func() map[string]any { return map[string]any{"key": w.key.PublicPEM} }, want{code: verify.CodeTlogFailed}},
		{"both formats, legacy wrong key, bundle right key", func(t *testing.T, d name.Digest) string {
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: w.other.Signer})
			testutil.AttachBundle(t, d, testutil.Bundle{Signer: w.key.Signer})
			return d.String()
		}, func() map[string]any { return key(w.key) }, want{verified: true, format: verify.FormatBundle}},
	}
	for _, alg := range algs {
		k := testutil.NewKey(t, alg)
		cases = append(cases,
			tc{"legacy/" + alg, legacy(testutil.Legacy{Signer: k.Signer}), func() map[string]any { return key(k) }, want{verified: true}},
			tc{"legacy/" + alg + " wrong key", legacy(testutil.Legacy{Signer: k.Signer}), func() map[string]any { return key(w.key) }, want{code: verify.CodeNoMatchingSignatures}},
			tc{"bundle/" + alg, bundle(testutil.Bundle{Signer: k.Signer}), func() map[string]any { return key(k) }, want{verified: true}},
		)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := w.image(t, "key/case"+string(rune('a'+i%26))+string(rune('a'+i/26)))
			ref := c.setup(t, d)
			check(t, verifyImage(t, w.v, ref, opts(t, c.opts(), false), verify.Signatures), c.expect)
		})
	}
}

// TestTagAndDigest: with both, only the digest counts (docs/security.md #17).
func TestTagAndDigest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	signed := w.image(t, "td/app")
	testutil.AttachLegacy(t, signed, testutil.Legacy{Signer: w.key.Signer})
	unsigned := testutil.PushImage(t, w.host, "td/app", "unsigned")
	o := opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM}), false)
	check(t, verifyImage(t, w.v, tagRef(signed)+"@"+unsigned.DigestStr(), o, verify.Signatures), want{code: verify.CodeNoSignatures})
	check(t, verifyImage(t, w.v, signed.Context().Name()+":unsigned@"+signed.DigestStr(), o, verify.Signatures), want{verified: true})
}

// TestTagMoved: a tag re-pointed to an unsigned image fails (docs/security.md #18).
func TestTagMoved(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	signed := w.image(t, "moved/app")
	testutil.AttachLegacy(t, signed, testutil.Legacy{Signer: w.key.Signer})
	o := opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM}), false)
	check(t, verifyImage(t, w.v, tagRef(signed), o, verify.Signatures), want{verified: true})
	unsigned := testutil.PushImage(t, w.host, "moved/app", "v1")
	res := verifyImage(t, w.v, tagRef(signed), o, verify.Signatures)
	check(t, res, want{code: verify.CodeNoSignatures})
	if res.Digest != unsigned.DigestStr() {
		t.Fatalf("digest %s, want the moved tag's %s", res.Digest, unsigned.DigestStr())
	}
}
