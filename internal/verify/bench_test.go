package verify_test

import (
	"context"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// BenchmarkVerifyDigest measures one uncached key-signed legacy verification
// by digest against the in-process registry (connection warm).
func BenchmarkVerifyDigest(b *testing.B) {
	w := newWorldB(b)
	d := testutil.PushImage(b, w.host, "bench/app", "v1")
	testutil.AttachLegacy(b, d, testutil.Legacy{Signer: w.key.Signer})
	o, err := verify.ParseOptions(map[string]any{"key": w.key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if !w.v.Verify(ctx, d.String(), o, verify.Signatures).Verified {
			b.Fatal("not verified")
		}
	}
}
