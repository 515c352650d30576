package registry

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

func user(u string) authn.AuthConfig { return authn.AuthConfig{Username: u, Password: u + "-pw"} }

// TestKeyringMatchesLikeTheKubelet: the kubelet's rules (pkg/credentialprovider) — glob host parts of equal
// count, equal ports, the key's path a string prefix of the image's, keys tried in reverse lexical order, Docker
// Hub images falling back to the index.docker.io entry — and earlier configs first for one key.
func TestKeyringMatchesLikeTheKubelet(t *testing.T) {
	t.Parallel()
	k := NewKeyring(
		DockerConfig{
			"https://index.docker.io/v1/":     user("hub"),
			"registry.corp.example:5000":      user("corp"),
			"registry.corp.example:5000/team": user("team"),
			"*.gcr.io":                        user("gcr"),
			"http://plain.example/v2/":        user("plain"),
			"quay.io/acme/app":                user("quay-app"),
			"docker.io/acme":                  user("hub-acme"),
		},
		DockerConfig{"registry.corp.example:5000": user("corp-from-the-second-secret")},
	)
	for _, c := range []struct {
		repo, want string
	}{
		{"registry.corp.example:5000/team/app", "team"},
		{"registry.corp.example:5000/teammate/app", "team"}, // a string prefix, as the kubelet has it
		{"registry.corp.example:5000/other/app", "corp"},
		{"registry.corp.example/other/app", ""}, // the port must be equal
		{"registry.corp.example:5001/team/app", ""},
		{"eu.gcr.io/acme/app", "gcr"},
		{"gcr.io/acme/app", ""},        // "*" is one host part: gcr.io has two
		{"a.b.gcr.io/acme/app", ""},    // and a.b.gcr.io four
		{"plain.example/app", "plain"}, // scheme and /v2/ dropped from the key
		{"quay.io/acme/app", "quay-app"},
		{"quay.io/acme/other", ""},
		{"docker.io/acme/app", "hub-acme"},
		{"index.docker.io/acme/app", "hub-acme"}, // go-containerregistry's spelling of Docker Hub
		{"docker.io/library/nginx", "hub"},       // no entry matches: Docker Hub's own
		{"index.docker.io/library/nginx", "hub"},
		{"ghcr.io/acme/app", ""},
	} {
		got, ok := k.Lookup(c.repo)
		if ok != (c.want != "") || got.Username != c.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", c.repo, got.Username, ok, c.want)
		}
	}
	// One key in two configs: the first config's credentials first. Two spellings of one key in one config
	// (an order the kubelet leaves to map iteration) are taken in lexical order of the spelling.
	if got, _ := k.Lookup("registry.corp.example:5000/x"); got.Username != "corp" {
		t.Errorf("the first config's entry should come first, got %q", got.Username)
	}
	spellings := NewKeyring(DockerConfig{"registry.corp.example:5000": user("bare"), "https://registry.corp.example:5000": user("https")})
	for range 10 {
		if got, _ := spellings.Lookup("registry.corp.example:5000/x"); got.Username != "https" {
			t.Fatalf("two spellings: %q, want the lexically first", got.Username)
		}
	}
}

func TestKeyringFingerprintAndID(t *testing.T) {
	t.Parallel()
	a := NewKeyring(DockerConfig{"registry.example": user("a")})
	a2 := NewKeyring(DockerConfig{"https://registry.example": user("a")})
	b := NewKeyring(DockerConfig{"registry.example": {Username: "a", Password: "rotated"}})
	if a.ID() != a2.ID() || a.ID() == b.ID() {
		t.Errorf("IDs must follow the content: %s %s %s", a.ID(), a2.ID(), b.ID())
	}
	fa, fb := a.Fingerprint("registry.example/app"), b.Fingerprint("registry.example/app")
	if fa == "" || fa == fb || fa != a2.Fingerprint("registry.example/other") {
		t.Errorf("fingerprints: %q %q", fa, fb)
	}
	if f := a.Fingerprint("ghcr.io/app"); f != "" {
		t.Errorf("no entry for ghcr.io: fingerprint %q, want empty (the fallback's)", f)
	}
	var none *Keyring
	if none.Fingerprint("registry.example/app") != "" {
		t.Error("a nil keyring has the fallback's fingerprint")
	}
	for _, s := range []string{fa, a.ID()} {
		if strings.Contains(s, "a-pw") {
			t.Errorf("%q shows the password", s)
		}
	}
}

