package testutil

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// Faults of a Hostile registry, each served under the repository evil/<fault>.
const (
	// FaultHang never answers a manifest request: the client must give up.
	FaultHang = "hang"
	// FaultEndless lists 10,000 signatures under every .sig tag (docs/security.md #1).
	FaultEndless = "endless"
	// FaultHuge lists one signature whose layer claims 64 MiB and streams
	// without a Content-Length for as long as a client reads (docs/security.md #2);
	// Streamed says whether one did.
	FaultHuge = "huge"
)

// Hostile is a registry that answers for any digest of evil/<fault> with
// that fault, so that every request can name a new digest and miss every
// cache. Everything else is 404; /v2/ answers 200 (no authentication).
type Hostile struct {
	srv      *httptest.Server
	endless  []byte
	streamed atomic.Int64 // bytes of huge blobs written
}

// NewHostile starts a Hostile registry on loopback, closed at cleanup.
func NewHostile(t testing.TB) *Hostile {
	t.Helper()
	h := &Hostile{}
	layers := make([]map[string]any, 10000)
	for i := range layers {
		layers[i] = signatureLayer(fmt.Sprintf("sha256:%064x", i), 256)
	}
	h.endless = signatureManifest(layers)
	h.srv = httptest.NewServer(h)
	t.Cleanup(func() {
		// Hanging handlers end when their connection does.
		h.srv.CloseClientConnections()
		h.srv.Close()
	})
	return h
}

// Host is the registry's host:port.
func (h *Hostile) Host() string { return strings.TrimPrefix(h.srv.URL, "http://") }

// Image is a reference to a new random digest of evil/<fault>.
func (h *Hostile) Image(fault string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/evil/%s@sha256:%s", h.Host(), fault, hex.EncodeToString(b))
}

// Streamed is the number of bytes of huge blobs written so far.
func (h *Hostile) Streamed() int64 { return h.streamed.Load() }

// CloseConnections closes every client connection, idle or not.
func (h *Hostile) CloseConnections() { h.srv.CloseClientConnections() }

func (h *Hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/v2/":
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(p, "/v2/evil/"+FaultHang+"/manifests/"):
		<-r.Context().Done()
	case strings.HasPrefix(p, "/v2/evil/"+FaultEndless+"/manifests/") && strings.HasSuffix(p, ".sig"):
		writeManifest(w, r, h.endless)
	case strings.HasPrefix(p, "/v2/evil/"+FaultHuge+"/manifests/") && strings.HasSuffix(p, ".sig"):
		writeManifest(w, r, signatureManifest([]map[string]any{signatureLayer(fmt.Sprintf("sha256:%064x", 1), 64<<20)}))
	case strings.HasPrefix(p, "/v2/evil/"+FaultHuge+"/blobs/") && r.Method == http.MethodGet:
		h.stream(w, r)
	default:
		http.NotFound(w, r)
	}
}

// stream writes zeros, chunked, until the client stops reading (bounded at
// 1 GiB so that a broken client cannot keep the test running).
func (h *Hostile) stream(w http.ResponseWriter, r *http.Request) {
	chunk := make([]byte, 32<<10)
	for range (1 << 30) / len(chunk) {
		if r.Context().Err() != nil {
			return
		}
		n, err := w.Write(chunk)
		h.streamed.Add(int64(n))
		if err != nil {
			return
		}
	}
}

func writeManifest(w http.ResponseWriter, r *http.Request, m []byte) {
	w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	w.Header().Set("Content-Length", fmt.Sprint(len(m)))
	if r.Method != http.MethodHead {
		_, _ = w.Write(m)
	}
}

func signatureManifest(layers []map[string]any) []byte {
	m, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": fmt.Sprintf("sha256:%064x", 0)},
		"layers": layers,
	})
	return m
}

func signatureLayer(digest string, size int64) map[string]any {
	return map[string]any{
		"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "size": size, "digest": digest,
		"annotations": map[string]string{"dev.cosignproject.cosign/signature": "MEUCIQ=="},
	}
}
