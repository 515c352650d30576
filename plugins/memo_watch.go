package plugins

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/plugins"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/opa-cosign/opa-cosign/internal/memo"
)

// watchMemo empties the memo (imagepolicy.cached) on every committed write
// to the store: the Data API, a bundle's activation, kube-mgmt's replication.
// Keys compare by value, but OPA's AST store (--optimize-store-for-read-speed)
// changes its objects in place, keys included, and sums element hashes, so a
// reordered array or swapped values would find the old entry under the new
// key. The trigger runs while no query holds the store.
func watchMemo(ctx context.Context, m *plugins.Manager) (func(context.Context), error) {
	var h storage.TriggerHandle
	err := storage.Txn(ctx, m.Store, storage.WriteParams, func(txn storage.Transaction) error {
		var err error
		h, err = m.Store.Register(ctx, txn, storage.TriggerConfig{OnCommit: func(context.Context, storage.Transaction, storage.TriggerEvent) {
			memo.Default.Invalidate()
		}})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("watching the store for the memo: %w", err)
	}
	return func(ctx context.Context) {
		_ = storage.Txn(ctx, m.Store, storage.WriteParams, func(txn storage.Transaction) error {
			h.Unregister(ctx, txn)
			return nil
		})
	}, nil
}
