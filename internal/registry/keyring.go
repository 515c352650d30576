package registry

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Keyring holds registry credentials from docker configs — the pull secrets
// of a Kubernetes workload — and matches them to repositories the way the
// kubelet does (k8s.io/kubernetes pkg/credentialprovider): an entry's host
// may hold globs per dot-separated part ("*.corp.example"), its port must be
// equal, its path must be a prefix of the repository's path; the entries are
// tried in reverse lexical order of their keys, so "host/team" before
// "host"; and a Docker Hub image falls back to the "index.docker.io" entry.
// Where the kubelet tries every matching credential in turn until the
// registry accepts one, a Keyring uses the first: one verification, one set
// of credentials (docs/deployment.md).
//
// A Keyring never prints its credentials: its errors name entries, not
// values, and ID and Fingerprint are keyed hashes.
type Keyring struct {
	keys  []string                      // reverse-sorted, distinct
	creds map[string][]authn.AuthConfig // per key, in the order the configs gave them
	id    string
}

// DockerConfig is the credentials of one docker config: registry key (as
// written, e.g. "https://index.docker.io/v1/" or "registry.example/team")
// to credentials.
type DockerConfig map[string]authn.AuthConfig

// fingerprintKey keys the hashes that identify credentials in memory (cache
// keys, puller selection): random per process, so that a hash that ever
// leaked could not be checked against guessed passwords.
var fingerprintKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("registry: no randomness for the credential fingerprint key: " + err.Error())
	}
	return k
}()

