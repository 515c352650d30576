//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// grpcurlScenarios: what a user trying the gateway by hand sees, with grpcurl
// against the reflection service (enable-reflection: true).
func grpcurlScenarios(t *testing.T, f envoyFixture) {
	grpcurl := bin(t, "build/tools/bin/grpcurl")
	addr := f.registryGW.grpcAddr
	if out := mustRun(t, "", nil, grpcurl, "-plaintext", addr, "list"); !strings.Contains(out, "envoy.service.auth.v3.Authorization") {
		t.Fatalf("grpcurl list: %s", out)
	}
	call := func(repo string) map[string]any {
		req := `{"attributes":{"request":{"http":{"method":"GET","path":"/v2/` + repo + `/manifests/v1","host":"` + f.host + `"}}}}`
		out := mustRun(t, "", nil, grpcurl, "-plaintext", "-d", req, addr, "envoy.service.auth.v3.Authorization/Check")
		var resp map[string]any
		if err := json.Unmarshal([]byte(out), &resp); err != nil {
			t.Fatalf("grpcurl output %q: %v", out, err)
		}
		return resp
	}
	ok := call("e2e/legacy")
	added, _ := json.Marshal(ok["okResponse"])
	if _, denied := ok["deniedResponse"]; denied || !strings.Contains(string(added), `"value":"`+f.legacy.DigestStr()+`"`) {
		t.Fatalf("signed image: %v", ok)
	}
	no := call("e2e/unsigned")
	denied, _ := no["deniedResponse"].(map[string]any)
	if no["status"].(map[string]any)["code"] != 7.0 || denied["status"].(map[string]any)["code"] != "Forbidden" ||
		!strings.Contains(denied["body"].(string), "no_signatures") {
		t.Fatalf("unsigned image: %v", no)
	}
}

// decisionLogScenarios: the decision log of each ext_authz decision carries the
// per-image results whole (digest, and whatever else the library reports, such
// as signers), and none of the credentials or secrets of the request.
func decisionLogScenarios(t *testing.T, f envoyFixture) {
	secrets := map[string]string{
		"authorization": "Bearer SECRET-token-e2e", "cookie": "session=SECRET-cookie-e2e",
		"proxy-authorization": "Basic SECRET-proxy-e2e", "x-registry-auth": "SECRET-xra-e2e",
		"x-request-id": "log-e2e-registry",
	}
	path := "/v2/e2e/legacy/manifests/v1"
	if a := f.registryGW.check(t, httpRequest{method: "GET", path: path + "?token=SECRET-query-e2e", host: f.host, headers: secrets}); a.code != 0 {
		t.Fatalf("signed pull: %s", a)
	}
	secrets["x-request-id"] = "log-e2e-deploy"
	body := `{"images": ["` + f.host + `/e2e/legacy:v1"], "env": {"PASSWORD": "SECRET-body-e2e"}}`
	if a := f.deployGW.check(t, deployRequest(body, secrets)); a.code != 0 {
		t.Fatalf("deploy: %s", a)
	}

	// The per-image result the library gives for the same image.
	want := decisionImage(t, f.registryGW, f.host+"/e2e/legacy:v1")
	for _, c := range []struct {
		gw        authzServer
		path, id  string
		input     func(map[string]any) any
		wantInput any
	}{
		{f.registryGW, "imagepolicy/envoy/registry", "log-e2e-registry", func(in map[string]any) any { return httpOf(in)["path"] }, path},
		{f.deployGW, "imagepolicy/envoy/deploy", "log-e2e-deploy", func(in map[string]any) any { return in["parsed_body"] },
			map[string]any{"images": []any{f.host + "/e2e/legacy:v1"}}},
	} {
		entry := waitDecisionLog(t, c.gw, c.path, c.id)
		input := entry["input"].(map[string]any)
		if got := c.input(input); !reflect.DeepEqual(got, c.wantInput) {
			t.Errorf("%s: logged input %v, want %v", c.path, got, c.wantInput)
		}
		images := entry["result"].(map[string]any)["images"].([]any)
		if len(images) != 1 || !reflect.DeepEqual(images[0], want) || images[0].(map[string]any)["digest"] != f.legacy.DigestStr() {
			t.Errorf("%s: logged result images %v, want [%v]", c.path, images, want)
		} else if signers, _ := images[0].(map[string]any)["signers"].([]any); len(signers) != 1 || !strings.HasPrefix(fmt.Sprint(signers[0]), "key:sha256:") {
			t.Errorf("%s: logged signers %v, want the key that signed", c.path, signers)
		}
		headers := httpOf(input)["headers"].(map[string]any)
		for _, h := range []string{"authorization", "cookie", "proxy-authorization", "x-registry-auth"} {
			if _, ok := headers[h]; ok {
				t.Errorf("%s: header %s logged", c.path, h)
			}
		}
		if headers[":authority"] == nil || headers["x-request-id"] != c.id {
			t.Errorf("%s: logged headers %v lack the allowlisted ones", c.path, headers)
		}
		// Every secret above is spelled SECRET-…: none may appear anywhere in the output.
		if logs := c.gw.logs.String(); strings.Contains(logs, "SECRET-") {
			i := strings.Index(logs, "SECRET-")
			t.Errorf("%s: a secret reached the server's output: …%s…", c.path, logs[max(0, i-200):min(len(logs), i+50)])
		}
	}
}

func httpOf(input map[string]any) map[string]any {
	return input["attributes"].(map[string]any)["request"].(map[string]any)["http"].(map[string]any)
}

func waitDecisionLog(t *testing.T, gw authzServer, path, requestID string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, e := range gw.decisionLogs(t, path) {
			in, _ := e["input"].(map[string]any)
			if in == nil {
				continue
			}
			if h, _ := httpOf(in)["headers"].(map[string]any); h != nil && h["x-request-id"] == requestID {
				return e
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no decision log for %s with x-request-id %s", path, requestID)
	return nil
}

// decisionImage asks the server's data API for data.imagepolicy.decision on one image.
func decisionImage(t *testing.T, gw authzServer, img string) any {
	t.Helper()
	resp, err := http.Post("http://"+gw.httpAddr+"/v1/data/imagepolicy/decision", "application/json",
		bytes.NewReader([]byte(`{"input": {"images": ["`+img+`"]}}`)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result struct {
			Images []any `json:"images"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Result.Images) != 1 {
		t.Fatalf("decision: %v %+v", err, out)
	}
	return out.Result.Images[0]
}

// downScenario: with opa-cosign gone, a Check fails at the transport (gRPC
// UNAVAILABLE); Envoy, with failure_mode_allow: false, answers the client with
// its status_on_error (503) and never forwards the request.
func downScenario(t *testing.T, f envoyFixture) {
	if err := f.deployGW.proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = f.deployGW.proc.Wait()
	_, err := f.deployGW.checkErr(deployRequest(`{"images": ["`+f.host+`/e2e/legacy:v1"]}`, nil))
	if grpcCode(err) != "Unavailable" {
		t.Fatalf("Check with opa-cosign down: %v, want Unavailable", err)
	}
}
