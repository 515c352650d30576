package registry

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// PingTTL is how long a registry's answer to the API version check (GET /v2/,
// "ping") is reused: about a bearer token's lifetime (Docker Hub's are 300 s).
const PingTTL = 5 * time.Minute

// maxPings bounds the registries whose ping is kept.
const maxPings = 1024

// pings keeps each registry's ping answer, so that a registry is pinged once
// per PingTTL rather than once per repository: go-containerregistry sets up
// (and pings for) every repository on its own, which on a Pod of images from
// many repositories of one registry is a round trip per image (issue 14).
// Only the answers that describe the registry are kept — 200 (no auth) and
// 401 with its challenge — never an error or another status, so a failing
// registry is asked again. Tokens stay per repository: they are not pings.
//
// For a registry marked insecure, go-containerregistry tries HTTPS before
// HTTP; once HTTPS failed and HTTP answered, the HTTPS attempt fails at once
// for PingTTL instead of costing a connection each time. That is only a
// choice among the schemes the configuration allows for that registry.
type pings struct {
	mu      sync.Mutex
	now     func() time.Time
	answers map[string]pingAnswer    // scheme://host
	failed  map[string]time.Time     // insecure host -> when its HTTPS ping failed
	noTLS   map[string]time.Time     // insecure host -> until when HTTPS is not tried
	flying  map[string]chan struct{} // scheme://host -> closed when its ping ends
}

type pingAnswer struct {
	status  int
	header  http.Header
	expires time.Time
}

var errNoTLS = errors.New("registry answered over plain HTTP after HTTPS failed (insecure registry)")

func newPings() *pings {
	p := &pings{now: time.Now, flying: map[string]chan struct{}{}}
	p.reset()
	return p
}

func (p *pings) reset() {
	p.answers, p.failed, p.noTLS = map[string]pingAnswer{}, map[string]time.Time{}, map[string]time.Time{}
}

// isPing reports whether req is go-containerregistry's anonymous ping.
func isPing(req *http.Request) bool {
	return req.Method == http.MethodGet && req.URL.Path == "/v2/" && req.Header.Get("Authorization") == ""
}

// answer returns a response made from the kept answer for req, or an error
// for an HTTPS ping of an insecure registry known to speak plain HTTP; both
// nil when req must go to the registry.
func (p *pings) answer(req *http.Request, host string, insecure bool) (*http.Response, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if insecure && req.URL.Scheme == "https" {
		if until, ok := p.noTLS[host]; ok && now.Before(until) {
			return nil, errNoTLS
		}
	}
	a, ok := p.answers[req.URL.Scheme+"://"+host]
	if !ok || !now.Before(a.expires) {
		return nil, nil
	}
	return &http.Response{
		Status: http.StatusText(a.status), StatusCode: a.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: a.header.Clone(), Body: http.NoBody, ContentLength: 0, Request: req,
	}, nil
}

// fly makes the caller the one that pings scheme://host (true), or returns
// the channel closed when the ping in flight ends: the verifications of a
// Pod start together, and without this each would ping.
func (p *pings) fly(req *http.Request, host string) (chan struct{}, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := req.URL.Scheme + "://" + host
	if ch, ok := p.flying[key]; ok {
		return ch, false
	}
	p.flying[key] = make(chan struct{})
	return nil, true
}

// land ends the flight of scheme://host.
func (p *pings) land(req *http.Request, host string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := req.URL.Scheme + "://" + host
	close(p.flying[key])
	delete(p.flying, key)
}

// ping answers req from the kept answer (sent false), after waiting for a ping of the same
// registry in flight; otherwise it sends req with send and keeps the answer.
// A waiter whose flight ended without an answer (an error) asks itself.
func (p *pings) ping(req *http.Request, host string, insecure bool, send func() (*http.Response, error)) (*http.Response, bool, error) {
	for {
		if resp, err := p.answer(req, host, insecure); resp != nil || err != nil {
			return resp, false, err
		}
		wait, mine := p.fly(req, host)
		if mine {
			break
		}
		select {
		case <-wait:
		case <-req.Context().Done():
			return nil, false, req.Context().Err()
		}
	}
	defer p.land(req, host)
	resp, err := send()
	p.keep(req, host, insecure, resp, err)
	return resp, true, err
}

// keep records what the registry answered to a ping.
func (p *pings) keep(req *http.Request, host string, insecure bool, resp *http.Response, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if len(p.answers) >= maxPings || len(p.failed) >= maxPings {
		p.reset()
	}
	switch {
	case err != nil && insecure && req.URL.Scheme == "https" && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded):
		// Acted on only once HTTP answers (below).
		p.failed[host] = now
	case err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized):
		p.answers[req.URL.Scheme+"://"+host] = pingAnswer{status: resp.StatusCode, header: resp.Header.Clone(), expires: now.Add(PingTTL)}
		if req.URL.Scheme == "http" {
			if failed, ok := p.failed[host]; ok && now.Sub(failed) < PingTTL {
				p.noTLS[host] = now.Add(PingTTL)
			}
		}
	}
}
