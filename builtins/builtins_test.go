package builtins

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// The engine is process-wide (as in the binary), so these tests share one
// registry and do not run in parallel with each other.
type fixture struct {
	key, other testutil.Key
	signed     string // legacy-signed image, by tag
	bundled    string // bundle-signed image, by digest
	unsigned   string
}

func setup(t *testing.T) fixture {
	t.Helper()
	Register()
	host := testutil.Registry(t)
	e, err := engine.New(engine.Config{Registry: registry.Config{Insecure: []string{host}}})
	if err != nil {
		t.Fatal(err)
	}
	engine.Install(e)
	f := fixture{key: testutil.NewKey(t, testutil.ECDSAP256), other: testutil.NewKey(t, testutil.ECDSAP256)}
	d := testutil.PushImage(t, host, "app/signed", "v1")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: f.key.Signer, Annotations: map[string]any{"env": "prod"}})
	f.signed = host + "/app/signed:v1"
	b := testutil.PushImage(t, host, "app/bundled", "v1")
	testutil.AttachBundle(t, b, testutil.Bundle{Signer: f.key.Signer})
	f.bundled = b.String()
	f.unsigned = testutil.PushImage(t, host, "app/unsigned", "v1").String()
	return f
}

func eval(t *testing.T, query string, input map[string]any, strict bool) (any, error) {
	t.Helper()
	rs, err := rego.New(rego.Query("x := "+query), rego.Input(input), rego.StrictBuiltinErrors(strict)).Eval(context.Background())
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, nil
	}
	return rs[0].Bindings["x"], nil
}

func TestCosignVerifyThroughRego(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		name     string
		image    string
		key      string
		verified bool
		code     string
	}{
		{"legacy signed", f.signed, f.key.PublicPEM, true, ""},
		{"legacy wrong key", f.signed, f.other.PublicPEM, false, verify.CodeNoMatchingSignatures},
		{"bundle signed", f.bundled, f.key.PublicPEM, true, ""},
		{"bundle wrong key", f.bundled, f.other.PublicPEM, false, verify.CodeNoMatchingSignatures},
		{"unsigned", f.unsigned, f.key.PublicPEM, false, verify.CodeNoSignatures},
		{"invalid reference", "Not A Ref", f.key.PublicPEM, false, verify.CodeInvalidReference},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := eval(t, `cosign.verify(input.image, {"key": input.key, "insecure-ignore-tlog": true})`, map[string]any{"image": c.image, "key": c.key}, true)
			if err != nil {
				t.Fatal(err)
			}
			res := got.(map[string]any)
			keys := make([]string, 0, len(res))
			for k := range res {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != "digest,errors,image,reference,signatures,verified" {
				t.Fatalf("result keys = %v", keys)
			}
			if res["verified"] != c.verified || res["image"] != c.image {
				t.Fatalf("result = %v", res)
			}
			errs := res["errors"].([]any)
			if c.verified != (len(errs) == 0) {
				t.Fatalf("errors = %v", errs)
			}
			if c.verified {
				s := res["signatures"].([]any)[0].(map[string]any)
				signer, _ := s["signer"].(string)
				digest, _ := s["digest"].(string)
				if !strings.HasPrefix(signer, "key:sha256:") || len(signer) != len("key:sha256:")+64 || !strings.HasPrefix(digest, "sha256:") || len(digest) != 71 {
					t.Fatalf("signature = %v, want signer key:sha256:<hex> and digest sha256:<hex>", s)
				}
			}
			if !c.verified && errs[0].(map[string]any)["code"] != c.code {
				t.Fatalf("errors = %v, want code %s", errs, c.code)
			}
		})
	}
}

func TestVerifyBatchAligned(t *testing.T) {
	f := setup(t)
	q := `[r.verified | some r in cosign.verify_batch([
		{"image": input.a, "opts": {"key": input.key, "insecure-ignore-tlog": true}},
		{"image": input.b, "opts": {"key": input.key, "insecure-ignore-tlog": true}},
		{"image": input.a, "opts": {"key": input.key, "insecure-ignore-tlog": true}},
		{"image": input.c, "opts": {"key": input.key, "insecure-ignore-tlog": true}},
	])]`
	got, err := eval(t, q, map[string]any{"a": f.signed, "b": f.unsigned, "c": f.bundled, "key": f.key.PublicPEM}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{true, false, true, true}; !equalJSON(got, want) {
		t.Fatalf("verified = %v, want %v", got, want)
	}
}

func TestAnnotationsThroughRego(t *testing.T) {
	f := setup(t)
	q := `cosign.verify(input.image, {"key": input.key, "insecure-ignore-tlog": true, "annotations": {"env": input.env}}).verified`
	for env, want := range map[string]bool{"prod": true, "dev": false} {
		got, err := eval(t, q, map[string]any{"image": f.signed, "key": f.key.PublicPEM, "env": env}, true)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("env %s: verified = %v, want %v", env, got, want)
		}
	}
}

