package plugins

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	opametrics "github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/plugins/logs"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/server"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"
)

// decisionPath is the library's entrypoint the provider asks, as the data API
// path it would be logged under had a client queried the server.
const decisionPath = "imagepolicy/decision"

var decisionQuery = ast.MustParseBody("data.imagepolicy.decision")

// decider evaluates data.imagepolicy.decision with the policy and data the
// server has loaded: the manager's compiler and store. The prepared query is
// rebuilt when the manager's compiler changes (a bundle or policy update).
type decider struct {
	manager  *plugins.Manager
	mu       sync.Mutex
	compiler *ast.Compiler
	prepared *rego.PreparedEvalQuery
}

func (d *decider) query(ctx context.Context) (*rego.PreparedEvalQuery, error) {
	c := d.manager.GetCompiler()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.prepared != nil && d.compiler == c {
		return d.prepared, nil
	}
	pq, err := rego.New(
		rego.ParsedQuery(decisionQuery),
		rego.Compiler(c),
		rego.Store(d.manager.Store),
		rego.Runtime(d.manager.Info),
		rego.EnablePrintStatements(d.manager.EnablePrintStatements()),
		rego.PrintHook(d.manager.PrintHook()),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	d.compiler, d.prepared = c, &pq
	return d.prepared, nil
}

// errUndefined is a decision the library did not produce: no policy loaded.
var errUndefined = errors.New("data.imagepolicy.decision is undefined: is the opa-cosign library loaded?")

// decide returns the library's per-image results for images, in their order,
// and logs the decision as the server logs its own (decision_logs plugin,
// masking and drop rules included). caller is the client's address, endpoint
// the provider path that asked.
func (d *decider) decide(ctx context.Context, images []string, caller, endpoint string) ([]any, error) {
	m := opametrics.New()
	m.Timer(opametrics.ServerHandler).Start()
	txn, err := d.manager.Store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer d.manager.Store.Abort(context.WithoutCancel(ctx), txn)

	list := make([]any, len(images))
	for i, img := range images {
		list[i] = img
	}
	var input any = map[string]any{"images": list}
	var ndb builtins.NDBCache
	if d.manager.Config.NDBuiltinCacheEnabled() {
		ndb = builtins.NDBCache{}
	}
	var value any
	pq, err := d.query(ctx)
	if err == nil {
		var rs rego.ResultSet
		rs, err = pq.Eval(ctx, rego.EvalTransaction(txn), rego.EvalInput(input), rego.EvalMetrics(m), rego.EvalNDBuiltinCache(ndb))
		switch {
		case err != nil:
		case len(rs) == 0 || len(rs[0].Expressions) == 0:
			err = errUndefined
		default:
			value = rs[0].Expressions[0].Value
		}
	}
	m.Timer(opametrics.ServerHandler).Stop()
	d.log(ctx, txn, input, value, ndb, m, err, caller, endpoint)
	if err != nil {
		return nil, err
	}
	return perImage(value, images)
}

// perImage takes the `images` list of a decision, which the library aligns
// with its input.
func perImage(decision any, images []string) ([]any, error) {
	obj, ok := decision.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("data.imagepolicy.decision is %T, not an object", decision)
	}
	list, ok := obj["images"].([]any)
	if !ok || len(list) != len(images) {
		return nil, fmt.Errorf("data.imagepolicy.decision has %d per-image results for %d images", len(list), len(images))
	}
	return list, nil
}

func (d *decider) log(ctx context.Context, txn storage.Transaction, input, value any, ndb builtins.NDBCache, m opametrics.Metrics, evalErr error, caller, endpoint string) {
	plugin := logs.Lookup(d.manager)
	if plugin == nil {
		return
	}
	// The request's deadline may have passed; logging (and its mask policy)
	// must still run.
	ctx = context.WithoutCancel(ctx)
	info := &server.Info{
		DecisionID: decisionID(),
		Path:       decisionPath,
		Timestamp:  time.Now(),
		Input:      &input,
		Error:      evalErr,
		Metrics:    m,
		RemoteAddr: caller,
		Custom:     map[string]any{"gatekeeper_provider": endpoint},
		Txn:        txn,
	}
	if value != nil {
		info.Results = &value
	}
	if ndb != nil {
		if v, err := ast.JSON(ndb.AsValue()); err == nil {
			info.NDBuiltinCache = &v
		}
	}
	if names, err := bundle.ReadBundleNamesFromStore(ctx, d.manager.Store, txn); err == nil {
		info.Bundles = map[string]server.BundleInfo{}
		for _, name := range names {
			if rev, err := bundle.ReadBundleRevisionFromStore(ctx, d.manager.Store, txn, name); err == nil {
				info.Bundles[name] = server.BundleInfo{Revision: rev}
			}
		}
	}
	if err := plugin.Log(ctx, info); err != nil {
		d.manager.Logger().Error("Gatekeeper provider: decision log: %v", err)
	}
}

// decisionID is a random UUID (version 4), as OPA's server makes them.
func decisionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
