package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opa-cosign/opa-cosign/internal/kube"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// fakePullSecrets maps namespaces to keyrings (or failures), counting resolutions.
type fakePullSecrets struct {
	mu       sync.Mutex
	keyrings map[string]*registry.Keyring
	notes    map[string][]string
	fail     map[string]error
	calls    int
}

func (f *fakePullSecrets) Resolve(_ context.Context, p kube.PullContext) (kube.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err := f.fail[p.Namespace]; err != nil {
		return kube.Credentials{}, err
	}
	return kube.Credentials{Keyring: f.keyrings[p.Namespace], Notes: f.notes[p.Namespace]}, nil
}

func (f *fakePullSecrets) set(namespace string, k *registry.Keyring) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyrings[namespace] = k
}

type credFixture struct {
	reg     *testutil.AuthRegistry
	key     testutil.Key
	secrets *fakePullSecrets
	obs     *countingObserver
	e       *Engine
	image   name.Digest
	tag     string
}

func newCredFixture(t *testing.T) *credFixture {
	t.Helper()
	f := &credFixture{reg: testutil.NewAuthRegistry(t, "robot", "right"), key: testutil.NewKey(t, testutil.ECDSAP256), obs: &countingObserver{}}
	f.reg.Open(true)
	f.image = testutil.PushImage(t, f.reg.Host, "private/app", "v1")
	testutil.AttachLegacy(t, f.image, testutil.Legacy{Signer: f.key.Signer})
	f.reg.Open(false)
	f.tag = f.reg.Host + "/private/app:v1"
	right := registry.NewKeyring(registry.DockerConfig{f.reg.Host: {Username: "robot", Password: "right"}})
	wrong := registry.NewKeyring(registry.DockerConfig{f.reg.Host: {Username: "robot", Password: "wrong"}})
	f.secrets = &fakePullSecrets{
		keyrings: map[string]*registry.Keyring{"team-a": right, "team-a2": right, "team-c": wrong},
		notes:    map[string][]string{"team-b": {`pull secret "regcred" not found in namespace "team-b"`}},
		fail:     map[string]error{"broken": errors.New(`reading pull secret "regcred" in namespace "broken": the API server answered 403: forbidden`)},
	}
	var err error
	f.e, err = New(Config{Registry: registry.Config{Insecure: []string{f.reg.Host}, DockerConfig: t.TempDir()}, PullSecrets: f.secrets, Observer: f.obs})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *credFixture) verify(t *testing.T, image, namespace string) *verify.Result {
	t.Helper()
	o, err := verify.ParseOptions(map[string]any{"key": f.key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	r := Request{Image: image, Options: o}
	if namespace != "" {
		r.Kubernetes = &kube.PullContext{Namespace: namespace, ImagePullSecrets: []string{"regcred"}}
	}
	return f.e.Verify(context.Background(), r)
}

func code(r *verify.Result) string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code
}

// TestPullSecretsPartitionTheCaches (issue 15): a result read with one tenant's credentials is a verdict for
// that tenant only. After team-a's pass is cached — result and tag — the same image asked without credentials,
// or with wrong ones, goes to the registry itself and is refused; team-a2, whose secret holds the same
// credentials, shares team-a's cache entry.
func TestPullSecretsPartitionTheCaches(t *testing.T) {
	t.Parallel()
	f := newCredFixture(t)
	for _, image := range []string{f.tag, f.image.String()} {
		if r := f.verify(t, image, "team-a"); !r.Verified || r.Digest != f.image.DigestStr() {
			t.Fatalf("%s from team-a: %+v", image, r)
		}
	}
	verifications := f.obs.verifications.Load()
	for _, ns := range []string{"", "team-b", "team-c"} {
		for _, image := range []string{f.tag, f.image.String()} {
			r := f.verify(t, image, ns)
			if r.Verified || code(r) != verify.CodeUnauthorized || r.Digest == f.image.DigestStr() && image == f.tag {
				t.Errorf("%s from %q: %+v, want unauthorized without the digest", image, ns, r)
			}
		}
	}
	refused := f.reg.Refused()
	if refused == 0 {
		t.Error("the registry was never asked without the right credentials: a cached result answered")
	}
	before := f.obs.verifications.Load()
	if r := f.verify(t, f.tag, "team-a2"); !r.Verified {
		t.Fatalf("team-a2: %+v", r)
	}
	if f.obs.verifications.Load() != before || before < verifications {
		t.Error("team-a2 has team-a's credentials: it should have had team-a's cached result")
	}
}

// TestPullSecretsNotesAndFailures: a secret that was named but not found is said beside the registry's refusal;
// credentials that cannot be read deny with credentials_error and ask nothing of the registry; without
// PullSecrets configured, contexts are ignored.
func TestPullSecretsNotesAndFailures(t *testing.T) {
	t.Parallel()
	f := newCredFixture(t)
	r := f.verify(t, f.tag, "team-b")
	if code(r) != verify.CodeUnauthorized || !strings.HasSuffix(r.Errors[0].Message, `(pull secret "regcred" not found in namespace "team-b")`) {
		t.Errorf("team-b: %+v", r)
	}
	refused := f.reg.Refused()
	r = f.verify(t, f.tag, "broken")
	want := `reading pull secret "regcred" in namespace "broken": the API server answered 403: forbidden`
	if r.Verified || code(r) != verify.CodeCredentials || r.Errors[0].Message != want || r.Image != f.tag {
		t.Errorf("broken: %+v", r)
	}
	if f.reg.Refused() != refused {
		t.Error("a request whose credentials could not be read reached the registry")
	}
	// The cached pass of team-b's notes-free twin is not decorated: notes belong to the request.
	if r := f.verify(t, f.tag, "team-a"); !r.Verified || len(r.Errors) != 0 {
		t.Errorf("team-a: %+v", r)
	}

	off, err := New(Config{Registry: registry.Config{Insecure: []string{f.reg.Host}, DockerConfig: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := verify.ParseOptions(map[string]any{"key": f.key.PublicPEM, "insecure-ignore-tlog": true}, false)
	res := off.Verify(context.Background(), Request{Image: f.tag, Options: o, Kubernetes: &kube.PullContext{Namespace: "team-a", ImagePullSecrets: []string{"regcred"}}})
	if code(res) != verify.CodeUnauthorized {
		t.Errorf("without PullSecrets the context must be ignored (docker config only): %+v", res)
	}
}

// TestPullSecretsRotation: a keyring with new content is another cache key, so a rotated secret is used at once
// (once the resolver sees it), and credentials revoked at the registry are not hidden by a cached pass.
func TestPullSecretsRotation(t *testing.T) {
	t.Parallel()
	f := newCredFixture(t)
	if r := f.verify(t, f.tag, "team-a"); !r.Verified {
		t.Fatalf("before: %+v", r)
	}
	f.reg.SetPassword("rotated")
	f.secrets.set("team-a", registry.NewKeyring(registry.DockerConfig{f.reg.Host: {Username: "robot", Password: "stale"}}))
	if r := f.verify(t, f.tag, "team-a"); r.Verified || code(r) != verify.CodeUnauthorized {
		t.Errorf("stale secret after the registry's password changed: %+v", r)
	}
	f.secrets.set("team-a", registry.NewKeyring(registry.DockerConfig{f.reg.Host: {Username: "robot", Password: "rotated"}}))
	if r := f.verify(t, f.tag, "team-a"); !r.Verified {
		t.Errorf("rotated secret: %+v", r)
	}
}

// TestPullSecretsResolvedOncePerBatch: a Pod's images share one pull context, resolved once per call.
func TestPullSecretsResolvedOncePerBatch(t *testing.T) {
	t.Parallel()
	f := newCredFixture(t)
	o, _ := verify.ParseOptions(map[string]any{"key": f.key.PublicPEM, "insecure-ignore-tlog": true}, false)
	var reqs []Request
	for range 5 {
		reqs = append(reqs, Request{Image: f.tag, Options: o, Kubernetes: &kube.PullContext{Namespace: "team-a", ImagePullSecrets: []string{"regcred"}}})
	}
	for i, r := range f.e.VerifyBatch(context.Background(), reqs) {
		if !r.Verified {
			t.Errorf("request %d: %+v", i, r)
		}
	}
	if f.secrets.calls != 1 {
		t.Errorf("resolved %d times, want once", f.secrets.calls)
	}
}