func TestMisuseIsAnErrorNamingTheOption(t *testing.T) {
	f := setup(t)
	leaf, _ := testutil.NewCA(t).Issue(t, testutil.Leaf{URI: "https://ci.corp.example/app"})
	input := map[string]any{"image": f.signed, "key": f.key.PublicPEM, "cert": testutil.CertPEM(leaf)}
	for _, c := range []struct{ query, option string }{
		// Could only ever fail: an error at the call, not a cached certificate_verification_failed.
		{`cosign.verify(input.image, {"certificate": input.cert, "insecure-ignore-tlog": true, "insecure-ignore-sct": true})`, `"certificate"`},
		{`cosign.verify_attestation(input.image, {"key": input.key, "type": "vuln", "annotations": {"env": "prod"}})`, `"annotations"`},
		{`cosign.verify(input.image, {"key": input.key, "kee": 1})`, `"kee"`},
		{`cosign.verify(input.image, {})`, `"key"`},
		{`cosign.verify(input.image, {"key": "-----BEGIN PUBLIC KEY-----\nbad\n-----END PUBLIC KEY-----"})`, `"key"`},
		{`cosign.verify(input.image, {"certificate-identity-regexp": "(", "certificate-oidc-issuer": "x"})`, `"certificate-identity-regexp"`},
		{`cosign.verify(input.image, {"key": input.key, "trusted-root": "nope"})`, `"trusted-root"`},
		{`cosign.verify_attestation(input.image, {"key": input.key})`, `"type"`},
		{`cosign.verify_batch([{"image": input.image, "opts": {"key": input.key}, "attestaton": true}])`, `"attestaton"`},
		{`image.parse("Bad Ref")`, `Bad Ref`},
	} {
		_, err := eval(t, c.query, input, true)
		if err == nil || !strings.Contains(err.Error(), c.option) {
			t.Errorf("%s: error %v does not name %s", c.query, err, c.option)
		}
		// Without strict errors the expression is undefined: it can never allow.
		got, err := eval(t, c.query, input, false)
		if err != nil || got != nil {
			t.Errorf("%s (non-strict) = %v, %v; want undefined", c.query, got, err)
		}
	}
}

// TestAllowListStyleDeniesOnError: a misconfigured call inside an allow rule
// leaves allow false (docs/security.md #20).
func TestAllowListStyleDeniesOnError(t *testing.T) {
	f := setup(t)
	module := `package p
default allow := false
allow if cosign.verify(input.image, input.opts).verified`
	for name, opts := range map[string]map[string]any{
		"good":   {"key": f.key.PublicPEM, "insecure-ignore-tlog": true},
		"misuse": {"key": f.key.PublicPEM, "insecure-ignore-tlg": true},
	} {
		rs, err := rego.New(rego.Query("data.p.allow"), rego.Module("p.rego", module),
			rego.Input(map[string]any{"image": f.signed, "opts": opts})).Eval(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if want := name == "good"; rs[0].Expressions[0].Value != want {
			t.Fatalf("%s: allow = %v, want %v", name, rs[0].Expressions[0].Value, want)
		}
	}
}

func TestOptionDocsCoverEveryOption(t *testing.T) {
	names := verify.OptionNames()
	if len(names) != len(optionDocs) {
		t.Fatalf("%d options, %d documented", len(names), len(optionDocs))
	}
	for _, n := range names {
		if optionDocs[n] == "" {
			t.Errorf("option %q is not documented", n)
		}
	}
}

// docs/security.md #22: image IDs are refused by image.parse (an error saying why) and
// are invalid_reference data for cosign.verify, never docker.io/library/<hex>.
func TestImageIDsAreNotReferences(t *testing.T) {
	f := setup(t)
	const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, id := range []string{"sha256:" + hex64, hex64, hex64[:12]} {
		_, err := eval(t, `image.parse(input.image)`, map[string]any{"image": id}, true)
		if err == nil || !strings.Contains(err.Error(), "image ID") {
			t.Errorf("image.parse(%q): error %v, want one saying it is an image ID", id, err)
		}
		got, err := eval(t, `cosign.verify(input.image, {"key": input.key, "insecure-ignore-tlog": true})`, map[string]any{"image": id, "key": f.key.PublicPEM}, true)
		if err != nil {
			t.Fatal(err)
		}
		res := got.(map[string]any)
		errs := res["errors"].([]any)
		if res["verified"] != false || len(errs) != 1 || errs[0].(map[string]any)["code"] != verify.CodeInvalidReference ||
			!strings.Contains(errs[0].(map[string]any)["message"].(string), "image ID") || res["reference"] != "" {
			t.Errorf("cosign.verify(%q) = %v, want invalid_reference naming an image ID", id, res)
		}
	}
	// Written in full, the same hex is an explicit Docker Hub name.
	got, err := eval(t, `image.parse(input.image).reference`, map[string]any{"image": "docker.io/library/" + hex64[:12]}, true)
	if err != nil || got != "docker.io/library/"+hex64[:12]+":latest" {
		t.Errorf("explicit name: %v, %v", got, err)
	}
}
