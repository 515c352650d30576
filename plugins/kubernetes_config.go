package plugins

import (
	"errors"
	"fmt"
	"os"

	"github.com/opa-cosign/opa-cosign/internal/kube"
)

// KubernetesConfig is plugins.cosign.kubernetes: registry credentials for
// admission requests from the cluster — the Pod's image pull secrets and,
// for workload templates, its ServiceAccount's — read from the API server.
// Off when the section is absent.
type KubernetesConfig struct {
	// Namespaces whose pull secrets are read: ["*"] for every namespace
	// (a ClusterRole binding), or names (a RoleBinding in each).
	Namespaces []string `json:"namespaces"`
	APIServer  string   `json:"api_server"` // default: in-cluster (KUBERNETES_SERVICE_HOST/PORT)
	CAFile     string   `json:"ca_file"`    // default: the ServiceAccount's ca.crt
	TokenFile  string   `json:"token_file"` // default: the ServiceAccount's token
	CacheTTL   string   `json:"cache_ttl"`  // default 30s
}

// resolver validates the section and builds the resolver (no request).
func (k *KubernetesConfig) resolver() (*kube.Resolver, error) {
	if k == nil {
		return nil, nil
	}
	const f = "kubernetes."
	if len(k.Namespaces) == 0 {
		return nil, fieldError(f+"namespaces", `should list the namespaces whose pull secrets are read, or be ["*"] for every namespace`)
	}
	cfg := kube.Config{Namespaces: k.Namespaces, Client: kube.ClientConfig{APIServer: k.APIServer, CAFile: k.CAFile, TokenFile: k.TokenFile}}
	if cfg.Client.APIServer == "" {
		url, err := kube.InClusterAPIServer()
		if err != nil {
			return nil, fieldError(f+"api_server", "should be set: "+err.Error())
		}
		cfg.Client.APIServer = url
		if cfg.Client.CAFile == "" {
			cfg.Client.CAFile = kube.InClusterCAFile
		}
	}
	if cfg.Client.TokenFile == "" {
		cfg.Client.TokenFile = kube.InClusterTokenFile
	}
	if _, err := os.Stat(cfg.Client.TokenFile); err != nil {
		return nil, fieldError(f+"token_file", fmt.Sprintf("should name the ServiceAccount token (is automountServiceAccountToken off?): %v", err))
	}
	var err error
	if cfg.CacheTTL, err = duration(f+"cache_ttl", k.CacheTTL, kube.DefaultCacheTTL); err != nil {
		return nil, err
	}
	r, err := kube.NewResolver(cfg)
	var ce *kube.ConfigError
	if errors.As(err, &ce) {
		return nil, fieldError(f+ce.Field, ce.Err.Error())
	}
	return r, err
}
