//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// admissionServer runs opa-cosign with the policy library (rego/) and a
// verification config for the test registry.
func admissionServer(t *testing.T, host string, k keyPair) server {
	t.Helper()
	dir := t.TempDir()
	data := map[string]any{"imagepolicy": map[string]any{"config": map[string]any{
		"allow_with_verification": map[string]any{host: map[string]any{"e2e/**": map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}}},
		"exempt_namespaces":       []string{"kube-system"},
		"namespaces":              map[string]any{"dev-*": map[string]any{"mode": "warn"}},
	}}}
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf("plugins:\n  cosign:\n    registry:\n      insecure: [%q]\n", host)
	for f, s := range map[string]string{"data.json": string(b), "config.yaml": config} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	start(t, bin(t, "build/opa-cosign"), nil, "run", "--server", "--addr", addr, "--config-file", filepath.Join(dir, "config.yaml"),
		filepath.Join(repoRoot, "rego"), filepath.Join(dir, "data.json"))
	waitHTTP(t, "http://"+addr+"/health?plugins")
	return server{url: "http://" + addr}
}

type admissionResponse struct {
	UID      string   `json:"uid"`
	Allowed  bool     `json:"allowed"`
	Warnings []string `json:"warnings"`
	Status   struct {
		Message string `json:"message"`
	} `json:"status"`
	PatchType string `json:"patchType"`
	Patch     string `json:"patch"`
}

// admit posts a raw AdmissionReview to the v0 data API, as a webhook does.
func (s server) admit(t *testing.T, decision string, review map[string]any) admissionResponse {
	t.Helper()
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.url+"/v0/data/imagepolicy/kubernetes/"+decision, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Kind     string            `json:"kind"`
		Response admissionResponse `json:"response"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || out.Kind != "AdmissionReview" {
		t.Fatalf("server answered %d, kind %q", resp.StatusCode, out.Kind)
	}
	return out.Response
}

func admissionReview(kind, op, namespace string, object map[string]any) map[string]any {
	return map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{"uid": "e2e-uid", "kind": map[string]any{"group": "", "version": "v1", "kind": kind},
			"operation": op, "namespace": namespace, "object": object},
	}
}

func podSpec(containers, init []string) map[string]any {
	list := func(prefix string, images []string) []any {
		out := []any{}
		for i, img := range images {
			out = append(out, map[string]any{"name": fmt.Sprintf("%s%d", prefix, i), "image": img})
		}
		return out
	}
	return map[string]any{"containers": list("c", containers), "initContainers": list("init", init)}
}

// TestAdmissionThroughServer: the library's AdmissionReview decisions, with
// images signed by the real cosign v2 and v3 in the real registry.
func TestAdmissionThroughServer(t *testing.T) {
	host := startRegistry(t)
	k := newKeyPair(t)
	srv := admissionServer(t, host, k)
	legacy := push(t, host, "e2e/legacy", "v1")
	sign(t, v2, k, legacy.String(), nil)
	bundled := push(t, host, "e2e/bundled", "v1")
	sign(t, v3, k, bundled.String(), nil)
	unsigned := push(t, host, "e2e/unsigned", "v1")
	legacyTag, bundledTag, unsignedTag := host+"/e2e/legacy:v1", host+"/e2e/bundled:v1", host+"/e2e/unsigned:v1"

	pod := map[string]any{"metadata": map[string]any{"name": "p"}, "spec": podSpec([]string{legacyTag, bundledTag}, nil)}
	if r := srv.admit(t, "validate", admissionReview("Pod", "CREATE", "prod", pod)); !r.Allowed || r.UID != "e2e-uid" {
		t.Fatalf("signed pod: %+v", r)
	}
	m := srv.admit(t, "mutate", admissionReview("Pod", "CREATE", "prod", pod))
	raw, err := base64.StdEncoding.DecodeString(m.Patch)
	if err != nil || m.PatchType != "JSONPatch" {
		t.Fatalf("mutate: %+v", m)
	}
	var patch []map[string]any
	if err := json.Unmarshal(raw, &patch); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"op": "replace", "path": "/spec/containers/0/image", "value": legacy.String()},
		{"op": "replace", "path": "/spec/containers/1/image", "value": bundled.String()},
	}
	if fmt.Sprint(patch) != fmt.Sprint(want) {
		t.Fatalf("patch = %v, want %v", patch, want)
	}

	for _, c := range []struct {
		name, kind, namespace string
		object                map[string]any
		allowed               bool
		message               string
	}{
		{"unsigned init container", "Pod", "prod", map[string]any{"spec": podSpec([]string{legacyTag}, []string{unsignedTag})}, false,
			`init container "init0" image "` + unsignedTag + `": no_signatures`},
		{"deployment with an unsigned container", "Deployment", "prod", map[string]any{"spec": map[string]any{"template": map[string]any{"spec": podSpec([]string{unsignedTag, bundledTag}, nil)}}}, false,
			`container "c0" image "` + unsignedTag + `"`},
		{"cronjob signed", "CronJob", "prod", map[string]any{"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": map[string]any{"spec": podSpec([]string{bundled.String()}, nil)}}}}}, true, ""},
		{"unsigned ephemeral container", "Pod", "prod", map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": legacyTag}}, "ephemeralContainers": []any{map[string]any{"name": "debug", "image": unsigned.String()}}}}, false,
			`ephemeral container "debug"`},
		{"exempt namespace", "Pod", "kube-system", map[string]any{"spec": podSpec([]string{unsignedTag}, nil)}, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := srv.admit(t, "validate", admissionReview(c.kind, "CREATE", c.namespace, c.object))
			if r.Allowed != c.allowed || !strings.Contains(r.Status.Message, c.message) {
				t.Fatalf("allowed=%v message=%q, want allowed=%v message containing %q", r.Allowed, r.Status.Message, c.allowed, c.message)
			}
		})
	}
	r := srv.admit(t, "validate", admissionReview("Pod", "CREATE", "dev-team", map[string]any{"spec": podSpec([]string{unsignedTag}, nil)}))
	if !r.Allowed || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "no_signatures") {
		t.Fatalf("warn mode: %+v", r)
	}

	// The plugin's metrics join OPA's /metrics.
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{`cosign_verifications_total{format="legacy",result="verified"}`, `cosign_verifications_total{format="bundle",result="verified"}`,
		`cosign_cache_total{outcome="hit"}`, `cosign_registry_requests_total{status="200"}`, "cosign_verification_duration_seconds_bucket"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}
