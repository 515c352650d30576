//go:build e2e

package e2e

import (
	"net/http"
	"testing"
)

// TestConfigErrorsDenyAndFailReadiness: a malformed control is a config error that the server reports, denies every
// image for, and fails readiness on, until the config is fixed through the data API (THREATS #24).
func TestConfigErrorsDenyAndFailReadiness(t *testing.T) {
	bad := map[string]any{
		"allow_without_verification": map[string]any{"registry.k8s.io": []any{"pause"}},
		"controls":                   map[string]any{"require_digest": "true"},
	}
	srv, _ := libraryServer(t, bad)
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
}
