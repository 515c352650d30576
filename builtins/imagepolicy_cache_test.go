package builtins

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/opa-cosign/opa-cosign/internal/memo"
)

// libraryQuery evaluates the policy library (and its test world, whose
// verify_batch mock stands in for the registry) under a config, namespace
// labels and input, for the entrypoints whose evaluation goes through the
// memo store: the decision, the admission review and the config errors.
// VERIFY is the verify_batch to use.
const libraryQuery = `x := {
	"decision": data.imagepolicy.decision,
	"validate": data.imagepolicy.kubernetes.validate,
	"errors": data.imagepolicy.config_errors,
} with cosign.verify_batch as VERIFY
	with data.imagepolicy.config as input.config
	with data.kubernetes.namespaces as input.namespaces
	with input as input.input`

// otherWorld answers every request of the world's mock with what a registry
// could answer on another day: a failure, or a signature of another digest
// by another signer. The same config and image then meet other results.
const otherWorld = `package difftest

import rego.v1

verify_batch(reqs) := [other(i, r) | some i, r in data.imagepolicy.testing.verify_batch(reqs)]

other(i, r) := object.union(r, {"verified": false, "signatures": [], "errors": [{"code": "timeout", "message": "later"}]}) if i % 2 == 0

else := object.union(r, {"digest": "sha256:0000", "signatures": [{"signer": "sha256:other", "digest": "sha256:0000"}]})
`

