package testutil

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry starts an in-process registry without the referrers API, so that
// bundles land in the tag-schema fallback as with the Distribution registry.
// It returns the host:port.
func Registry(t testing.TB) string {
	t.Helper()
	return strings.TrimPrefix(RegistryServer(t).URL, "http://")
}

// RegistryServer is Registry, returning the server (to close its client
// connections, for one).
func RegistryServer(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(discard())))
	t.Cleanup(srv.Close)
	return srv
}

// PushImage pushes a small random image to host/repo:tag and returns its
// digest reference.
func PushImage(t testing.TB, host, repo, tag string) name.Digest {
	t.Helper()
	ref, err := name.NewTag(host+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return PushImageWith(t, ref)
}

// PushImageWith pushes a small random image to ref with the given options
// (a TLS transport, credentials) and returns its digest reference.
func PushImageWith(t testing.TB, ref name.Tag, opts ...remote.Option) name.Digest {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return digestOf(t, ref.Context(), img)
}

func digestOf(t testing.TB, repo name.Repository, img v1.Image) name.Digest {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return repo.Digest(d.String())
}
