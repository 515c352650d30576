package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// env is what every measurement shares: a real registry, a delaying counting
// proxy in front of it, a key pair, and signed images.
type env struct {
	root, work string
	registry   string // host:port of the Distribution registry
	proxy      string // host:port of the delaying proxy to it
	requests   atomic.Int64
	pings      atomic.Int64 // of the requests, GET /v2/
	delay      atomic.Int64 // nanoseconds added to each proxied request
	key, pub   string
	images     []name.Digest // signed, by digest, each in its own repository
	extra      []name.Digest // signed, in images[0]'s repository, tags v2 and v3
	procs      []*exec.Cmd
}

func (e *env) bin(rel string) string { return filepath.Join(e.root, rel) }

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer l.Close()
	return l.Addr().String()
}

func (e *env) start(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	must(cmd.Start())
	e.procs = append(e.procs, cmd)
	return cmd
}

func (e *env) stop() {
	for _, p := range e.procs {
		_ = p.Process.Kill()
		_ = p.Wait()
	}
}

func waitHTTP(u string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	panic(u + " did not come up")
}

func (e *env) run(env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = e.work
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *env) setup(n int) {
	e.registry = freeAddr()
	conf := filepath.Join(e.work, "registry.yml")
	must(os.WriteFile(conf, []byte(fmt.Sprintf("version: 0.1\nlog: {level: error}\nstorage: {inmemory: {}}\nhttp: {addr: %s}\n", e.registry)), 0o600))
	e.start(e.bin("build/tools/bin/registry"), "serve", conf)
	waitHTTP("http://" + e.registry + "/v2/")

	target, _ := url.Parse("http://" + e.registry)
	rp := httputil.NewSingleHostReverseProxy(target)
	e.proxy = freeAddr()
	l, err := net.Listen("tcp", e.proxy)
	must(err)
	go func() {
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e.requests.Add(1)
			if r.URL.Path == "/v2/" {
				e.pings.Add(1)
			}
			time.Sleep(time.Duration(e.delay.Load()))
			rp.ServeHTTP(w, r)
		}))
	}()

	if out, err := e.run([]string{"COSIGN_PASSWORD="}, e.bin("build/tools/bin/cosign-v2"), "generate-key-pair"); err != nil {
		panic(out)
	}
	e.key, e.pub = filepath.Join(e.work, "cosign.key"), filepath.Join(e.work, "cosign.pub")
	for i := range n + 2 {
		repo, tag := fmt.Sprintf("bench/app%02d", i), "v1"
		if i >= n {
			repo, tag = "bench/app00", fmt.Sprintf("v%d", i-n+2)
		}
		img, err := random.Image(1024, 1)
		must(err)
		ref, err := name.NewTag(fmt.Sprintf("%s/%s:%s", e.registry, repo, tag), name.Insecure)
		must(err)
		must(remote.Write(ref, img))
		d, err := img.Digest()
		must(err)
		digest := ref.Context().Digest(d.String())
		if out, err := e.run([]string{"COSIGN_PASSWORD="}, e.bin("build/tools/bin/cosign-v2"), "sign", "--key", e.key,
			"--tlog-upload=false", "--allow-insecure-registry", "-y", digest.String()); err != nil {
			panic(out)
		}
		if i < n {
			e.images = append(e.images, digest)
		} else {
			e.extra = append(e.extra, digest)
		}
	}
}

// via rewrites an image to go through the proxy (same content, other host).
func (e *env) via(d name.Digest, host string) string {
	return fmt.Sprintf("%s/%s@%s", host, d.Context().RepositoryStr(), d.DigestStr())
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
