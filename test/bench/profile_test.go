package main

import (
	"context"
	"os"
	"testing"

	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"
)

// TestRegoProfile prints the library's Rego profile of a warm 10-image
// decision (PROFILE=1): the rule-level view `opa-cosign eval --profile` gives,
// with the plugin's memo store enabled as on a server.
func TestRegoProfile(t *testing.T) {
	if os.Getenv("PROFILE") == "" {
		t.Skip("PROFILE=1 prints the profile")
	}
	w := newDecisionWorld(t, 10)
	pq := prepare(t, "data.imagepolicy.kubernetes.validate", w.config(1), false)
	in := reviewInput(w.images)
	evalOnce(t, pq, in)
	p := profiler.New()
	for range 50 {
		if _, err := pq.Eval(context.Background(), rego.EvalInput(in), rego.EvalQueryTracer(p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range p.ReportTopNResults(25, []string{"total_time_ns"}) {
		t.Logf("%8.1f µs/decision  eval %5d  %s", float64(s.ExprTimeNs)/50/1000, s.NumEval/50, s.Location)
	}
}
