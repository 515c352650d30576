package engine

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"

	"github.com/opa-cosign/opa-cosign/internal/kube"
	"github.com/opa-cosign/opa-cosign/internal/reference"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/trust"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// Defaults of Config.
const (
	DefaultTimeout        = 8 * time.Second
	DefaultMaxConcurrency = 16
)

// DefaultMaxConcurrencyPerRegistry is three quarters of maxConcurrency (at
// least 1): one registry that stops answering leaves a quarter of the slots to
// the others, and an engine that talks to one registry loses little.
func DefaultMaxConcurrencyPerRegistry(maxConcurrency int) int {
	return max(1, maxConcurrency*3/4)
}

// Config configures an Engine.
type Config struct {
	Registry   registry.Config
	TrustRoots map[string]root.TrustedMaterial // besides the embedded public-good root
	Timeout    time.Duration                   // per built-in call; default 8s
	// MaxConcurrency bounds registry work at once (tag resolutions and
	// verifications); default 16.
	MaxConcurrency int
	// MaxConcurrencyPerRegistry bounds it per registry host; default
	// DefaultMaxConcurrencyPerRegistry(MaxConcurrency), at most MaxConcurrency.
	MaxConcurrencyPerRegistry int
	Cache                     CacheConfig
	Observer                  Observer // metrics; default none
	// PullSecrets reads the registry credentials of requests that carry a
	// Kubernetes context; nil: such contexts are ignored and every request
	// reads with the docker config.
	PullSecrets PullSecrets
}

// Engine verifies images for the built-ins.
type Engine struct {
	cfg      Config
	reg      *registry.Client
	verifier *verify.Verifier
	slots    *slots
	cache    *cache
	options  *parsedOptions
	flights  flights
	obs      Observer
	active   atomic.Int64 // calls running
	closed   atomic.Bool
}

// New builds an Engine; it makes no network request.
func New(cfg Config) (*Engine, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.MaxConcurrencyPerRegistry <= 0 {
		cfg.MaxConcurrencyPerRegistry = DefaultMaxConcurrencyPerRegistry(cfg.MaxConcurrency)
	}
	cfg.MaxConcurrencyPerRegistry = min(cfg.MaxConcurrencyPerRegistry, cfg.MaxConcurrency)
	cfg.Cache = cfg.Cache.withDefaults()
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	if cfg.Registry.BlobReads <= 0 {
		cfg.Registry.BlobReads = cfg.MaxConcurrency
	}
	reg, err := registry.New(cfg.Registry)
	if err != nil {
		return nil, err
	}
	reg.OnRequest(func(_ *http.Request, resp *http.Response, err error) {
		if err != nil || resp == nil {
			cfg.Observer.RegistryRequest("error")
			return
		}
		cfg.Observer.RegistryRequest(strconv.Itoa(resp.StatusCode))
	})
	roots, err := trust.NewRoots(cfg.TrustRoots)
	if err != nil {
		return nil, err
	}
	c, err := newCache(cfg.Cache, cfg.Observer)
	if err != nil {
		return nil, err
	}
	return &Engine{
		cfg: cfg, reg: reg, verifier: verify.New(reg, roots),
		slots: newSlots(cfg.MaxConcurrency, cfg.MaxConcurrencyPerRegistry),
		cache: c, options: newParsedOptions(), obs: cfg.Observer,
	}, nil
}

// Close releases what the engine holds once the calls running on it have
// finished: it starts nothing and keeps no goroutine, so the registry's idle
// connections are all there is. A call made after Close still works.
func (e *Engine) Close() {
	if !e.closed.Swap(true) && e.active.Load() == 0 {
		e.reg.CloseIdleConnections()
	}
}

// enter and leave bracket every call, so that a closed engine closes its
// connections when the last call on it ends.
func (e *Engine) enter() { e.active.Add(1) }

func (e *Engine) leave() {
	if e.active.Add(-1) == 0 && e.closed.Load() {
		e.reg.CloseIdleConnections()
	}
}

// Request is one verification.
type Request struct {
	Image   string
	Options *verify.Options
	Kind    verify.Kind
	// Kubernetes says where the kubelet would find the registry credentials
	// of the image (Config.PullSecrets); nil: the docker config's.
	Kubernetes *kube.PullContext
}

// CheckOptions reports misuse that depends on the engine's configuration.
func (e *Engine) CheckOptions(o *verify.Options) error { return e.verifier.CheckOptions(o) }

// Digest resolves ref to the digest that runs (through the tag cache), under
// the engine's deadline and slots.
func (e *Engine) Digest(ctx context.Context, ref reference.Reference) (string, error) {
	e.enter()
	defer e.leave()
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	b := newBatch(e, 1)
	img := b.image(ref, ref.Reference, nil)
	b.run(ctx)
	if img.failed != nil {
		return "", fmt.Errorf("%s: %s", img.failed.Errors[0].Code, img.failed.Errors[0].Message)
	}
	return img.target.Digest.String(), nil
}

// Verify runs one verification under the engine's deadline.
func (e *Engine) Verify(ctx context.Context, req Request) *verify.Result {
	return e.VerifyBatch(ctx, []Request{req})[0]
}
