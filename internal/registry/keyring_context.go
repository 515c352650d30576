package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	lru "github.com/hashicorp/golang-lru/v2"
)

type keyringCtxKey struct{}

// WithKeyring returns a context whose registry requests authenticate with k
// (falling back to the client's docker config for repositories k has no
// entry for). A nil or empty k changes nothing.
func WithKeyring(ctx context.Context, k *Keyring) context.Context {
	if k == nil || k.Empty() {
		return ctx
	}
	return context.WithValue(ctx, keyringCtxKey{}, k)
}

// KeyringFrom returns the keyring of ctx, or nil.
func KeyringFrom(ctx context.Context) *Keyring {
	k, _ := ctx.Value(keyringCtxKey{}).(*Keyring)
	return k
}

// maxKeyringPullers bounds the pullers kept for keyrings: one per distinct
// set of pull secrets recently used. An evicted one is rebuilt on next use,
// at the cost of one authentication per repository.
const maxKeyringPullers = 256

// keyringPullers keeps one puller per keyring. A puller keeps each
// repository's authenticated transport for its life, so a puller must never
// serve two keyrings: the second would read with the first one's
// credentials.
type keyringPullers struct {
	lru *lru.Cache[string, keyringPuller]
}

type keyringPuller struct {
	opts   []remote.Option
	puller *remote.Puller
}

func newKeyringPullers() *keyringPullers {
	c, _ := lru.New[string, keyringPuller](maxKeyringPullers) // cannot fail: the size is positive
	return &keyringPullers{lru: c}
}

// forContext returns the options and puller for ctx's keyring, or the
// client's own when ctx has none. go-containerregistry refuses only misused
// options, and New built a puller from the same ones, so the error is there
// for form's sake: the options alone still carry the right credentials.
func (c *Client) forContext(ctx context.Context) ([]remote.Option, *remote.Puller, error) {
	k := KeyringFrom(ctx)
	if k == nil {
		return c.base, c.pullers.get(), nil
	}
	if p, ok := c.keyrings.lru.Get(k.ID()); ok {
		return p.opts, p.puller, nil
	}
	// The last keychain option wins over the base's.
	opts := append(c.base[:len(c.base):len(c.base)], remote.WithAuthFromKeychain(k.Keychain(c.keychain)))
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return opts, nil, fmt.Errorf("creating registry puller: %w", err)
	}
	c.keyrings.lru.Add(k.ID(), keyringPuller{opts: opts, puller: p})
	return opts, p, nil
}
