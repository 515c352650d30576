package testutil

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// AuthRegistry is an in-process registry that requires HTTP basic
// authentication of one user on every request, as the Distribution registry
// does with htpasswd. Its password can be changed while it runs (rotation).
// While Open, it serves anyone: fixtures push and sign then with the plain
// helpers.
type AuthRegistry struct {
	Host     string // host:port, plain HTTP
	user     string
	mu       sync.Mutex
	password string
	open     atomic.Bool
	refused  atomic.Int64
}

// Open lets every request through (true) or requires the credentials again.
func (r *AuthRegistry) Open(open bool) { r.open.Store(open) }

// NewAuthRegistry starts an AuthRegistry for user and password.
func NewAuthRegistry(t testing.TB, user, password string) *AuthRegistry {
	t.Helper()
	r := &AuthRegistry{user: user, password: password}
	inner := registry.New(registry.Logger(discard()))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		r.mu.Lock()
		good := r.open.Load() || (ok && u == r.user && p == r.password)
		r.mu.Unlock()
		if !good {
			r.refused.Add(1)
			w.Header().Set("WWW-Authenticate", `Basic realm="opa-cosign-test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`))
			return
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// SetPassword changes the password the registry accepts.
func (r *AuthRegistry) SetPassword(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.password = p
}

// Refused counts the requests refused for want of the right credentials.
func (r *AuthRegistry) Refused() int64 { return r.refused.Load() }
