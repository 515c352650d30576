package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/memo"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// decisionWorld is a registry with n signed images, the key that signed them,
// and the AdmissionReview of a Pod that runs them.
type decisionWorld struct {
	host   string
	key    testutil.Key
	images []string
}

func newDecisionWorld(tb testing.TB, n int) *decisionWorld {
	tb.Helper()
	builtins.Register()
	host := testutil.Registry(tb)
	engine.Install(mustEngine(tb, host))
	memo.Default.Enable()
	w := &decisionWorld{host: host, key: testutil.NewKey(tb, testutil.ECDSAP256)}
	for i := range n {
		d := testutil.PushImage(tb, host, fmt.Sprintf("bench/app%03d", i), "v1")
		testutil.AttachLegacy(tb, d, testutil.Legacy{Signer: w.key.Signer})
		w.images = append(w.images, d.String())
	}
	return w
}

func mustEngine(tb testing.TB, host string) *engine.Engine {
	tb.Helper()
	cfg, err := engine.DefaultConfig()
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Registry.Insecure = []string{host}
	e, err := engine.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// config is the verification config: the image's registry trusts the key for
// bench/**, with patterns-1 other hosts' patterns beside it.
func (w *decisionWorld) config(patterns int) map[string]any {
	opts := map[string]any{"key": w.key.PublicPEM, "insecure-ignore-tlog": true}
	own := map[string]any{"bench/**": opts}
	others := map[string]any{}
	for i := 1; i < patterns; i++ {
		own[fmt.Sprintf("team%04d/*", i)] = opts
		others[fmt.Sprintf("other%04d/app/**", i)] = true
	}
	cfg := map[string]any{"allow_with_verification": map[string]any{w.host: own}}
	if patterns > 1 {
		cfg["allow_without_verification"] = map[string]any{"ghcr.io": others}
	}
	return cfg
}

func reviewInput(images []string) map[string]any {
	var in map[string]any
	if err := json.Unmarshal(review(images), &in); err != nil {
		panic(err)
	}
	return in
}

// prepare compiles the library (or a trivial policy) with the config, as the
// server does once per policy and data revision.
func prepare(tb testing.TB, query string, cfg map[string]any, trivial bool) rego.PreparedEvalQuery {
	tb.Helper()
	store := inmem.NewFromObject(map[string]any{"imagepolicy": map[string]any{"config": roundTrip(cfg)}})
	opts := []func(*rego.Rego){rego.Query(query), rego.Store(store)}
	if trivial {
		opts = append(opts, rego.Module("trivial.rego", "package trivial\n\nallowed := true\n"))
	} else {
		for _, m := range libraryModules(tb) {
			opts = append(opts, rego.Module(m[0], m[1]))
		}
	}
	pq, err := rego.New(opts...).PrepareForEval(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return pq
}

// libraryModules are the library's .rego files without their tests.
func libraryModules(tb testing.TB) [][2]string {
	tb.Helper()
	var out [][2]string
	err := filepath.WalkDir(filepath.Join(repoRoot(tb), "rego"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".rego" || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		b, err := os.ReadFile(p)
		out = append(out, [2]string{p, string(b)})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = util.UnmarshalJSON(b, &out)
	return out
}

func repoRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(wd, "..", "..")
}

func evalOnce(tb testing.TB, pq rego.PreparedEvalQuery, input any) any {
	rs, err := pq.Eval(context.Background(), rego.EvalInput(input))
	if err != nil || len(rs) != 1 {
		tb.Fatalf("eval: %v %v", err, rs)
	}
	return rs[0].Expressions[0].Value
}

func BenchmarkWarmDecision(b *testing.B) {
	w := newDecisionWorld(b, 10)
	input := reviewInput(w.images)
	for _, c := range []struct {
		name, query string
		trivial     bool
	}{
		{"trivial", "data.trivial.allowed", true},
		{"validate", "data.imagepolicy.kubernetes.validate", false},
	} {
		pq := prepare(b, c.query, w.config(1), c.trivial)
		evalOnce(b, pq, input)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				evalOnce(b, pq, input)
			}
		})
	}
}

func TestMemoHits(t *testing.T) {
	w := newDecisionWorld(t, 3)
	pq := prepare(t, "data.imagepolicy.kubernetes.validate", w.config(1), false)
	in := reviewInput(w.images)
	evalOnce(t, pq, in)
	evalOnce(t, pq, in)
	for _, n := range []string{"imagepolicy.validation.errors", "imagepolicy.evaluate.config", "imagepolicy.evaluate.plan"} {
		t.Logf("%s: %d", n, memo.Default.Len(n))
	}
}
