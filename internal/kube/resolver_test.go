package kube

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const host = "registry.corp.example:5000"

func user(t *testing.T, c Credentials, repo string) string {
	t.Helper()
	if c.Keyring == nil {
		return ""
	}
	a, _ := c.Keyring.Lookup(repo)
	return a.Username
}

func TestResolvePullSecretsAndServiceAccount(t *testing.T) {
	t.Parallel()
	a := newAPIServer(t)
	a.set("secret/prod/regcred", pullSecret(host, "pod-robot", "p1"))
	a.set("secret/prod/sa-cred", pullSecret(host, "sa-robot", "p2"))
	a.set("serviceaccount/prod/builder", serviceAccount("sa-cred"))
	r := a.resolver(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		p    PullContext
		want string
	}{
		{"the Pod's own secrets", PullContext{Namespace: "prod", ImagePullSecrets: []string{"regcred"}}, "pod-robot"},
		{"a template's own secrets win over its ServiceAccount's", PullContext{Namespace: "prod", ImagePullSecrets: []string{"regcred"}, ServiceAccount: "builder"}, "pod-robot"},
		{"a template without secrets gets its ServiceAccount's", PullContext{Namespace: "prod", ServiceAccount: "builder"}, "sa-robot"},
	} {
		got, err := r.Resolve(ctx, c.p)
		if err != nil || user(t, got, host+"/app") != c.want || len(got.Notes) != 0 {
			t.Errorf("%s: %+v, %v; want %s", c.name, got, err, c.want)
		}
	}
	if n := a.readsOf("serviceaccount/prod/builder"); n != 1 {
		t.Errorf("the ServiceAccount was read %d times, want once (only where it is needed, then cached)", n)
	}
}

// TestResolveFallsBackWithNotes: what does not exist is left out, as the kubelet leaves it out, with a note that
// a denial can quote; the remaining credentials are used.
func TestResolveFallsBackWithNotes(t *testing.T) {
	t.Parallel()
	a := newAPIServer(t)
	a.set("secret/prod/regcred", pullSecret(host, "robot", "p"))
	r := a.resolver(t)
	got, err := r.Resolve(context.Background(), PullContext{Namespace: "prod", ImagePullSecrets: []string{"gone", "regcred", "regcred"}})
	if err != nil || user(t, got, host+"/app") != "robot" {
		t.Fatalf("%+v, %v", got, err)
	}
	if strings.Join(got.Notes, "|") != `pull secret "gone" not found in namespace "prod"` {
		t.Errorf("notes %q", got.Notes)
	}
	got, err = r.Resolve(context.Background(), PullContext{Namespace: "prod", ServiceAccount: "ghost"})
	if err != nil || !got.Keyring.Empty() {
		t.Fatalf("%+v, %v", got, err)
	}
	if strings.Join(got.Notes, "|") != `ServiceAccount "ghost" not found in namespace "prod", so its pull secrets were not used` {
		t.Errorf("notes %q", got.Notes)
	}
}

