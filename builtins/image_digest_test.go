package builtins

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// digestRegistry is an in-process registry that counts manifest requests and
// misbehaves for the repositories named after a fault.
type digestRegistry struct {
	next        http.Handler
	armed       atomic.Bool // faults and counts start once the images are pushed
	heads, gets atomic.Int64
	unavailable atomic.Bool // fault "flaky": 503 while set
	lie         string      // fault "lying": this digest claimed for every GET
}

func (d *digestRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !d.armed.Load() || !strings.Contains(r.URL.Path, "/manifests/") {
		d.next.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodHead {
		d.heads.Add(1)
	} else {
		d.gets.Add(1)
	}
	p := r.URL.Path
	switch {
	case strings.Contains(p, "/denied/"):
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	case strings.Contains(p, "/flaky/") && d.unavailable.Load():
		w.WriteHeader(http.StatusServiceUnavailable)
	case strings.Contains(p, "/hanging/"):
		<-r.Context().Done()
	case strings.Contains(p, "/nohead/") && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusMethodNotAllowed) // some registries answer HEAD so
	case strings.Contains(p, "/lying/") && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusMethodNotAllowed)
	case strings.Contains(p, "/lying/"):
		// The real manifest, under another image's digest.
		rec := httptest.NewRecorder()
		d.next.ServeHTTP(rec, r)
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.Header().Set("Docker-Content-Digest", d.lie)
		_, _ = w.Write(rec.Body.Bytes())
	default:
		d.next.ServeHTTP(w, r)
	}
}

func (d *digestRegistry) requests() int64 { return d.heads.Load() + d.gets.Load() }

// TestImageDigest: image.digest resolves a tag with one HEAD (cached for the
// tag TTL), returns a reference's own digest without any request, falls back
// to a GET hashed locally, and fails closed — an error with strict built-in
// errors, undefined without — on every registry failure, never caching a
// transient one.
func TestImageDigest(t *testing.T) {
	Register()
	reg := &digestRegistry{next: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	e, err := engine.New(engine.Config{Registry: registry.Config{Insecure: []string{host}}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	engine.Install(e)
	app := testutil.PushImage(t, host, "app/ok", "v1")
	other := testutil.PushImage(t, host, "app/ok", "v2")
	noHead := testutil.PushImage(t, host, "app/nohead", "v1")
	testutil.PushImage(t, host, "app/lying", "v1")
	reg.lie = other.DigestStr()
	flaky := testutil.PushImage(t, host, "app/flaky", "v1")
	reg.armed.Store(true)

	for _, c := range []struct {
		name, ref, digest, err string
		requests               int64
	}{
		{"by tag: one HEAD", host + "/app/ok:v1", app.DigestStr(), "", 1},
		{"by tag again: the tag cache", host + "/app/ok:v1", app.DigestStr(), "", 0},
		{"by digest: no request, even to a host not marked insecure", "127.0.0.1:1/app/ok@" + app.DigestStr(), app.DigestStr(), "", 0},
		{"tag and digest: the digest, no request", host + "/app/ok:v1@" + other.DigestStr(), other.DigestStr(), "", 0},
		{"HEAD refused: GET, hashed locally", host + "/app/nohead:v1", noHead.DigestStr(), "", 2},
		{"GET body is not the claimed digest", host + "/app/lying:v1", "", "digest mismatch", 2},
		{"missing tag", host + "/app/ok:absent", "", "not_found: ", 1},
		{"credentials refused", host + "/app/denied:v1", "", "unauthorized: ", 2},
		{"plain HTTP to a host not marked insecure", "127.0.0.1:1/app/ok:v1", "", "registry_error: ", 0},
		{"registry never answers", host + "/app/hanging:v1", "", "timeout: ", 1},
		{"invalid reference", "Not A Reference", "", "invalid", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := reg.requests()
			got, err := eval(t, "image.digest(input.ref)", map[string]any{"ref": c.ref}, true)
			if c.err == "" && (err != nil || got != c.digest) {
				t.Errorf("= %v, %v; want %s", got, err, c.digest)
			}
			if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Errorf("= %v, %v; want an error with %q", got, err, c.err)
			}
			if n := reg.requests() - before; n != c.requests {
				t.Errorf("%d manifest requests, want %d", n, c.requests)
			}
			if c.err == "" {
				return
			}
			// Without strict errors the call is undefined: never a digest to pin.
			if got, err := eval(t, "image.digest(input.ref)", map[string]any{"ref": c.ref}, false); err != nil || got != nil {
				t.Errorf("non-strict = %v, %v; want undefined", got, err)
			}
		})
	}

	t.Run("a 503 is not cached", func(t *testing.T) {
		ref := map[string]any{"ref": host + "/app/flaky:v1"}
		reg.unavailable.Store(true)
		if _, err := eval(t, "image.digest(input.ref)", ref, true); err == nil || !strings.Contains(err.Error(), "registry_error: ") {
			t.Fatalf("503: error %v, want registry_error", err)
		}
		reg.unavailable.Store(false)
		if got, err := eval(t, "image.digest(input.ref)", ref, true); err != nil || got != flaky.DigestStr() {
			t.Fatalf("after recovery = %v, %v; want %s", got, err, flaky.DigestStr())
		}
	})
}
