//go:build e2e

package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConfigErrorsDenyAndFailReadiness: a malformed control is a config error that the server reports, denies every
// image for, and fails readiness on, until the config is fixed through the data API (docs/security.md #24). The server's log
// names it once for that revision of the config, however many decisions are denied, and says when it is fixed
// (issue 16 item 2).
func TestConfigErrorsDenyAndFailReadiness(t *testing.T) {
	bad := map[string]any{
		"allow_without_verification": map[string]any{"registry.k8s.io": []any{"pause"}},
		"controls":                   map[string]any{"require_digest": "true"},
	}
	srv, out := libraryServer(t, bad)
	const reason = `the verification config has 1 error(s), so every image is denied until it is fixed: controls.require_digest: must be a boolean (true or false), got a string "true"`

	var errs struct {
		Result []string `json:"result"`
	}
	if code := call(t, "GET", srv.url+"/v1/data/imagepolicy/config_errors", "", "", &errs); code != http.StatusOK || len(errs.Result) != 1 ||
		errs.Result[0] != `controls.require_digest: must be a boolean (true or false), got a string "true"` {
		t.Fatalf("config_errors: %d %v", code, errs.Result)
	}
	if code := call(t, "GET", srv.url+"/health/ready", "", "", nil); code != http.StatusInternalServerError {
		t.Fatalf("/health/ready with config errors: %d, want 500", code)
	}
	d := srv.decide(t, []string{"registry.k8s.io/pause:3.10"}, "")
	if d.Allowed || d.Images[0].Allowed || len(d.Images[0].Reasons) != 1 || d.Images[0].Reasons[0] != reason {
		t.Fatalf("decision with config errors: %+v", d)
	}

	for range 3 {
		srv.decide(t, []string{"registry.k8s.io/pause:3.10"}, "")
	}
	const logged = `The verification config (data.imagepolicy.config) has 1 error(s), so every image is denied until it is fixed: controls.require_digest: must be a boolean (true or false), got a string \"true\"`
	waitLog(t, out, logged, 1)

	fixed := `{"allow_without_verification": {"registry.k8s.io": ["pause"]}, "controls": {"require_digest": false}}`
	if code := call(t, "PUT", srv.url+"/v1/data/imagepolicy/config", fixed, "", nil); code != http.StatusNoContent {
		t.Fatalf("PUT config: %d", code)
	}
	if code := call(t, "GET", srv.url+"/health/ready", "", "", nil); code != http.StatusOK {
		t.Fatalf("/health/ready after the fix: %d, want 200", code)
	}
	if d := srv.decide(t, []string{"registry.k8s.io/pause:3.10"}, ""); !d.Allowed {
		t.Fatalf("decision after the fix: %+v", d)
	}
	waitLog(t, out, "The verification config (data.imagepolicy.config) has no errors any more.", 1)
	waitLog(t, out, logged, 1)
}

// waitLog waits up to 10 s for the server's output to hold want exactly n
// times (JSON logs escape quotes), and fails the test otherwise.
func waitLog(t *testing.T, out *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), want) < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a repeat would show up by now
	if got := strings.Count(out.String(), want); got != n {
		t.Fatalf("the server logged %q %d times, want %d:\n%s", want, got, n, tail(out.String(), 3000))
	}
}
