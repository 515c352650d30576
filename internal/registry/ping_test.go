package registry

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opa-cosign/opa-cosign/internal/reference"
)

// countingRegistry is an in-process registry that counts the requests it
// gets by path, and can answer pings with another status.
type countingRegistry struct {
	mu         sync.Mutex
	paths      map[string]int
	pingStatus int // 0: the registry's own answer
	host       string
}

func newCountingRegistry(t *testing.T) *countingRegistry {
	t.Helper()
	c := &countingRegistry{paths: map[string]int{}}
	inner := ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.paths[r.URL.Path]++
		status := c.pingStatus
		c.mu.Unlock()
		if r.URL.Path == "/v2/" && status != 0 {
			w.WriteHeader(status)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c.host = strings.TrimPrefix(srv.URL, "http://")
	return c
}

func (c *countingRegistry) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[path]
}

func (c *countingRegistry) push(t *testing.T, repo string) reference.Reference {
	t.Helper()
	tag, err := name.NewTag(c.host+"/"+repo+":v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(64, 1)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	r, err := reference.Parse(tag.String())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestOnePingPerRegistry: a registry is pinged once for many repositories
// (not once per repository), again after PingTTL, and a ping that failed is
// never reused.
func TestOnePingPerRegistry(t *testing.T) {
	reg := newCountingRegistry(t)
	var refs []reference.Reference
	for _, repo := range []string{"a/one", "a/two", "b/three", "c/four", "d/five", "d/six"} {
		refs = append(refs, reg.push(t, repo))
	}
	c, err := New(Config{Insecure: []string{reg.host}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c.guard.pings.now = func() time.Time { return now }
	pings := func(refs []reference.Reference, wantErr bool) int {
		before := reg.count("/v2/")
		for _, r := range refs {
			if _, err := c.Digest(context.Background(), r); (err != nil) != wantErr {
				t.Fatalf("%s: error %v", r.Reference, err)
			}
		}
		return reg.count("/v2/") - before
	}
	if got := pings(refs[:3], false); got != 1 {
		t.Fatalf("%d pings for 3 repositories of one registry, want 1", got)
	}
	// Past PingTTL the registry is asked again (a new repository's set-up).
	now = now.Add(PingTTL + time.Second)
	if got := pings(refs[3:4], false); got != 1 {
		t.Fatalf("%d pings after PingTTL, want 1", got)
	}
	// A failing ping is not kept: each set-up asks again, and fails.
	now = now.Add(PingTTL + time.Second)
	reg.mu.Lock()
	reg.pingStatus = http.StatusServiceUnavailable
	reg.mu.Unlock()
	// (Digest tries a HEAD, then a GET: two set-ups per image.)
	if got := pings(refs[4:], true); got != 4 {
		t.Fatalf("%d pings for 4 set-ups with a failing ping, want 4", got)
	}
}

// TestConcurrentSetUpsPingOnce: the verifications of a Pod start together;
// their repositories' set-ups share one ping of the registry.
func TestConcurrentSetUpsPingOnce(t *testing.T) {
	reg := newCountingRegistry(t)
	var refs []reference.Reference
	for i := range 20 {
		refs = append(refs, reg.push(t, "conc/app"+strconv.Itoa(i)))
	}
	c, err := New(Config{Insecure: []string{reg.host}})
	if err != nil {
		t.Fatal(err)
	}
	before := reg.count("/v2/")
	var wg sync.WaitGroup
	for _, r := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Digest(context.Background(), r); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := reg.count("/v2/") - before; got != 1 {
		t.Fatalf("%d pings for 20 concurrent set-ups, want 1", got)
	}
}

// TestPingCacheKeepsOnlyRegistryAnswers: 200 and 401 with its challenge are
// kept and answered again with the challenge; other statuses and errors are not.
func TestPingCacheKeepsOnlyRegistryAnswers(t *testing.T) {
	p := newPings()
	req := func(scheme string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, scheme+"://reg.example/v2/", nil)
		return r
	}
	challenge := http.Header{"Www-Authenticate": {`Bearer realm="https://auth.example/token",service="reg.example"`}}
	p.keep(req("https"), "reg.example", false, &http.Response{StatusCode: http.StatusUnauthorized, Header: challenge}, nil)
	status, header, err := ask(p, req("https"), "reg.example", false)
	if err != nil || status != http.StatusUnauthorized || header.Get("Www-Authenticate") != challenge.Get("Www-Authenticate") {
		t.Fatalf("kept 401: %d %v %v", status, header, err)
	}
	if status, _, err := ask(p, req("http"), "reg.example", false); status != 0 || err != nil {
		t.Fatal("an answer over HTTPS was reused for HTTP")
	}
	for _, status := range []int{http.StatusInternalServerError, http.StatusNotFound, http.StatusTooManyRequests} {
		p.keep(req("https"), "other.example", false, &http.Response{StatusCode: status, Header: http.Header{}}, nil)
		if status, _, err := ask(p, req("https"), "other.example", false); status != 0 || err != nil {
			t.Fatalf("status %d was kept", status)
		}
	}
	p.keep(req("https"), "down.example", false, nil, context.DeadlineExceeded)
	if status, _, err := ask(p, req("https"), "down.example", false); status != 0 || err != nil {
		t.Fatal("a failed ping was kept")
	}
}

// TestInsecureRegistrySkipsHTTPSOnceHTTPAnswered: for a registry marked
// insecure, HTTPS is not retried for PingTTL once it failed and HTTP answered;
// for a registry not marked insecure, nothing changes (HTTP stays refused).
func TestInsecureRegistrySkipsHTTPSOnceHTTPAnswered(t *testing.T) {
	p := newPings()
	req := func(scheme string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, scheme+"://plain.example/v2/", nil)
		return r
	}
	tlsErr := errorString("http: server gave HTTP response to HTTPS client")
	p.keep(req("https"), "plain.example", true, nil, tlsErr)
	if _, _, err := ask(p, req("https"), "plain.example", true); err != nil {
		t.Fatal("HTTPS skipped before HTTP answered")
	}
	p.keep(req("http"), "plain.example", true, &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, nil)
	if _, _, err := ask(p, req("https"), "plain.example", true); !errors.Is(err, errNoTLS) {
		t.Fatalf("HTTPS tried again: %v", err)
	}
	if status, _, _ := ask(p, req("https"), "plain.example", false); status != 0 {
		t.Fatal("a registry not marked insecure got the insecure answer")
	}
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c.guard.pings.keep(req("http"), "plain.example", true, &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}, nil)
	if resp, err := c.guard.RoundTrip(req("http")); err == nil {
		resp.Body.Close()
		t.Fatal("a plain-HTTP ping of a registry not marked insecure was answered")
	}
}

// ask is p.answer as status and headers (0 when there is no kept answer).
func ask(p *pings, r *http.Request, host string, insecure bool) (int, http.Header, error) {
	resp, err := p.answer(r, host, insecure)
	if resp == nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, resp.Header, err
}

type errorString string

func (e errorString) Error() string { return string(e) }

// TestPullerIsReplacedAfterManyRepositories: the shared puller, which keeps
// every repository's set-up, is replaced once it served
// MaxPullerRepositories repositories, and verification goes on.
func TestPullerIsReplacedAfterManyRepositories(t *testing.T) {
	ps, err := newPullers(nil)
	if err != nil {
		t.Fatal(err)
	}
	first := ps.get()
	for i := range MaxPullerRepositories {
		ps.saw("reg.example", "/v2/team/app"+strconv.Itoa(i)+"/manifests/v1")
		ps.saw("reg.example", "/v2/team/app"+strconv.Itoa(i)+"/blobs/sha256:00") // same repository
	}
	ps.saw("reg.example", "/v2/")   // a ping names no repository
	ps.saw("reg.example", "/token") // nor a token exchange
	if ps.get() != first {
		t.Fatalf("replaced after %d repositories, want after %d", MaxPullerRepositories-1, MaxPullerRepositories)
	}
	ps.saw("reg.example", "/v2/one/more/manifests/v1")
	if ps.get() == first {
		t.Fatal("not replaced past MaxPullerRepositories repositories")
	}
	for path, want := range map[string]string{
		"/v2/a/b/c/manifests/sha256:1": "a/b/c", "/v2/x/blobs/sha256:2": "x", "/v2/x/tags/list": "x",
		"/v2/x/referrers/sha256:3": "x", "/v2/manifests/blobs/sha256:4": "manifests",
	} {
		if got, ok := repositoryOf(path); !ok || got != want {
			t.Errorf("repositoryOf(%s) = %q, want %q", path, got, want)
		}
	}
}
