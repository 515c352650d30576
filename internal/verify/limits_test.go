package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// hostile wraps an in-process registry; fault, when it returns true, has
// answered the request itself.
type hostile struct {
	next  http.Handler
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.fault != nil && h.fault(w, r) {
		return
	}
	h.next.ServeHTTP(w, r)
}

func hostileWorld(t testing.TB) (string, *hostile, *verify.Verifier, testutil.Key) {
	t.Helper()
	h := &hostile{next: ggcrregistry.New()}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	reg, err := registry.New(registry.Config{Insecure: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	roots, err := trust.NewRoots(map[string]root.TrustedMaterial{})
	if err != nil {
		t.Fatal(err)
	}
	return host, h, verify.New(reg, roots), testutil.NewKey(t, testutil.ECDSAP256)
}

func sigTag(d name.Digest) string {
	return "/manifests/sha256-" + strings.TrimPrefix(d.DigestStr(), "sha256:")
}

func descriptors(n int, artifactType string) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{
			"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 100, "artifactType": artifactType,
			"digest": fmt.Sprintf("sha256:%064x", i), "annotations": map[string]string{"dev.cosignproject.cosign/signature": "MEUC"},
		}
	}
	return out
}

func TestHostileRegistries(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		fault func(d name.Digest) func(http.ResponseWriter, *http.Request) bool
		code  string
	}{
		{"10,000 signature layers (docs/security.md #1)", func(d name.Digest) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, sigTag(d)+".sig") {
					return false
				}
				m, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
					"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": fmt.Sprintf("sha256:%064x", 1)},
					"layers": descriptors(10000, "")})
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				_, _ = w.Write(m)
				return true
			}
		}, verify.CodeLimitExceeded},
		{"10,000 referrers (docs/security.md #1)", func(d name.Digest) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, sigTag(d)) {
					return false
				}
				idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
					"manifests": descriptors(10000, "application/vnd.dev.sigstore.bundle.v0.3+json")})
				w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
				_, _ = w.Write(idx)
				return true
			}
		}, verify.CodeLimitExceeded},
		// go-containerregistry reads a blob only up to its descriptor's size and
		// then checks the digest: the candidate fails there, having read 243
		// bytes of the 4 MiB the registry streams.
		{"blob streaming past its descriptor (docs/security.md #2)", func(name.Digest) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
					return false
				}
				chunk := make([]byte, 64<<10)
				for range 64 { // 4 MiB, chunked
					if _, err := w.Write(chunk); err != nil {
						return true
					}
				}
				return true
			}
		}, verify.CodeNoMatchingSignatures},
		{"Content-Length of 10 GiB (docs/security.md #2)", func(name.Digest) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
					return false
				}
				w.Header().Set("Content-Length", fmt.Sprint(int64(10)<<30))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte("x"))
				return true
			}
		}, verify.CodeLimitExceeded},
		{"redirect loop (docs/security.md #19)", func(d name.Digest) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, sigTag(d)+".sig") {
					return false
				}
				http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
				return true
			}
		}, verify.CodeLimitExceeded},
		{"manifest body not matching its digest header (docs/security.md #10)", func(d name.Digest) func(http.ResponseWriter, *http.Request) bool {
			return func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/manifests/v1") {
					return false
				}
				if r.Method == http.MethodHead { // no digest header: the client must GET and hash
					w.WriteHeader(http.StatusOK)
					return true
				}
				w.Header().Set("Docker-Content-Digest", d.DigestStr())
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				_, _ = w.Write([]byte(`{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}`))
				return true
			}
		}, verify.CodeRegistryError},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			host, h, v, key := hostileWorld(t)
			d := testutil.PushImage(t, host, "hostile/app", "v1")
			if !strings.Contains(c.name, "referrers") { // else a verified legacy signature ends the search first
				testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
			}
			h.fault = c.fault(d)
			ref := d.String()
			if c.code == verify.CodeRegistryError {
				ref = d.Context().Name() + ":v1"
			}
			o := opts(t, map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			res := v.Verify(ctx, ref, o, verify.Signatures)
			check(t, res, want{code: c.code})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s", took)
			}
			t.Logf("%s: %s", res.Errors[0].Code, res.Errors[0].Message)
		})
	}
}

// TestTooManySignatures: more candidates than max_signatures is a limit, not
// a long loop (docs/security.md #1).
func TestTooManySignatures(t *testing.T) {
	t.Parallel()
	host, _, v, key := hostileWorld(t)
	d := testutil.PushImage(t, host, "many/app", "v1")
	other := testutil.NewKey(t, testutil.ECDSAP256)
	for range registry.DefaultMaxSignatures + 1 {
		testutil.AttachLegacy(t, d, testutil.Legacy{Signer: other.Signer})
	}
	check(t, v.Verify(context.Background(), d.String(), opts(t, map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false), verify.Signatures),
		want{code: verify.CodeLimitExceeded})
}
