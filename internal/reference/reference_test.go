package reference

import (
	"strings"
	"testing"

	distref "github.com/distribution/reference"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const d = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	cases := []struct {
		in                             string
		registry, repo, tag, dig, full string
	}{
		// docs/security.md #16: the first five are one image.
		{"nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
		{"library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
		{"docker.io/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
		{"index.docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
		{"registry-1.docker.io/library/nginx", "docker.io", "library/nginx", "latest", "", "docker.io/library/nginx:latest"},
		{"docker.io.evil.com/nginx", "docker.io.evil.com", "nginx", "latest", "", "docker.io.evil.com/nginx:latest"},
		{"DOCKER.IO/nginx:1.25", "docker.io", "library/nginx", "1.25", "", "docker.io/library/nginx:1.25"},
		{"ubuntu/nginx", "docker.io", "ubuntu/nginx", "latest", "", "docker.io/ubuntu/nginx:latest"},
		{"localhost:5000/app", "localhost:5000", "app", "latest", "", "localhost:5000/app:latest"},
		{"localhost/app:v1", "localhost", "app", "v1", "", "localhost/app:v1"},
		{"GHCR.io/acme/app:v1", "ghcr.io", "acme/app", "v1", "", "ghcr.io/acme/app:v1"},
		{"ghcr.io/acme/app@" + d, "ghcr.io", "acme/app", "", d, "ghcr.io/acme/app@" + d},
		// docs/security.md #17: both kept; the digest is what runs.
		{"ghcr.io/acme/app:v1@" + d, "ghcr.io", "acme/app", "v1", d, "ghcr.io/acme/app:v1@" + d},
		{"127.0.0.1:5000/a/b/c:tag-1.0", "127.0.0.1:5000", "a/b/c", "tag-1.0", "", "127.0.0.1:5000/a/b/c:tag-1.0"},
	}
	for _, c := range cases {
		r, err := Parse(c.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.in, err)
		}
		if r.Registry != c.registry || r.Repository != c.repo || r.Tag != c.tag || r.Digest != c.dig || r.Reference != c.full || r.Name != c.registry+"/"+c.repo {
			t.Errorf("Parse(%q) = %+v, want %s %s %s %s %s", c.in, r, c.registry, c.repo, c.tag, c.dig, c.full)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", " nginx", "nginx ", "ghcr.io/Acme/app", "nginx@sha256:abc", "nginx:bad tag", "ghcr.io/acme/app@md5:00", "ghcr.io//app", "nginx:"} {
		if r, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, r)
		}
	}
}

// docs/security.md #22: runtime image IDs are not references. containerd resolves them
// to an image already on the node; reading them as Docker Hub names would
// verify docker.io/library/<hex> instead.
func TestParseRejectsImageIDs(t *testing.T) {
	t.Parallel()
	const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		in              string
		distributionErr bool // github.com/distribution/reference rejects it too
	}{
		{"sha256:" + hex64, false}, // distribution reads docker.io/library/sha256:<hex>
		{hex64, true},              // "cannot specify 64-byte hexadecimal strings"
		{hex64[:12], false},        // the short ID `docker images` prints
		{hex64[:40], false},
		{hex64[:63], false},
	} {
		r, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want an error", c.in, r.Reference)
			continue
		}
		if !strings.Contains(err.Error(), "image ID") {
			t.Errorf("Parse(%q): error %q does not say it is an image ID", c.in, err)
		}
		// Where distribution/reference rejects, it agrees; where it accepts, we
		// are stricter on purpose, and this pins the difference.
		if _, derr := distref.ParseNormalizedNamed(c.in); (derr != nil) != c.distributionErr {
			t.Errorf("distribution/reference on %q: error %v, expected an error: %v", c.in, derr, c.distributionErr)
		}
	}
	// Not image IDs: an explicit name, a tag, another length, upper case.
	for in, want := range map[string]string{
		"docker.io/library/" + hex64[:12]: "docker.io/library/" + hex64[:12] + ":latest",
		"library/" + hex64[:12]:           "docker.io/library/" + hex64[:12] + ":latest",
		hex64[:12] + ":v1":                "docker.io/library/" + hex64[:12] + ":v1",
		hex64[:11]:                        "docker.io/library/" + hex64[:11] + ":latest",
		"ghcr.io/acme/" + hex64:           "ghcr.io/acme/" + hex64 + ":latest",
	} {
		r, err := Parse(in)
		if err != nil || r.Reference != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, r.Reference, err, want)
		}
	}
}
