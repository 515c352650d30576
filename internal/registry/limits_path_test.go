package registry

import (
	"net/http"
	"net/url"
	"testing"
)

// Which requests get the signature-manifest limit: cosign's legacy .sig and
// .att tags of an image digest, in any repository (signature-repository
// included); not an image's own tags, however they are spelled.
func TestIsSignatureTagPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/v2/acme/app/manifests/sha256-" + hex64 + ".sig":        true,
		"/v2/acme/app/manifests/sha256-" + hex64 + ".att":        true,
		"/v2/other/sigs/manifests/sha256-" + hex64 + ".sig":      true,
		"/v2/acme/app/manifests/sha256-" + hex64:                 false, // the referrers fallback index: max_manifest_bytes
		"/v2/acme/app/manifests/v1.sig":                          false,
		"/v2/acme/app/manifests/sha256:" + hex64:                 false,
		"/v2/acme/app/blobs/sha256:" + hex64:                     false,
		"/v2/acme/app/manifests/sha256-" + hex64 + ".sbom":       false,
		"/v2/manifests/sha256-x/acme/manifests/sha256-a.sig.old": false,
	} {
		if got := isSignatureTagPath(p); got != want {
			t.Errorf("isSignatureTagPath(%q) = %v, want %v", p, got, want)
		}
	}
}

// A redirected request is limited by the path of the first request of its
// chain, not by where the redirect led.
func TestOriginPath(t *testing.T) {
	first := &http.Request{URL: &url.URL{Path: "/v2/acme/app/manifests/sha256-" + hex64 + ".sig"}}
	second := &http.Request{URL: &url.URL{Path: "/cdn/a"}, Response: &http.Response{Request: first}}
	third := &http.Request{URL: &url.URL{Path: "/cdn/b"}, Response: &http.Response{Request: second}}
	if got := originPath(third); got != first.URL.Path {
		t.Errorf("originPath = %q, want %q", got, first.URL.Path)
	}
	if got := originPath(first); got != first.URL.Path {
		t.Errorf("originPath of an unredirected request = %q", got)
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
