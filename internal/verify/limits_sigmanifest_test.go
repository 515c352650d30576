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

// TestSignatureManifestSizeLimit (docs/security.md #1, #10, #19): a legacy
// signature manifest larger than max_signatures × SignatureBytes (1 MiB by
// default) is a limit before it is decoded, though it has few layers and is
// under max_manifest_bytes — also when a redirect leads to a path that does
// not look like a manifest's. Before the limit it was decoded and its
// candidates tried. A signature manifest is still checked against the digest
// its registry claims for it.
func TestSignatureManifestSizeLimit(t *testing.T) {
	t.Parallel()
	padding := strings.Repeat("A", 600<<10)
	layers := make([]map[string]any, 2)
	for i := range layers {
		layers[i] = map[string]any{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "size": 100,
			"digest": fmt.Sprintf("sha256:%064x", i), "annotations": map[string]string{"dev.cosignproject.cosign/signature": "MEUC", "padding": padding}}
	}
	huge, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": fmt.Sprintf("sha256:%064x", 1)},
		"layers": layers})
	limit := registry.Limits{}.WithDefaults().SignatureManifestBytes()
	write := func(w http.ResponseWriter, m []byte, claimed string) bool {
		w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		if claimed != "" {
			w.Header().Set("Docker-Content-Digest", claimed)
		}
		_, _ = w.Write(m)
		return true
	}
	for _, c := range []struct {
		name    string
		fault   func(sig string) func(http.ResponseWriter, *http.Request) bool
		code    string
		message string
	}{
		{"two layers of 600 KiB", func(sig string) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				return strings.HasSuffix(r.URL.Path, sig) && write(w, huge, "")
			}
		}, verify.CodeLimitExceeded, fmt.Sprintf("signature manifest larger than %d bytes", limit)},
		{"the same, redirected to a path that is not a manifest's", func(sig string) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				switch {
				case strings.HasSuffix(r.URL.Path, sig):
					http.Redirect(w, r, "/elsewhere/x", http.StatusTemporaryRedirect)
					return true
				case r.URL.Path == "/elsewhere/x":
					return write(w, huge, "")
				}
				return false
			}
		}, verify.CodeLimitExceeded, fmt.Sprintf("signature manifest larger than %d bytes", limit)},
		{"a body that is not the digest its registry claims", func(sig string) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				small, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []any{}})
				return strings.HasSuffix(r.URL.Path, sig) && r.Method == http.MethodGet && write(w, small, fmt.Sprintf("sha256:%064x", 9))
			}
		}, verify.CodeRegistryError, "digest"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			host, h, v, key := hostileWorld(t)
			d := testutil.PushImage(t, host, "hostile/app", "v1")
			testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
			h.fault = c.fault(sigTag(d) + ".sig")
			res := v.Verify(context.Background(), d.String(), opts(t, map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false), verify.Signatures)
			check(t, res, want{code: c.code})
			if !strings.Contains(res.Errors[0].Message, c.message) {
				t.Errorf("message %q, want it to say %q", res.Errors[0].Message, c.message)
			}
		})
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
