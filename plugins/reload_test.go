package plugins

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opa-cosign/opa-cosign/internal/engine"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestReloadsLeaveNothingBehind (docs/security.md #35): 50 reloads, half as discovery
// reconfigurations and half as OPA's --watch-config does them (stop the
// plugin, create and start a new one), each engine verifying a signed and an
// unsigned image so that it holds cache entries and registry connections.
// Afterwards the goroutines are back to where they were, and the replaced
// engines' caches no longer touch the eviction metric.
func TestReloadsLeaveNothingBehind(t *testing.T) {
	host := testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	signed := testutil.PushImage(t, host, "reload/signed", "v1")
	testutil.AttachLegacy(t, signed, testutil.Legacy{Signer: key.Signer})
	unsigned := testutil.PushImage(t, host, "reload/unsigned", "v1")
	opts, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := plugins.New([]byte(`{}`), "test", inmem.New(), plugins.WithPrometheusRegister(reg))
	if err != nil {
		t.Fatal(err)
	}
	config := func(i int) any {
		// A short failure_ttl: a replaced engine's expired entries would be
		// evicted by a cleanup goroutine that outlived it.
		raw := fmt.Sprintf(`{"timeout": "%ds", "cache": {"ttl": "100ms", "failure_ttl": "100ms"}, "registry": {"insecure": [%q]}}`, 2+i%3, host)
		c, err := Factory{}.Validate(m, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	use := func() {
		e, err := engine.Current()
		if err != nil {
			t.Fatal(err)
		}
		res := e.VerifyBatch(context.Background(), []engine.Request{{Image: signed.String(), Options: opts}, {Image: unsigned.String(), Options: opts}})
		if !res[0].Verified || res[1].Verified {
			t.Fatalf("verification through the reloaded engine: %+v %+v", res[0], res[1])
		}
	}
	p := Factory{}.New(m, config(0))
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	use()
	settle()
	before := runtime.NumGoroutine()

	for i := 1; i <= 50; i++ {
		if i%2 == 0 {
			p.Reconfigure(context.Background(), config(i))
		} else {
			p.Stop(context.Background())
			p = Factory{}.New(m, config(i))
			if err := p.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		use()
	}
	evicted := counter(t, reg, "cosign_cache_total", map[string]string{"outcome": "evicted"})
	time.Sleep(300 * time.Millisecond) // past every engine's ttl and failure_ttl
	if now := counter(t, reg, "cosign_cache_total", map[string]string{"outcome": "evicted"}); now != evicted {
		t.Errorf("replaced engines' caches went on counting evictions: %v, then %v", evicted, now)
	}
	after := settle()
	t.Logf("goroutines: %d before 50 reloads, %d after", before, after)
	if after > before+5 {
		t.Errorf("%d goroutines after 50 reloads, %d before", after, before)
	}
	p.Stop(context.Background())
}

// settle waits for goroutines that are on their way out (closed connections)
// and returns how many remain.
func settle() int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	return n
}
