package engine

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// cache keeps verification results by (canonical repository, digest, kind,
// options fingerprint) — never by tag — and tag → digest resolutions. Passed
// results live for TTL, definitive failures for FailureTTL; transient failures
// (timeouts, registry errors) are never kept. The cache belongs to one engine,
// so a reload with other trust roots or settings starts empty.
//
// Entries expire when read past their deadline rather than by a cleanup
// goroutine: golang-lru's expirable LRU (v2.0.7) starts one that can never be
// stopped, so every replaced engine left three behind, still counting
// evictions (docs/security.md #35). A cache without goroutines is dropped with its
// engine.
type cache struct {
	passed, failed *ttlLRU[*verify.Result]
	tags           *ttlLRU[v1.Hash]
	obs            Observer
}

func newCache(c CacheConfig, obs Observer) (*cache, error) {
	passed, err := newTTLLRU[*verify.Result](c.MaxEntries, c.TTL, obs.CacheEvicted)
	if err != nil {
		return nil, err
	}
	failed, err := newTTLLRU[*verify.Result](c.MaxEntries, c.FailureTTL, obs.CacheEvicted)
	if err != nil {
		return nil, err
	}
	tags, err := newTTLLRU[v1.Hash](c.MaxEntries, c.TagTTL, nil)
	if err != nil {
		return nil, err
	}
	return &cache{passed: passed, failed: failed, tags: tags, obs: obs}, nil
}

// get looks key up; count says whether to report the hit or miss (a lookup
// repeated while work waits for a slot is not another miss).
func (c *cache) get(key string, count bool) (*verify.Result, bool) {
	r, ok := c.passed.get(key)
	if !ok {
		r, ok = c.failed.get(key)
	}
	if count || ok {
		c.obs.Cache(ok)
	}
	return r, ok
}

func (c *cache) put(key string, r *verify.Result) {
	switch {
	case r.Verified:
		c.passed.add(key, r)
	case !r.Transient():
		c.failed.add(key, r)
	}
}

// ttlLRU is a bounded LRU whose entries expire ttl after they were added.
type ttlLRU[V any] struct {
	lru *lru.Cache[string, entry[V]]
	ttl time.Duration
}

type entry[V any] struct {
	value   V
	expires time.Time
}

// newTTLLRU makes a cache of size entries; onEvict, when set, hears of each
// entry pushed out to make room (not of expired ones).
func newTTLLRU[V any](size int, ttl time.Duration, onEvict func()) (*ttlLRU[V], error) {
	var cb func(string, entry[V])
	if onEvict != nil {
		cb = func(_ string, e entry[V]) {
			if time.Now().Before(e.expires) {
				onEvict()
			}
		}
	}
	c, err := lru.NewWithEvict(size, cb)
	if err != nil {
		return nil, fmt.Errorf("cache of %d entries: %w", size, err)
	}
	return &ttlLRU[V]{lru: c, ttl: ttl}, nil
}

func (c *ttlLRU[V]) get(key string) (V, bool) {
	e, ok := c.lru.Get(key)
	if !ok {
		var zero V
		return zero, false
	}
	if !time.Now().Before(e.expires) {
		c.lru.Remove(key)
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *ttlLRU[V]) add(key string, v V) {
	c.lru.Add(key, entry[V]{value: v, expires: time.Now().Add(c.ttl)})
}
