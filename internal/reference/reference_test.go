package reference

import "testing"

func TestParse(t *testing.T) {
	t.Parallel()
	const d = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	cases := []struct {
		in                             string
		registry, repo, tag, dig, full string
	}{
		// THREATS #16: the first five are one image.
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
		// THREATS #17: both kept; the digest is what runs.
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
