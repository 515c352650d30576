//go:build e2e && k8s

package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestKubernetesDeployment applies deploy/kubernetes to the real API server,
// then runs opa-cosign exactly as its Deployment says (arguments, mounted
// ConfigMaps and Secrets, environment), read back from the API server, and
// loads the policy and config ConfigMaps into it the way kube-mgmt does. The
// shipped webhooks, pointed at it, then decide real admissions.
//
// kube-mgmt itself is not on the Go module proxy, so its two REST calls
// (PUT /v1/policies/<ns>/<name>/<key> in key order, PUT /v1/data/<ns>/<name>/<key>)
// are made here, as its source does them, with its token.
func TestKubernetesDeployment(t *testing.T) {
	c := startCluster(t)
	secrets := t.TempDir()
	// 127.0.0.1 as well as the Service names: here the API server calls the
	// webhook by URL on loopback, as there is no Service network.
	mustRun(t, repoRoot, []string{"EXTRA_SANS=IP:127.0.0.1"}, filepath.Join(repoRoot, "deploy/kubernetes/gen-secrets.sh"), secrets)
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(repoRoot, "deploy/kubernetes/"))
	c.mustKubectl(t, "", "apply", "-f", filepath.Join(secrets, "secrets.yaml"))
	// A webhook on a Service would need endpoints, which need a controller:
	// the API server validates the rendered file without storing it.
	c.mustKubectl(t, "", "apply", "--dry-run=server", "-f", filepath.Join(secrets, "webhooks.yaml"))
	checkGeneratedTLS(t, c, secrets)

	pod := deploymentPod(t, c)
	srv := runAsDeployed(t, c, pod, secrets)
	if code := srv.get(t, srv.diagnostic+srv.readinessPath, ""); code == http.StatusOK {
		t.Fatalf("ready before kube-mgmt loaded anything")
	}

	// The API is closed to anonymous writers (THREATS: a policy replaced from inside the cluster).
	if code := srv.put(t, srv.https+"/v1/policies/evil", "package evil\n", ""); code != http.StatusUnauthorized {
		t.Fatalf("anonymous PUT /v1/policies over the webhook port: %d, want 401", code)
	}
	if code := srv.put(t, srv.kubeMgmtURL+"/policies/evil", "package evil\n", "not-the-token"); code != http.StatusUnauthorized {
		t.Fatalf("PUT /v1/policies with a wrong token: %d, want 401", code)
	}
	loadLikeKubeMgmt(t, c, srv)
	if code := srv.get(t, srv.diagnostic+srv.readinessPath, ""); code != http.StatusOK {
		t.Fatalf("not ready after the policy and config loaded: %d", code)
	}
	if code := srv.get(t, srv.diagnostic+srv.livenessPath, ""); code != http.StatusOK {
		t.Fatalf("liveness: %d", code)
	}

	// The shipped webhooks, pointed at this server, with the generated CA.
	list := shippedList(t, c, "deploy/kubernetes/webhooks/webhooks.yaml")
	ca, err := os.ReadFile(filepath.Join(secrets, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range list {
		for _, h := range item["webhooks"].([]any) {
			hook := h.(map[string]any)
			path := hook["clientConfig"].(map[string]any)["service"].(map[string]any)["path"].(string)
			hook["clientConfig"] = map[string]any{"url": srv.https + path, "caBundle": base64.StdEncoding.EncodeToString(ca)}
		}
	}
	b, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": list})
	c.mustKubectl(t, string(b), "apply", "-f", "-")
	c.namespace(t, "prod")

	// The shipped config allows registry.k8s.io/pause without verification and
	// nothing from Docker Hub; neither needs a registry to decide.
	c.create(t, "prod", podNamed("pause", "registry.k8s.io/pause:3.10")).admitted(t)
	c.create(t, "prod", podNamed("nginx", "nginx:1.27")).denied(t, `image "nginx:1.27"`)

	// With opa-cosign down, failurePolicy Fail denies everywhere but in the
	// namespaces the webhooks skip, where opa-cosign itself can be repaired.
	_ = srv.cmd.Process.Kill()
	_ = srv.cmd.Wait()
	c.create(t, "prod", podNamed("pause-2", "registry.k8s.io/pause:3.10")).denied(t, `failed calling webhook "mutate.opa-cosign.openpolicyagent.org"`)
	c.mustKubectl(t, "", "-n", "opa", "create", "serviceaccount", "default")
	c.create(t, "opa", podNamed("repair", "nginx:1.27")).admitted(t)
}

func podNamed(name, image string) map[string]any {
	return pod(name, map[string]any{"containers": []any{map[string]any{"name": "c", "image": image}}})
}

// checkGeneratedTLS: the Secret's certificate is for the webhook Service and
// chains to the caBundle gen-secrets.sh wrote into the webhooks.
func checkGeneratedTLS(t *testing.T, c cluster, secrets string) {
	t.Helper()
	var secret struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "-n", "opa", "get", "secret", "opa-cosign-tls", "-o", "json")), &secret); err != nil {
		t.Fatal(err)
	}
	certPEM, _ := base64.StdEncoding.DecodeString(secret.Data["tls.crt"])
	block, _ := pem.Decode(certPEM)
	if block == nil {
		t.Fatal("opa-cosign-tls holds no certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(secrets, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := os.ReadFile(filepath.Join(secrets, "webhooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(rendered), "caBundle: "+base64.StdEncoding.EncodeToString(ca)); n != 2 {
		t.Fatalf("webhooks.yaml carries the CA in %d webhooks, want 2", n)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "opa-cosign.opa.svc", Roots: roots}); err != nil {
		t.Fatalf("serving certificate: %v", err)
	}
}

