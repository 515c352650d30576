package plugins

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/logging"
	logtest "github.com/open-policy-agent/opa/v1/logging/test"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"

	"github.com/opa-cosign/opa-cosign/builtins"
	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// started starts the plugin with raw on a manager logging into a test
// logger, and stops it at cleanup.
func started(t *testing.T, raw string, store storage.Store) (*plugins.Manager, *logtest.Logger) {
	t.Helper()
	log := logtest.New()
	m, err := plugins.New([]byte(`{}`), "test", store, plugins.Logger(log))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg, err := Factory{}.Validate(m, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	p := Factory{}.New(m, cfg)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	return m, log
}

func entries(log *logtest.Logger, fragment string) []logtest.LogEntry {
	var out []logtest.LogEntry
	for _, e := range log.Entries() {
		if strings.Contains(e.Message, fragment) {
			out = append(out, e)
		}
	}
	return out
}

// The configuration in effect is logged at start (issue 16 item 9): the
// settings, the registries reached over plain HTTP — the environment's
// included — and the trust roots by name and file.
func TestPluginLogsItsConfiguration(t *testing.T) {
	t.Setenv("OPA_COSIGN_INSECURE_REGISTRIES", "127.0.0.1:5000")
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	root := testutil.WriteTrustedRoot(t, vs)
	_, log := started(t, `{"timeout": "3s", "registry": {"insecure": ["reg.local:5001"]}, "trust_roots": {"corp": {"trusted_root_file": "`+root+`"}}}`, inmem.New())
	got := entries(log, "cosign plugin started: configuration in effect")
	if len(got) != 1 || got[0].Level != logging.Info {
		t.Fatalf("config log: %+v", log.Entries())
	}
	f := got[0].Fields
	reg := f["registry"].(map[string]any)
	if f["timeout"] != "3s" || f["max_concurrency"] != 16 || strings.Join(reg["insecure"].([]string), ",") != "reg.local:5001,127.0.0.1:5000" ||
		strings.Join(f["trust_roots"].([]string), ",") != "public-good (embedded),corp ("+root+")" || f["gatekeeper_provider"] != "off" {
		t.Fatalf("fields: %+v", f)
	}
}

// Misuse of a built-in in the server is logged once per message, not per
// request (issue 16 item 2); a verification failure is not logged at all.
func TestPluginLogsMisuseOnce(t *testing.T) {
	builtins.Register()
	_, log := started(t, `{}`, inmem.New())
	for range 3 {
		rs, err := rego.New(rego.Query(`x := cosign.verify("ghcr.io/acme/app@sha256:` + strings.Repeat("1", 64) + `", {"kee": "x"})`)).Eval(context.Background())
		if err != nil || len(rs) != 0 {
			t.Fatalf("misuse evaluated to %v, %v", rs, err)
		}
	}
	got := entries(log, "A cosign built-in was called with bad options")
	if len(got) != 1 || got[0].Level != logging.Error || !strings.Contains(got[0].Message, `cosign.verify: operand 2 option "kee": unknown option`) {
		t.Fatalf("misuse logs: %+v", log.Entries())
	}
}

// The library's config errors are logged once per revision of the config
// (issue 16 item 2): when they appear, not again for a write that leaves them
// as they were, again when they change, and once more when they are fixed.
// A stand-in for the library computes them from the config.
func TestPluginLogsConfigErrorsOncePerRevision(t *testing.T) {
	store := inmem.NewFromObject(map[string]any{"imagepolicy": map[string]any{"config": map[string]any{"bad": []any{"controls.require_digest: must be a boolean"}}}})
	ctx := context.Background()
	module := "package imagepolicy\n\nconfig_errors := [e | some e in data.imagepolicy.config.bad]\n"
	if err := storage.Txn(ctx, store, storage.WriteParams, func(txn storage.Transaction) error {
		return store.UpsertPolicy(ctx, txn, "lib.rego", []byte(module))
	}); err != nil {
		t.Fatal(err)
	}
	_, log := started(t, `{}`, store) // the manager compiles the stored policy at Init
	const logged = "The verification config (data.imagepolicy.config) has"
	waitFor := func(n int, fragment string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for len(entries(log, fragment)) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := len(entries(log, fragment)); got != n {
			t.Fatalf("%d entries saying %q, want %d: %+v", got, fragment, n, log.Entries())
		}
	}
	write := func(bad []any) {
		t.Helper()
		if err := storage.Txn(ctx, store, storage.WriteParams, func(txn storage.Transaction) error {
			return store.Write(ctx, txn, storage.ReplaceOp, storage.MustParsePath("/imagepolicy/config"), map[string]any{"bad": bad})
		}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(1, logged+" 1 error(s)")
	write([]any{"controls.require_digest: must be a boolean"}) // the same errors
	time.Sleep(3 * settleWrites)
	waitFor(1, logged+" 1 error(s)")
	write([]any{"a", "b"})
	waitFor(1, logged+" 2 error(s), so every image is denied until it is fixed: a; b")
	write([]any{})
	waitFor(1, "has no errors any more")
	if e := entries(log, logged+" 2 error(s)")[0]; e.Level != logging.Error || len(e.Fields["config_errors"].([]string)) != 2 {
		t.Fatalf("entry: %+v", e)
	}
}

// Each verification is logged at debug level with its image, digest,
// result, format, duration and registry requests (issue 16 item 9); at info
// level, nothing.
func TestPluginLogsVerificationsAtDebug(t *testing.T) {
	host := testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	d := testutil.PushImage(t, host, "debug/app", "v1")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: key.Signer})
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, log := started(t, `{"registry": {"insecure": ["`+host+`"]}}`, inmem.New())
	e, _ := engine.Current()
	if !e.Verify(context.Background(), engine.Request{Image: d.String(), Options: o}).Verified {
		t.Fatal("not verified")
	}
	if got := entries(log, "cosign: verified"); len(got) != 0 {
		t.Fatalf("logged at info level: %+v", got)
	}
	log.SetLevel(logging.Debug)
	o2, _ := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true, "annotations": map[string]any{}}, false)
	e.Verify(context.Background(), engine.Request{Image: d.Context().Name() + ":v1", Options: o2})
	got := entries(log, "cosign: verified the signatures of "+d.String()+": verified.")
	if len(got) != 1 {
		t.Fatalf("debug logs: %+v", log.Entries())
	}
	f := got[0].Fields
	if f["digest"] != d.DigestStr() || f["format"] != "legacy" || f["registry"] != host || f["registry_requests"].(int64) < 2 || f["result"] != "verified" {
		t.Fatalf("fields: %+v", f)
	}
	if len(entries(log, "cosign: resolved the tag of "+d.Context().Name()+":v1: resolved.")) != 1 {
		t.Fatalf("no resolution logged: %+v", log.Entries())
	}
}
