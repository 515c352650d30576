package registry

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// TestKeychainMatchesGGCR (issue 11 #5): for one docker config, our keychain
// and go-containerregistry's DefaultKeychain (pointed at it through HOME and
// DOCKER_CONFIG) give the same credentials for every target: repository-
// scoped entries before registry ones, Docker Hub under its historical key.
// Before, repository-scoped credentials were dropped for the registry's.
// Not parallel: it sets the environment DefaultKeychain reads.
func TestKeychainMatchesGGCR(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".docker")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	auth := func(u, p string) map[string]string {
		return map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(u + ":" + p))}
	}
	cfg := map[string]any{"auths": map[string]any{
		"registry.corp.example:5000/team/app": auth("team", "t"),
		"registry.corp.example:5000":          auth("robot", "r"),
		"https://index.docker.io/v1/":         auth("hub", "h"),
		"index.docker.io/acme/private":        auth("hub-acme", "a"),
		"quay.io/only/this":                   auth("quay-this", "q"),
	}}
	writeJSON(t, filepath.Join(dir, "config.json"), cfg)
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dir)

	ours := newKeychain(dir)
	var targets []authn.Resource
	for _, r := range []string{"registry.corp.example:5000/team/app", "registry.corp.example:5000/other/app", "acme/private",
		"index.docker.io/library/nginx", "quay.io/only/this", "quay.io/only/that", "ghcr.io/acme/app"} {
		repo, err := name.NewRepository(r)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, repo)
	}
	for _, r := range []string{"registry.corp.example:5000", "index.docker.io", "ghcr.io"} {
		reg, err := name.NewRegistry(r)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, reg)
	}
	wantUser := map[string]string{
		"registry.corp.example:5000/team/app": "team", "registry.corp.example:5000/other/app": "robot",
		"index.docker.io/acme/private": "hub-acme", "index.docker.io/library/nginx": "hub", "quay.io/only/this": "quay-this",
		"registry.corp.example:5000": "robot", "index.docker.io": "hub",
	}
	for _, target := range targets {
		got, want := authorization(t, ours, target), authorization(t, authn.DefaultKeychain, target)
		if got != want {
			t.Errorf("%s: ours %+v, go-containerregistry %+v", target, got, want)
		}
		if u := wantUser[target.String()]; u != "" && got.Username != u {
			t.Errorf("%s: user %q, want %q", target, got.Username, u)
		}
	}
}

func authorization(t *testing.T, kc authn.Keychain, target authn.Resource) authn.AuthConfig {
	t.Helper()
	a, err := kc.Resolve(target)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	return *c
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
