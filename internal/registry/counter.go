package registry

import (
	"context"
	"sync/atomic"
)

// Counter counts the registry round trips made under a context, for the
// debug log of one verification.
type Counter struct{ n atomic.Int64 }

type counterKey struct{}

// WithCounter returns a context whose registry requests are counted in c.
func WithCounter(ctx context.Context, c *Counter) context.Context {
	return context.WithValue(ctx, counterKey{}, c)
}

// Count is the number of round trips counted so far.
func (c *Counter) Count() int64 { return c.n.Load() }

func count(ctx context.Context) {
	if c, ok := ctx.Value(counterKey{}).(*Counter); ok {
		c.n.Add(1)
	}
}
