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
