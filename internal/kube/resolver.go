package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/opa-cosign/opa-cosign/internal/registry"
)

// Defaults of Config.
const (
	DefaultCacheTTL   = 30 * time.Second
	DefaultMaxEntries = 4096
	// readTimeout bounds one read shared by concurrent callers, whoever
	// started it: each caller still waits no longer than its own deadline.
	readTimeout = 5 * time.Second
)

// AllNamespaces in Config.Namespaces reads pull secrets in every namespace.
const AllNamespaces = "*"

// Config configures a Resolver.
type Config struct {
	Client ClientConfig
	// Namespaces whose pull secrets and ServiceAccounts are read; AllNamespaces
	// alone for every one. Elsewhere only the fallback credentials are used.
	Namespaces []string
	CacheTTL   time.Duration // default DefaultCacheTTL
	MaxEntries int           // cached Secrets and ServiceAccounts; default DefaultMaxEntries
}

// Resolver turns pull contexts into keyrings. What it reads is cached for
// CacheTTL, found or not, so that a rotated secret is seen within that time
// and a Pod's images cost the API server one read per secret, not one per
// image. Failures to read are not cached.
type Resolver struct {
	client     *Client
	namespaces map[string]bool // nil: all
	ttl        time.Duration
	cache      *lru.Cache[string, read]
	flight     singleflight.Group
}

// read is the outcome of reading one Secret or ServiceAccount.
type read struct {
	at       time.Time
	notFound bool
	config   registry.DockerConfig // a Secret's credentials
	secrets  []string              // a ServiceAccount's pull secrets
	err      error                 // a malformed Secret
}

// NewResolver checks cfg; it makes no request.
func NewResolver(cfg Config) (*Resolver, error) {
	c, err := NewClient(cfg.Client)
	if err != nil {
		return nil, err
	}
	r := &Resolver{client: c, ttl: cfg.CacheTTL}
	if r.ttl <= 0 {
		r.ttl = DefaultCacheTTL
	}
	size := cfg.MaxEntries
	if size <= 0 {
		size = DefaultMaxEntries
	}
	if r.cache, err = lru.New[string, read](size); err != nil {
		return nil, err
	}
	if len(cfg.Namespaces) == 0 {
		return nil, &ConfigError{Field: "namespaces", Err: errors.New(`empty: name the namespaces whose pull secrets are read, or "*" for all`)}
	}
	if len(cfg.Namespaces) == 1 && cfg.Namespaces[0] == AllNamespaces {
		return r, nil
	}
	r.namespaces = map[string]bool{}
	for _, ns := range cfg.Namespaces {
		if !labelName.MatchString(ns) {
			return nil, &ConfigError{Field: "namespaces", Err: fmt.Errorf(`%q is not a namespace name ("*" alone means every namespace)`, ns)}
		}
		r.namespaces[ns] = true
	}
	return r, nil
}

// Credentials is a resolved pull context: a keyring, and notes saying which
// named secrets or ServiceAccount were not found and so not used.
type Credentials struct {
	Keyring *registry.Keyring
	Notes   []string
}

// Error is a failure to resolve a pull context: the API server failed or
// refused a read, or a pull secret is malformed. Its message names the
// object and never quotes its content.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

