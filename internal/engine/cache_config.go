package engine

import "time"

// Defaults of CacheConfig.
const (
	DefaultCacheEntries = 10000
	DefaultCacheTTL     = 10 * time.Minute
	DefaultFailureTTL   = 30 * time.Second
	DefaultTagTTL       = 30 * time.Second
)

// CacheConfig bounds and times the verification and tag caches.
type CacheConfig struct {
	MaxEntries int
	TTL        time.Duration // verified results
	FailureTTL time.Duration // definitive failures; transient ones are never cached
	TagTTL     time.Duration // tag → digest
}

func (c CacheConfig) withDefaults() CacheConfig {
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultCacheEntries
	}
	if c.TTL <= 0 {
		c.TTL = DefaultCacheTTL
	}
	if c.FailureTTL <= 0 {
		c.FailureTTL = DefaultFailureTTL
	}
	if c.TagTTL <= 0 {
		c.TagTTL = DefaultTagTTL
	}
	return c
}
