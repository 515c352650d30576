//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is where build/ lives.
var repoRoot = func() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}()

// The suite decides which registries are reached over plain HTTP: a value
// left in the caller's shell (by the walkthrough, say) would add to every
// server's and command's list.
func init() { _ = os.Unsetenv("OPA_COSIGN_INSECURE_REGISTRIES") }

// bin returns a built binary's path, failing the test when `make e2e` did not
// build it (the suite never skips).
func bin(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run `make e2e` (it runs `make build tools`)", rel)
	}
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a long-lived process, stopped at cleanup; its output is printed
// when the test fails.
func start(t *testing.T, name string, env []string, args ...string) {
	t.Helper()
	startProc(t, name, env, args...)
}

// startProc is start, returning the process so that a test can stop it early.
func startProc(t *testing.T, name string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := startCapture(t, name, env, args...)
	return cmd
}

// startLogged is start, returning the process's output as it grows (a
// server's decision log, for one).
func startLogged(t *testing.T, name string, env []string, args ...string) *syncBuffer {
	t.Helper()
	_, out := startCapture(t, name, env, args...)
	return out
}

// syncBuffer is output written by a process and read by the test meanwhile.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startCapture(t *testing.T, name string, env []string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), tail(out.String(), 4000))
		}
	})
	return cmd, out
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitHTTP polls url until it answers 200, or fails after 60 s.
func waitHTTP(t *testing.T, url string) {
	t.Helper()
	waitOK(t, http.DefaultClient, url)
}

// waitOK is waitHTTP with a client of the caller's (TLS trust, for one).
func waitOK(t *testing.T, c *http.Client, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", url)
}

// run executes a command to completion within 2 minutes.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}