// podTemplate is the part of the Deployment's Pod template this test runs.
type podTemplate struct {
	Containers []struct {
		Name string   `json:"name"`
		Args []string `json:"args"`
		Env  []struct {
			Name      string `json:"name"`
			ValueFrom struct {
				SecretKeyRef struct{ Name, Key string } `json:"secretKeyRef"`
			} `json:"valueFrom"`
		} `json:"env"`
		VolumeMounts   []struct{ Name, MountPath string } `json:"volumeMounts"`
		ReadinessProbe struct {
			HTTPGet struct{ Path string } `json:"httpGet"`
		} `json:"readinessProbe"`
		LivenessProbe struct {
			HTTPGet struct{ Path string } `json:"httpGet"`
		} `json:"livenessProbe"`
	} `json:"containers"`
	Volumes []struct {
		Name   string `json:"name"`
		Secret *struct {
			SecretName string                       `json:"secretName"`
			Optional   bool                         `json:"optional"`
			Items      []struct{ Key, Path string } `json:"items"`
		} `json:"secret"`
		ConfigMap *struct{ Name string } `json:"configMap"`
	} `json:"volumes"`
}

func deploymentPod(t *testing.T, c cluster) podTemplate {
	t.Helper()
	var d struct {
		Spec struct {
			Template struct {
				Spec podTemplate `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "-n", "opa", "get", "deployment", "opa-cosign", "-o", "json")), &d); err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec
}

// deployed is opa-cosign started from the Deployment's container spec.
type deployed struct {
	https, diagnostic, kubeMgmtURL string
	readinessPath, livenessPath    string
	token                          string
	client                         *http.Client
	cmd                            *exec.Cmd
}

var addrFlag = regexp.MustCompile(`^(--(?:diagnostic-)?addr=)(https?)://[^:]+:(\d+)$`)

func runAsDeployed(t *testing.T, c cluster, pod podTemplate, secrets string) deployed {
	t.Helper()
	var srv deployed
	mounts := map[string]string{} // mount path in the container → local directory
	env := []string{}
	var args []string
	for _, ct := range pod.Containers {
		switch ct.Name {
		case "opa-cosign":
			for _, m := range ct.VolumeMounts {
				mounts[m.MountPath] = materialise(t, c, pod, m.Name)
			}
			for _, e := range ct.Env {
				ref := e.ValueFrom.SecretKeyRef
				env = append(env, e.Name+"="+secretValue(t, c, ref.Name, ref.Key))
			}
			args = ct.Args
			srv.readinessPath, srv.livenessPath = ct.ReadinessProbe.HTTPGet.Path, ct.LivenessProbe.HTTPGet.Path
		case "kube-mgmt":
			for _, a := range ct.Args {
				if strings.HasPrefix(a, "--opa-url=") {
					srv.kubeMgmtURL = strings.TrimPrefix(a, "--opa-url=")
				}
			}
		}
	}
	if args == nil || srv.kubeMgmtURL == "" || srv.readinessPath == "" || srv.livenessPath == "" {
		t.Fatalf("the Deployment lacks the opa-cosign container, kube-mgmt's --opa-url or the probes: %+v", pod)
	}
	for _, e := range env {
		if strings.HasPrefix(e, "KUBE_MGMT_TOKEN=") {
			srv.token = strings.TrimPrefix(e, "KUBE_MGMT_TOKEN=")
		}
	}

	// Same arguments, with mounted paths and ports made local.
	ports := map[string]string{}
	local := make([]string, 0, len(args))
	for _, a := range args {
		for mount, dir := range mounts {
			a = strings.ReplaceAll(a, mount, dir)
		}
		if m := addrFlag.FindStringSubmatch(a); m != nil {
			port := fmt.Sprint(freePort(t))
			ports[m[3]] = port
			a = fmt.Sprintf("%s%s://127.0.0.1:%s", m[1], m[2], port)
			switch {
			case m[1] == "--diagnostic-addr=":
				srv.diagnostic = m[2] + "://127.0.0.1:" + port
			case m[2] == "https":
				srv.https = "https://127.0.0.1:" + port
			}
		}
		local = append(local, a)
	}
	for from, to := range ports {
		srv.kubeMgmtURL = strings.Replace(srv.kubeMgmtURL, ":"+from+"/", ":"+to+"/", 1)
	}
	if srv.https == "" || srv.diagnostic == "" || srv.kubeMgmtURL == "" {
		t.Fatalf("could not map the listeners of %v", args)
	}
	srv.cmd = startProc(t, bin(t, "build/opa-cosign"), env, local...)
	waitHTTP(t, srv.diagnostic+srv.livenessPath)
	ca, err := os.ReadFile(filepath.Join(secrets, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	srv.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	return srv
}

// materialise writes a volume's Secret or ConfigMap keys as files, as the
// kubelet would, and returns the directory.
func materialise(t *testing.T, c cluster, pod podTemplate, volume string) string {
	t.Helper()
	dir := t.TempDir()
	for _, v := range pod.Volumes {
		if v.Name != volume {
			continue
		}
		switch {
		case v.ConfigMap != nil:
			var cm struct {
				Data map[string]string `json:"data"`
			}
			if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "-n", "opa", "get", "configmap", v.ConfigMap.Name, "-o", "json")), &cm); err != nil {
				t.Fatal(err)
			}
			for k, s := range cm.Data {
				writeFile(t, filepath.Join(dir, k), s)
			}
		case v.Secret != nil:
			out, err := c.kubectl(t, "", "-n", "opa", "get", "secret", v.Secret.SecretName, "-o", "json")
			if err != nil {
				if v.Secret.Optional && strings.Contains(out, "NotFound") {
					return dir // an optional Secret that does not exist mounts as an empty directory
				}
				t.Fatalf("secret %s: %v\n%s", v.Secret.SecretName, err, out)
			}
			var s struct {
				Data map[string]string `json:"data"`
			}
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatal(err)
			}
			paths := map[string]string{}
			for _, it := range v.Secret.Items {
				paths[it.Key] = it.Path
			}
			for k, b64 := range s.Data {
				b, _ := base64.StdEncoding.DecodeString(b64)
				p := k
				if len(paths) > 0 {
					if p = paths[k]; p == "" {
						continue
					}
				}
				writeFile(t, filepath.Join(dir, p), string(b))
			}
		}
		return dir
	}
	t.Fatalf("the Deployment mounts volume %q but does not define it", volume)
	return ""
}

func secretValue(t *testing.T, c cluster, name, key string) string {
	t.Helper()
	out := c.mustKubectl(t, "", "-n", "opa", "get", "secret", name, "-o", "jsonpath={.data."+strings.ReplaceAll(key, ".", `\.`)+"}")
	b, err := base64.StdEncoding.DecodeString(out)
	if err != nil || len(b) == 0 {
		t.Fatalf("secret %s has no key %s", name, key)
	}
	return string(b)
}

// loadLikeKubeMgmt makes kube-mgmt's calls for every labelled ConfigMap in
// the opa namespace: policies key by key in sorted order, data as JSON.
func loadLikeKubeMgmt(t *testing.T, c cluster, srv deployed) {
	t.Helper()
	for _, kind := range []struct{ label, api string }{
		{"openpolicyagent.org/policy=rego", "policies"},
		{"openpolicyagent.org/data=opa", "data"},
	} {
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Data     map[string]string     `json:"data"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(c.mustKubectl(t, "", "-n", "opa", "get", "configmaps", "-l", kind.label, "-o", "json")), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 0 {
			t.Fatalf("no ConfigMap labelled %s", kind.label)
		}
		for _, cm := range list.Items {
			keys := make([]string, 0, len(cm.Data))
			for k := range cm.Data {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				url := fmt.Sprintf("%s/%s/opa/%s/%s", srv.kubeMgmtURL, kind.api, cm.Metadata.Name, k)
				if code := srv.put(t, url, cm.Data[k], srv.token); code != http.StatusOK && code != http.StatusNoContent {
					t.Fatalf("PUT %s: %d (kube-mgmt would mark the ConfigMap failed and retry)", url, code)
				}
			}
		}
	}
}

func (s deployed) put(t *testing.T, url, body, token string) int {
	t.Helper()
	return s.do(t, http.MethodPut, url, body, token)
}

func (s deployed) get(t *testing.T, url, token string) int {
	t.Helper()
	return s.do(t, http.MethodGet, url, "", token)
}

func (s deployed) do(t *testing.T, method, url, body, token string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return resp.StatusCode
}
