package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// envoySection is section 6: the registry pull gateway's Check, warm.
func (e *env) envoySection() string {
	p50, p99 := e.envoyWarm(2000)
	return fmt.Sprintf("\n## 6. Warm Envoy ext_authz Check: one image, registry pull gateway\n\n"+
		"One gRPC client, sequential `envoy.service.auth.v3.Authorization/Check` calls for `GET /v2/<name>/manifests/v1` "+
		"(policy `imagepolicy/envoy/registry`, verification cached, decision logs off), 2,000 calls after one warm-up.\n\n"+
		"| p50 | p99 |\n|---|---|\n| %s | %s |\n", ms(p50), ms(p99))
}

// envoyWarm starts opa-cosign with the OPA-Envoy plugin serving the registry
// gateway for the bench registry, verifies one image once, then times rounds
// sequential Checks of the same pull over one connection.
func (e *env) envoyWarm(rounds int) (p50, p99 time.Duration) {
	pub, err := os.ReadFile(e.pub)
	must(err)
	data := map[string]any{"imagepolicy": map[string]any{"config": map[string]any{
		"allow_with_verification": map[string]any{e.registry: map[string]any{"bench/**": map[string]any{"key": string(pub), "insecure-ignore-tlog": true}}},
		"envoy":                   map[string]any{"registry": map[string]any{"upstream": e.registry}},
	}}}
	dir, err := os.MkdirTemp(e.work, "envoy")
	must(err)
	b, _ := json.Marshal(data)
	must(os.WriteFile(filepath.Join(dir, "data.json"), b, 0o600))
	grpcAddr, httpAddr := freeAddr(), freeAddr()
	must(os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(fmt.Sprintf(
		"plugins:\n  cosign:\n    timeout: 30s\n    registry:\n      insecure: [%q]\n  envoy_ext_authz_grpc:\n    addr: %s\n    path: imagepolicy/envoy/registry\ndecision_logs:\n  console: false\n",
		e.registry, grpcAddr)), 0o600))
	e.start(e.bin("build/opa-cosign"), "run", "--server", "--log-level", "error", "--addr", httpAddr,
		"--config-file", filepath.Join(dir, "config.yaml"), e.bin("rego"), filepath.Join(dir, "data.json"))
	waitHTTP("http://" + httpAddr + "/health?plugins")

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	must(err)
	defer conn.Close()
	client := authv3.NewAuthorizationClient(conn)
	repo := e.images[0].Context().RepositoryStr()
	req := &authv3.CheckRequest{Attributes: &authv3.AttributeContext{Request: &authv3.AttributeContext_Request{
		Http: &authv3.AttributeContext_HttpRequest{
			Method: "GET", Path: "/v2/" + repo + "/manifests/v1", Host: e.registry, Scheme: "https", Protocol: "HTTP/1.1",
			Headers: map[string]string{":method": "GET", ":path": "/v2/" + repo + "/manifests/v1", ":authority": e.registry, "user-agent": "bench"},
		},
	}}}
	check := func() time.Duration {
		start := time.Now()
		resp, err := client.Check(context.Background(), req)
		took := time.Since(start)
		must(err)
		if resp.GetStatus().GetCode() != 0 || !strings.HasPrefix(headerValue(resp, "x-opa-cosign-digest"), "sha256:") {
			panic(fmt.Sprintf("warm Check not allowed: %v", resp))
		}
		return took
	}
	check() // verifies and caches; prepares the query
	all := make([]time.Duration, 0, rounds)
	for range rounds {
		all = append(all, check())
	}
	return percentile(all, .5), percentile(all, .99)
}

func headerValue(resp *authv3.CheckResponse, key string) string {
	for _, h := range resp.GetOkResponse().GetResponseHeadersToAdd() {
		if h.GetHeader().GetKey() == key {
			return h.GetHeader().GetValue()
		}
	}
	return ""
}
