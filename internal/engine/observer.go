package engine

import "time"

// Observer receives the engine's events, for metrics. Implementations must be
// safe for concurrent use.
type Observer interface {
	Verified(result, format string, took time.Duration)
	Cache(hit bool)
	CacheEvicted()
	InFlight(delta int)
	// RegistryRequest reports one registry round trip: the HTTP status, or
	// "error" when none came back.
	RegistryRequest(status string)
}

type noObserver struct{}

func (noObserver) Verified(string, string, time.Duration) {}
func (noObserver) Cache(bool)                             {}
func (noObserver) CacheEvicted()                          {}
func (noObserver) InFlight(int)                           {}
func (noObserver) RegistryRequest(string)                 {}

// Tracer is implemented by an Observer that wants one Trace per piece of
// registry work (tag resolution, verification), for debug logs.
type Tracer interface {
	Trace(Trace)
}

// Trace describes one tag resolution or verification; cache hits have none.
type Trace struct {
	Step     string // "resolve" or "verify"
	Image    string // the reference resolved, or name@digest verified
	Kind     string // "signatures" or "attestations" (verify)
	Registry string // where the work went: the image's registry, or the signatures'
	Digest   string
	Result   string // "resolved", "verified", or the first error code
	Format   string // of the first verified signature, or "none"
	Message  string // the first error's message, "" when none
	Duration time.Duration
	Requests int64 // registry round trips
}
