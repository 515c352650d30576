//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// registryScenarios: the registry pull gateway (data.imagepolicy.envoy.registry).
func registryScenarios(t *testing.T, f envoyFixture) {
	gw := f.registryGW
	manifest := func(repo, ref string) string { return fmt.Sprintf("/v2/%s/manifests/%s", repo, ref) }
	digestOf := func(d interface{ DigestStr() string }) string { return d.DigestStr() }

	allowed := []struct {
		name, method, path, digest string
	}{
		{"cosign v2 signature, by tag", "GET", manifest("e2e/legacy", "v1"), digestOf(f.legacy)},
		{"cosign v2 signature, HEAD by tag", "HEAD", manifest("e2e/legacy", "v1"), digestOf(f.legacy)},
		{"cosign v2 signature, by digest", "GET", manifest("e2e/legacy", digestOf(f.legacy)), digestOf(f.legacy)},
		{"cosign v3 bundle, by tag", "GET", manifest("e2e/bundled", "v1"), digestOf(f.bundled)},
		{"cosign v3 bundle, HEAD by digest", "HEAD", manifest("e2e/bundled", digestOf(f.bundled)), digestOf(f.bundled)},
		{"name of many segments", "GET", manifest("e2e/team/sub/group/app", "v1"), digestOf(f.nested)},
		{"containerd's mirror query", "GET", manifest("e2e/legacy", "v1") + "?ns=" + f.host, digestOf(f.legacy)},
	}
	for _, c := range allowed {
		t.Run("allow "+c.name, func(t *testing.T) {
			a := gw.check(t, httpRequest{method: c.method, path: c.path, host: f.host})
			if a.code != 0 || a.responseHeaders["x-opa-cosign-digest"] != c.digest || a.responseHeaders["x-opa-cosign-verified"] != "true" {
				t.Fatalf("got %s, want OK with x-opa-cosign-digest %s", a, c.digest)
			}
		})
	}

	denied := []struct {
		name, method, path, host string
		status                   int
		code, message            string
	}{
		{"unsigned, by tag", "GET", manifest("e2e/unsigned", "v1"), f.host, 403, "DENIED",
			f.host + "/e2e/unsigned:v1: no_signatures"},
		{"unsigned, HEAD by digest", "HEAD", manifest("e2e/unsigned", digestOf(f.unsigned)), f.host, 403, "DENIED",
			f.host + "/e2e/unsigned@" + digestOf(f.unsigned) + ": no_signatures"},
		{"signed with another key", "GET", manifest("e2e/wrong-key", "v1"), f.host, 403, "DENIED",
			f.host + "/e2e/wrong-key:v1: no_matching_signatures"},
		{"unsigned digest in a signed repository", "GET", manifest("e2e/legacy", digestOf(f.unsignedInSigned)), f.host, 403, "DENIED",
			"e2e/legacy@" + digestOf(f.unsignedInSigned) + ": no_signatures"},
		{"unsigned tag in a signed repository", "GET", manifest("e2e/legacy", "unsigned"), f.host, 403, "DENIED", "no_signatures"},
		{"signature tag pulled as an image", "GET", manifest("e2e/legacy", strings.Replace(digestOf(f.legacy), ":", "-", 1)+".sig"), f.host, 403, "DENIED", "no_signatures"},
		{"Host header naming a registry allowed unverified", "GET", manifest("e2e/unsigned", "v1"), "docker.io", 403, "DENIED",
			f.host + "/e2e/unsigned:v1: no_signatures"},
		{"attacker's own Host header", "GET", manifest("e2e/unsigned", "v1"), "evil.example:443", 403, "DENIED", f.host + "/e2e/unsigned:v1"},
		{"dot-dot to a signed image", "GET", "/v2/e2e/unsigned/../legacy/manifests/v1", f.host, 400, "NAME_INVALID", "dot segments"},
		{"dot-dot out of /v2", "GET", "/v2/../v2/e2e/unsigned/manifests/v1", f.host, 400, "NAME_INVALID", "dot segments"},
		{"percent-encoded slash", "GET", "/v2/e2e%2Funsigned/manifests/v1", f.host, 400, "NAME_INVALID", "percent-encoded"},
		{"percent-encoded reference", "GET", "/v2/e2e/legacy/manifests/%76%31", f.host, 400, "NAME_INVALID", "percent-encoded"},
		{"double slash", "GET", "/v2//e2e/unsigned/manifests/v1", f.host, 400, "NAME_INVALID", "empty path segments"},
		{"upper-case name", "GET", manifest("E2E/unsigned", "v1"), f.host, 404, "UNSUPPORTED", "not a registry API path"},
		{"lower-case method", "get", manifest("e2e/legacy", "v1"), f.host, 405, "UNSUPPORTED", `method "get"`},
		{"sha512 digest", "GET", manifest("e2e/legacy", "sha512:"+strings.Repeat("ab", 64)), f.host, 400, "DIGEST_INVALID", "only sha256 digests"},
		{"short sha256 digest", "GET", manifest("e2e/legacy", "sha256:abc"), f.host, 400, "DIGEST_INVALID", "only sha256 digests"},
		{"blob upload", "POST", "/v2/e2e/unsigned/blobs/uploads/", f.host, 403, "DENIED", "pushing is disabled"},
		{"cross-repository blob mount", "POST", "/v2/e2e/legacy/blobs/uploads/?mount=" + digestOf(f.unsigned) + "&from=e2e/unsigned", f.host, 403, "DENIED", "pushing is disabled"},
		{"manifest push", "PUT", manifest("e2e/legacy", "v1"), f.host, 403, "DENIED", "pushing is disabled"},
		{"manifest delete", "DELETE", manifest("e2e/legacy", "v1"), f.host, 405, "UNSUPPORTED", `method "DELETE"`},
		{"catalog", "GET", "/v2/_catalog", f.host, 403, "DENIED", "the catalog is disabled"},
		{"tag list", "GET", "/v2/e2e/legacy/tags/list", f.host, 403, "DENIED", "listing tags is disabled"},
		{"referrers", "GET", "/v2/e2e/legacy/referrers/" + digestOf(f.legacy), f.host, 403, "DENIED", "the referrers API is disabled"},
		{"not the registry API", "GET", "/debug/vars", f.host, 404, "UNSUPPORTED", "not a registry API path"},
	}
	for _, c := range denied {
		t.Run("deny "+c.name, func(t *testing.T) {
			a := gw.check(t, httpRequest{method: c.method, path: c.path, host: c.host})
			if a.code != 7 || a.status != c.status || a.headers["content-type"] != "application/json" {
				t.Fatalf("got %s, want PERMISSION_DENIED with HTTP %d", a, c.status)
			}
			e := registryErrors(t, a)[0]
			if e.Code != c.code || !strings.Contains(e.Message, c.message) {
				t.Fatalf("error %+v, want code %s and a message containing %q", e, c.code, c.message)
			}
		})
	}

	// A denied manifest says why in detail: the per-image result, whole.
	a := gw.check(t, httpRequest{method: "GET", path: manifest("e2e/wrong-key", "v1"), host: f.host})
	detail := registryErrors(t, a)[0].Detail
	if detail["digest"] != digestOf(f.wrongKey) || detail["verified"] != false || detail["allowed"] != false {
		t.Fatalf("denial detail %v", detail)
	}

	// Content-addressed reads pass without a verification: the manifest pull is the gate.
	for _, c := range []struct{ method, path string }{
		{"GET", "/v2/"}, {"HEAD", "/v2/"},
		{"GET", "/v2/e2e/unsigned/blobs/" + digestOf(f.unsigned)}, {"HEAD", "/v2/e2e/unsigned/blobs/" + digestOf(f.unsigned)},
	} {
		if a := gw.check(t, httpRequest{method: c.method, path: c.path, host: f.host}); a.code != 0 || len(a.responseHeaders) != 0 {
			t.Errorf("%s %s: %s, want OK", c.method, c.path, a)
		}
	}

	// A body larger than the plugin's gRPC limit (4 MiB) never reaches the policy: a gRPC
	// error, which Envoy (failure_mode_allow: false) turns into its status_on_error.
	_, err := gw.checkErr(httpRequest{method: "GET", path: manifest("e2e/legacy", "v1"), host: f.host,
		headers: map[string]string{"content-type": "application/json"}, body: strings.Repeat("x", 5<<20)})
	if grpcCode(err) != "ResourceExhausted" {
		t.Fatalf("oversized request: %v, want ResourceExhausted", err)
	}
}
