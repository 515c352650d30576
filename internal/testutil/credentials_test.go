package testutil

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHtpasswdChecksOnlyItsPassword(t *testing.T) {
	line := Htpasswd(t, "robot", "s3cret")
	user, hash, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
	if !ok || user != "robot" || !strings.HasPrefix(hash, "$2") {
		t.Fatalf("not an htpasswd bcrypt line: %q", line)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret")); err != nil {
		t.Errorf("the password does not match its own hash: %v", err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("wrong")); err == nil {
		t.Error("another password matched")
	}
}

func TestDockerConfigNamesTheHost(t *testing.T) {
	dir := DockerConfig(t, "127.0.0.1:5000", "robot", "s3cret")
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	got, _ := base64.StdEncoding.DecodeString(cfg.Auths["127.0.0.1:5000"].Auth)
	if len(cfg.Auths) != 1 || string(got) != "robot:s3cret" {
		t.Errorf("config.json = %s", b)
	}
}
