//go:build e2e && k8s

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

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
	log                            *syncBuffer // its output: logs and decision logs
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
				value := opaData(t, c, "secret", ref.Name, false)[ref.Key]
				if value == "" {
					t.Fatalf("secret %s has no key %s", ref.Name, ref.Key)
				}
				env = append(env, e.Name+"="+value)
				if e.Name == "OPA_COSIGN_API_TOKEN" {
					srv.token = value
				}
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
	srv.cmd, srv.log = startCapture(t, bin(t, "build/opa-cosign"), env, local...)
	waitHTTP(t, srv.diagnostic+srv.livenessPath)
	srv.client = trusting(readFile(t, filepath.Join(secrets, "ca.crt")))
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
		var data map[string]string
		paths := map[string]string{} // key → file; all keys when empty
		switch {
		case v.ConfigMap != nil:
			data = opaData(t, c, "configmap", v.ConfigMap.Name, false)
		case v.Secret != nil:
			// An optional Secret that does not exist mounts as an empty directory.
			data = opaData(t, c, "secret", v.Secret.SecretName, v.Secret.Optional)
			for _, it := range v.Secret.Items {
				paths[it.Key] = it.Path
			}
		}
		for k, value := range data {
			if len(paths) > 0 {
				if k = paths[k]; k == "" {
					continue
				}
			}
			writeFile(t, filepath.Join(dir, k), value)
		}
		return dir
	}
	t.Fatalf("the Deployment mounts volume %q but does not define it", volume)
	return ""
}

// opaData is the data of a ConfigMap or Secret in the opa namespace, Secret
// values decoded; nil when it does not exist and may be missing.
func opaData(t *testing.T, c cluster, kind, name string, optional bool) map[string]string {
	t.Helper()
	out, err := c.kubectl(t, "", "-n", "opa", "get", kind, name, "-o", "json")
	if err != nil {
		if optional && strings.Contains(out, "NotFound") {
			return nil
		}
		t.Fatalf("%s %s: %v\n%s", kind, name, err, out)
	}
	var o struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatal(err)
	}
	if kind == "secret" {
		for k, b64 := range o.Data {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatalf("secret %s key %s: %v", name, k, err)
			}
			o.Data[k] = string(b)
		}
	}
	return o.Data
}
