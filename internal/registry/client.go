package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/opa-cosign/opa-cosign/internal/reference"
)

// Client reaches registries. It is safe for concurrent use and meant to live as
// long as its configuration: connections and bearer tokens are shared by every
// verification it serves.
type Client struct {
	guard    *guard
	insecure map[string]bool
	limits   Limits
	pullers  *pullers
	base     []remote.Option
	keychain authn.Keychain  // the docker config's
	keyrings *keyringPullers // for requests with their own credentials (WithKeyring)
}

// New builds a Client from cfg.
func New(cfg Config) (*Client, error) {
	limits := cfg.Limits.WithDefaults()
	g, err := newGuard(cfg, limits)
	if err != nil {
		return nil, err
	}
	c := &Client{guard: g, insecure: g.insecureHosts, limits: limits, keychain: newKeychain(cfg.DockerConfig), keyrings: newKeyringPullers()}
	c.base = []remote.Option{
		remote.WithTransport(g),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithUserAgent("opa-cosign"),
		// Retries belong to the caller's deadline, not to the library.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	}
	if cfg.BlobReads > 0 {
		// One limiter for the shared puller: every repository's blob reads.
		c.base = append(c.base, remote.WithJobs(cfg.BlobReads))
	}
	c.pullers, err = newPullers(c.base)
	if err != nil {
		return nil, fmt.Errorf("creating registry puller: %w", err)
	}
	g.onRepository = c.pullers.saw
	return c, nil
}

// CloseIdleConnections closes the connections no request is using; the
// client stays usable.
func (c *Client) CloseIdleConnections() { c.guard.closeIdleConnections() }

// Limits returns the limits in force.
func (c *Client) Limits() Limits { return c.limits }

// OnRequest registers an observer of every registry round trip (for metrics).
// It must be called before the client is used.
func (c *Client) OnRequest(f func(*http.Request, *http.Response, error)) { c.guard.onRequest = f }

// RemoteOptions are the go-containerregistry options for one operation under
// ctx, with ctx's keyring (WithKeyring) when it has one.
func (c *Client) RemoteOptions(ctx context.Context) []remote.Option {
	opts, p, err := c.forContext(ctx)
	opts = append(opts[:len(opts):len(opts)], remote.WithContext(ctx))
	if err == nil {
		opts = append(opts, remote.Reuse(p))
	}
	return opts
}

// Repo is r's repository as go-containerregistry addresses it, with plain HTTP
// allowed only for hosts marked insecure.
func (c *Client) Repo(r reference.Reference) (name.Repository, error) {
	var opts []name.Option
	if c.insecure[strings.ToLower(r.Registry)] || c.insecure[strings.ToLower(r.Repo().RegistryStr())] {
		opts = append(opts, name.Insecure)
	}
	return name.NewRepository(r.Repo().Name(), append(opts, name.StrictValidation)...)
}

// Digest resolves r to the digest that runs: the reference's own digest when it
// has one (no request), else the sha256 digest a HEAD of the tag names, else a
// GET whose body is hashed locally and checked against any digest the
// registry claims for it.
//
// The HEAD's digest is the registry's word, taken as is: whatever it names is
// the digest then verified, reported and pinned, so a registry that lies can
// choose which digest is checked but never have an unchecked one pass, and
// the runtime, pulling by that digest, checks the content against it (see
// docs/verification.md). A HEAD keeps Docker Hub's pull count unchanged (it
// counts manifest GETs only), and the manifest's bytes are never used.
func (c *Client) Digest(ctx context.Context, r reference.Reference) (v1.Hash, error) {
	if r.Digest != "" {
		return v1.NewHash(r.Digest)
	}
	repo, err := c.Repo(r)
	if err != nil {
		return v1.Hash{}, err
	}
	tag := repo.Tag(r.Tag)
	_, p, err := c.forContext(ctx)
	if err != nil {
		return v1.Hash{}, err
	}
	desc, err := p.Head(ctx, tag)
	if err == nil && desc.Digest.Algorithm == "sha256" {
		return desc.Digest, nil
	}
	if err != nil && (IsNotFound(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		return v1.Hash{}, err
	}
	got, err := p.Get(ctx, tag)
	if err != nil {
		return v1.Hash{}, err
	}
	return got.Digest, nil
}

// IsNotFound reports whether err is a registry 404.
func IsNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// IsUnauthorized reports whether err is a registry 401 or 403.
func IsUnauthorized(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden)
}
