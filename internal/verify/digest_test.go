package verify_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestWhatTagResolutionTrusts (issue 11 #6, docs/security.md #9, #10): a tag is
// resolved with a HEAD, and the registry's Docker-Content-Digest is taken as
// the tag's digest when it is a sha256 digest. Whatever digest the registry
// names is the one verified, reported and pinned, so a lying HEAD can only
// choose which digest is checked — never make an unverified one pass. A
// header that is missing or not sha256 sends us to GET the manifest and hash
// it here.
func TestWhatTagResolutionTrusts(t *testing.T) {
	t.Parallel()
	host, h, v, key := hostileWorld(t)
	served := testutil.PushImage(t, host, "head/app", "v1") // what GET of the tag returns
	testutil.AttachLegacy(t, served, testutil.Legacy{Signer: key.Signer})
	signed := testutil.PushImage(t, host, "head/app", "signed")
	testutil.AttachLegacy(t, signed, testutil.Legacy{Signer: key.Signer})
	unsigned := testutil.PushImage(t, host, "head/app", "unsigned")
	o := opts(t, map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	byTag := served.Context().Name() + ":v1"

	for _, c := range []struct {
		name   string
		header string // Docker-Content-Digest of the tag's HEAD; "-" for none
		digest name.Digest
		expect want
	}{
		{"HEAD names another signed image", signed.DigestStr(), signed, want{verified: true}},
		{"HEAD names an unsigned image", unsigned.DigestStr(), unsigned, want{code: verify.CodeNoSignatures}},
		{"HEAD without a digest: GET, hashed here", "-", served, want{verified: true}},
		{"HEAD with a sha512 digest: GET, hashed here", "sha512:" + strings.Repeat("ab", 64), served, want{verified: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.fault = func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodHead || !strings.HasSuffix(r.URL.Path, "/head/app/manifests/v1") {
					return false
				}
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				w.Header().Set("Content-Length", "100")
				if c.header != "-" {
					w.Header().Set("Docker-Content-Digest", c.header)
				}
				return true
			}
			res := verifyImage(t, v, byTag, o, verify.Signatures)
			check(t, res, c.expect)
			if res.Digest != c.digest.DigestStr() || res.Reference != served.Context().Name()+"@"+c.digest.DigestStr() {
				t.Fatalf("digest %s reference %s, want %s", res.Digest, res.Reference, c.digest.DigestStr())
			}
		})
	}
}
