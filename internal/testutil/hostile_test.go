package testutil

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHostileFaults(t *testing.T) {
	h := NewHostile(t)
	sigURL := func(fault string) string {
		_, digest, _ := strings.Cut(h.Image(fault), "@")
		return "http://" + h.Host() + "/v2/evil/" + fault + "/manifests/" + strings.Replace(digest, ":", "-", 1) + ".sig"
	}

	resp, err := http.Get(sigURL(FaultEndless))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Layers []json.RawMessage }
	err = json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if err != nil || len(m.Layers) != 10000 {
		t.Errorf("endless: %d layers (%v), want 10000", len(m.Layers), err)
	}

	// A huge blob streams until the client stops reading.
	resp, err = http.Get("http://" + h.Host() + "/v2/evil/" + FaultHuge + "/blobs/sha256:01")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.CopyN(io.Discard, resp.Body, 4<<20)
	resp.Body.Close()
	if n != 4<<20 || resp.ContentLength != -1 {
		t.Errorf("huge: read %d bytes, Content-Length %d; want 4 MiB of an unannounced length", n, resp.ContentLength)
	}

	// A hanging manifest ends when the client gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sigURL(FaultHang), nil)
	start := time.Now()
	resp, err = http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("hang: %v after %s, want the client's deadline", err, time.Since(start))
	}
	// Each call names a new image.
	if first, second := h.Image(FaultHang), h.Image(FaultHang); first == second {
		t.Error("two images share a digest: a cache would absorb the load")
	}
}
