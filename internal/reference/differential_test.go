package reference

import (
	"strings"
	"testing"

	distref "github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

const (
	hex64  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sha256 = "sha256:" + hex64
)

// corpus holds every docs/security.md #16 and #22 form and the edges of the grammar.
// It also seeds FuzzParse.
var corpus = []string{
	// docs/security.md #16: Docker Hub and its aliases; a look-alike host.
	"nginx", "library/nginx", "docker.io/nginx", "index.docker.io/library/nginx", "registry-1.docker.io/library/nginx",
	"docker.io.evil.com/nginx", "docker.io/library/nginx:latest", "DOCKER.IO/nginx", "INDEX.DOCKER.IO/nginx:1.25",
	"registry-1.docker.io/nginx", "index.docker.io/nginx", "docker.io/library/library/nginx", "ubuntu/nginx:1.0",
	// docs/security.md #22: image IDs, and names that only look like them.
	sha256, hex64, hex64[:12], hex64[:40], hex64[:63], hex64[:11], hex64 + "0", "docker.io/library/" + hex64[:12],
	"library/" + hex64[:12], hex64[:12] + ":v1", "sha256:" + hex64[:12], "SHA256:" + hex64, strings.ToUpper(hex64[:12]),
	// Tags, digests, both (docs/security.md #17).
	"ghcr.io/acme/app:v1", "ghcr.io/acme/app@" + sha256, "ghcr.io/acme/app:v1@" + sha256, "nginx@" + sha256,
	"nginx:1.25@" + sha256, "ghcr.io/acme/app@sha512:" + strings.Repeat("ab", 64), "ghcr.io/acme/app@md5:00",
	"nginx@sha256:abc", "nginx:", "nginx:bad tag", "nginx:" + strings.Repeat("t", 128), "nginx:" + strings.Repeat("t", 129),
	"nginx:-bad", "nginx:_ok", "nginx:.bad",
	// Hosts: ports, localhost, IPs, case.
	"localhost/app", "localhost:5000/app:v1", "127.0.0.1:5000/a/b/c:tag-1.0", "[::1]:5000/app", "GHCR.io/acme/app",
	"ghcr.io:443/acme/app", "example.com:notaport/app", "my_host.example/app", "-bad.example/app", "UPPER/app",
	"localhost", "example.com", "ghcr.io/Acme/app",
	// Path components.
	"a__b/c", "a--b/c", "a.b/c", "a_b/c", "a...b/c", "a___b/c", "x/a__b", "x/a___b", "x/a..b", "x/-a", "x/a-", "ghcr.io//app",
	"ghcr.io/app/", "/app", "app/", ":tag", "@" + sha256, "", " nginx", "nginx ", "ng inx", "nginx\n",
	"a/" + strings.Repeat("b", 250), "ghcr.io/" + strings.Repeat("a/", 100) + "b",
}

// TestParseAgainstDistribution (issue 11 #5): over the corpus, Parse accepts
// only what github.com/distribution/reference (what the kubelet parses with)
// accepts, names what it names — up to our documented differences: hosts
// lower-cased, registry-1.docker.io folded into docker.io, image IDs refused,
// only what go-containerregistry can address — and go-containerregistry
// addresses the same repository.
func TestParseAgainstDistribution(t *testing.T) {
	t.Parallel()
	for _, in := range corpus {
		r, err := Parse(in)
		d, derr := distref.ParseNormalizedNamed(in)
		switch {
		case err != nil && derr != nil:
			continue
		case err == nil && derr != nil:
			t.Errorf("%q: we accept %s, distribution refuses: %v", in, r.Reference, derr)
			continue
		case err != nil:
			if !IsImageID(in) && ggcrAccepts(in) {
				t.Errorf("%q: we refuse (%v), distribution accepts %s, and it is no image ID", in, err, d)
			}
			continue
		}
		host, path := strings.ToLower(distref.Domain(d)), distref.Path(d)
		if host == "registry-1.docker.io" || host == "index.docker.io" || host == DockerHub { // DOCKER.IO: distribution is case-sensitive
			host = DockerHub
			if !strings.Contains(path, "/") {
				path = "library/" + path
			}
		}
		if r.Name != host+"/"+path {
			t.Errorf("%q: name %s, distribution %s", in, r.Name, d.Name())
		}
		tag, digest := "", ""
		if tg, ok := d.(distref.Tagged); ok {
			tag = tg.Tag()
		}
		if dg, ok := d.(distref.Digested); ok {
			digest = dg.Digest().String()
		}
		if tag == "" && digest == "" {
			tag = "latest"
		}
		if r.Tag != tag || r.Digest != digest {
			t.Errorf("%q: tag %q digest %q, distribution %q %q", in, r.Tag, r.Digest, tag, digest)
		}
		// go-containerregistry, which fetches, names the same repository
		// (Docker Hub as index.docker.io).
		g, err := name.ParseReference(r.Reference, name.StrictValidation)
		if err != nil {
			t.Errorf("%q: go-containerregistry refuses our %s: %v", in, r.Reference, err)
			continue
		}
		if want := strings.Replace(r.Name, "docker.io/", "index.docker.io/", 1); r.Registry == DockerHub && g.Context().Name() != want || r.Registry != DockerHub && g.Context().Name() != r.Name {
			t.Errorf("%q: go-containerregistry addresses %s, we %s", in, g.Context().Name(), r.Name)
		}
		// Normalising is idempotent.
		if again, err := Parse(r.Reference); err != nil || again.Reference != r.Reference {
			t.Errorf("%q: Parse(%s) = %s, %v", in, r.Reference, again.Reference, err)
		}
	}
}

// ggcrAccepts reports whether go-containerregistry can address the
// reference distribution parsed (else refusing it is ours to do).
func ggcrAccepts(in string) bool {
	d, err := distref.ParseNormalizedNamed(in)
	if err != nil {
		return false
	}
	s := strings.ToLower(distref.Domain(d)) + "/" + distref.Path(d)
	if tg, ok := d.(distref.Tagged); ok {
		s += ":" + tg.Tag()
	}
	if dg, ok := d.(distref.Digested); ok {
		s += "@" + dg.Digest().String()
	}
	_, err = name.ParseReference(s, name.StrictValidation)
	return err == nil
}
