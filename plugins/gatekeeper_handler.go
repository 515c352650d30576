package plugins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// gatekeeperHandler serves one provider path: /validate answers each key
// with the library's per-image result, /mutate with the reference to pin.
type gatekeeperHandler struct {
	decider  *decider
	settings gatekeeperSettings
	metrics  *gatekeeperMetrics
	endpoint string                       // "/validate" or "/mutate"
	answer   func(key string, r any) item // one key's item from its per-image result
}

func (h *gatekeeperHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, resp := h.serve(r)
	body, err := json.Marshal(resp)
	if err != nil { // cannot happen with JSON values from the evaluator; never answer half a response
		status, body = http.StatusInternalServerError, []byte(`{"apiVersion":"`+gatekeeperAPIVersion+`","kind":"`+gatekeeperResponseKind+`","response":{"idempotent":true,"systemError":"opa-cosign: encoding the response failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	h.metrics.request(h.endpoint, status, resp.Response.Items, time.Since(start))
}

// serve decides a request. Anything that stops the provider from answering
// every key is a systemError with an HTTP status other than 200: Gatekeeper's
// mutation fails on the systemError, and the shipped template denies on it
// (and on the status). Such answers carry no items, so Gatekeeper caches
// nothing for them.
func (h *gatekeeperHandler) serve(r *http.Request) (int, providerResponse) {
	resp := providerResponse{APIVersion: gatekeeperAPIVersion, Kind: gatekeeperResponseKind, Response: response{Idempotent: true}}
	fail := func(status int, format string, args ...any) (int, providerResponse) {
		resp.Response.SystemError = "opa-cosign: " + fmt.Sprintf(format, args...)
		return status, resp
	}
	if r.Method != http.MethodPost {
		return fail(http.StatusMethodNotAllowed, "method %s not allowed, want POST", r.Method)
	}
	keys, apiVersion, status, err := h.readRequest(r)
	if err != nil {
		return fail(status, "%v", err)
	}
	resp.APIVersion = apiVersion
	if len(keys) == 0 {
		return http.StatusOK, resp
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.settings.timeout)
	defer cancel()
	results, err := h.decider.decide(ctx, keys, r.RemoteAddr, h.endpoint)
	switch {
	case err != nil && ctx.Err() != nil:
		return fail(http.StatusServiceUnavailable, "no decision within %s: %v", h.settings.timeout, err)
	case err != nil:
		return fail(http.StatusInternalServerError, "evaluating data.imagepolicy.decision: %v", err)
	}
	for i, key := range keys {
		resp.Response.Items = append(resp.Response.Items, h.answer(key, results[i]))
	}
	return http.StatusOK, resp
}

// readRequest decodes and checks a ProviderRequest within the limits, and
// returns its distinct keys in order.
func (h *gatekeeperHandler) readRequest(r *http.Request) (keys []string, apiVersion string, status int, err error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.settings.maxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", h.settings.maxRequestBytes)
		}
		return nil, "", http.StatusBadRequest, fmt.Errorf("reading the request: %w", err)
	}
	var req providerRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return nil, "", http.StatusBadRequest, fmt.Errorf("malformed ProviderRequest: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return nil, "", http.StatusBadRequest, errors.New("malformed ProviderRequest: data after the JSON object")
	}
	if req.APIVersion != gatekeeperAPIVersion && req.APIVersion != gatekeeperAPIVersionAlpha {
		return nil, "", http.StatusBadRequest, fmt.Errorf("unsupported apiVersion %q, want %q", req.APIVersion, gatekeeperAPIVersion)
	}
	if req.Kind != gatekeeperRequestKind {
		return nil, "", http.StatusBadRequest, fmt.Errorf("unsupported kind %q, want %q", req.Kind, gatekeeperRequestKind)
	}
	if n := len(req.Request.Keys); n > h.settings.maxKeys {
		return nil, "", http.StatusBadRequest, fmt.Errorf("%d keys in one request, at most %d", n, h.settings.maxKeys)
	}
	seen := map[string]bool{}
	for i, k := range req.Request.Keys {
		s, ok := k.(string)
		if !ok {
			return nil, "", http.StatusBadRequest, fmt.Errorf("key %d is %s, not a string", i, jsonType(k))
		}
		if !seen[s] {
			seen[s] = true
			keys = append(keys, s)
		}
	}
	return keys, req.APIVersion, http.StatusOK, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// validateItem passes the library's per-image result through whole. A result
// that is not the library's object (or is about another image) is an error
// for that key: the key could not be decided.
func validateItem(key string, r any) item {
	res, ok := r.(map[string]any)
	if !ok || res["image"] != key {
		return item{Key: key, Error: "opa-cosign: no per-image result for this image"}
	}
	return item{Key: key, Value: res}
}

// mutateItem is the reference Gatekeeper's Assign writes: name@digest for a
// verified image, the key itself for an image allowed without verification,
// and an error (which fails the mutation) for anything else.
func mutateItem(key string, r any) item {
	res, ok := r.(map[string]any)
	if !ok || res["image"] != key {
		return item{Key: key, Error: "opa-cosign: no per-image result for this image"}
	}
	if res["allowed"] != true {
		return item{Key: key, Error: "opa-cosign: " + reasons(res)}
	}
	if res["verified"] != true {
		return item{Key: key, Value: key}
	}
	ref, _ := res["reference"].(string)
	if !strings.Contains(ref, "@sha256:") {
		return item{Key: key, Error: "opa-cosign: verified, but no digest reference to pin"}
	}
	return item{Key: key, Value: ref}
}

func reasons(res map[string]any) string {
	list, _ := res["reasons"].([]any)
	var out []string
	for _, r := range list {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return "not allowed by the verification config"
	}
	return strings.Join(out, "; ")
}
