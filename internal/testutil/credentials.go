package testutil

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd returns one line of an htpasswd file for user, with a bcrypt hash
// of password: the only hash the Distribution registry's htpasswd
// authentication accepts. The cost is bcrypt's minimum because the registry
// checks the password on every request; the format is the same at any cost.
func Htpasswd(t testing.TB, user, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	must(t, err)
	return user + ":" + string(h) + "\n"
}

// DockerConfig writes a docker config.json with basic-auth credentials for
// host into a new directory and returns the directory (what DOCKER_CONFIG and
// the plugin's registry.docker_config name).
func DockerConfig(t testing.TB, host, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	b, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600))
	return dir
}
