package plugins

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gatekeeperMetrics publishes the provider's requests on OPA's /metrics.
type gatekeeperMetrics struct {
	requests *prometheus.CounterVec
	keys     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// newGatekeeperMetrics registers the collectors, or reuses those of a
// previous plugin instance (a reload registers again on the same registry).
func newGatekeeperMetrics(reg prometheus.Registerer) *gatekeeperMetrics {
	m := &gatekeeperMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cosign_gatekeeper_requests_total", Help: "Gatekeeper external-data requests by provider path and HTTP status.",
		}, []string{"path", "code"}),
		keys: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cosign_gatekeeper_keys_total", Help: "Keys (images) answered by provider path and outcome: allowed, denied, error.",
		}, []string{"path", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cosign_gatekeeper_request_duration_seconds", Help: "Duration of Gatekeeper external-data requests.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10},
		}, []string{"path"}),
	}
	if reg != nil {
		m.requests = register(reg, m.requests)
		m.keys = register(reg, m.keys)
		m.latency = register(reg, m.latency)
	}
	return m
}

func (m *gatekeeperMetrics) request(path string, status int, items []item, took time.Duration) {
	m.requests.WithLabelValues(path, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(path).Observe(took.Seconds())
	for _, it := range items {
		m.keys.WithLabelValues(path, outcome(it)).Inc()
	}
}

// outcome of one key: an error, a mutation value (always an allowed image),
// or a validation value saying whether the image is allowed.
func outcome(it item) string {
	if it.Error != "" {
		return "error"
	}
	if res, ok := it.Value.(map[string]any); ok && res["allowed"] != true {
		return "denied"
	}
	return "allowed"
}
