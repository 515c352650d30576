//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// deployRequest is a POST of a JSON body to the deploy API, as Envoy forwards it
// with with_request_body (the whole body, its length in content-length).
func deployRequest(body string, headers map[string]string) httpRequest {
	h := map[string]string{"content-type": "application/json", "content-length": strconv.Itoa(len(body))}
	for k, v := range headers {
		h[k] = v
	}
	return httpRequest{method: "POST", path: "/v1/deployments", host: "deploy.example", headers: h, body: body}
}

type deployDenial struct {
	Allowed bool             `json:"allowed"`
	Reasons []string         `json:"reasons"`
	Images  []map[string]any `json:"images"`
}

func deployBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// deployScenarios: the deploy gateway (data.imagepolicy.envoy.deploy).
func deployScenarios(t *testing.T, f envoyFixture) {
	gw := f.deployGW
	tag := func(repo string) string { return f.host + "/" + repo + ":v1" }

	t.Run("allow every image signed, v2 and v3, by tag and digest", func(t *testing.T) {
		body := deployBody(t, map[string]any{"images": []string{tag("e2e/legacy"), f.bundled.String(), tag("e2e/team/sub/group/app")}, "namespace": "prod"})
		if a := gw.check(t, deployRequest(body, nil)); a.code != 0 || a.body != "" {
			t.Fatalf("got %s, want OK", a)
		}
	})

	t.Run("deny mixed images, each with its reason", func(t *testing.T) {
		images := []any{tag("e2e/legacy"), tag("e2e/unsigned"), tag("e2e/wrong-key"), 42, map[string]any{"image": tag("e2e/legacy")}, f.bundled.String()}
		a := gw.check(t, deployRequest(deployBody(t, map[string]any{"images": images}), nil))
		if a.code != 7 || a.status != 403 || a.headers["content-type"] != "application/json" {
			t.Fatalf("got %s, want a 403", a)
		}
		var d deployDenial
		if err := json.Unmarshal([]byte(a.body), &d); err != nil {
			t.Fatal(err)
		}
		var flags []bool
		for _, r := range d.Images {
			flags = append(flags, r["allowed"] == true)
		}
		if d.Allowed || fmt.Sprint(flags) != "[true false false false false true]" || len(d.Reasons) != 4 {
			t.Fatalf("denial %+v", d)
		}
		for i, want := range []string{
			tag("e2e/unsigned") + ": no_signatures", tag("e2e/wrong-key") + ": no_matching_signatures",
			"42: invalid image reference", "invalid image reference",
		} {
			if !strings.Contains(d.Reasons[i], want) {
				t.Errorf("reason %d = %q, want it to contain %q", i, d.Reasons[i], want)
			}
		}
		if d.Images[0]["digest"] != f.legacy.DigestStr() || d.Images[5]["reference"] != f.bundled.String() {
			t.Errorf("per-image results lack the verified digests: %v", d.Images)
		}
	})

	many := make([]string, 101)
	for i := range many {
		many[i] = tag("e2e/legacy")
	}
	for _, c := range []struct {
		name    string
		req     httpRequest
		status  int
		message string
	}{
		{"no images", deployRequest(`{"images": []}`, nil), 400, "images must list at least one image"},
		{"images not a list", deployRequest(`{"images": "`+tag("e2e/legacy")+`"}`, nil), 400, "images must be an array"},
		{"a list, not an object", deployRequest(`["`+tag("e2e/legacy")+`"]`, nil), 400, "must be a JSON object"},
		{"namespace not a string", deployRequest(`{"images": ["`+tag("e2e/legacy")+`"], "namespace": ["prod"]}`, nil), 400, "namespace must be a string"},
		{"more images than max_images", deployRequest(deployBody(t, map[string]any{"images": many}), nil), 413, "the request lists 101 images"},
		{"body cut short (content-length larger)", deployRequest(`{"images": ["`+tag("e2e/legacy")+`"]}`, map[string]string{"content-length": "100000"}), 413, "truncated"},
		{"body cut short (Envoy's partial-body header)", deployRequest(`{"images": ["`+tag("e2e/legacy")+`"]}`, map[string]string{"x-envoy-auth-partial-body": "true"}), 413, "truncated"},
		{"not JSON", deployRequest(`images=`+tag("e2e/legacy"), map[string]string{"content-type": "application/x-www-form-urlencoded"}), 415, "must be JSON"},
		{"no body", httpRequest{method: "POST", path: "/v1/deployments", host: "deploy.example"}, 415, "must be JSON"},
	} {
		t.Run("deny "+c.name, func(t *testing.T) {
			a := gw.check(t, c.req)
			var d deployDenial
			if a.code != 7 || a.status != c.status || json.Unmarshal([]byte(a.body), &d) != nil || len(d.Reasons) != 1 || !strings.Contains(d.Reasons[0], c.message) {
				t.Fatalf("got %s, want HTTP %d with a reason containing %q", a, c.status, c.message)
			}
		})
	}

	// Malformed JSON never reaches the policy: the plugin itself denies with a 400.
	a := gw.check(t, deployRequest(`{"images": [`, nil))
	if a.code != 7 || a.status != 400 || a.body == "" {
		t.Fatalf("malformed JSON: %s, want a 400 denial", a)
	}
}
