package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// In-cluster defaults: where the kubelet mounts a Pod's ServiceAccount token
// and the cluster CA, and the environment it sets for the API server.
const (
	InClusterTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	InClusterCAFile    = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	hostEnv, portEnv   = "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"
)

// InClusterAPIServer is the API server's URL as the kubelet tells a Pod, or
// an error saying why there is none.
func InClusterAPIServer() (string, error) {
	host, port := os.Getenv(hostEnv), os.Getenv(portEnv)
	if host == "" || port == "" {
		return "", fmt.Errorf("not running in a Kubernetes Pod (%s and %s are unset)", hostEnv, portEnv)
	}
	return "https://" + net.JoinHostPort(host, port), nil
}

// maxObjectBytes bounds what one read may return: a Secret is at most 1 MiB.
const maxObjectBytes = 2 << 20

// tokenTTL is how long a token file is trusted before it is read again: the
// kubelet rotates projected ServiceAccount tokens in place.
const tokenTTL = time.Minute

// Client makes authenticated GET requests to the API server.
type Client struct {
	base      *url.URL
	http      *http.Client
	tokenFile string
	tokenTTL  time.Duration

	mu        sync.Mutex
	token     string
	tokenRead time.Time
}

// ClientConfig says how to reach the API server.
type ClientConfig struct {
	APIServer string // https://host:port
	CAFile    string // PEM; the system roots when empty
	TokenFile string // a bearer token, read again every minute
	// Transport replaces the TLS transport (tests).
	Transport http.RoundTripper
}

// NewClient checks cfg and reads the CA file; it makes no request.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(cfg.APIServer)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, &ConfigError{Field: "api_server", Err: fmt.Errorf("%q is not an https://host:port URL", cfg.APIServer)}
	}
	u.Path = ""
	rt := cfg.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, &ConfigError{Field: "ca_file", Err: err}
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &ConfigError{Field: "ca_file", Err: fmt.Errorf("%s holds no PEM certificate", cfg.CAFile)}
			}
			t.TLSClientConfig.RootCAs = pool
		}
		rt = t
	}
	if cfg.TokenFile == "" {
		return nil, &ConfigError{Field: "token_file", Err: errors.New("missing: the API server is read with a ServiceAccount token")}
	}
	return &Client{base: u, http: &http.Client{Transport: rt, CheckRedirect: noRedirects}, tokenFile: cfg.TokenFile, tokenTTL: tokenTTL}, nil
}

// ConfigError is a Config or ClientConfig field that cannot work, by its
// snake_case name (the plugin's config names it in full).
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *ConfigError) Unwrap() error { return e.Err }

// A redirect would send the token elsewhere; the API server never redirects these reads.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// APIError is an answer of the API server other than 200, with its Status
// reason and message (which name the object, never its content).
type APIError struct {
	Code    int
	Reason  string
	Message string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Code)
	}
	return fmt.Sprintf("the API server answered %d: %s", e.Code, msg)
}

// IsNotFound reports whether err is the API server's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == http.StatusNotFound
}

// get reads the object at path into into.
func (c *Client) get(ctx context.Context, path string, into any) error {
	token, err := c.bearer()
	if err != nil {
		return err
	}
	u := *c.base
	u.Path = path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "opa-cosign")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reaching the API server: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxObjectBytes+1))
	if err != nil {
		return fmt.Errorf("reading the API server's answer: %w", err)
	}
	if len(body) > maxObjectBytes {
		return fmt.Errorf("the API server's answer is larger than %d bytes", maxObjectBytes)
	}
	if resp.StatusCode != http.StatusOK {
		ae := &APIError{Code: resp.StatusCode}
		var status struct{ Reason, Message string }
		if json.Unmarshal(body, &status) == nil {
			ae.Reason, ae.Message = status.Reason, status.Message
		}
		return ae
	}
	if err := json.Unmarshal(body, into); err != nil {
		return errors.New("the API server's answer is not the JSON object expected")
	}
	return nil
}

// bearer is the token, read again when older than tokenTTL.
func (c *Client) bearer() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Since(c.tokenRead) < c.tokenTTL {
		return c.token, nil
	}
	b, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return "", fmt.Errorf("reading the ServiceAccount token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("the ServiceAccount token file %s is empty", c.tokenFile)
	}
	c.token, c.tokenRead = token, time.Now()
	return token, nil
}

// Secret is what a pull secret holds, its values decoded.
type Secret struct {
	Type string            `json:"type"`
	Data map[string][]byte `json:"data"`
}

// Secret reads a Secret. namespace and name must be valid names (PullContext.Validate).
func (c *Client) Secret(ctx context.Context, namespace, name string) (*Secret, error) {
	var s Secret
	if err := c.get(ctx, "/api/v1/namespaces/"+namespace+"/secrets/"+name, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ServiceAccount is the part of a ServiceAccount that names pull secrets.
type ServiceAccount struct {
	ImagePullSecrets []struct {
		Name string `json:"name"`
	} `json:"imagePullSecrets"`
}

// ServiceAccount reads a ServiceAccount. namespace and name must be valid names.
func (c *Client) ServiceAccount(ctx context.Context, namespace, name string) (*ServiceAccount, error) {
	var sa ServiceAccount
	if err := c.get(ctx, "/api/v1/namespaces/"+namespace+"/serviceaccounts/"+name, &sa); err != nil {
		return nil, err
	}
	return &sa, nil
}
