package kube

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// apiServer is a fake of the two reads the resolver makes, over TLS, checking
// the bearer token. Objects are set per "kind/namespace/name"; a status
// answers with that code and a Status object.
type apiServer struct {
	srv       *httptest.Server
	caFile    string
	tokenFile string

	mu      sync.Mutex
	token   string
	objects map[string]any
	status  map[string]int
	reads   map[string]int
	delay   time.Duration
}

func newAPIServer(t *testing.T) *apiServer {
	t.Helper()
	a := &apiServer{token: "token-1", objects: map[string]any{}, status: map[string]int{}, reads: map[string]int{}}
	a.srv = httptest.NewTLSServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	dir := t.TempDir()
	a.caFile, a.tokenFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "token")
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw})
	writeTestFile(t, a.caFile, string(ca))
	writeTestFile(t, a.tokenFile, a.token+"\n")
	return a
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (a *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	delay := a.delay
	token := a.token
	a.mu.Unlock()
	time.Sleep(delay)
	if r.Header.Get("Authorization") != "Bearer "+token {
		writeStatus(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		return
	}
	// /api/v1/namespaces/<ns>/<kind>s/<name>
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/"), "/")
	if len(parts) != 3 || r.Method != http.MethodGet {
		writeStatus(w, http.StatusNotFound, "NotFound", "the server could not find the requested resource")
		return
	}
	key := strings.TrimSuffix(parts[1], "s") + "/" + parts[0] + "/" + parts[2]
	a.mu.Lock()
	a.reads[key]++
	obj, ok := a.objects[key]
	code := a.status[key]
	a.mu.Unlock()
	switch {
	case code != 0:
		writeStatus(w, code, http.StatusText(code), fmt.Sprintf("%s %q is %s", parts[1], parts[2], strings.ToLower(http.StatusText(code))))
	case !ok:
		writeStatus(w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s %q not found", parts[1], parts[2]))
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(obj)
	}
}

func writeStatus(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func (a *apiServer) set(key string, obj any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.objects[key] = obj
}

func (a *apiServer) fail(key string, code int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status[key] = code
}

func (a *apiServer) readsOf(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reads[key]
}

// pullSecret is a kubernetes.io/dockerconfigjson Secret for host.
func pullSecret(host, user, password string) map[string]any {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	return secretOf("kubernetes.io/dockerconfigjson", ".dockerconfigjson", string(cfg))
}

func secretOf(typ, key, value string) map[string]any {
	return map[string]any{"kind": "Secret", "type": typ, "data": map[string]string{key: base64.StdEncoding.EncodeToString([]byte(value))}}
}

func serviceAccount(secrets ...string) map[string]any {
	var refs []map[string]string
	for _, s := range secrets {
		refs = append(refs, map[string]string{"name": s})
	}
	return map[string]any{"kind": "ServiceAccount", "imagePullSecrets": refs}
}

func (a *apiServer) resolver(t *testing.T, namespaces ...string) *Resolver {
	t.Helper()
	if len(namespaces) == 0 {
		namespaces = []string{AllNamespaces}
	}
	r, err := NewResolver(Config{Client: ClientConfig{APIServer: a.srv.URL, CAFile: a.caFile, TokenFile: a.tokenFile}, Namespaces: namespaces})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func errorAs(err error, target **Error) bool { return errors.As(err, target) }

// newRedirectingServer redirects /…/redirect elsewhere and streams 3 MiB for /…/huge.
func newRedirectingServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/huge") {
			_, _ = w.Write([]byte(strings.Repeat(" ", 3<<20)))
			return
		}
		http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	return srv
}