// Resolve reads what p names, as the kubelet would: the pull secrets, or the
// ServiceAccount's when p names none and gives a ServiceAccount. A secret or
// ServiceAccount that does not exist is left out with a note (the kubelet
// pulls without it too); any other failure is an *Error.
func (r *Resolver) Resolve(ctx context.Context, p PullContext) (Credentials, error) {
	var out Credentials
	if err := p.Validate(); err != nil {
		return out, &Error{msg: err.Error()}
	}
	if r.namespaces != nil && !r.namespaces[p.Namespace] {
		out.Notes = append(out.Notes, fmt.Sprintf("the pull secrets of namespace %q are not read (plugins.cosign.kubernetes.namespaces)", p.Namespace))
		return out, nil
	}
	names := p.ImagePullSecrets
	if len(names) == 0 && p.ServiceAccount != "" {
		sa, err := r.get(ctx, "serviceaccount", p.Namespace, p.ServiceAccount)
		if err != nil {
			return out, &Error{msg: fmt.Sprintf("reading ServiceAccount %q in namespace %q: %v", p.ServiceAccount, p.Namespace, err)}
		}
		if sa.notFound {
			out.Notes = append(out.Notes, fmt.Sprintf("ServiceAccount %q not found in namespace %q, so its pull secrets were not used", p.ServiceAccount, p.Namespace))
		}
		names = sa.secrets
	}
	var configs []registry.DockerConfig
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		s, err := r.get(ctx, "secret", p.Namespace, name)
		switch {
		case err != nil:
			return out, &Error{msg: fmt.Sprintf("reading pull secret %q in namespace %q: %v", name, p.Namespace, err)}
		case s.notFound:
			out.Notes = append(out.Notes, fmt.Sprintf("pull secret %q not found in namespace %q", name, p.Namespace))
		case s.err != nil:
			return out, &Error{msg: fmt.Sprintf("pull secret %q in namespace %q is malformed: %v", name, p.Namespace, s.err)}
		default:
			configs = append(configs, s.config)
		}
	}
	out.Keyring = registry.NewKeyring(configs...)
	return out, nil
}

// get returns the cached outcome of reading kind/namespace/name, reading it
// (once for concurrent callers) when it is missing or older than the TTL.
func (r *Resolver) get(ctx context.Context, kind, namespace, name string) (read, error) {
	key := kind + "/" + namespace + "/" + name
	if v, ok := r.cache.Get(key); ok && time.Since(v.at) < r.ttl {
		return v, nil
	}
	ch := r.flight.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
		defer cancel()
		v, err := r.fetch(fctx, kind, namespace, name)
		if err != nil {
			return read{}, err
		}
		r.cache.Add(key, v)
		return v, nil
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return read{}, res.Err
		}
		return res.Val.(read), nil
	case <-ctx.Done():
		return read{}, ctx.Err()
	}
}

func (r *Resolver) fetch(ctx context.Context, kind, namespace, name string) (read, error) {
	v := read{at: time.Now()}
	if kind == "serviceaccount" {
		sa, err := r.client.ServiceAccount(ctx, namespace, name)
		if IsNotFound(err) {
			v.notFound = true
			return v, nil
		}
		if err != nil {
			return v, err
		}
		for _, s := range sa.ImagePullSecrets {
			if s.Name != "" {
				v.secrets = append(v.secrets, s.Name)
			}
		}
		return v, nil
	}
	s, err := r.client.Secret(ctx, namespace, name)
	if IsNotFound(err) {
		v.notFound = true
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.config, v.err = dockerConfig(s)
	return v, nil
}

// Secret types and keys of pull secrets (k8s.io/api/core/v1).
const (
	typeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	keyDockerConfigJSON  = ".dockerconfigjson"
	typeDockercfg        = "kubernetes.io/dockercfg"
	keyDockercfg         = ".dockercfg"
)

// dockerConfig reads a pull secret. Where the kubelet silently skips a secret
// of another type or without its key, this is an error: a pull secret that
// cannot be read is a mistake to report, not to guess around.
func dockerConfig(s *Secret) (registry.DockerConfig, error) {
	key, legacy := keyDockerConfigJSON, false
	switch s.Type {
	case typeDockerConfigJSON:
	case typeDockercfg:
		key, legacy = keyDockercfg, true
	default:
		return nil, fmt.Errorf("its type is %q, not %s or %s", s.Type, typeDockerConfigJSON, typeDockercfg)
	}
	b := s.Data[key]
	if len(b) == 0 {
		return nil, fmt.Errorf("it has no %s", key)
	}
	cfg, err := registry.ParseDockerConfigJSON(b, legacy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return cfg, nil
}
