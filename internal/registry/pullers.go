package registry

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// MaxPullerRepositories is how many repositories one puller serves before
// the client starts a fresh one.
const MaxPullerRepositories = 4096

// pullers holds the client's shared puller and replaces it once it has set
// up MaxPullerRepositories repositories: go-containerregistry keeps each
// repository's set-up (transport, token) for the puller's life, so a
// long-running server that sees ever new repositories would grow without
// bound (≈ 2.7 KiB per repository, BENCHMARKS.md section 9). The
// replacement costs each repository one new token exchange; connections
// live in the shared transport and are kept.
type pullers struct {
	opts    []remote.Option
	current atomic.Pointer[remote.Puller]
	mu      sync.Mutex
	seen    map[string]struct{}
}

func newPullers(opts []remote.Option) (*pullers, error) {
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	ps := &pullers{opts: opts, seen: map[string]struct{}{}}
	ps.current.Store(p)
	return ps, nil
}

func (ps *pullers) get() *remote.Puller { return ps.current.Load() }

// saw records a registry request's repository (host + path), and starts a
// fresh puller when the current one has served too many.
func (ps *pullers) saw(host, path string) {
	repo, ok := repositoryOf(path)
	if !ok {
		return
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	key := host + "/" + repo
	if _, ok := ps.seen[key]; ok {
		return
	}
	if len(ps.seen) >= MaxPullerRepositories {
		if p, err := remote.NewPuller(ps.opts...); err == nil {
			ps.current.Store(p)
			ps.seen = map[string]struct{}{}
		}
	}
	ps.seen[key] = struct{}{}
}

// repositoryOf is the repository of a registry API path:
// /v2/<repository>/{manifests,blobs,tags,referrers}/...
func repositoryOf(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return "", false
	}
	for _, kind := range []string{"/manifests/", "/blobs/", "/tags/", "/referrers/"} {
		if i := strings.LastIndex(rest, kind); i > 0 {
			return rest[:i], true
		}
	}
	return "", false
}
