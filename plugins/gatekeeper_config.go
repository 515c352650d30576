package plugins

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"
)

// GatekeeperConfig is plugins.cosign.gatekeeper_provider: Gatekeeper's
// external-data provider on its own HTTPS listener. Off unless addr is set.
type GatekeeperConfig struct {
	Addr            string `json:"addr"`
	TLSCertFile     string `json:"tls_cert_file"`
	TLSKeyFile      string `json:"tls_key_file"`
	ClientCAFile    string `json:"client_ca_file"`
	Timeout         string `json:"timeout"`
	MaxKeys         *int   `json:"max_keys"`
	MaxRequestBytes *int64 `json:"max_request_bytes"`

	provider gatekeeperSettings // the validated result
}

// gatekeeperSettings is the provider's validated configuration.
type gatekeeperSettings struct {
	addr            string
	certFile        string
	keyFile         string
	clientCAFile    string        // "" = no client certificate asked for
	timeout         time.Duration // whole-request deadline
	maxKeys         int
	maxRequestBytes int64
}

// Defaults of the provider's limits. A Pod has a few dozen images at most and
// an image reference is at most a few hundred bytes; Gatekeeper sends the
// keys of one object (one Pod or workload) per request.
const (
	DefaultGatekeeperMaxKeys         = 256
	DefaultGatekeeperMaxRequestBytes = 256 << 10
	// gatekeeperTimeoutMargin is what the default deadline leaves after the
	// verification deadline (plugins.cosign.timeout) for the policy to
	// evaluate and the answer to be written.
	gatekeeperTimeoutMargin = time.Second
)

// settings validates the section; verifyTimeout is plugins.cosign.timeout.
// Certificate and CA files are read here so a bad file stops OPA at start;
// the listener reads them again, and again when they change (rotation).
func (g GatekeeperConfig) settings(verifyTimeout time.Duration) (gatekeeperSettings, error) {
	const f = "gatekeeper_provider."
	if g.Addr == "" {
		if g.TLSCertFile != "" || g.TLSKeyFile != "" || g.ClientCAFile != "" || g.Timeout != "" || g.MaxKeys != nil || g.MaxRequestBytes != nil {
			return gatekeeperSettings{}, fieldError(f+"addr", "should be set (host:port) when gatekeeper_provider is configured; the provider is off without it")
		}
		return gatekeeperSettings{}, nil
	}
	if _, _, err := net.SplitHostPort(g.Addr); err != nil {
		return gatekeeperSettings{}, fieldError(f+"addr", fmt.Sprintf("should be host:port such as :9443, got %q", g.Addr))
	}
	// Gatekeeper calls providers over HTTPS only; TLS is not optional.
	if g.TLSCertFile == "" || g.TLSKeyFile == "" {
		field := f + "tls_cert_file"
		if g.TLSCertFile != "" {
			field = f + "tls_key_file"
		}
		return gatekeeperSettings{}, fieldError(field, "should name a PEM file: Gatekeeper calls providers over HTTPS only")
	}
	if _, err := tls.LoadX509KeyPair(g.TLSCertFile, g.TLSKeyFile); err != nil {
		return gatekeeperSettings{}, fieldError(f+"tls_cert_file", err.Error())
	}
	if g.ClientCAFile != "" {
		if _, err := loadCertPool(g.ClientCAFile); err != nil {
			return gatekeeperSettings{}, fieldError(f+"client_ca_file", err.Error())
		}
	}
	s := gatekeeperSettings{addr: g.Addr, certFile: g.TLSCertFile, keyFile: g.TLSKeyFile, clientCAFile: g.ClientCAFile}
	var err error
	if s.timeout, err = duration(f+"timeout", g.Timeout, verifyTimeout+gatekeeperTimeoutMargin); err != nil {
		return s, err
	}
	// Verifications must end (as per-image `timeout` results, with their
	// reasons) before the request's own deadline cancels the whole evaluation.
	if s.timeout <= verifyTimeout {
		return s, fieldError(f+"timeout", fmt.Sprintf("should be longer than plugins.%s.timeout (%s), so that verifications end before the provider's deadline, got %s", Name, verifyTimeout, s.timeout))
	}
	if s.maxKeys, err = positive(f+"max_keys", g.MaxKeys, DefaultGatekeeperMaxKeys); err != nil {
		return s, err
	}
	if s.maxRequestBytes, err = positive(f+"max_request_bytes", g.MaxRequestBytes, DefaultGatekeeperMaxRequestBytes); err != nil {
		return s, err
	}
	return s, nil
}

// loadCertPool reads a PEM bundle of CA certificates.
func loadCertPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("no PEM certificate in %s", file)
	}
	return pool, nil
}
