//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
	"sigs.k8s.io/yaml"
)

// authzServer is opa-cosign serving the OPA-Envoy plugin, as deployed: the
// shipped opa-cosign config (ports moved, reflection on, the test registry
// marked insecure) and the standalone bundle built by scripts/bundles.sh with
// the test's data.json.
type authzServer struct {
	grpcAddr, httpAddr string
	client             authv3.AuthorizationClient
	logs               *syncBuffer
	proc               *exec.Cmd
}

func startAuthz(t *testing.T, shippedConfig string, data map[string]any, insecureHost string) authzServer {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	writeText(t, filepath.Join(dir, "data.json"), string(b))
	mustRun(t, repoRoot, []string{"BUNDLE_DATA=" + filepath.Join(dir, "data.json"), "BUNDLE_OUT=" + dir},
		filepath.Join(repoRoot, "scripts/bundles.sh"), "standalone")

	var config map[string]any
	if err := yaml.Unmarshal([]byte(readText(t, filepath.Join(repoRoot, shippedConfig))), &config); err != nil {
		t.Fatal(err)
	}
	plugins := config["plugins"].(map[string]any)
	s := authzServer{
		grpcAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		httpAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
	envoy := plugins["envoy_ext_authz_grpc"].(map[string]any)
	envoy["addr"], envoy["enable-reflection"] = s.grpcAddr, true
	plugins["cosign"].(map[string]any)["registry"] = map[string]any{"insecure": []string{insecureHost}}
	cb, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	writeText(t, filepath.Join(dir, "config.yaml"), string(cb))

	s.proc, s.logs = startCapture(t, bin(t, "build/opa-cosign"), nil, "run", "--server", "--addr", s.httpAddr,
		"--config-file", filepath.Join(dir, "config.yaml"), "--bundle", filepath.Join(dir, "standalone.tar.gz"))
	// The plugin reports OK only once its gRPC listener is up.
	waitHTTP(t, "http://"+s.httpAddr+"/health?plugins&bundles")
	conn, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s.client = authv3.NewAuthorizationClient(conn)
	return s
}

// httpRequest is the downstream request Envoy asks about.
type httpRequest struct {
	method, path, host string
	headers            map[string]string
	body               string
}

// checkRequest builds the CheckRequest the way Envoy's ext_authz filter does:
// peers, the request time, the HTTP attributes, and the header map with the
// pseudo-headers, keys in lower case.
func checkRequest(r httpRequest) *authv3.CheckRequest {
	headers := map[string]string{
		":authority": r.host, ":method": r.method, ":path": r.path, ":scheme": "https",
		"user-agent": "containerd/v2.0.0", "x-request-id": "4f8e0a7c-e2e", "x-forwarded-proto": "https",
	}
	for k, v := range r.headers {
		headers[strings.ToLower(k)] = v
	}
	size := int64(-1)
	if r.body != "" {
		size = int64(len(r.body))
	}
	peer := func(ip string, port uint32) *authv3.AttributeContext_Peer {
		return &authv3.AttributeContext_Peer{Address: &corev3.Address{Address: &corev3.Address_SocketAddress{
			SocketAddress: &corev3.SocketAddress{Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}}
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:          peer("10.0.0.7", 53122),
		Destination:     peer("10.0.0.2", 443),
		MetadataContext: &corev3.Metadata{},
		Request: &authv3.AttributeContext_Request{
			Time: timestamppb.Now(),
			Http: &authv3.AttributeContext_HttpRequest{
				Id: "4f8e0a7c-e2e", Method: r.method, Headers: headers, Path: r.path, Host: r.host,
				Scheme: "https", Protocol: "HTTP/1.1", Size: size, Body: r.body,
			},
		},
	}}
}

// answer is what Envoy does with a CheckResponse: the gRPC status, and either
// the headers added to the client's response, or the denial's status, headers
// and body.
type answer struct {
	code            int32 // google.rpc.Code: 0 OK, 7 PERMISSION_DENIED
	status          int   // HTTP status of a denial
	headers         map[string]string
	responseHeaders map[string]string
	body            string
}

func (a answer) String() string {
	return fmt.Sprintf("code=%d status=%d headers=%v responseHeaders=%v body=%s", a.code, a.status, a.headers, a.responseHeaders, a.body)
}

func (s authzServer) check(t *testing.T, r httpRequest) answer {
	t.Helper()
	a, err := s.checkErr(r)
	if err != nil {
		t.Fatalf("Check %s %s: %v", r.method, r.path, err)
	}
	return a
}

func (s authzServer) checkErr(r httpRequest) (answer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := s.client.Check(ctx, checkRequest(r))
	if err != nil {
		return answer{}, err
	}
	a := answer{code: resp.GetStatus().GetCode(), headers: map[string]string{}, responseHeaders: map[string]string{}}
	if ok := resp.GetOkResponse(); ok != nil {
		for _, h := range ok.GetResponseHeadersToAdd() {
			a.responseHeaders[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
		}
		for _, h := range ok.GetHeaders() {
			a.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
		}
	}
	if denied := resp.GetDeniedResponse(); denied != nil {
		a.status = int(denied.GetStatus().GetCode())
		a.body = denied.GetBody()
		for _, h := range denied.GetHeaders() {
			a.headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
		}
	}
	return a, nil
}

// registryErrors decodes a registry gateway denial body.
func registryErrors(t *testing.T, a answer) []struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Detail  map[string]any `json:"detail"`
} {
	t.Helper()
	var out struct {
		Errors []struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Detail  map[string]any `json:"detail"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(a.body), &out); err != nil || len(out.Errors) != 1 {
		t.Fatalf("denial body %q: %v", a.body, err)
	}
	return out.Errors
}

// grpcCode is the gRPC status code of a failed call.
func grpcCode(err error) string { return status.Code(err).String() }

// decisionLogs are the console decision-log entries of the server for one path.
func (s authzServer) decisionLogs(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) != nil || e["msg"] != "Decision Log" || e["path"] != path {
			continue
		}
		out = append(out, e)
	}
	return out
}

func writeText(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
