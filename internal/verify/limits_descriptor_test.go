package verify_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestOversizedDescriptorIsNotRead (docs/security.md #2): a signature or
// bundle layer whose descriptor already claims more than max_blob_bytes is
// refused as a limit before any request for it; reading it up to the limit
// only to refuse it was most of the CPU under attack. The twin of each, the
// same layer claiming a size within the limit, is requested: the size is what
// stopped it.
func TestOversizedDescriptorIsNotRead(t *testing.T) {
	t.Parallel()
	const oversized = 64 << 20
	layerDigest := fmt.Sprintf("sha256:%064x", 0xb10b)
	manifest := func(mediaType string, size int64) []byte {
		m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
			"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": fmt.Sprintf("sha256:%064x", 1)},
			"layers": []map[string]any{{"mediaType": mediaType, "size": size, "digest": layerDigest,
				"annotations": map[string]string{"dev.cosignproject.cosign/signature": "MEUC"}}}})
		return m
	}
	serve := func(w http.ResponseWriter, mediaType string, body []byte) bool {
		w.Header().Set("Content-Type", mediaType)
		w.Header().Set("Docker-Content-Digest", fmt.Sprintf("sha256:%x", sha256.Sum256(body)))
		_, _ = w.Write(body)
		return true
	}
	for _, format := range []string{"legacy", "bundle"} {
		for _, size := range []int64{oversized, 300} {
			t.Run(fmt.Sprintf("%s layer claiming %d bytes", format, size), func(t *testing.T) {
				t.Parallel()
				host, h, v, key := hostileWorld(t)
				d := testutil.PushImage(t, host, "hostile/app", "v1")
				var blobReads atomic.Int32
				var sig []byte
				if format == "legacy" {
					sig = manifest("application/vnd.dev.cosign.simplesigning.v1+json", size)
				} else {
					sig = manifest("application/vnd.dev.sigstore.bundle.v0.3+json", size)
				}
				sigDigest := fmt.Sprintf("sha256:%x", sha256.Sum256(sig))
				index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
					"manifests": []map[string]any{{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": len(sig),
						"digest": sigDigest, "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json"}}})
				h.fault = func(w http.ResponseWriter, r *http.Request) bool {
					switch p := r.URL.Path; {
					case strings.HasSuffix(p, "/blobs/"+layerDigest):
						blobReads.Add(1)
						w.WriteHeader(http.StatusNotFound)
						return true
					case format == "legacy" && strings.HasSuffix(p, sigTag(d)+".sig"):
						return serve(w, "application/vnd.oci.image.manifest.v1+json", sig)
					case format == "bundle" && strings.HasSuffix(p, sigTag(d)):
						return serve(w, "application/vnd.oci.image.index.v1+json", index)
					case format == "bundle" && strings.HasSuffix(p, "/manifests/"+sigDigest):
						return serve(w, "application/vnd.oci.image.manifest.v1+json", sig)
					}
					return false
				}
				o := opts(t, map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
				res := v.Verify(context.Background(), d.String(), o, verify.Signatures)
				if size <= registry.DefaultMaxBlobBytes {
					if blobReads.Load() == 0 || res.Verified {
						t.Fatalf("a layer within the limit was not requested (%d reads): %+v", blobReads.Load(), res)
					}
					return
				}
				check(t, res, want{code: verify.CodeLimitExceeded})
				if want := fmt.Sprintf("claims %d bytes, more than limits.max_blob_bytes (%d)", size, registry.DefaultMaxBlobBytes); !strings.Contains(res.Errors[0].Message, want) {
					t.Errorf("message %q, want it to say %q", res.Errors[0].Message, want)
				}
				if n := blobReads.Load(); n != 0 {
					t.Errorf("the oversized layer was requested %d times", n)
				}
			})
		}
	}
}
