package plugins

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/logging"
	"github.com/open-policy-agent/opa/v1/plugins"
)

// gatekeeperProvider is the provider's HTTPS listener.
type gatekeeperProvider struct {
	settings gatekeeperSettings
	addr     string // bound address (the port, when settings ask for :0)
	server   *http.Server
	done     chan struct{}
}

// startGatekeeper binds the listener (so a taken port fails the plugin's
// Start) and serves in the background. It returns nil when the provider is
// not configured.
func startGatekeeper(m *plugins.Manager, s gatekeeperSettings) (*gatekeeperProvider, error) {
	if s.addr == "" {
		return nil, nil
	}
	files := &tlsFiles{settings: s, logger: m.Logger()}
	if _, err := files.config(nil); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("gatekeeper provider: %w", err)
	}
	met := newGatekeeperMetrics(m.PrometheusRegister())
	d := &decider{manager: m}
	mux := http.NewServeMux()
	mux.Handle("/validate", &gatekeeperHandler{decider: d, settings: s, metrics: met, endpoint: "/validate", answer: validateItem})
	mux.Handle("/mutate", &gatekeeperHandler{decider: d, settings: s, metrics: met, endpoint: "/mutate", answer: mutateItem})
	g := &gatekeeperProvider{settings: s, addr: ln.Addr().String(), done: make(chan struct{}), server: &http.Server{
		Handler:           mux,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS13, GetConfigForClient: files.config},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      s.timeout + 10*time.Second, // the handler answers by its own deadline
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    16 << 10,
		// Refused handshakes (a client without Gatekeeper's certificate, a
		// Gatekeeper that does not trust our CA) are what an operator needs to see.
		ErrorLog: log.New(logWriter{m.Logger()}, "", 0),
	}}
	go func() {
		defer close(g.done)
		if err := g.server.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger().Error("Gatekeeper provider on %s stopped: %v", s.addr, err)
		}
	}()
	m.Logger().Info("Gatekeeper external-data provider listening on https://%s (/validate, /mutate).", ln.Addr())
	return g, nil
}

// stop closes the listener and lets requests in flight finish within ctx.
func (g *gatekeeperProvider) stop(ctx context.Context) {
	if g == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, g.settings.timeout+time.Second)
	defer cancel()
	if err := g.server.Shutdown(ctx); err != nil {
		_ = g.server.Close()
	}
	<-g.done
}

// tlsFiles serves the certificate, key and client CA from their files, and
// reads them again when they change: Kubernetes updates mounted Secrets in
// place when cert-manager or Gatekeeper's cert-controller rotates them.
type tlsFiles struct {
	settings gatekeeperSettings
	logger   logging.Logger
	mu       sync.Mutex
	stamp    string
	current  *tls.Config
}

func (f *tlsFiles) config(*tls.ClientHelloInfo) (*tls.Config, error) {
	stamp := fileStamp(f.settings.certFile, f.settings.keyFile, f.settings.clientCAFile)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current != nil && stamp == f.stamp {
		return f.current, nil
	}
	c, err := f.load()
	if err != nil {
		if f.current != nil { // mid-rotation (a file written, the other not yet): keep serving
			f.logger.Warn("Gatekeeper provider: keeping the previous TLS files: %v", err)
			return f.current, nil
		}
		return nil, fmt.Errorf("gatekeeper provider: %w", err)
	}
	f.current, f.stamp = c, stamp
	return c, nil
}

func (f *tlsFiles) load() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.settings.certFile, f.settings.keyFile)
	if err != nil {
		return nil, err
	}
	c := &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	if f.settings.clientCAFile != "" {
		pool, err := loadCertPool(f.settings.clientCAFile)
		if err != nil {
			return nil, err
		}
		c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, pool
	}
	return c, nil
}

// fileStamp changes when any of the files does.
func fileStamp(files ...string) string {
	var b strings.Builder
	for _, name := range files {
		if name == "" {
			continue
		}
		if fi, err := os.Stat(name); err == nil {
			fmt.Fprintf(&b, "%s:%d:%d;", name, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	return b.String()
}

// logWriter hands net/http's error log to OPA's logger.
type logWriter struct{ logger logging.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.Warn("Gatekeeper provider: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

// startGatekeeper and stopGatekeeper are the plugin's hooks: the provider
// follows the plugin's lifecycle, and a reconfiguration that leaves its
// settings alone keeps it (and its port) as it is.
func (p *Plugin) startGatekeeper(c *Config) error {
	if p.gatekeeper != nil && p.gatekeeper.settings == c.GatekeeperProvider.provider {
		return nil
	}
	p.stopGatekeeper(context.Background())
	g, err := startGatekeeper(p.manager, c.GatekeeperProvider.provider)
	if err != nil {
		p.manager.UpdatePluginStatus(Name, &plugins.Status{State: plugins.StateErr, Message: err.Error()})
		return err
	}
	p.gatekeeper = g
	return nil
}

func (p *Plugin) stopGatekeeper(ctx context.Context) {
	p.gatekeeper.stop(ctx)
	p.gatekeeper = nil
}