func TestParseDockerConfigJSON(t *testing.T) {
	t.Parallel()
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	good := `{"auths": {"r.example": {"auth": "` + b64("robot:s3cret:with-colon") + `", "username": "ignored"}, "q.example": {"username": "u", "password": "p"}}}`
	cfg, err := ParseDockerConfigJSON([]byte(good), false)
	if err != nil {
		t.Fatal(err)
	}
	if cfg["r.example"] != (authn.AuthConfig{Username: "robot", Password: "s3cret:with-colon"}) || cfg["q.example"] != (authn.AuthConfig{Username: "u", Password: "p"}) {
		t.Errorf("parsed %+v", cfg)
	}
	legacy, err := ParseDockerConfigJSON([]byte(`{"r.example": {"auth": "`+b64("a:b")+`"}}`), true)
	if err != nil || legacy["r.example"].Username != "a" {
		t.Errorf("dockercfg: %+v, %v", legacy, err)
	}
	for _, c := range []struct{ doc, want string }{
		{`not json s3cret`, `not a JSON object with "auths"`},
		{`{"auths": {"r.example": "s3cret"}}`, `entry "r.example": not an object of strings`},
		{`{"auths": {"r.example": {"auth": "%%s3cret"}}}`, `entry "r.example": auth is not base64`},
		{`{"auths": {"r.example": {"auth": "` + b64("nocolons3cret") + `"}}}`, `auth is not base64 of username:password`},
	} {
		_, err := ParseDockerConfigJSON([]byte(c.doc), false)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %v, want %q and no secret", c.doc, err, c.want)
		}
	}
}

// TestKeyringCredentialsAreNotShared (issue 15): one client serves requests with and without a keyring. The
// request with the right keyring reads a private image; the same image without a keyring, or with a wrong
// one, is refused — the authenticated connection of the first is never reused for the others.
func TestKeyringCredentialsAreNotShared(t *testing.T) {
	t.Parallel()
	reg := testutil.NewAuthRegistry(t, "robot", "right")
	tag, err := name.NewTag(reg.Host+"/private/app:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	want := testutil.PushImageWith(t, tag, remoteAuth("robot", "right"))
	c, err := New(Config{Insecure: []string{reg.Host}, DockerConfig: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := reference.Parse(reg.Host + "/private/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	right := NewKeyring(DockerConfig{reg.Host: {Username: "robot", Password: "right"}})
	wrong := NewKeyring(DockerConfig{reg.Host: {Username: "robot", Password: "wrong"}})
	other := NewKeyring(DockerConfig{"other.example": {Username: "robot", Password: "right"}})
	ctx := context.Background()
	for round := range 2 {
		got, err := c.Digest(WithKeyring(ctx, right), ref)
		if err != nil || got.String() != want.DigestStr() {
			t.Fatalf("round %d, right credentials: %v, %v", round, got, err)
		}
		for name, k := range map[string]*Keyring{"none": nil, "wrong": wrong, "for another registry": other} {
			if _, err := c.Digest(WithKeyring(ctx, k), ref); !IsUnauthorized(err) {
				t.Errorf("round %d, %s: %v, want unauthorized", round, name, err)
			}
		}
	}
}

func remoteAuth(u, p string) remote.Option {
	return remote.WithAuth(&authn.Basic{Username: u, Password: p})
}
