package engine

import "sync"

// slots bound registry work: at most max pieces at once in all, and at most
// perRegistry against any one registry, so that a registry that stops
// answering holds perRegistry slots and no more while the others go on
// (docs/security.md #34). Slots are taken without waiting; who got none waits for
// released and tries again, under its own deadline.
type slots struct {
	mu               sync.Mutex
	max, perRegistry int
	used             int
	byHost           map[string]int
	freed            chan struct{} // closed at the next release
}

func newSlots(max, perRegistry int) *slots {
	return &slots{max: max, perRegistry: perRegistry, byHost: map[string]int{}, freed: make(chan struct{})}
}

// tryAcquire takes a slot for work against host, or reports false.
func (s *slots) tryAcquire(host string) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used >= s.max || s.byHost[host] >= s.perRegistry {
		return nil, false
	}
	s.used++
	s.byHost[host]++
	var once sync.Once
	return func() { once.Do(func() { s.release(host) }) }, true
}

func (s *slots) release(host string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used--
	if s.byHost[host]--; s.byHost[host] == 0 {
		delete(s.byHost, host)
	}
	close(s.freed)
	s.freed = make(chan struct{})
}

// released is closed at the next release of any slot. Take it before trying,
// so that a release in between is not missed.
func (s *slots) released() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.freed
}
