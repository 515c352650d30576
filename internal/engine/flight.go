package engine

import (
	"context"
	"sync"
	"time"
)

// flights runs each piece of registry work once for everyone who wants it at
// the same time, as singleflight does, with two differences: a flight starts
// only when it gets a slot, and it is cancelled as soon as nobody waits for it
// any more, so abandoned work gives its slot back at once instead of at its
// own deadline (issue 11 #2).
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	key      string
	done     chan struct{}
	val      any
	finished bool
	waiters  int
	cancel   context.CancelFunc
	notify   []chan<- *flight
}

// join adds a waiter to the flight for key, or starts it when none runs and
// acquire grants a slot: fn then runs in its own goroutine with ctx's values,
// its own deadline (timeout) and the slot, released when fn returns. join
// returns nil, having started nothing, when no flight runs and no slot is
// free. notify hears once when the flight ends; it must have room, as it is
// never waited on.
func (g *flights) join(ctx context.Context, key string, notify chan<- *flight, acquire func() (func(), bool), timeout time.Duration, fn func(context.Context) any) *flight {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.m[key]; ok {
		f.waiters++
		f.notify = append(f.notify, notify)
		return f
	}
	release, ok := acquire()
	if !ok {
		return nil
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	f := &flight{key: key, done: make(chan struct{}), waiters: 1, cancel: cancel, notify: []chan<- *flight{notify}}
	if g.m == nil {
		g.m = map[string]*flight{}
	}
	g.m[key] = f
	go func() {
		defer release()
		defer cancel()
		v := fn(fctx)
		g.finish(f, v)
	}()
	return f
}

func (g *flights) finish(f *flight, v any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m[f.key] == f {
		delete(g.m, f.key)
	}
	f.val, f.finished = v, true
	close(f.done)
	for _, n := range f.notify {
		select {
		case n <- f:
		default:
		}
	}
}

// leave removes a waiter. The last waiter of an unfinished flight cancels it,
// and later callers start afresh rather than join work that outlived every
// deadline it served.
func (g *flights) leave(f *flight) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f.finished {
		return
	}
	if f.waiters--; f.waiters > 0 {
		return
	}
	f.cancel()
	if g.m[f.key] == f {
		delete(g.m, f.key)
	}
}
