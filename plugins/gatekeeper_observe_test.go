package plugins

import (
	"context"
	"reflect"
	"testing"

	logtest "github.com/open-policy-agent/opa/v1/logging/test"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/plugins/logs"
	"github.com/prometheus/client_golang/prometheus"
)

// TestGatekeeperDecisionLogsAndMetrics: each provider request is a decision
// log event like the server's own (path, input, result, decision id), with
// the provider path that asked, and is counted on /metrics.
func TestGatekeeperDecisionLogsAndMetrics(t *testing.T) {
	console := logtest.New()
	tp := startProvider(t, stubLibrary(t, "http://127.0.0.1:1"), providerOptions{managerOpts: []func(*plugins.Manager){plugins.ConsoleLogger(console)}})
	cfg, err := logs.NewConfigBuilder().WithBytes([]byte(`{"console": true}`)).Parse()
	if err != nil {
		t.Fatal(err)
	}
	dl := logs.New(cfg, tp.manager)
	tp.manager.Register(logs.Name, dl)
	if err := dl.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dl.Stop(context.Background()) })

	tp.post(t, "/validate", request(t, "signed/app:1", "unsigned/app:1"))
	tp.post(t, "/mutate", request(t, "signed/app:1", "unsigned/app:1"))
	tp.post(t, "/validate", []byte(`{"apiVersion": "v0"}`))

	var events []map[string]any
	for _, e := range console.Entries() {
		if e.Message == "Decision Log" {
			events = append(events, e.Fields)
		}
	}
	if len(events) != 2 {
		t.Fatalf("want 2 decision log events (the refused request is no decision), got %d: %+v", len(events), events)
	}
	for i, endpoint := range []string{"/validate", "/mutate"} {
		e := events[i]
		input := map[string]any{"images": []any{"signed/app:1", "unsigned/app:1"}}
		if e["path"] != decisionPath || e["decision_id"] == "" || !reflect.DeepEqual(e["input"], input) {
			t.Errorf("event %d: path %v, id %v, input %v", i, e["path"], e["decision_id"], e["input"])
		}
		custom, _ := e["custom"].(map[string]any)
		if custom["gatekeeper_provider"] != endpoint {
			t.Errorf("event %d: custom %v, want gatekeeper_provider %s", i, e["custom"], endpoint)
		}
		result, _ := e["result"].(map[string]any)
		if images, _ := result["images"].([]any); len(images) != 2 {
			t.Errorf("event %d: result %v", i, e["result"])
		}
	}
	if events[0]["decision_id"] == events[1]["decision_id"] {
		t.Error("two decisions share an id")
	}

	for labels, want := range map[[2]string]float64{
		{"/validate", "200"}: 1, {"/mutate", "200"}: 1, {"/validate", "400"}: 1,
	} {
		if got := counter(t, tp.registry, "cosign_gatekeeper_requests_total", map[string]string{"path": labels[0], "code": labels[1]}); got != want {
			t.Errorf("requests %v = %v, want %v", labels, got, want)
		}
	}
	for labels, want := range map[[2]string]float64{
		{"/validate", "allowed"}: 1, {"/validate", "denied"}: 1, {"/mutate", "allowed"}: 1, {"/mutate", "error"}: 1,
	} {
		if got := counter(t, tp.registry, "cosign_gatekeeper_keys_total", map[string]string{"path": labels[0], "outcome": labels[1]}); got != want {
			t.Errorf("keys %v = %v, want %v", labels, got, want)
		}
	}
}

// counter reads one counter of a registry by its labels.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			n := 0
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
					n++
				}
			}
			if n == len(labels) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
