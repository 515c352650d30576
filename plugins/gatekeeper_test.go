package plugins

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// stubLibrary stands in for data.imagepolicy.decision with the library's
// result shape, so that these tests control every per-image answer. The real
// library is exercised in gatekeeper_library_test.go. hang is a URL that never
// answers: a slow image makes the evaluation outlast the provider's deadline.
func stubLibrary(t *testing.T, hang string) string {
	t.Helper()
	dir := t.TempDir()
	module := fmt.Sprintf(`package imagepolicy

decision := {"allowed": false, "mode": "enforce", "reasons": [], "images": [result(img) | some img in input.images]}

base(img) := {"image": img, "digest": "", "reference": "", "matched": {"host": "reg", "pattern": "**", "rule": "allow_with_verification"}}

result(img) := object.union(base(img), {"allowed": true, "verified": true, "digest": "sha256:%[1]s",
	"reference": concat("", [split(img, ":")[0], "@sha256:%[1]s"]), "reasons": []}) if startswith(img, "signed/")

result(img) := object.union(base(img), {"allowed": false, "verified": false, "reasons": ["no_signatures: no signatures found"]}) if startswith(img, "unsigned/")

result(img) := object.union(base(img), {"allowed": true, "verified": false, "reasons": []}) if startswith(img, "free/")

result(img) := object.union(base(img), {"allowed": true, "verified": true, "reasons": []}) if startswith(img, "nodigest/")

result(img) := object.union(base("another/image"), {"allowed": true, "verified": true, "reasons": []}) if startswith(img, "confused/")

result(img) := object.union(base(img), {"allowed": false, "verified": false, "reasons": [r.status]}) if {
	startswith(img, "slow/")
	r := http.send({"method": "GET", "url": %[2]q, "timeout": "30s"})
}
`, strings.Repeat("a", 64), hang)
	files(t, dir, map[string][]byte{"stub.rego": []byte(module)})
	return dir
}

// hangingServer accepts requests and answers none until the test ends.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { close(release); _ = srv.Close() })
	return "http://" + l.Addr().String()
}

func TestGatekeeperValidatePassesPerImageResults(t *testing.T) {
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{})
	status, resp := tp.post(t, "/validate", request(t, "signed/app:1", "unsigned/app:1", "free/app:1", "signed/app:1", "confused/app:1"))
	if status != http.StatusOK || resp.Response.SystemError != "" || resp.APIVersion != gatekeeperAPIVersion {
		t.Fatalf("status %d, %+v", status, resp)
	}
	if len(resp.Response.Items) != 4 {
		t.Fatalf("want one item per distinct key, got %+v", resp.Response.Items)
	}
	items := itemsByKey(resp)
	digest := "sha256:" + strings.Repeat("a", 64)
	matched := map[string]any{"host": "reg", "pattern": "**", "rule": "allow_with_verification"}
	want := map[string]map[string]any{
		"signed/app:1": {"image": "signed/app:1", "allowed": true, "verified": true, "digest": digest,
			"reference": "signed/app@" + digest, "matched": matched, "reasons": []any{}},
		"unsigned/app:1": {"image": "unsigned/app:1", "allowed": false, "verified": false, "digest": "",
			"reference": "", "matched": matched, "reasons": []any{"no_signatures: no signatures found"}},
		"free/app:1": {"image": "free/app:1", "allowed": true, "verified": false, "digest": "",
			"reference": "", "matched": matched, "reasons": []any{}},
	}
	for key, w := range want {
		if it := items[key]; it.Error != "" || !reflect.DeepEqual(it.Value, w) {
			t.Errorf("%s: got %#v (error %q), want the whole per-image result %#v", key, it.Value, it.Error, w)
		}
	}
	// A result about another image is not an answer for this key.
	if it := items["confused/app:1"]; it.Value != nil || !strings.Contains(it.Error, "no per-image result") {
		t.Errorf("confused: %+v", it)
	}
}

