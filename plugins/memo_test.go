package plugins

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opa-cosign/opa-cosign/internal/memo"
)

// TestPolicyValuesLiveOnlyWithThePolicy: the values the library keeps across
// queries (imagepolicy.cached) are kept only while the plugin runs, and are
// forgotten when the policy changes, when the plugin is reconfigured (the
// engine's trust roots decide which options are valid) and when it stops.
func TestPolicyValuesLiveOnlyWithThePolicy(t *testing.T) {
	ctx := context.Background()
	store := inmem.New()
	m, err := plugins.New([]byte(`{}`), "test", store, plugins.WithPrometheusRegister(prometheus.NewRegistry()))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := Factory{}.Validate(m, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	p := Factory{}.New(m, cfg)
	key, value := ast.StringTerm("config"), ast.StringTerm("errors")
	kept := func() bool {
		memo.Default.Put("test", key, value)
		_, ok := memo.Default.Get("test", key)
		return ok
	}
	if kept() {
		t.Fatal("values are kept before the plugin starts")
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(memo.Default.Disable)
	if !kept() {
		t.Fatal("values are not kept while the plugin runs")
	}

	// A policy change (the server's policy API, a bundle) empties the store.
	if err := storage.Txn(ctx, store, storage.WriteParams, func(txn storage.Transaction) error {
		return store.UpsertPolicy(ctx, txn, "p.rego", []byte("package p\n\nx := 1\n"))
	}); err != nil {
		t.Fatal(err)
	}
	if _, ok := memo.Default.Get("test", key); ok {
		t.Fatal("a value outlived the policy that computed it")
	}

	if !kept() {
		t.Fatal("values are not kept after a policy change")
	}
	next, err := Factory{}.Validate(m, []byte(`{"timeout": "3s"}`))
	if err != nil {
		t.Fatal(err)
	}
	p.Reconfigure(ctx, next)
	if _, ok := memo.Default.Get("test", key); ok {
		t.Fatal("a value outlived the engine (trust roots) it was computed with")
	}

	p.Stop(ctx)
	if kept() {
		t.Fatal("values are kept after the plugin stopped")
	}
}
