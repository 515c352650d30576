//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// tlsRegistry is the Distribution registry as it runs in production: TLS with
// a certificate from a private CA, and htpasswd (bcrypt) authentication.
type tlsRegistry struct {
	host           string
	caFile         string // the CA's root certificate, PEM
	roots          *x509.CertPool
	user, password string
	dockerConfig   string // a docker config directory with the right credentials
}

func startTLSRegistry(t *testing.T) tlsRegistry {
	t.Helper()
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	certPEM, keyPEM := ca.IssueServing(t, "127.0.0.1")
	r := tlsRegistry{caFile: filepath.Join(dir, "ca.pem"), roots: x509.NewCertPool(), user: "robot", password: "pull-s3cret"}
	r.roots.AddCert(ca.Root)
	port := freePort(t)
	r.host = fmt.Sprintf("127.0.0.1:%d", port)
	conf := fmt.Sprintf(`version: 0.1
log: {level: warn}
storage: {inmemory: {}, delete: {enabled: true}}
auth:
  htpasswd: {realm: opa-cosign-e2e, path: %s}
http:
  addr: %s
  tls: {certificate: %s, key: %s}
`, filepath.Join(dir, "htpasswd"), r.host, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	for f, b := range map[string][]byte{
		"ca.pem": []byte(testutil.CertPEM(ca.Root)), "cert.pem": certPEM, "key.pem": keyPEM,
		"htpasswd": []byte(testutil.Htpasswd(t, r.user, r.password)), "config.yml": []byte(conf),
	} {
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start(t, bin(t, "build/tools/bin/registry"), nil, "serve", filepath.Join(dir, "config.yml"))
	waitOK(t, &http.Client{Transport: basicAuth{r.user, r.password, r.transport()}}, "https://"+r.host+"/v2/")
	r.dockerConfig = testutil.DockerConfig(t, r.host, r.user, r.password)
	return r
}

// transport trusts the registry's CA.
func (r tlsRegistry) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: r.roots, MinVersion: tls.VersionTLS12}
	return tr
}

// push writes a random image over TLS with the registry's credentials.
func (r tlsRegistry) push(t *testing.T, repo, tag string) name.Digest {
	t.Helper()
	ref, err := name.NewTag(r.host + "/" + repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	return testutil.PushImageWith(t, ref, remote.WithTransport(r.transport()),
		remote.WithAuth(&authn.Basic{Username: r.user, Password: r.password}))
}

// sign signs with the real CLI, which reads the credentials from the docker
// config. (The CLI's TLS settings are set-up only: what is tested is how
// opa-cosign reaches the registry.)
func (r tlsRegistry) sign(t *testing.T, version string, k keyPair, ref string) {
	t.Helper()
	sign(t, version, k, ref, []string{"DOCKER_CONFIG=" + r.dockerConfig})
}

type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(req)
}

// registryConfig is the plugin's registry section: CA file and docker config.
func registryConfig(caFile, dockerConfig string) string {
	s := testTimeout + "    registry:\n"
	if caFile != "" {
		s += fmt.Sprintf("      ca_file: %q\n", caFile)
	}
	return s + fmt.Sprintf("      docker_config: %q\n", dockerConfig)
}

// TestTLSRegistryWithCredentials is the production path: the registry serves
// TLS from a private CA (the plugin's ca_file) and requires htpasswd
// credentials (the plugin's docker_config). Both signature formats verify
// through the server, and image.digest resolves through the same client. Each
// negative twin fails for its own reason: another CA or none gives
// registry_error naming TLS, no or wrong credentials give unauthorized.
func TestTLSRegistryWithCredentials(t *testing.T) {
	reg := startTLSRegistry(t)
	k := newKeyPair(t)
	legacy := reg.push(t, "e2e/tls-legacy", "v1")
	reg.sign(t, v2, k, legacy.String())
	bundle := reg.push(t, "e2e/tls-bundle", "v1")
	reg.sign(t, v3, k, bundle.String())
	unsigned := reg.push(t, "e2e/tls-unsigned", "v1")
	legacyTag := legacy.Context().Name() + ":v1"
	opts := keyOpts(k, t, nil)

	t.Run("right CA and credentials", func(t *testing.T) {
		srv := startServerWith(t, registryConfig(reg.caFile, reg.dockerConfig))
		for _, c := range []struct{ ref, digest, format string }{
			{legacyTag, legacy.DigestStr(), "legacy"},
			{bundle.Context().Name() + ":v1", bundle.DigestStr(), "bundle"},
		} {
			got := srv.verify(t, c.ref, opts)
			if !got.Verified || got.Digest != c.digest || len(got.Signatures) == 0 || got.Signatures[0].Format != c.format {
				t.Errorf("%s: %+v, want verified %s signature of %s", c.ref, got, c.format, c.digest)
			}
		}
		if got := srv.verify(t, unsigned.String(), opts); got.Verified || got.code() != "no_signatures" {
			t.Errorf("unsigned: %+v, want no_signatures", got)
		}
		checkDigests(t, srv, []digestCase{
			{"by tag", legacyTag, legacy.DigestStr(), ""},
			{"by digest", legacy.String(), legacy.DigestStr(), ""},
			{"tag and digest: the digest wins", legacyTag + "@" + unsigned.DigestStr(), unsigned.DigestStr(), ""},
			{"missing tag", legacy.Context().Name() + ":absent", "", "not_found: "},
			{"invalid reference", "Not A Reference", "", "invalid"},
		})
	})

	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(otherCA, []byte(testutil.CertPEM(testutil.NewCA(t).Root)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, registry, code, says string
	}{
		{"another CA", registryConfig(otherCA, reg.dockerConfig), "registry_error", "tls: failed to verify certificate"},
		{"no ca_file", registryConfig("", reg.dockerConfig), "registry_error", "tls: failed to verify certificate"},
		{"no credentials", registryConfig(reg.caFile, t.TempDir()), "unauthorized", "UNAUTHORIZED: authentication required"},
		{"wrong credentials", registryConfig(reg.caFile, testutil.DockerConfig(t, reg.host, reg.user, "wrong")), "unauthorized", "UNAUTHORIZED: authentication required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServerWith(t, c.registry)
			for _, ref := range []string{legacy.String(), legacyTag} {
				got := srv.verify(t, ref, opts)
				if got.Verified || got.code() != c.code || !strings.Contains(got.Errors[0].Message, c.says) {
					t.Errorf("%s: %+v, want %s saying %q", ref, got, c.code, c.says)
				}
			}
			checkDigests(t, srv, []digestCase{
				{"by tag: the code", legacyTag, "", c.code + ": "},
				{"by tag: the reason", legacyTag, "", c.says},
				{"by digest: no request", legacy.String(), legacy.DigestStr(), ""},
			})
		})
	}
}
