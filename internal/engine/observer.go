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
