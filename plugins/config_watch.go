package plugins

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
)

// configErrorsQuery is the library's list of verification config errors.
const configErrorsQuery = "data.imagepolicy.config_errors"

// settleWrites lets a burst of writes (kube-mgmt loading a ConfigMap, a bundle
// activating, the manager compiling new policies) end before the config is
// checked, so that one revision is logged once.
const settleWrites = 100 * time.Millisecond

// configWatch logs the library's config errors once per revision of the
// config: while there are any, every image is denied with a reason naming
// them, and the server's log must say why too, once — not per request.
type configWatch struct {
	m      *plugins.Manager
	kick   chan struct{}
	done   chan struct{}
	exited chan struct{}
	handle storage.TriggerHandle
	last   *string // the errors last logged, joined; nil before the first check
}

// watchConfig registers a storage trigger for writes under data.imagepolicy
// and policy changes, and checks the config now (files loaded at start).
func watchConfig(ctx context.Context, m *plugins.Manager) (*configWatch, error) {
	w := &configWatch{m: m, kick: make(chan struct{}, 1), done: make(chan struct{}), exited: make(chan struct{})}
	err := storage.Txn(ctx, m.Store, storage.WriteParams, func(txn storage.Transaction) error {
		var err error
		w.handle, err = m.Store.Register(ctx, txn, storage.TriggerConfig{OnCommit: w.onCommit})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("watching the verification config: %w", err)
	}
	go w.loop()
	w.poke()
	return w, nil
}

func (w *configWatch) onCommit(_ context.Context, _ storage.Transaction, ev storage.TriggerEvent) {
	if ev.PolicyChanged() {
		w.poke()
		return
	}
	for _, d := range ev.Data {
		if len(d.Path) == 0 || d.Path[0] == "imagepolicy" {
			w.poke()
			return
		}
	}
}

func (w *configWatch) poke() {
	select {
	case w.kick <- struct{}{}:
	default: // a check is pending already
	}
}

func (w *configWatch) loop() {
	defer close(w.exited)
	for {
		select {
		case <-w.done:
			return
		case <-w.kick:
		}
		select {
		case <-w.done:
			return
		case <-time.After(settleWrites):
		}
		w.check()
	}
}

// check evaluates the config errors and logs them when they differ from the
// last ones logged; a policy set without the library logs nothing.
func (w *configWatch) check() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rs, err := rego.New(rego.Query(configErrorsQuery), rego.Compiler(w.m.GetCompiler()), rego.Store(w.m.Store)).Eval(ctx)
	if err != nil || len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return
	}
	list, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return
	}
	errs := make([]string, 0, len(list))
	for _, e := range list {
		errs = append(errs, fmt.Sprint(e))
	}
	joined := strings.Join(errs, "\n")
	if w.last != nil && *w.last == joined {
		return
	}
	first := w.last == nil
	w.last = &joined
	log := w.m.Logger()
	switch {
	case len(errs) > 0:
		log.WithFields(map[string]any{"config_errors": errs}).Error(
			"The verification config (data.imagepolicy.config) has %d error(s), so every image is denied until it is fixed: %s",
			len(errs), strings.Join(errs, "; "))
	case !first:
		log.Info("The verification config (data.imagepolicy.config) has no errors any more.")
	}
}

// stop ends the watch: the trigger is removed and the goroutine has exited
// when it returns (docs/security.md #35).
func (w *configWatch) stop(ctx context.Context) {
	close(w.done)
	<-w.exited
	_ = storage.Txn(ctx, w.m.Store, storage.WriteParams, func(txn storage.Transaction) error {
		w.handle.Unregister(ctx, txn)
		return nil
	})
}
