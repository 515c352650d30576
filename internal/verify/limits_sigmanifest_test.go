package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestSignatureManifestSizeLimit (docs/security.md #1): a legacy signature
// manifest larger than max_signatures × SignatureBytes (1 MiB by default) is
// a limit before it is decoded, though it has few layers and is under
// max_manifest_bytes. Before the limit it was decoded and its candidates tried.
func TestSignatureManifestSizeLimit(t *testing.T) {
	t.Parallel()
	host, h, v, key := hostileWorld(t)
	d := testutil.PushImage(t, host, "hostile/app", "v1")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
	padding := strings.Repeat("A", 600<<10)
	layers := make([]map[string]any, 2)
	for i := range layers {
		layers[i] = map[string]any{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "size": 100,
			"digest": fmt.Sprintf("sha256:%064x", i), "annotations": map[string]string{"dev.cosignproject.cosign/signature": "MEUC", "padding": padding}}
	}
	m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": fmt.Sprintf("sha256:%064x", 1)},
		"layers": layers})
	h.fault = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, sigTag(d)+".sig") {
			return false
		}
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		_, _ = w.Write(m)
		return true
	}
	res := v.Verify(context.Background(), d.String(), opts(t, map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false), verify.Signatures)
	check(t, res, want{code: verify.CodeLimitExceeded})
	limit := registry.Limits{}.WithDefaults().SignatureManifestBytes()
	if want := fmt.Sprintf("signature manifest larger than %d bytes", limit); !strings.Contains(res.Errors[0].Message, want) {
		t.Errorf("message %q, want it to say %q", res.Errors[0].Message, want)
	}
}

// TestLargestLegitimateSignatureManifest: the twin. max_signatures keyless
// signatures, each with its certificate, chain and Rekor SET as `cosign sign`
// writes them, fit the signature manifest limit with room to spare, and the
// image verifies.
func TestLargestLegitimateSignatureManifest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.image(t, "many/keyless")
	for range registry.DefaultMaxSignatures {
		w.keylessLegacy(t, d, identity, issuer)
	}
	desc, err := remote.Get(d.Context().Tag(strings.TrimPrefix(sigTag(d), "/manifests/") + ".sig"))
	if err != nil {
		t.Fatal(err)
	}
	limit := registry.Limits{}.WithDefaults().SignatureManifestBytes()
	t.Logf("%d keyless signatures: a %d-byte manifest (%d per signature); the limit is %d", registry.DefaultMaxSignatures, len(desc.Manifest), len(desc.Manifest)/registry.DefaultMaxSignatures, limit)
	if int64(len(desc.Manifest))*2 > limit {
		t.Errorf("the manifest of %d keyless signatures is %d bytes, over half the %d-byte limit", registry.DefaultMaxSignatures, len(desc.Manifest), limit)
	}
	o := opts(t, map[string]any{"trusted-root": "virtual", "insecure-ignore-sct": true, "certificate-identity": identity, "certificate-oidc-issuer": issuer}, false)
	check(t, w.v.Verify(context.Background(), d.String(), o, verify.Signatures), want{verified: true, format: verify.FormatLegacy})
}