func prepareLibrary(t *testing.T, verify string) rego.PreparedEvalQuery {
	t.Helper()
	Register()
	opts := []func(*rego.Rego){rego.Query(strings.Replace(libraryQuery, "VERIFY", verify, 1)), rego.Module("difftest.rego", otherWorld)}
	err := filepath.WalkDir("../rego", func(p string, d os.DirEntry, err error) error {
		// The library, and of its tests only the world and its mock.
		if err != nil || d.IsDir() || filepath.Ext(p) != ".rego" ||
			strings.HasSuffix(p, "_test.rego") && filepath.Base(filepath.Dir(p)) != "testing" {
			return err
		}
		b, err := os.ReadFile(p)
		opts = append(opts, rego.Module(p, string(b)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pq
}

func evalLibrary(t *testing.T, pq rego.PreparedEvalQuery, c map[string]any) any {
	t.Helper()
	rs, err := pq.Eval(context.Background(), rego.EvalInput(c))
	if err != nil || len(rs) != 1 {
		t.Fatalf("eval: %v (%d results)", err, len(rs))
	}
	return rs[0].Bindings["x"]
}

// TestMemoIsInvisible is the differential test of the memo store: over a
// generated corpus of configs (patterns, requirements, malformed options,
// overlays, selectors, controls), namespaces and images of the test world,
// the library gives exactly the same decisions, reviews and config errors
// with the store disabled (the Rego definition, computed every time), on the
// store's first pass (misses that fill it) and on its second (hits); each case
// is decided in two worlds, so that one config and image meet different
// verification results.
func TestMemoIsInvisible(t *testing.T) {
	worlds := []rego.PreparedEvalQuery{
		prepareLibrary(t, "data.imagepolicy.testing.verify_batch"),
		prepareLibrary(t, "data.difftest.verify_batch"),
	}
	corpus := memoCorpus(t, 200)
	memo.Default.Disable()
	t.Cleanup(memo.Default.Disable)

	want := make([][]any, len(corpus))
	for i, c := range corpus {
		for _, pq := range worlds {
			want[i] = append(want[i], evalLibrary(t, pq, c))
		}
	}
	memo.Default.Enable()
	for pass := range 2 {
		for i, c := range corpus {
			for w, pq := range worlds {
				if got := evalLibrary(t, pq, c); !reflect.DeepEqual(got, want[i][w]) {
					a, _ := json.Marshal(got)
					b, _ := json.Marshal(want[i][w])
					in, _ := json.Marshal(c)
					t.Fatalf("pass %d, case %d, world %d: with the memo store\n%s\nwithout\n%s\ncase %s", pass, i, w, a, b, in)
				}
			}
		}
	}
	for _, name := range []string{"imagepolicy.validation.errors", "imagepolicy.evaluate.config", "imagepolicy.evaluate.plan", "imagepolicy.evaluate.result"} {
		if memo.Default.Len(name) == 0 {
			t.Errorf("%s: nothing was kept, so the corpus did not exercise it", name)
		}
	}
}

// memoCorpus generates n cases from a fixed seed.
func memoCorpus(t *testing.T, n int) []map[string]any {
	t.Helper()
	keys := worldKeys(t)
	dev, sec, das := map[string]any{"key": keys["DEV"]}, map[string]any{"key": keys["SEC"]}, map[string]any{"key": keys["DAS"]}
	ident := func(s string) map[string]any {
		return map[string]any{"certificate-identity": s, "certificate-oidc-issuer": "https://accounts.example"}
	}
	requirements := []any{
		dev, sec, das, ident("alice@acme.example"), []any{dev, sec}, []any{sec, das},
		map[string]any{"threshold": 2, "of": []any{dev, sec}},
		map[string]any{"threshold": 2, "of": []any{ident("alice@acme.example"), ident("bob@acme.example")}},
		map[string]any{"threshold": 2, "of": []any{dev, dev}},
		map[string]any{"threshold": 3, "of": []any{dev}},        // malformed: more than it has
		map[string]any{"key": "not a key"},                      // malformed option
		map[string]any{"key": keys["DEV"], "unknown-option": 1}, // unknown option
	}
	hosts := []string{"ghcr.io", "docker.io", "index.docker.io", "gcr.io", "ecr.io", "GHCR.io"}
	patterns := []string{"acme/app", "acme/*", "acme/**", "**", "nginx", "library/*", "xyz/*", "ubuntu/*", "acme/app*", "Acme/*", "acme/[a]"}
	images := []any{
		"ghcr.io/acme/app", "ghcr.io/acme/app:v1", "ghcr.io/acme/dev-only", "ghcr.io/acme/alice", "ghcr.io/acme/alice-twice",
		"ghcr.io/acme/alice-bob", "ghcr.io/acme/moving", "nginx", "docker.io/library/nginx:1.25", "index.docker.io/ubuntu/nginx",
		"ecr.io/xyz/busybox", "gcr.io/xyz/app", "ghcr.io/acme/grype-critical", "ghcr.io/acme/rescanned", "ghcr.io/acme/app-evil",
		"ghcr.io/acme/depends", "ghcr.io/acme/unsigned", "ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64),
		"Not A Reference", "", 5, nil,
	}
	// No max_age_hours: the world dates its reports from the clock, so an age
	// message would differ between two evaluations with or without the store.
	rng := rand.New(rand.NewPCG(14, 14))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	section := func(with bool) map[string]any {
		s := map[string]any{}
		for range 1 + rng.IntN(3) {
			ps := map[string]any{}
			for range 1 + rng.IntN(3) {
				ps[pick(patterns)] = requirements[rng.IntN(len(requirements))]
			}
			if with {
				s[pick(hosts)] = ps
			} else {
				list := []any{}
				for p := range ps {
					list = append(list, p)
				}
				s[pick(hosts)] = list
			}
		}
		return s
	}
	rules := func() map[string]any {
		return map[string]any{"ghcr.io": map[string]any{pick([]string{"acme/**", "**", "acme/app"}): []any{
			map[string]any{"type": "vuln", "opts": dev, "max_severity": map[string]any{"CRITICAL": 0}},
			map[string]any{"type": "slsaprovenance1", "opts": dev, "builder_ids": []any{"https://github.com/actions/runner/github-hosted"}},
		}[:1+rng.IntN(2)]}}
	}
	overlay := func() map[string]any {
		o := map[string]any{}
		if rng.IntN(2) == 0 {
			o["allow_with_verification"] = section(true)
		}
		if rng.IntN(3) == 0 {
			o["mode"] = pick([]string{"enforce", "warn", "audit", "bogus"})
		}
		if rng.IntN(4) == 0 {
			o["exempt"] = true
		}
		return o
	}
	out := make([]map[string]any, 0, n)
	for range n {
		cfg := map[string]any{"allow_with_verification": section(true)}
		if rng.IntN(2) == 0 {
			cfg["allow_without_verification"] = section(false)
		}
		if rng.IntN(3) == 0 {
			cfg["mode"] = pick([]string{"enforce", "warn", "audit"})
		}
		controls := map[string]any{}
		if rng.IntN(4) == 0 {
			controls["registries"] = []any{pick([]string{"ghcr.io/acme", "docker.io", "ghcr.io"})}
		}
		if rng.IntN(4) == 0 {
			controls["require_digest"] = true
		}
		if rng.IntN(3) == 0 {
			controls["attestations"] = rules()
		}
		if len(controls) > 0 {
			cfg["controls"] = controls
		}
		if rng.IntN(3) == 0 {
			cfg["namespaces"] = map[string]any{"prod": overlay(), "team-*": overlay()}
		}
		if rng.IntN(3) == 0 {
			cfg["namespace_selectors"] = []any{map[string]any{"match_labels": map[string]any{"tier": "prod"}, "config": overlay()}}
		}
		if rng.IntN(4) == 0 {
			cfg["exempt_namespaces"] = []any{"kube-*"}
		}
		imgs := make([]any, 0, 4)
		for range 1 + rng.IntN(4) {
			imgs = append(imgs, images[rng.IntN(len(images))])
		}
		containers := make([]any, len(imgs))
		for i, img := range imgs {
			containers[i] = map[string]any{"name": fmt.Sprintf("c%d", i), "image": img}
		}
		ns := pick([]string{"default", "prod", "team-a", "kube-system", "labelled"})
		// Each case twice, the namespace's labels the only difference.
		for _, tier := range []string{"prod", "dev"} {
			out = append(out, memoCase(cfg, ns, tier, imgs, containers))
		}
	}
	return out
}

func memoCase(cfg map[string]any, ns, tier string, imgs, containers []any) map[string]any {
	return map[string]any{
		"config":     cfg,
		"namespaces": map[string]any{"labelled": map[string]any{"metadata": map[string]any{"labels": map[string]any{"tier": tier}}}},
		"input": map[string]any{
			"images": imgs, "namespace": ns,
			"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
			"request": map[string]any{
				"uid": "u", "kind": map[string]any{"kind": "Pod"}, "operation": "CREATE", "namespace": ns,
				"object": map[string]any{"spec": map[string]any{"containers": containers}},
			},
		},
	}
}

func worldKeys(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../rego/imagepolicy/testing/world_test.rego")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ast.ParseModule("world_test.rego", string(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range m.Rules {
		if r.Head.Name.String() == "keys" {
			var keys map[string]string
			if err := ast.As(r.Head.Value.Value, &keys); err != nil {
				t.Fatal(err)
			}
			return keys
		}
	}
	t.Fatal("world_test.rego has no keys")
	return nil
}
