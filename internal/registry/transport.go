package registry

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strings"
)

// guard enforces the client's rules on every request, including the ones that
// go-containerregistry and cosign make on our behalf.
type guard struct {
	secure, insecure http.RoundTripper
	insecureHosts    map[string]bool
	limits           Limits
	onRequest        func(*http.Request, *http.Response, error)
	pings            *pings
	onRepository     func(host, path string) // the pullers' count of repositories
}

func newGuard(cfg Config, limits Limits) (*guard, error) {
	g := &guard{insecureHosts: map[string]bool{}, limits: limits, pings: newPings()}
	for _, h := range cfg.Insecure {
		g.insecureHosts[strings.ToLower(h)] = true
	}
	if cfg.Transport != nil {
		g.secure, g.insecure = cfg.Transport, cfg.Transport
		return g, nil
	}
	secure := defaultTransport()
	if cfg.CAFile != "" {
		pool, err := caPool(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		secure.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	insecure := defaultTransport()
	insecure.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit per-host opt-in
	g.secure, g.insecure = secure, insecure
	return g, nil
}

func (g *guard) closeIdleConnections() {
	for _, rt := range []http.RoundTripper{g.secure, g.insecure} {
		if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
	}
}

func caPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading registry CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("registry CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Host)
	insecure := g.insecureHosts[host]
	var resp *http.Response
	var err error
	if isPing(req) && (req.URL.Scheme == "https" || insecure) {
		var sent bool
		resp, sent, err = g.pings.ping(req, host, insecure, func() (*http.Response, error) {
			count(req.Context())
			return g.roundTrip(req, TrackerFrom(req.Context()))
		})
		if !sent {
			return resp, err // no round trip: nothing to count or observe
		}
	} else {
		count(req.Context())
		resp, err = g.roundTrip(req, TrackerFrom(req.Context()))
		if g.onRepository != nil {
			g.onRepository(host, req.URL.Path)
		}
	}
	if g.onRequest != nil {
		g.onRequest(req, resp, err)
	}
	return resp, err
}

func (g *guard) roundTrip(req *http.Request, t *Tracker) (*http.Response, error) {
	host := strings.ToLower(req.URL.Host)
	insecure := g.insecureHosts[host]
	if req.URL.Scheme != "https" && !insecure {
		err := fmt.Errorf("%w to %s: the registry is not marked insecure (to allow it, add %s to %s, or to plugins.cosign.registry.insecure in the config file)",
			ErrInsecureRefused, host, host, InsecureRegistriesEnv)
		// go-containerregistry pings loopback and private hosts over plain HTTP after the HTTPS ping failed; that
		// refusal must not hide why HTTPS failed (a TLS or connection error), or the error would invite marking
		// the registry insecure. Any other plain-HTTP request is the reason itself.
		if req.URL.Path != "/v2/" {
			t.fail(err)
		}
		return nil, err
	}
	if n := redirects(req); n > g.limits.MaxRedirects {
		err := fmt.Errorf("%w: more than %d redirects", ErrLimitExceeded, g.limits.MaxRedirects)
		t.fail(err)
		return nil, err
	}
	rt := g.secure
	if insecure {
		rt = g.insecure
	}
	resp, err := rt.RoundTrip(req)
	if err != nil || req.Method == http.MethodHead {
		return resp, err
	}
	// A response is limited by what was asked for, not by where a redirect
	// led: a manifest redirected to a path without /manifests/ is still one.
	asked := originPath(req)
	limit, what := g.limits.MaxBlobBytes, "blob"
	switch {
	case isSignatureTagPath(asked):
		limit, what = g.limits.SignatureManifestBytes(), "signature manifest"
	case isManifestPath(asked):
		limit, what = g.limits.MaxManifestBytes, "manifest"
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		err := limitError(what, limit)
		t.fail(err)
		return nil, err
	}
	body := &limitedBody{rc: resp.Body, left: limit, what: what, limit: limit, tracker: t}
	if resp.StatusCode == http.StatusOK && strings.Contains(asked, "/manifests/") {
		if claimed := resp.Header.Get("Docker-Content-Digest"); strings.HasPrefix(claimed, "sha256:") {
			body.claimed, body.hash = claimed, sha256.New()
		}
	}
	resp.Body = body
	return resp, nil
}

// originPath is the path of the request that started req's redirect chain.
func originPath(req *http.Request) string {
	for req.Response != nil && req.Response.Request != nil {
		req = req.Response.Request
	}
	return req.URL.Path
}

// redirects counts the hops that led to req.
func redirects(req *http.Request) int {
	n := 0
	for r := req.Response; r != nil && r.Request != nil; r = r.Request.Response {
		n++
	}
	return n
}

// isSignatureTagPath reports whether p reads cosign's legacy signature or
// attestation manifest of an image: /manifests/sha256-<hex>.sig or .att.
func isSignatureTagPath(p string) bool {
	i := strings.LastIndex(p, "/manifests/sha256-")
	if i < 0 {
		return false
	}
	tag := p[i+len("/manifests/"):]
	return strings.HasSuffix(tag, ".sig") || strings.HasSuffix(tag, ".att")
}

func isManifestPath(p string) bool {
	return strings.Contains(p, "/manifests/") || strings.Contains(p, "/referrers/")
}

// limitedBody fails a read that goes past the limit, and checks at EOF that a
// manifest hashes to the digest the registry claimed for it.
type limitedBody struct {
	rc          io.ReadCloser
	left, limit int64
	what        string
	tracker     *Tracker
	claimed     string
	hash        hash.Hash
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		lerr := limitError(b.what, b.limit)
		b.tracker.fail(lerr)
		return 0, lerr
	}
	if b.hash != nil {
		b.hash.Write(p[:n])
		if err == io.EOF {
			if got := "sha256:" + hex.EncodeToString(b.hash.Sum(nil)); got != b.claimed {
				derr := fmt.Errorf("%w: registry claimed %s, body is %s", ErrDigestMismatch, b.claimed, got)
				b.tracker.fail(derr)
				return n, derr
			}
		}
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
