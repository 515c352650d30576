//go:build e2e && k8s

package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// webhookTimeout is the shipped webhooks' timeoutSeconds.
const webhookTimeout = 10 * time.Second

// warnLabel is the namespace label the shipped admission config grants warn mode by.
const warnLabel = "opa-cosign.openpolicyagent.org/mode"

// TestKubernetesAdmission drives the real kube-apiserver with kubectl. The
// API server calls opa-cosign (TLS, kubernetes-admission bundle, shipped
// webhook configurations with failurePolicy Fail) for images in the real
// Distribution registry signed by the real cosign v2 and v3.
func TestKubernetesAdmission(t *testing.T) {
	c := startCluster(t)
	host := startRegistry(t)
	down := hangingRegistry(t)
	k, other := newKeyPair(t), newKeyPair(t)

	legacy := push(t, host, "e2e/legacy", "v1")
	sign(t, v2, k, legacy.String(), nil)
	bundled := push(t, host, "e2e/bundled", "v1")
	sign(t, v3, k, bundled.String(), nil)
	push(t, host, "e2e/unsigned", "v1")
	wrongKey := push(t, host, "e2e/wrong-key", "v1")
	sign(t, v2, other, wrongKey.String(), nil)
	moved := push(t, host, "e2e/moved", "v1")
	sign(t, v3, k, moved.String(), nil)
	push(t, host, "e2e/moved", "v1") // the tag now names an unsigned image
	stray := push(t, host, "e2e/legacy", "stray")
	tag := func(repo string) string { return host + "/e2e/" + repo + ":v1" }

	verifyWith := map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}
	cfg := map[string]any{
		"mode":                    "enforce",
		"exempt_namespaces":       []string{"kube-system", "opa", "tools"},
		"allow_with_verification": map[string]any{host: map[string]any{"e2e/**": verifyWith}, down: map[string]any{"**": verifyWith}},
		"namespace_selectors":     []any{map[string]any{"match_labels": map[string]any{warnLabel: "warn"}, "config": map[string]any{"mode": "warn"}}},
	}
	w := startWebhook(t, c, cfg, host, down)
	for _, ns := range []string{"prod", "tools", "dev-team", "dev-tenant"} {
		c.namespace(t, ns)
	}
	// Warn mode by a label an admin sets; a tenant's namespace named like it gets nothing (docs/security.md #28).
	c.mustKubectl(t, "", "label", "namespace", "dev-team", warnLabel+"=warn")
	w.replicate(t, c, "prod", "dev-team", "dev-tenant")
	c.waitWebhooks(t, "prod", tag("legacy"), legacy.String(), tag("unsigned"))

	t.Run("signed pod admitted and pinned to digests", func(t *testing.T) {
		r := c.create(t, "prod", pod("signed", podSpec([]string{tag("legacy"), tag("bundled")}, nil)))
		r.admitted(t)
		c.wantImages(t, "prod", "pod/signed", "{.spec.containers[*].image}", legacy.String()+" "+bundled.String())
	})
	denials := []struct {
		name   string
		object map[string]any
		want   string
	}{
		{"unsigned", pod("unsigned", podSpec([]string{tag("unsigned")}, nil)), `container "c0" image "` + tag("unsigned") + `": no_signatures`},
		{"wrong key", pod("wrong-key", podSpec([]string{tag("wrong-key")}, nil)), `image "` + tag("wrong-key") + `": no_matching_signatures`},
		{"tag moved after signing", pod("moved", podSpec([]string{tag("moved")}, nil)), `image "` + tag("moved") + `": no_signatures`},
		{"tag and digest disagree", pod("mismatch", podSpec([]string{tag("legacy") + "@" + stray.DigestStr()}, nil)), `no_signatures`},
		{"unsigned before signed", pod("order", podSpec([]string{tag("unsigned"), tag("legacy")}, nil)), `container "c0" image "` + tag("unsigned") + `": no_signatures`},
		{"unsigned init container", pod("init", podSpec([]string{tag("legacy")}, []string{tag("unsigned")})), `init container "init0" image "` + tag("unsigned") + `": no_signatures`},
		{"deployment template", workload("Deployment", "apps/v1", "unsigned", podSpec([]string{tag("bundled"), tag("unsigned")}, nil)), `container "c1" image "` + tag("unsigned") + `"`},
		{"cronjob template", workload("CronJob", "batch/v1", "unsigned", podSpec([]string{tag("unsigned")}, nil)), `container "c0" image "` + tag("unsigned") + `"`},
	}
	for _, d := range denials {
		t.Run("denied: "+d.name, func(t *testing.T) {
			c.create(t, "prod", d.object).denied(t, d.want)
		})
	}

	t.Run("signed deployment and cronjob admitted and pinned", func(t *testing.T) {
		c.create(t, "prod", workload("Deployment", "apps/v1", "signed", podSpec([]string{tag("legacy")}, nil))).admitted(t)
		c.wantImages(t, "prod", "deployment/signed", "{.spec.template.spec.containers[*].image}", legacy.String())
		c.create(t, "prod", workload("CronJob", "batch/v1", "signed", podSpec([]string{tag("bundled")}, nil))).admitted(t)
		c.wantImages(t, "prod", "cronjob/signed", "{.spec.jobTemplate.spec.template.spec.containers[*].image}", bundled.String())
	})
	t.Run("update to an unsigned image denied", func(t *testing.T) {
		r := c.run(t, "", "-n", "prod", "set", "image", "deployment/signed", "c0="+tag("unsigned"))
		r.denied(t, `image "`+tag("unsigned")+`": no_signatures`)
		c.wantImages(t, "prod", "deployment/signed", "{.spec.template.spec.containers[*].image}", legacy.String())
	})
	t.Run("ephemeral container through the subresource", func(t *testing.T) {
		c.create(t, "prod", pod("target", podSpec([]string{tag("legacy")}, nil))).admitted(t)
		c.run(t, "", "-n", "prod", "debug", "target", "--profile=general", "-c", "debug-unsigned", "--image="+tag("unsigned")).
			denied(t, `ephemeral container "debug-unsigned" image "`+tag("unsigned")+`": no_signatures`)
		c.run(t, "", "-n", "prod", "debug", "target", "--profile=general", "-c", "debug-signed", "--image="+tag("bundled")).admitted(t)
		c.wantImages(t, "prod", "pod/target", "{.spec.ephemeralContainers[*].image}", bundled.String())
	})
	t.Run("tag re-pointed after admission: pinned, never the new image", func(t *testing.T) {
		verified := push(t, host, "e2e/repoint", "v1")
		sign(t, v2, k, verified.String(), nil)
		c.create(t, "prod", pod("repoint-1", podSpec([]string{tag("repoint")}, nil))).admitted(t)
		push(t, host, "e2e/repoint", "v1") // an unsigned image takes the tag
		// Within tag_ttl the tag still resolves to the verified digest, and the
		// Pod is pinned to it; after, the new digest is unsigned and denied.
		r := c.create(t, "prod", pod("repoint-2", podSpec([]string{tag("repoint")}, nil)))
		if r.err == nil {
			c.wantImages(t, "prod", "pod/repoint-2", "{.spec.containers[*].image}", verified.String())
		} else {
			r.denied(t, `image "`+tag("repoint")+`": no_signatures`)
		}
		c.wantImages(t, "prod", "pod/repoint-1", "{.spec.containers[*].image}", verified.String())
	})
	t.Run("exempt namespace admits unsigned", func(t *testing.T) {
		c.create(t, "tools", pod("unsigned", podSpec([]string{tag("unsigned")}, nil))).admitted(t)
	})
	t.Run("warn mode by namespace label admits with a warning", func(t *testing.T) {
		r := c.create(t, "dev-team", pod("unsigned", podSpec([]string{tag("unsigned")}, nil)))
		r.admitted(t)
		if !strings.Contains(r.out, "Warning:") || !strings.Contains(r.out, `image "`+tag("unsigned")+`": no_signatures`) {
			t.Fatalf("no warning in kubectl output:\n%s", r.out)
		}
		c.create(t, "dev-tenant", pod("unsigned", podSpec([]string{tag("unsigned")}, nil))).denied(t, `image "`+tag("unsigned")+`": no_signatures`)
	})
	t.Run("image volumes verified and pinned", func(t *testing.T) {
		volume := func(name, image string) map[string]any {
			spec := podSpec([]string{tag("legacy")}, nil)
			spec["volumes"] = []any{map[string]any{"name": "models", "image": map[string]any{"reference": image, "pullPolicy": "IfNotPresent"}}}
			return pod(name, spec)
		}
		c.create(t, "prod", volume("unsigned-volume", tag("unsigned"))).denied(t, `volume "models" image "`+tag("unsigned")+`": no_signatures`)
		c.create(t, "prod", volume("signed-volume", tag("bundled"))).admitted(t)
		c.wantImages(t, "prod", "pod/signed-volume", "{.spec.volumes[0].image.reference}", bundled.String())
	})
	t.Run("registry down denied within the timeout", func(t *testing.T) {
		r := c.create(t, "prod", pod("down", podSpec([]string{down + "/app:v1"}, nil)))
		r.denied(t, `image "`+down+`/app:v1": timeout`)
		// Two webhooks call opa-cosign in turn, each within its own timeout.
		if r.elapsed >= 2*webhookTimeout {
			t.Fatalf("took %v, beyond the webhooks' timeouts", r.elapsed)
		}
	})
	t.Run("30 signed images admitted inside the webhook timeout", func(t *testing.T) {
		var images, want []string
		for i := range 30 {
			d := push(t, host, fmt.Sprintf("e2e/many-%02d", i), "v1")
			sign(t, []string{v2, v3}[i%2], k, d.String(), nil)
			images = append(images, fmt.Sprintf("%s/e2e/many-%02d:v1", host, i))
			want = append(want, d.String())
		}
		r := c.create(t, "prod", pod("thirty", podSpec(images, nil)))
		r.admitted(t)
		c.wantImages(t, "prod", "pod/thirty", "{.spec.containers[*].image}", strings.Join(want, " "))
		if r.elapsed >= webhookTimeout {
			t.Fatalf("took %v, beyond the webhook timeout", r.elapsed)
		}
	})
	t.Run("registry outage: metadata updates still admitted", func(t *testing.T) {
		w = registryOutage(t, c, cfg, k, host, down)
	})
	t.Run("opa-cosign down: failurePolicy Fail denies", func(t *testing.T) {
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
		c.create(t, "prod", pod("no-webhook", podSpec([]string{tag("legacy")}, nil))).denied(t, `failed calling webhook "mutate.opa-cosign.openpolicyagent.org"`)
	})
}

