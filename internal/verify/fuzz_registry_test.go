package verify_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// FuzzRegistryManifests: a registry answers the signature manifest (.sig)
// and the referrers index (tag schema) of a signed image with any bytes.
// Verification never panics, ends within its deadline, reports a documented
// code when it fails, and when it verifies, the signer is the key.
func FuzzRegistryManifests(f *testing.F) {
	host, h, v, key := hostileWorld(f)
	d := testutil.PushImage(f, host, "fuzz/app", "v1")
	testutil.AttachLegacy(f, d, testutil.Legacy{Signer: key.Signer})
	testutil.AttachBundle(f, d, testutil.Bundle{Signer: key.Signer})
	hexPart := strings.TrimPrefix(d.DigestStr(), "sha256:")
	sigPath, idxPath := "/manifests/sha256-"+hexPart+".sig", "/manifests/sha256-"+hexPart
	// Seeds: what the registry really holds, and nothing.
	sig, err := remote.Get(d.Context().Tag("sha256-" + hexPart + ".sig"))
	if err != nil {
		f.Fatal(err)
	}
	idx, err := remote.Get(d.Context().Tag("sha256-" + hexPart))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sig.Manifest, idx.Manifest)
	f.Add([]byte(`{"schemaVersion":2,"layers":[]}`), []byte(`{"schemaVersion":2,"manifests":[]}`))
	f.Add([]byte(`{}`), []byte(`null`))
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range verify.Codes() {
		known[c.Code] = true
	}
	f.Fuzz(func(t *testing.T, sigManifest, index []byte) {
		h.fault = func(w http.ResponseWriter, r *http.Request) bool {
			var body []byte
			switch {
			case strings.HasSuffix(r.URL.Path, sigPath):
				body = sigManifest
			case strings.HasSuffix(r.URL.Path, idxPath):
				body = index
			default:
				return false
			}
			w.Header().Set("Content-Type", mediaType(body))
			if r.Method != http.MethodHead {
				_, _ = w.Write(body)
			}
			return true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		res := v.Verify(ctx, d.String(), o, verify.Signatures)
		if took := time.Since(start); took > 6*time.Second {
			t.Fatalf("took %s", took)
		}
		if !res.Verified {
			if len(res.Errors) == 0 || !known[res.Errors[0].Code] {
				t.Fatalf("failure without a documented code: %+v", res.Errors)
			}
			return
		}
		for _, s := range res.Signatures {
			if !strings.HasPrefix(s.Signer, "key:sha256:") {
				t.Fatalf("verified by %q, not the key", s.Signer)
			}
		}
	})
}

// mediaType is the manifest's own mediaType, as a registry would send it.
func mediaType(body []byte) string {
	var m struct {
		MediaType string `json:"mediaType"`
	}
	if json.Unmarshal(body, &m) == nil && m.MediaType != "" {
		return m.MediaType
	}
	return "application/vnd.oci.image.manifest.v1+json"
}
