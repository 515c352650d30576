package registry

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestDockerConfigKeychain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("robot:s3cret"))
	hub := base64.StdEncoding.EncodeToString([]byte("hubuser:hubpass"))
	cfg := `{"auths": {"registry.corp.example:5000": {"auth": "` + auth + `"}, "https://index.docker.io/v1/": {"auth": "` + hub + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := newKeychain(dir)
	for reg, want := range map[string]authn.AuthConfig{
		"registry.corp.example:5000": {Username: "robot", Password: "s3cret"},
		"index.docker.io":            {Username: "hubuser", Password: "hubpass"},
	} {
		r, err := name.NewRegistry(reg)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		if got.Username != want.Username || got.Password != want.Password {
			t.Errorf("%s: %+v, want %+v", reg, got, want)
		}
	}
	other, _ := name.NewRegistry("ghcr.io")
	if a, _ := kc.Resolve(other); a != authn.Anonymous {
		t.Errorf("a registry without credentials should be anonymous, got %v", a)
	}
	if a, _ := newKeychain(t.TempDir()).Resolve(other); a != authn.Anonymous {
		t.Errorf("no config.json should be anonymous, got %v", a)
	}
}