// kubectlResult is one kubectl invocation: its output, error and duration.
type kubectlResult struct {
	args    string
	out     string
	err     error
	elapsed time.Duration
}

func (c cluster) run(t *testing.T, stdin string, args ...string) kubectlResult {
	t.Helper()
	began := time.Now()
	out, err := c.kubectl(t, stdin, args...)
	r := kubectlResult{args: strings.Join(args, " "), out: out, err: err, elapsed: time.Since(began)}
	t.Logf("kubectl %s (%v):\n%s", r.args, r.elapsed.Round(time.Millisecond), strings.TrimSpace(out))
	return r
}

// create submits object to namespace with `kubectl create`.
func (c cluster) create(t *testing.T, namespace string, object map[string]any) kubectlResult {
	t.Helper()
	b, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	return c.run(t, string(b), "-n", namespace, "create", "-f", "-")
}

func (r kubectlResult) admitted(t *testing.T) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("kubectl %s was refused: %v\n%s", r.args, r.err, r.out)
	}
}

// denied requires the API server to refuse the request with a message
// containing want.
func (r kubectlResult) denied(t *testing.T, want string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("kubectl %s was admitted, want denied with %q:\n%s", r.args, want, r.out)
	}
	if !strings.Contains(r.out, want) {
		t.Fatalf("kubectl %s denied, but without %q:\n%s", r.args, want, r.out)
	}
}

// wantImages compares a jsonpath of a stored object.
func (c cluster) wantImages(t *testing.T, namespace, object, jsonpath, want string) {
	t.Helper()
	got := c.mustKubectl(t, "", "-n", namespace, "get", object, "-o", "jsonpath="+jsonpath)
	if got != want {
		t.Fatalf("%s %s = %q, want %q", object, jsonpath, got, want)
	}
}

func pod(name string, spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name}, "spec": spec}
}

// workload wraps a Pod spec in a Deployment or CronJob template.
func workload(kind, apiVersion, name string, spec map[string]any) map[string]any {
	labels := map[string]any{"app": name}
	template := map[string]any{"metadata": map[string]any{"labels": labels}, "spec": spec}
	var body map[string]any
	switch kind {
	case "Deployment":
		body = map[string]any{"selector": map[string]any{"matchLabels": labels}, "template": template}
	case "CronJob":
		spec["restartPolicy"] = "Never"
		body = map[string]any{"schedule": "0 * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": template}}}
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name}, "spec": body}
}

// hangingRegistry accepts connections and never answers: a registry that is
// down behind a load balancer. It returns host:port.
func hangingRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, conn)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, conn := range conns {
			conn.Close()
		}
	})
	return l.Addr().String()
}
