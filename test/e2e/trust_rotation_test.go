//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestTrustRotationThroughBundles: one bundle carries the library, the config and the trust material (a named key
// and a named trusted root, issue 15), and a rotation is a bundle update on a running server. Real signatures by
// the cosign CLI in the Distribution registry: an image signed with key A (cosign v2, legacy) and one with key B
// (cosign v3, Sigstore bundle); one signed with a certificate of private Sigstore A's Fulcio CA and one of B's
// (cosign v2 with --certificate/--certificate-chain). Revision v1 trusts A and A, v2 trusts B and B under the same
// names. Every image is decided under v1 first, so the server holds cached passes made under the old material; the
// first decisions after v2 is active must not reuse them. Then a revision with a malformed root: a config error
// that fails readiness and denies every image with its reason — and a fixed revision ends it.
func TestTrustRotationThroughBundles(t *testing.T) {
	host := startRegistry(t)
	keyA, keyB := newKeyPair(t), newKeyPair(t)
	signedA, signedB := push(t, host, "rot/key-a", "v1"), push(t, host, "rot/key-b", "v1")
	sign(t, v2, keyA, signedA.String(), nil)
	sign(t, v3, keyB, signedB.String(), nil)

	const identity, issuer = "release@corp.example", "https://issuer.corp.example"
	sigstoreA, rootA := virtualRoot(t)
	sigstoreB, rootB := virtualRoot(t)
	certA, certB := push(t, host, "rot/cert-a", "v1"), push(t, host, "rot/cert-b", "v1")
	signWithCertificate(t, sigstoreA, identity, issuer, certA.String())
	signWithCertificate(t, sigstoreB, identity, issuer, certB.String())

	keyless := map[string]any{
		"certificate-identity": identity, "certificate-oidc-issuer": issuer, "trusted-root": "corp",
		// The test's private Sigstores log nothing: the signatures were made without a log upload.
		"insecure-ignore-tlog": true, "insecure-ignore-sct": true,
	}
	config := func(key string, corp any) map[string]any {
		return map[string]any{
			"allow_with_verification": map[string]any{host: map[string]any{
				"rot/key-*":  map[string]any{"key": "release", "insecure-ignore-tlog": true},
				"rot/cert-*": keyless,
			}},
			"allow_without_verification": map[string]any{"registry.k8s.io": []any{"pause"}},
			"trust":                      map[string]any{"keys": map[string]any{"release": key}, "trusted_roots": map[string]any{"corp": corp}},
		}
	}
	images := []string{signedA.String(), signedB.String(), certA.String(), certB.String()}

	bundles := startBundleServer(t)
	bundles.publish(t, "v1", config(keyA.pem(t), rootA))
	srv, out := bundleFedServer(t, bundles, host)
	srv.waitRevision(t, "library", "v1")
	checkReady(t, srv, true)
	expectVerdicts(t, srv, "v1", images, []bool{true, false, true, false})
	verified := upstreamVerifications(t, srv)
	if verified < float64(len(images)) {
		t.Fatalf("/metrics counts %v verifications after deciding %d images", verified, len(images))
	}
	// The results are cached now: the same decision verifies nothing upstream.
	expectVerdicts(t, srv, "v1 (cached)", images, []bool{true, false, true, false})
	if n := upstreamVerifications(t, srv); n != verified {
		t.Fatalf("the repeated v1 decision verified %v times upstream, want 0 (cached)", n-verified)
	}

	bundles.publish(t, "v2", config(keyB.pem(t), rootB))
	srv.waitRevision(t, "library", "v2")
	// The first decision after activation: A's cached passes are under another key (the options' fingerprint covers
	// the material), so every image is verified again — A's fail.
	expectVerdicts(t, srv, "v2", images, []bool{false, true, false, true})
	if n := upstreamVerifications(t, srv); n != verified+float64(len(images)) {
		t.Fatalf("the first v2 decision verified %v times upstream, want %d (no result of v1 reused)", n-verified, len(images))
	}
	checkReady(t, srv, true)

	// A malformed root in a bundle is a config error, never a root left out.
	broken := config(keyB.pem(t), map[string]any{
		"mediaType":              "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"certificateAuthorities": []any{map[string]any{"certChain": map[string]any{"certificates": []any{map[string]any{"rawBytes": "bm90IGEgY2VydA=="}}}}},
	})
	bundles.publish(t, "v3", broken)
	srv.waitRevision(t, "library", "v3")
	var errs struct {
		Result []string `json:"result"`
	}
	const rootErr = `trust.trusted_roots["corp"]: option "trusted-root": not a trusted_root.json: failed to parse certificate for  x509: malformed certificate`
	if code := call(t, "GET", srv.url+"/v1/data/imagepolicy/config_errors", "", "", &errs); code != http.StatusOK || len(errs.Result) != 2 || errs.Result[1] != rootErr {
		t.Fatalf("config_errors with a malformed root: %d %q", code, errs.Result)
	}
	checkReady(t, srv, false)
	d := srv.decide(t, []string{signedB.String(), "registry.k8s.io/pause:3.10"}, "")
	for _, img := range d.Images {
		if d.Allowed || img.Allowed || len(img.Reasons) != 1 || !strings.HasPrefix(img.Reasons[0], "the verification config has 2 error(s), so every image is denied until it is fixed: ") ||
			!strings.Contains(img.Reasons[0], rootErr) {
			t.Fatalf("decision with a malformed root in the bundle: %+v", d)
		}
	}

	bundles.publish(t, "v4", config(keyB.pem(t), rootB))
	srv.waitRevision(t, "library", "v4")
	checkReady(t, srv, true)
	expectVerdicts(t, srv, "v4", images, []bool{false, true, false, true})
	if t.Failed() {
		t.Log(tail(out.String(), 3000))
	}
}

// expectVerdicts decides images in one decision and checks each verdict; a denial must be a verification failure of the
// image's own signatures, not anything else that denies.
func expectVerdicts(t *testing.T, srv server, revision string, images []string, allowed []bool) {
	t.Helper()
	d := srv.decide(t, images, "")
	for i, img := range d.Images {
		switch {
		case img.Allowed != allowed[i]:
			t.Errorf("%s: %s allowed=%v, want %v (reasons %q)", revision, images[i], img.Allowed, allowed[i], img.Reasons)
		case !allowed[i] && (len(img.Reasons) == 0 || !deniedByVerification(img.Reasons)):
			t.Errorf("%s: %s denied for %q, want a verification failure", revision, images[i], img.Reasons)
		case !allowed[i]:
			t.Logf("%s: %s denied: %q", revision, images[i], img.Reasons)
		}
	}
}

func deniedByVerification(reasons []string) bool {
	for _, r := range reasons {
		if !strings.HasPrefix(r, "no_matching_signatures: ") && !strings.HasPrefix(r, "certificate_verification_failed: ") {
			return false
		}
	}
	return true
}

// upstreamVerifications is the server's count of verifications done (cache misses), from /metrics.
func upstreamVerifications(t *testing.T, srv server) float64 {
	t.Helper()
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var n float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "cosign_verifications_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		n += v
	}
	return n
}

// checkReady checks GET /health/ready (the bundle's system.health policy).
func checkReady(t *testing.T, srv server, want bool) {
	t.Helper()
	code := call(t, "GET", srv.url+"/health/ready", "", "", nil)
	if (code == http.StatusOK) != want {
		t.Fatalf("/health/ready: %d, want ready=%v", code, want)
	}
}
