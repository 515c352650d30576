package registry

import (
	"os"
	"path/filepath"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// dockerConfigKeychain reads credentials from one docker config directory,
// including its credential helpers, with go-containerregistry's
// authn.DefaultKeychain semantics: credentials for the repository
// ("registry/path") first, then for the registry, Docker Hub under its
// historical key. DefaultKeychain itself cannot be pointed at a directory
// (it reads $HOME/.docker first and falls back to Podman's files), so this
// keychain follows it and TestKeychainMatchesGGCR checks that they agree.
// The file is read on each resolve (once per repository for a long-lived
// client) so that rotated credentials are picked up.
type dockerConfigKeychain struct{ dir string }

func newKeychain(dir string) authn.Keychain {
	if dir == "" {
		dir = os.Getenv("DOCKER_CONFIG")
	}
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".docker")
		}
	}
	return &dockerConfigKeychain{dir: dir}
}

func (k *dockerConfigKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	if k.dir == "" {
		return authn.Anonymous, nil
	}
	if _, err := os.Stat(filepath.Join(k.dir, config.ConfigFileName)); err != nil {
		return authn.Anonymous, nil
	}
	cf, err := config.Load(k.dir)
	if err != nil {
		return nil, err
	}
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		ac, err := cf.GetAuthConfig(key)
		if err != nil {
			return nil, err
		}
		ac.ServerAddress = "" // set by GetAuthConfig, not a credential
		if ac != (types.AuthConfig{}) {
			return authn.FromConfig(authn.AuthConfig{
				Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
				IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
			}), nil
		}
	}
	return authn.Anonymous, nil
}