func TestGatekeeperMutatePinsVerifiedImages(t *testing.T) {
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{})
	status, resp := tp.post(t, "/mutate", request(t, "signed/app:1", "free/app:1", "unsigned/app:1", "nodigest/app:1", "confused/app:1"))
	if status != http.StatusOK || resp.Response.SystemError != "" || !resp.Response.Idempotent {
		t.Fatalf("status %d, %+v", status, resp)
	}
	items := itemsByKey(resp)
	for key, want := range map[string]item{
		"signed/app:1":   {Key: "signed/app:1", Value: "signed/app@sha256:" + strings.Repeat("a", 64)},
		"free/app:1":     {Key: "free/app:1", Value: "free/app:1"},
		"unsigned/app:1": {Key: "unsigned/app:1", Error: "opa-cosign: no_signatures: no signatures found"},
		"nodigest/app:1": {Key: "nodigest/app:1", Error: "opa-cosign: verified, but no digest reference to pin"},
		"confused/app:1": {Key: "confused/app:1", Error: "opa-cosign: no per-image result for this image"},
	} {
		if got := items[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", key, got, want)
		}
	}
}

// TestGatekeeperRefusesWhatItCannotAnswer: every request the provider cannot
// answer key by key is a systemError with a non-200 status and no items.
func TestGatekeeperRefusesWhatItCannotAnswer(t *testing.T) {
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{config: map[string]any{
		"gatekeeper_provider": map[string]any{"max_keys": 3, "max_request_bytes": 2048},
	}})
	keys := func(n int) []any {
		var out []any
		for i := range n {
			out = append(out, fmt.Sprintf("signed/app-%d:1", i))
		}
		return out
	}
	for _, c := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"not JSON", `keys: [a]`, 400, "malformed ProviderRequest"},
		{"two documents", string(request(t, "signed/a:1")) + `{}`, 400, "data after the JSON object"},
		{"unknown apiVersion", `{"apiVersion": "externaldata.gatekeeper.sh/v2", "kind": "ProviderRequest", "request": {"keys": ["signed/a:1"]}}`, 400, `unsupported apiVersion "externaldata.gatekeeper.sh/v2"`},
		{"no apiVersion", `{"kind": "ProviderRequest", "request": {"keys": ["signed/a:1"]}}`, 400, `unsupported apiVersion ""`},
		{"a response for a request", `{"apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": "ProviderResponse", "request": {"keys": ["signed/a:1"]}}`, 400, `unsupported kind "ProviderResponse"`},
		{"number key", string(request(t, "signed/a:1", 42)), 400, "key 1 is a number, not a string"},
		{"null key", string(request(t, nil)), 400, "key 0 is null, not a string"},
		{"object key", string(request(t, map[string]any{"image": "signed/a:1"})), 400, "key 0 is an object, not a string"},
		{"keys not a list", `{"apiVersion": "externaldata.gatekeeper.sh/v1beta1", "kind": "ProviderRequest", "request": {"keys": "signed/a:1"}}`, 400, "malformed ProviderRequest"},
		{"too many keys", string(request(t, keys(4)...)), 400, "4 keys in one request, at most 3"},
		{"body too large", string(request(t, "signed/"+strings.Repeat("a", 3000)+":1")), 413, "request body larger than 2048 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, resp := tp.post(t, "/validate", []byte(c.body))
			if status != c.status || !strings.Contains(resp.Response.SystemError, c.want) || len(resp.Response.Items) != 0 {
				t.Fatalf("status %d, %+v; want %d with a systemError containing %q and no items", status, resp.Response, c.status, c.want)
			}
		})
	}
	// The twin: the same provider answers a well-formed request at the limits.
	status, resp := tp.post(t, "/mutate", request(t, keys(3)...))
	if status != http.StatusOK || len(resp.Response.Items) != 3 || resp.Response.SystemError != "" {
		t.Fatalf("well-formed request at the limits: %d %+v", status, resp.Response)
	}
	// v1alpha1 has the same JSON; the answer keeps the caller's version.
	status, resp = tp.post(t, "/validate", []byte(`{"apiVersion": "externaldata.gatekeeper.sh/v1alpha1", "kind": "ProviderRequest", "request": {"keys": ["free/a:1"]}}`))
	if status != http.StatusOK || resp.APIVersion != gatekeeperAPIVersionAlpha || len(resp.Response.Items) != 1 {
		t.Fatalf("v1alpha1: %d %+v", status, resp)
	}
	req, err := http.NewRequest(http.MethodGet, tp.url+"/validate", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tp.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", r.StatusCode)
	}
}