// TestResolveFailsClosed: an API server that refuses or fails, and a malformed pull secret, are errors that name
// the object and never quote its content.
func TestResolveFailsClosed(t *testing.T) {
	t.Parallel()
	a := newAPIServer(t)
	a.fail("secret/prod/forbidden", http.StatusForbidden)
	a.fail("secret/prod/broken", http.StatusInternalServerError)
	a.fail("serviceaccount/prod/forbidden-sa", http.StatusForbidden)
	a.set("secret/prod/opaque", secretOf("Opaque", "password", "s3cret"))
	a.set("secret/prod/no-key", secretOf("kubernetes.io/dockerconfigjson", "config.json", `{"auths": {}}`))
	a.set("secret/prod/not-json", secretOf("kubernetes.io/dockerconfigjson", ".dockerconfigjson", `{"auths": s3cret`))
	a.set("secret/prod/bad-auth", secretOf("kubernetes.io/dockerconfigjson", ".dockerconfigjson", `{"auths": {"r.example": {"auth": "s3cret!"}}}`))
	a.set("secret/prod/bad-dockercfg", secretOf("kubernetes.io/dockercfg", ".dockercfg", `["s3cret"]`))
	r := a.resolver(t)
	for _, c := range []struct {
		p    PullContext
		want string
	}{
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"forbidden"}}, `reading pull secret "forbidden" in namespace "prod": the API server answered 403: secrets "forbidden" is forbidden`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"broken"}}, `reading pull secret "broken" in namespace "prod": the API server answered 500`},
		{PullContext{Namespace: "prod", ServiceAccount: "forbidden-sa"}, `reading ServiceAccount "forbidden-sa" in namespace "prod": the API server answered 403`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"opaque"}}, `pull secret "opaque" in namespace "prod" is malformed: its type is "Opaque", not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"no-key"}}, `pull secret "no-key" in namespace "prod" is malformed: it has no .dockerconfigjson`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"not-json"}}, `is malformed: .dockerconfigjson: not a JSON object with "auths"`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"bad-auth"}}, `is malformed: .dockerconfigjson: entry "r.example": auth is not base64`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"bad-dockercfg"}}, `is malformed: .dockercfg: not a JSON object of registries`},
		{PullContext{Namespace: "Prod", ImagePullSecrets: []string{"x"}}, `namespace "Prod" is not a namespace name`},
		{PullContext{Namespace: "prod", ImagePullSecrets: []string{"../x"}}, `"../x" is not a Secret name`},
	} {
		got, err := r.Resolve(context.Background(), c.p)
		var re *Error
		if err == nil || !strings.Contains(err.Error(), c.want) || !errorAs(err, &re) {
			t.Errorf("%+v: %+v, %v; want an *Error with %q", c.p, got, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%+v: the error quotes the secret: %v", c.p, err)
		}
	}
	// Read failures are not cached: the next call asks again.
	_, _ = r.Resolve(context.Background(), PullContext{Namespace: "prod", ImagePullSecrets: []string{"broken"}})
	if n := a.readsOf("secret/prod/broken"); n != 2 {
		t.Errorf("a failed read was made %d times over two calls, want 2 (not cached)", n)
	}
}

// TestResolveNarrowMode: namespaces not listed are never read; their requests get the fallback, with a note.
func TestResolveNarrowMode(t *testing.T) {
	t.Parallel()
	a := newAPIServer(t)
	a.set("secret/team-a/regcred", pullSecret(host, "a", "p"))
	a.set("secret/team-b/regcred", pullSecret(host, "b", "p"))
	r := a.resolver(t, "team-a")
	got, err := r.Resolve(context.Background(), PullContext{Namespace: "team-a", ImagePullSecrets: []string{"regcred"}})
	if err != nil || user(t, got, host+"/app") != "a" {
		t.Fatalf("team-a: %+v, %v", got, err)
	}
	got, err = r.Resolve(context.Background(), PullContext{Namespace: "team-b", ImagePullSecrets: []string{"regcred"}})
	if err != nil || got.Keyring != nil || a.readsOf("secret/team-b/regcred") != 0 {
		t.Fatalf("team-b: %+v, %v, %d reads", got, err, a.readsOf("secret/team-b/regcred"))
	}
	if strings.Join(got.Notes, "|") != `the pull secrets of namespace "team-b" are not read (plugins.cosign.kubernetes.namespaces)` {
		t.Errorf("notes %q", got.Notes)
	}
	for _, bad := range [][]string{nil, {"*", "team-a"}, {"Team"}} {
		if _, err := NewResolver(Config{Client: ClientConfig{APIServer: a.srv.URL, TokenFile: a.tokenFile}, Namespaces: bad}); err == nil {
			t.Errorf("namespaces %q accepted", bad)
		}
	}
}

// TestResolveCachesBrieflyThenSeesRotation: within the TTL a secret is read once however many calls ask,
// concurrent ones included; after it, the rotated secret is used.
func TestResolveCachesBrieflyThenSeesRotation(t *testing.T) {
	t.Parallel()
	a := newAPIServer(t)
	a.set("secret/prod/regcred", pullSecret(host, "robot", "old"))
	a.delay = 50 * time.Millisecond
	r, err := NewResolver(Config{Client: ClientConfig{APIServer: a.srv.URL, CAFile: a.caFile, TokenFile: a.tokenFile}, Namespaces: []string{"*"}, CacheTTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p := PullContext{Namespace: "prod", ImagePullSecrets: []string{"regcred"}}
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := r.Resolve(context.Background(), p); err == nil {
				ids[i] = c.Keyring.ID()
			}
		}()
	}
	wg.Wait()
	if n := a.readsOf("secret/prod/regcred"); n != 1 {
		t.Errorf("20 concurrent calls read the secret %d times, want 1", n)
	}
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("concurrent calls disagree: %q", ids)
		}
	}
	a.set("secret/prod/regcred", pullSecret(host, "robot", "new"))
	c, _ := r.Resolve(context.Background(), p)
	if c.Keyring.ID() != ids[0] {
		t.Error("the rotated secret was used within the TTL")
	}
	time.Sleep(1100 * time.Millisecond)
	c, err = r.Resolve(context.Background(), p)
	if got, _ := c.Keyring.Lookup(host + "/app"); err != nil || got.Password != "new" {
		t.Errorf("after the TTL: %+v, %v; want the rotated password", got, err)
	}
}

// TestClientTokenAndLimits: the token file is read again once its TTL passes (the kubelet rotates projected
// tokens); redirects are not followed (they would carry the token elsewhere); answers are bounded.
func TestClientTokenAndLimits(t *testing.T) {
	t.Parallel()
	a := newAPIServer(t)
	a.set("serviceaccount/prod/default", serviceAccount())
	r := a.resolver(t)
	r.client.tokenTTL = 0
	p := PullContext{Namespace: "prod", ServiceAccount: "default"}
	if _, err := r.Resolve(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	a.token = "token-2"
	a.mu.Unlock()
	writeTestFile(t, a.tokenFile, "token-2")
	r.cache.Purge()
	if _, err := r.Resolve(context.Background(), p); err != nil {
		t.Fatalf("after the token rotated: %v", err)
	}
	redirect := newRedirectingServer(t)
	c, err := NewClient(ClientConfig{APIServer: redirect.URL, TokenFile: a.tokenFile, Transport: redirect.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Secret(context.Background(), "prod", "redirect"); err == nil || !strings.Contains(err.Error(), "answered 307") {
		t.Errorf("redirect: %v, want the 307 itself", err)
	}
	if _, err := c.Secret(context.Background(), "prod", "huge"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge answer: %v", err)
	}
	for _, bad := range []string{"http://127.0.0.1:6443", "https://", "https://h/path", "not a url"} {
		if _, err := NewClient(ClientConfig{APIServer: bad, TokenFile: a.tokenFile}); err == nil {
			t.Errorf("api_server %q accepted", bad)
		}
	}
}
