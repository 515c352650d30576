package engine

import (
	"context"
	"strings"

	"github.com/opa-cosign/opa-cosign/internal/kube"
	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// PullSecrets resolves a request's Kubernetes pull context into registry
// credentials (internal/kube.Resolver).
type PullSecrets interface {
	Resolve(ctx context.Context, p kube.PullContext) (kube.Credentials, error)
}

// credentials is the outcome of resolving one pull context for a batch.
type credentials struct {
	keyring *registry.Keyring
	notes   []string // secrets or ServiceAccount named but not found
	failed  error
}

// resolveCredentials resolves each distinct pull context of reqs once, under
// the batch's deadline. Without PullSecrets configured, contexts are ignored:
// every request reads with the docker config, as before.
func (e *Engine) resolveCredentials(ctx context.Context, reqs []Request) []*credentials {
	out := make([]*credentials, len(reqs))
	if e.cfg.PullSecrets == nil {
		return out
	}
	seen := map[string]*credentials{}
	for i, r := range reqs {
		if r.Kubernetes == nil {
			continue
		}
		k := r.Kubernetes.Key()
		c, ok := seen[k]
		if !ok {
			res, err := e.cfg.PullSecrets.Resolve(ctx, *r.Kubernetes)
			c = &credentials{keyring: res.Keyring, notes: res.Notes, failed: err}
			seen[k] = c
		}
		out[i] = c
	}
	return out
}

func (c *credentials) keyringOrNil() *registry.Keyring {
	if c == nil {
		return nil
	}
	return c.keyring
}

// credentialsFailed is the result of a request whose credentials could not
// be read: a denial that says why, never an attempt without them.
func credentialsFailed(image string, err error) *verify.Result {
	return &verify.Result{Image: image, Errors: []verify.Error{{Code: verify.CodeCredentials, Message: err.Error()}}}
}

// withNotes adds to a registry refusal what the pull context named but did
// not have, which is usually why. r is a copy owned by the caller (withImage).
func withNotes(r *verify.Result, c *credentials) *verify.Result {
	if c == nil || len(c.notes) == 0 || len(r.Errors) == 0 {
		return r
	}
	errs := make([]verify.Error, len(r.Errors))
	copy(errs, r.Errors)
	for i, e := range errs {
		if e.Code == verify.CodeUnauthorized || e.Code == verify.CodeNotFound {
			errs[i].Message += " (" + strings.Join(c.notes, "; ") + ")"
		}
	}
	r.Errors = errs
	return r
}

// credKey extends a cache or flight key with the identity of the credentials
// that read it, so that a result read with one tenant's credentials is never
// handed to a request made with others (or none). Requests reading with the
// docker config keep the key they always had.
func credKey(key string, fingerprints ...string) string {
	for _, fp := range fingerprints {
		if fp != "" {
			return key + "\x00cred\x00" + strings.Join(fingerprints, "/")
		}
	}
	return key
}
