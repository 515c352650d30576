package plugins

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opa-cosign/opa-cosign/internal/engine"
)

// metrics publishes the engine's events on OPA's /metrics.
type metrics struct {
	verifications *prometheus.CounterVec
	cache         *prometheus.CounterVec
	registry      *prometheus.CounterVec
	latency       prometheus.Histogram
	inFlight      prometheus.Gauge
}

var _ engine.Observer = (*metrics)(nil)

// newMetrics registers the collectors, or reuses the ones a previous plugin
// instance registered: a --watch-config reload creates the plugin again on the
// same registry, where a second MustRegister would panic.
func newMetrics(reg prometheus.Registerer) engine.Observer {
	if reg == nil {
		return nil
	}
	m := &metrics{
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cosign_verifications_total", Help: "Upstream verifications (cache misses) by result code and signature format.",
		}, []string{"result", "format"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cosign_cache_total", Help: "Verification cache lookups (hit, miss) and evictions.",
		}, []string{"outcome"}),
		registry: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cosign_registry_requests_total", Help: "Registry HTTP requests by status code (\"error\" when none came back).",
		}, []string{"status"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cosign_verification_duration_seconds", Help: "Duration of upstream verifications.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cosign_verifications_in_flight", Help: "Upstream verifications running now.",
		}),
	}
	m.verifications = register(reg, m.verifications)
	m.cache = register(reg, m.cache)
	m.registry = register(reg, m.registry)
	m.latency = register(reg, m.latency)
	m.inFlight = register(reg, m.inFlight)
	return m
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

func (m *metrics) Verified(result, format string, took time.Duration) {
	m.verifications.WithLabelValues(result, format).Inc()
	m.latency.Observe(took.Seconds())
}

func (m *metrics) Cache(hit bool) {
	if hit {
		m.cache.WithLabelValues("hit").Inc()
	} else {
		m.cache.WithLabelValues("miss").Inc()
	}
}

func (m *metrics) CacheEvicted()                 { m.cache.WithLabelValues("evicted").Inc() }
func (m *metrics) InFlight(delta int)            { m.inFlight.Add(float64(delta)) }
func (m *metrics) RegistryRequest(status string) { m.registry.WithLabelValues(status).Inc() }