// ParseDockerConfigJSON reads the content of a kubernetes.io/dockerconfigjson
// secret ({"auths": {...}}); legacy reads a kubernetes.io/dockercfg one (the
// entries at the top level). Like the kubelet, an entry's "auth" (base64 of
// user:password) takes precedence over its username and password. Errors
// never quote the content.
func ParseDockerConfigJSON(b []byte, legacy bool) (DockerConfig, error) {
	var entries map[string]json.RawMessage
	if legacy {
		if err := json.Unmarshal(b, &entries); err != nil {
			return nil, errors.New("not a JSON object of registries")
		}
	} else {
		var doc struct {
			Auths map[string]json.RawMessage `json:"auths"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, errors.New(`not a JSON object with "auths"`)
		}
		entries = doc.Auths
	}
	out := DockerConfig{}
	for key, raw := range entries {
		var e struct {
			Username string `json:"username"`
			Password string `json:"password"`
			Auth     string `json:"auth"`
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("entry %q: not an object of strings", key)
		}
		if e.Auth != "" {
			decoded, err := base64.StdEncoding.DecodeString(e.Auth)
			if err != nil {
				return nil, fmt.Errorf("entry %q: auth is not base64", key)
			}
			user, password, ok := strings.Cut(string(decoded), ":")
			if !ok {
				return nil, fmt.Errorf("entry %q: auth is not base64 of username:password", key)
			}
			e.Username, e.Password = user, password
		}
		out[key] = authn.AuthConfig{Username: e.Username, Password: e.Password}
	}
	return out, nil
}

// NewKeyring joins configs, earlier ones first for the same key. Entries
// whose key is not a URL are left out, as the kubelet leaves them out.
func NewKeyring(configs ...DockerConfig) *Keyring {
	k := &Keyring{creds: map[string][]authn.AuthConfig{}}
	mac := hmac.New(sha256.New, fingerprintKey)
	for _, cfg := range configs {
		locs := make([]string, 0, len(cfg))
		for loc := range cfg {
			locs = append(locs, loc)
		}
		sort.Strings(locs)
		for _, loc := range locs {
			key, ok := keyringKey(loc)
			if !ok {
				continue
			}
			if _, seen := k.creds[key]; !seen {
				k.keys = append(k.keys, key)
			}
			k.creds[key] = append(k.creds[key], cfg[loc])
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(k.keys)))
	for _, key := range k.keys {
		for _, c := range k.creds[key] {
			writeFields(mac, key, c.Username, c.Password)
		}
	}
	k.id = hex.EncodeToString(mac.Sum(nil))
	return k
}

// keyringKey is the kubelet's key of a docker config entry: host and path,
// without scheme, without a leading /v1/ or /v2/, and without a path of "/".
func keyringKey(loc string) (string, bool) {
	value := loc
	if !strings.HasPrefix(value, "https://") && !strings.HasPrefix(value, "http://") {
		value = "https://" + value
	}
	u, err := url.Parse(value)
	if err != nil {
		return "", false
	}
	p := u.Path
	if strings.HasPrefix(p, "/v2/") || strings.HasPrefix(p, "/v1/") {
		p = p[3:]
	}
	if p == "" || p == "/" {
		return u.Host, true
	}
	return u.Host + p, true
}

// ID identifies the whole keyring by its content: equal IDs hold equal
// credentials.
func (k *Keyring) ID() string { return k.id }

// Empty reports whether the keyring holds no credentials.
func (k *Keyring) Empty() bool { return len(k.keys) == 0 }

// Lookup returns the credentials for repo ("host[:port]/path", Docker Hub as
// docker.io or index.docker.io), and whether any entry matched.
func (k *Keyring) Lookup(repo string) (authn.AuthConfig, bool) {
	repo = normaliseHub(repo)
	for _, key := range k.keys {
		if urlsMatch(key, repo) {
			return k.creds[key][0], true
		}
	}
	if isDockerHub(repo) {
		if c, ok := k.creds["index.docker.io"]; ok {
			return c[0], true
		}
	}
	return authn.AuthConfig{}, false
}

// Fingerprint identifies the credentials Lookup gives for repo: "" when no
// entry matches (the fallback credentials are used), else a keyed hash.
// Requests with equal fingerprints for a repository read it as the same
// user, so they may share what was read.
func (k *Keyring) Fingerprint(repo string) string {
	if k == nil {
		return ""
	}
	c, ok := k.Lookup(repo)
	if !ok {
		return ""
	}
	mac := hmac.New(sha256.New, fingerprintKey)
	writeFields(mac, c.Username, c.Password)
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

// writeFields writes each field with its length, so that no two lists of
// fields write the same bytes.
func writeFields(w interface{ Write([]byte) (int, error) }, fields ...string) {
	for _, f := range fields {
		fmt.Fprintf(w, "%d:%s", len(f), f)
	}
}

// Keychain resolves from the keyring, then from fallback for repositories
// no entry matches (the plugin's docker config).
func (k *Keyring) Keychain(fallback authn.Keychain) authn.Keychain {
	return keyringKeychain{k: k, fallback: fallback}
}

type keyringKeychain struct {
	k        *Keyring
	fallback authn.Keychain
}

func (kc keyringKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	if c, ok := kc.k.Lookup(target.String()); ok {
		return authn.FromConfig(c), nil
	}
	return kc.fallback.Resolve(target)
}

func normaliseHub(repo string) string {
	if rest, ok := strings.CutPrefix(repo, "index.docker.io/"); ok {
		return "docker.io/" + rest
	}
	return repo
}

// isDockerHub: the kubelet's test of an image for Docker Hub's credentials.
func isDockerHub(repo string) bool {
	host, _, hasPath := strings.Cut(repo, "/")
	if host == "" {
		return false
	}
	if !hasPath || host == "docker.io" || host == "index.docker.io" {
		return true
	}
	return !strings.ContainsAny(host, ".:")
}

// urlsMatch is the kubelet's URLsMatchStr: glob host parts, equal ports, and
// the key's path a prefix of the repository's path. The prefix is a string
// prefix, as the kubelet has it: "host/team" also matches "host/teammate/app".
func urlsMatch(glob, target string) bool {
	g, err := url.Parse("https://" + glob)
	if err != nil {
		return false
	}
	t, err := url.Parse("https://" + target)
	if err != nil {
		return false
	}
	gParts, gPort := splitHost(g.Host)
	tParts, tPort := splitHost(t.Host)
	if gPort != tPort || len(gParts) != len(tParts) || !strings.HasPrefix(t.Path, g.Path) {
		return false
	}
	for i := range gParts {
		if ok, err := filepath.Match(gParts[i], tParts[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

func splitHost(hostport string) ([]string, string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	return strings.Split(host, "."), port
}
