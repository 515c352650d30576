//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
)

// startRegistry starts the Distribution registry with in-memory storage on a
// free loopback port and returns host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	port := freePort(t)
	cfg := filepath.Join(t.TempDir(), "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage: {inmemory: {}, delete: {enabled: true}}\nhttp: {addr: 127.0.0.1:%d}\n", port)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, bin(t, "build/tools/bin/registry"), nil, "serve", cfg)
	host := fmt.Sprintf("127.0.0.1:%d", port)
	waitHTTP(t, "http://"+host+"/v2/")
	return host
}

// push writes a small random image to host/repo:tag and returns its digest ref.
func push(t *testing.T, host, repo, tag string) name.Digest {
	t.Helper()
	return testutil.PushImage(t, host, repo, tag)
}
