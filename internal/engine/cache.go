package engine

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// cache keeps verification results by (canonical repository, digest, kind,
// options fingerprint) — never by tag — and tag → digest resolutions. Passed
// results live for TTL, definitive failures for FailureTTL; transient failures
// (timeouts, registry errors) are never kept. The cache belongs to one engine,
// so a reload with other trust roots or settings starts empty.
type cache struct {
	passed, failed *expirable.LRU[string, *verify.Result]
	tags           *expirable.LRU[string, v1.Hash]
	obs            Observer
}

func newCache(c CacheConfig, obs Observer) *cache {
	evicted := func(string, *verify.Result) { obs.CacheEvicted() }
	return &cache{
		passed: expirable.NewLRU(c.MaxEntries, evicted, c.TTL),
		failed: expirable.NewLRU(c.MaxEntries, evicted, c.FailureTTL),
		tags:   expirable.NewLRU[string, v1.Hash](c.MaxEntries, nil, c.TagTTL),
		obs:    obs,
	}
}

func (c *cache) get(key string) (*verify.Result, bool) {
	if r, ok := c.passed.Get(key); ok {
		c.obs.Cache(true)
		return r, true
	}
	if r, ok := c.failed.Get(key); ok {
		c.obs.Cache(true)
		return r, true
	}
	c.obs.Cache(false)
	return nil, false
}

func (c *cache) put(key string, r *verify.Result) {
	switch {
	case r.Verified:
		c.passed.Add(key, r)
	case !r.Transient():
		c.failed.Add(key, r)
	}
}
