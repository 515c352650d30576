package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

type tracer struct {
	noObserver
	mu     sync.Mutex
	traces []Trace
}

func (t *tracer) Trace(tr Trace) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.traces = append(t.traces, tr)
}

// Each resolution and verification is traced with what a debug log shows
// (issue 16 item 9): the image, digest, registry, result, format and the
// registry requests it made; a cache hit is not traced again. The twin, an
// unsigned image, is traced with its failure code.
func TestTraces(t *testing.T) {
	t.Parallel()
	host := testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	signed := testutil.PushImage(t, host, "trace/signed", "v1")
	testutil.AttachLegacy(t, signed, testutil.Legacy{Signer: key.Signer})
	unsigned := testutil.PushImage(t, host, "trace/unsigned", "v1")
	obs := &tracer{}
	e, err := New(Config{Registry: registry.Config{Insecure: []string{host}}, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	byTag := signed.Context().Name() + ":v1"
	for range 2 {
		e.Verify(context.Background(), Request{Image: byTag, Options: o})
	}
	e.Verify(context.Background(), Request{Image: unsigned.String(), Options: o})

	if len(obs.traces) != 3 {
		t.Fatalf("%d traces, want 3 (the second call is a cache hit): %+v", len(obs.traces), obs.traces)
	}
	resolve, verified, failed := obs.traces[0], obs.traces[1], obs.traces[2]
	if resolve.Step != "resolve" || resolve.Image != byTag || resolve.Digest != signed.DigestStr() || resolve.Result != "resolved" ||
		resolve.Registry != host || resolve.Requests < 1 {
		t.Errorf("resolve: %+v", resolve)
	}
	if verified.Step != "verify" || verified.Image != signed.String() || verified.Result != "verified" || verified.Format != "legacy" ||
		verified.Kind != "signatures" || verified.Requests < 2 || verified.Duration <= 0 || verified.Message != "" {
		t.Errorf("verify: %+v", verified)
	}
	if failed.Result != verify.CodeNoSignatures || failed.Format != "none" || failed.Message != "no signatures found" || failed.Requests < 1 {
		t.Errorf("unsigned: %+v", failed)
	}
}
