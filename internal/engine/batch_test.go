package engine

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// movingTag serves a registry whose tag moving/app:latest names one image for
// the first manifest request (HEAD or GET) and another for every later one,
// as a registry re-pointing the tag in the middle of a decision would.
type movingTag struct {
	next  http.Handler
	armed atomic.Bool // once the fixture is pushed
	hits  atomic.Int64
}

func (m *movingTag) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.armed.Load() && r.URL.Path == "/v2/moving/app/manifests/latest" && m.hits.Add(1) > 1 {
		r.URL.Path = "/v2/moving/app/manifests/moved"
	}
	m.next.ServeHTTP(w, r)
}

// TestOneDigestPerImagePerBatch (docs/security.md #30): every request of one image in
// a batch — written differently, with other options, signatures and
// attestations — is verified against one digest, the first the registry
// gave, even with no tag cache to hide a re-pointed tag.
func TestOneDigestPerImagePerBatch(t *testing.T) {
	t.Parallel()
	mt := &movingTag{next: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(mt)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	key := testutil.NewKey(t, testutil.ECDSAP256)
	first := testutil.PushImage(t, host, "moving/app", "latest")
	testutil.AttachLegacy(t, first, testutil.Legacy{Signer: key.Signer})
	moved := testutil.PushImage(t, host, "moving/app", "moved")
	testutil.AttachLegacy(t, moved, testutil.Legacy{Signer: key.Signer})
	mt.armed.Store(true)

	// A tag TTL of a microsecond: the tag cache cannot be what keeps one digest.
	e, err := New(Config{Registry: registry.Config{Insecure: []string{host}}, Cache: CacheConfig{TagTTL: time.Microsecond}})
	if err != nil {
		t.Fatal(err)
	}
	// Connection set-up (ping) done beforehand, so that resolving the tag is
	// one quick round trip, as on a busy server.
	if r := e.Verify(context.Background(), Request{Image: moved.String(), Options: mustOptions(t, key)}); !r.Verified {
		t.Fatalf("warm-up: %+v", r.Errors)
	}
	spellings := []string{host + "/moving/app", host + "/moving/app:latest"}
	var reqs []Request
	for i := range 128 {
		// Distinct options: distinct work, all of one image.
		raw := map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}
		kind := verify.Signatures
		switch {
		case i%4 == 3:
			kind, raw["type"] = verify.Attestations, fmt.Sprintf("https://example.com/predicate/%d", i)
		case i > 0:
			raw["annotations"] = map[string]any{"n": fmt.Sprint(i)}
		}
		o, err := verify.ParseOptions(raw, kind == verify.Attestations)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, Request{Image: spellings[i%2], Options: o, Kind: kind})
	}
	results := e.VerifyBatch(context.Background(), reqs)
	for i, r := range results {
		if r.Digest != first.DigestStr() || r.Image != reqs[i].Image {
			t.Fatalf("request %d (%s): digest %q image %q, want the first digest %s", i, reqs[i].Image, r.Digest, r.Image, first.DigestStr())
		}
	}
	if !results[0].Verified {
		t.Fatalf("the signed request did not verify: %+v", results[0].Errors)
	}
	if n := mt.hits.Load(); n != 1 {
		t.Errorf("%d manifest requests for the tag in one batch, want 1", n)
	}
	// The next decision sees where the tag points now.
	if r := e.Verify(context.Background(), reqs[0]); r.Digest != moved.DigestStr() || !r.Verified {
		t.Fatalf("next decision: digest %s verified %v, want %s", r.Digest, r.Verified, moved.DigestStr())
	}
}

func mustOptions(t *testing.T, key testutil.Key) *verify.Options {
	t.Helper()
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