// TestGatekeeperDeadline: an evaluation that outlasts the provider's timeout
// is a systemError (no items, nothing for Gatekeeper to cache) by the
// deadline, never a hang and never an answer.
func TestGatekeeperDeadline(t *testing.T) {
	tp := startProvider(t, stubLibrary(t, hangingServer(t)), providerOptions{config: map[string]any{
		"timeout": "200ms", "gatekeeper_provider": map[string]any{"timeout": "700ms"},
	}})
	start := time.Now()
	status, resp := tp.post(t, "/validate", request(t, "signed/app:1", "slow/app:1"))
	took := time.Since(start)
	if status != http.StatusServiceUnavailable || !strings.Contains(resp.Response.SystemError, "no decision within 700ms") || len(resp.Response.Items) != 0 {
		t.Fatalf("status %d, %+v", status, resp.Response)
	}
	if took < 700*time.Millisecond || took > 2*time.Second {
		t.Fatalf("answered after %v, want at the 700ms deadline", took)
	}
	// The twin: without the slow image the same provider answers at once.
	if status, resp := tp.post(t, "/validate", request(t, "signed/app:1")); status != http.StatusOK || len(resp.Response.Items) != 1 {
		t.Fatalf("status %d, %+v", status, resp.Response)
	}
}

// TestGatekeeperWithoutLibrary: no policy loaded is a systemError, not an
// empty answer that a careless template could read as "no violations".
func TestGatekeeperWithoutLibrary(t *testing.T) {
	tp := startProvider(t, "", providerOptions{})
	for _, path := range []string{"/validate", "/mutate"} {
		status, resp := tp.post(t, path, request(t, "signed/app:1"))
		if status != http.StatusInternalServerError || !strings.Contains(resp.Response.SystemError, "data.imagepolicy.decision is undefined") || len(resp.Response.Items) != 0 {
			t.Fatalf("%s: status %d, %+v", path, status, resp.Response)
		}
	}
}

// TestGatekeeperFollowsPolicyUpdates: the provider asks the library the
// server has loaded now, not the one it found at start.
func TestGatekeeperFollowsPolicyUpdates(t *testing.T) {
	dir := stubLibrary(t, "http://127.0.0.1:1")
	tp := startProvider(t, dir, providerOptions{})
	if _, resp := tp.post(t, "/validate", request(t, "free/app:1")); itemsByKey(resp)["free/app:1"].Value.(map[string]any)["allowed"] != true {
		t.Fatalf("before the update: %+v", resp)
	}
	module, err := os.ReadFile(filepath.Join(dir, "stub.rego"))
	if err != nil {
		t.Fatal(err)
	}
	// Everything free becomes denied.
	updated := strings.Replace(string(module), `{"allowed": true, "verified": false, "reasons": []}) if startswith(img, "free/")`,
		`{"allowed": false, "verified": false, "reasons": ["no rule"]}) if startswith(img, "free/")`, 1)
	putPolicy(t, tp.manager, filepath.Join(dir, "stub.rego"), updated)
	_, resp := tp.post(t, "/validate", request(t, "free/app:1"))
	if v, _ := itemsByKey(resp)["free/app:1"].Value.(map[string]any); v["allowed"] != false || !reflect.DeepEqual(v["reasons"], []any{"no rule"}) {
		t.Fatalf("after the update: %+v", resp)
	}
}
