// Package memo keeps values the policy library computes as pure functions of
// a key — the config's validation errors, a namespace's effective config, an
// image's plan — across queries, so that they are paid once per config
// revision rather than on every decision (issue 14).
//
// A cached value is only right while the policy that computed it is the one
// running, so the store is enabled by the cosign plugin, which empties it on
// every policy change (a compiler trigger: OPA runs it while no query holds
// the store) and on reconfiguration. Without the plugin (opa-cosign eval,
// test, or a server whose policy could change unnoticed) it stays disabled and
// every lookup misses: the policy then computes each value, as without memo.
//
// Keys are compared by value (hash, then equality); a hash collision is a
// miss, never another key's value. Each name holds at most MaxEntries values
// (least recently used out first), at most MaxPerHash keys share one hash,
// and at most MaxNames names exist, so the store is bounded whatever a policy
// or an input asks of it.
package memo

import (
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/open-policy-agent/opa/v1/ast"
)

// MaxEntries bounds the values kept under one name.
const MaxEntries = 4096

// MaxNames bounds the names; a value under a further name is not kept.
const MaxNames = 32

// MaxPerHash bounds the keys kept under one hash. AST hashes are not
// cryptographic: an input whose parts an attacker chooses (an image name, a
// namespace label) can collide at will, and an unbounded bucket would grow,
// and be scanned, on every decision. Past the bound the oldest key is dropped.
const MaxPerHash = 8

type entry struct {
	key, value *ast.Term
}

// Store is a bounded set of caches, one per name.
type Store struct {
	enabled atomic.Bool
	mu      sync.Mutex
	names   map[string]*lru.Cache[int, []entry]
}

// NewStore returns a disabled, empty store.
func NewStore() *Store { return &Store{names: map[string]*lru.Cache[int, []entry]{}} }

// Default is the store the built-ins use.
var Default = NewStore()

// Enable turns lookups on; the caller must Invalidate on every policy change.
func (s *Store) Enable() { s.enabled.Store(true) }

// Disable empties the store and turns it off.
func (s *Store) Disable() {
	s.enabled.Store(false)
	s.Invalidate()
}

// Enabled reports whether lookups can hit.
func (s *Store) Enabled() bool { return s.enabled.Load() }

// Invalidate forgets every value (the policy or the engine changed).
func (s *Store) Invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = map[string]*lru.Cache[int, []entry]{}
}

// Get returns the value kept for key under name.
func (s *Store) Get(name string, key *ast.Term) (*ast.Term, bool) {
	if !s.enabled.Load() {
		return nil, false
	}
	h := key.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.names[name]
	if c == nil {
		return nil, false
	}
	bucket, _ := c.Get(h)
	for _, e := range bucket {
		if Equal(e.key.Value, key.Value) {
			return e.value, true
		}
	}
	return nil, false
}

// Put keeps value for key under name (while enabled).
func (s *Store) Put(name string, key, value *ast.Term) {
	if !s.enabled.Load() {
		return
	}
	h := key.Hash()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.names[name]
	if c == nil {
		if len(s.names) >= MaxNames {
			return
		}
		c, _ = lru.New[int, []entry](MaxEntries) // cannot fail: the size is positive
		s.names[name] = c
	}
	bucket, _ := c.Peek(h)
	for _, e := range bucket {
		if Equal(e.key.Value, key.Value) {
			return
		}
	}
	if len(bucket) >= MaxPerHash {
		bucket = bucket[len(bucket)-MaxPerHash+1:]
	}
	// A new slice: a reader holding the old bucket never sees it change.
	c.Add(h, append(append(make([]entry, 0, len(bucket)+1), bucket...), entry{key, value}))
}

// Len is the number of values kept under name.
func (s *Store) Len(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.names[name]; c != nil {
		n := 0
		for _, h := range c.Keys() {
			b, _ := c.Peek(h)
			n += len(b)
		}
		return n
	}
	return 0
}

// Equal is strict ast value equality: like Rego's, except that numbers must
// be written alike (1 and 1.0 are equal in Rego, but a message that prints the
// value tells them apart). It first asks whether two composites are the same
// object: the library builds its keys from values it got from the store (or
// from this store), so the common case costs no walk over a large config.
func Equal(a, b ast.Value) bool {
	switch x := a.(type) {
	case ast.Object:
		y, ok := b.(ast.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == y {
			return true
		}
		equal := true
		x.Foreach(func(k, v *ast.Term) {
			if equal {
				w := y.Get(k)
				equal = w != nil && sameKey(y, k) && Equal(v.Value, w.Value)
			}
		})
		return equal
	case *ast.Array:
		y, ok := b.(*ast.Array)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == y {
			return true
		}
		for i := range x.Len() {
			if !Equal(x.Elem(i).Value, y.Elem(i).Value) {
				return false
			}
		}
		return true
	case ast.Set:
		y, ok := b.(ast.Set)
		if !ok || x.Len() != y.Len() {
			return false
		}
		xs, ys := x.Sorted(), y.Sorted()
		for i := range xs.Len() {
			if !Equal(xs.Elem(i).Value, ys.Elem(i).Value) {
				return false
			}
		}
		return true
	case ast.Number:
		y, ok := b.(ast.Number)
		return ok && x == y
	}
	return a.Compare(b) == 0
}

// sameKey reports whether obj's key equal to k is written as k is. Only a
// composite or number key can be written otherwise; string keys (all of a
// config's) cost nothing.
func sameKey(obj ast.Object, k *ast.Term) bool {
	if _, ok := k.Value.(ast.String); ok {
		return true
	}
	for _, key := range obj.Keys() {
		if key.Value.Compare(k.Value) == 0 {
			return Equal(key.Value, k.Value)
		}
	}
	return false
}
