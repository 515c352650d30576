package plugins

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// TestGatekeeperWithTheLibrary: the provider answers from the real Rego
// library and verification config, verifying with the plugin's engine
// (legacy signatures and bundles, in an in-process registry).
func TestGatekeeperWithTheLibrary(t *testing.T) {
	builtins.Register()
	host := testutil.Registry(t)
	k, other := testutil.NewKey(t, testutil.ECDSAP256), testutil.NewKey(t, testutil.ECDSAP256)
	legacy := testutil.PushImage(t, host, "signed/legacy", "v1")
	testutil.AttachLegacy(t, legacy, testutil.Legacy{Signer: k.Signer})
	bundled := testutil.PushImage(t, host, "signed/bundled", "v1")
	testutil.AttachBundle(t, bundled, testutil.Bundle{Signer: k.Signer})
	testutil.PushImage(t, host, "signed/unsigned", "v1")
	wrongKey := testutil.PushImage(t, host, "signed/wrong-key", "v1")
	testutil.AttachLegacy(t, wrongKey, testutil.Legacy{Signer: other.Signer})
	tag := func(repo string) string { return host + "/" + repo + ":v1" }

	tp := startProvider(t, "../rego", providerOptions{
		config: map[string]any{"timeout": "5s", "registry": map[string]any{"insecure": []string{host}}},
		data: map[string]any{"imagepolicy": map[string]any{"config": map[string]any{
			"allow_with_verification":    map[string]any{host: map[string]any{"signed/**": map[string]any{"key": k.PublicPEM, "insecure-ignore-tlog": true}}},
			"allow_without_verification": map[string]any{host: []any{"free/**"}},
		}}},
	})
	keys := []any{tag("signed/legacy"), tag("signed/bundled"), tag("signed/unsigned"), tag("signed/wrong-key"), tag("free/app"), tag("other/app")}

	status, resp := tp.post(t, "/validate", request(t, keys...))
	if status != 200 || len(resp.Response.Items) != len(keys) {
		t.Fatalf("validate: %d %+v", status, resp.Response)
	}
	items := itemsByKey(resp)
	// The values are the library's own per-image results, whole.
	rs, err := rego.New(rego.Query("data.imagepolicy.decision.images"), rego.Compiler(tp.manager.GetCompiler()),
		rego.Store(tp.manager.Store), rego.Input(map[string]any{"images": keys})).Eval(context.Background())
	if err != nil || len(rs) != 1 {
		t.Fatalf("asking the library: %v %v", err, rs)
	}
	for i, want := range rs[0].Expressions[0].Value.([]any) {
		if got := items[keys[i].(string)].Value; !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant the library's %#v", keys[i], got, want)
		}
	}
	verified := map[string]any{"host": host, "pattern": "signed/**", "rule": "allow_with_verification"}
	for repo, d := range map[string]string{"signed/legacy": legacy.String(), "signed/bundled": bundled.String()} {
		v, _ := items[tag(repo)].Value.(map[string]any)
		for field, want := range map[string]any{"image": tag(repo), "allowed": true, "verified": true, "digest": d[strings.Index(d, "@")+1:],
			"reference": d, "matched": verified, "reasons": []any{}} {
			if !reflect.DeepEqual(v[field], want) {
				t.Errorf("%s: %s = %#v, want %#v", repo, field, v[field], want)
			}
		}
	}
	for repo, reason := range map[string]string{
		"signed/unsigned":  "no_signatures: ",
		"signed/wrong-key": "no_matching_signatures: ",
		"other/app":        "no rule of the verification config matches " + host + "/other/app",
	} {
		v, _ := items[tag(repo)].Value.(map[string]any)
		reasons, _ := v["reasons"].([]any)
		if v["allowed"] != false || v["verified"] != false || len(reasons) == 0 || !strings.HasPrefix(reasons[0].(string), reason) {
			t.Errorf("%s: %#v, want denied with a reason starting %q", repo, v, reason)
		}
	}
	if v, _ := items[tag("free/app")].Value.(map[string]any); v["allowed"] != true || v["verified"] != false {
		t.Errorf("free/app: %#v", v)
	}

	status, resp = tp.post(t, "/mutate", request(t, keys...))
	if status != 200 || !resp.Response.Idempotent {
		t.Fatalf("mutate: %d %+v", status, resp.Response)
	}
	items = itemsByKey(resp)
	for key, want := range map[string]string{tag("signed/legacy"): legacy.String(), tag("signed/bundled"): bundled.String(), tag("free/app"): tag("free/app")} {
		if it := items[key]; it.Value != want || it.Error != "" {
			t.Errorf("mutate %s: %+v, want %s", key, it, want)
		}
	}
	for repo, reason := range map[string]string{"signed/unsigned": "no_signatures", "signed/wrong-key": "no_matching_signatures", "other/app": "no rule"} {
		if it := items[tag(repo)]; it.Value != nil || !strings.Contains(it.Error, reason) {
			t.Errorf("mutate %s: %+v, want an error with %q", repo, it, reason)
		}
	}
	// The pinned references verify again (the validating pass after Gatekeeper's Assign).
	_, resp = tp.post(t, "/validate", request(t, legacy.String(), bundled.String()))
	for _, it := range resp.Response.Items {
		if v, _ := it.Value.(map[string]any); v["allowed"] != true || v["reference"] != it.Key {
			t.Errorf("pinned %s: %#v", it.Key, it.Value)
		}
	}
}
