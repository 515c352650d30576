//go:build e2e && k8s

package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// TestKubernetesPullSecrets is issue 15's registry credentials from the
// cluster, end to end: the real kube-apiserver calls opa-cosign as its
// webhook for images in the real Distribution registry behind TLS and
// htpasswd, signed by the real cosign. opa-cosign's own docker config is
// empty; it reads the Pod's imagePullSecrets, or a workload template's
// ServiceAccount's, from the API server with a ServiceAccount token that
// only deploy/kubernetes/pull-secrets/narrow.yaml empowers.
//
// Namespaces: team-a and team-b are listed in kubernetes.namespaces and
// bound by the narrow RBAC; team-c is listed but not bound (RBAC must refuse
// the read); team-d is not listed (its secrets must not be read at all).
// Last, a second server with namespaces ["*"] and cluster-wide.yaml reads
// team-c's and team-d's.
func TestKubernetesPullSecrets(t *testing.T) {
	c := startCluster(t)
	reg := startTLSRegistry(t)
	k := newKeyPair(t)

	signed := reg.push(t, "e2e/private", "v1")
	reg.sign(t, v2, k, signed.String())
	bundled := reg.push(t, "e2e/private", "v3") // a Sigstore bundle, found through the referrers API
	reg.sign(t, v3, k, bundled.String())
	reg.push(t, "e2e/private", "unsigned")
	image, unsignedImage := reg.host+"/e2e/private:v1", reg.host+"/e2e/private:unsigned"

	c.namespace(t, "opa")
	access := c.serviceAccountAccess(t, "opa", "opa-cosign")
	for _, ns := range []string{"team-a", "team-b", "team-c", "team-d"} {
		c.namespace(t, ns)
	}
	c.applyNarrowRBAC(t, "team-a", "team-b")
	right := dockerRegistrySecret("regcred", reg.host, reg.user, reg.password)
	c.apply(t, "team-a", right)
	c.apply(t, "team-c", right)
	c.apply(t, "team-d", right)
	c.apply(t, "team-a", dockerRegistrySecret("badcred", reg.host, reg.user, "wrong-password"))
	c.apply(t, "team-a", dockerRegistrySecret("rotating", reg.host, reg.user, "not-yet-rotated"))
	// team-a's default ServiceAccount carries the secret, so that a
	// Deployment probe (waitWebhooks) is admitted there; builder carries it
	// for scenario (c), bare carries none.
	c.mustKubectl(t, "", "-n", "team-a", "patch", "serviceaccount", "default", "-p", `{"imagePullSecrets":[{"name":"regcred"}]}`)
	c.mustKubectl(t, "", "-n", "team-a", "create", "serviceaccount", "builder")
	c.mustKubectl(t, "", "-n", "team-a", "patch", "serviceaccount", "builder", "-p", `{"imagePullSecrets":[{"name":"regcred"}]}`)
	c.mustKubectl(t, "", "-n", "team-a", "create", "serviceaccount", "bare")

	cfg := map[string]any{
		"mode":                    "enforce",
		"exempt_namespaces":       []string{"kube-system", "opa"},
		"allow_with_verification": map[string]any{reg.host: map[string]any{"e2e/**": map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}}},
	}
	w := startPullSecretsWebhook(t, c, cfg, reg.caFile, access, []string{"team-a", "team-b", "team-c"}, "1s")
	c.waitWebhooks(t, "team-a", image, signed.String(), unsignedImage)
	logs := []*syncBuffer{w.out} // every opa-cosign server's output
	// What the registry answers a client without the right credentials: its
	// own 401, not a failure of opa-cosign's.
	unauthorized := `container "c0" image "` + image + `": unauthorized: resolving digest of ` + image +
		`: GET https://` + reg.host + `/v2/e2e/private/manifests/v1: UNAUTHORIZED: authentication required`

	t.Run("a: pod with the right pull secret admitted and pinned", func(t *testing.T) {
		c.create(t, "team-a", pod("private", withPullSecrets(podSpec([]string{image, reg.host + "/e2e/private:v3"}, nil), "regcred"))).admitted(t)
		c.wantImages(t, "team-a", "pod/private", "{.spec.containers[*].image}", signed.String()+" "+bundled.String())
	})
	t.Run("a, negative twin: unsigned image in the same repository, right secret, denied", func(t *testing.T) {
		c.create(t, "team-a", pod("private-unsigned", withPullSecrets(podSpec([]string{unsignedImage}, nil), "regcred"))).
			denied(t, `container "c0" image "`+unsignedImage+`": no_signatures`)
	})
	t.Run("b: namespace without the secret denied unauthorized", func(t *testing.T) {
		c.create(t, "team-b", pod("private", podSpec([]string{image}, nil))).
			denied(t, unauthorized)
		// Naming a secret that exists only in another namespace reads nothing either.
		c.create(t, "team-b", pod("named", withPullSecrets(podSpec([]string{image}, nil), "regcred"))).
			denied(t, unauthorized+`; [map[Action:pull Class: Name:e2e/private Type:repository]] (pull secret "regcred" not found in namespace "team-b")`)
	})
	t.Run("c: deployment whose ServiceAccount carries the secret admitted and pinned", func(t *testing.T) {
		spec := podSpec([]string{image}, nil)
		spec["serviceAccountName"] = "builder"
		c.create(t, "team-a", workload("Deployment", "apps/v1", "private", spec)).admitted(t)
		c.wantImages(t, "team-a", "deployment/private", "{.spec.template.spec.containers[*].image}", signed.String())
		// A Pod naming none gets its ServiceAccount's from the API server's
		// ServiceAccount admission plugin before the webhooks see it.
		spec = podSpec([]string{image}, nil)
		spec["serviceAccountName"] = "builder"
		c.create(t, "team-a", pod("builder", spec)).admitted(t)
		c.wantImages(t, "team-a", "pod/builder", "{.spec.imagePullSecrets[*].name} {.spec.containers[*].image}", "regcred "+signed.String())
	})
	t.Run("c, negative twin: deployment whose ServiceAccount carries none denied unauthorized", func(t *testing.T) {
		spec := podSpec([]string{image}, nil)
		spec["serviceAccountName"] = "bare"
		c.create(t, "team-a", workload("Deployment", "apps/v1", "bare", spec)).
			denied(t, unauthorized)
	})
	t.Run("d: wrong password denied unauthorized", func(t *testing.T) {
		c.create(t, "team-a", pod("badcred", withPullSecrets(podSpec([]string{image}, nil), "badcred"))).
			denied(t, unauthorized)
	})
	t.Run("e: rotated secret takes effect without a restart", func(t *testing.T) {
		rotated := pod("rotated", withPullSecrets(podSpec([]string{image}, nil), "rotating"))
		c.create(t, "team-a", rotated).denied(t, unauthorized)
		began := time.Now()
		c.apply(t, "team-a", dockerRegistrySecret("rotating", reg.host, reg.user, reg.password))
		// cache_ttl is 1s: the secret is read again within it, and the
		// failure cached for the old credentials is not theirs to reuse.
		for {
			r := c.create(t, "team-a", rotated)
			if r.err == nil {
				t.Logf("admitted %v after the rotation", time.Since(began).Round(time.Millisecond))
				break
			}
			r.denied(t, unauthorized)
			if time.Since(began) > 20*time.Second {
				t.Fatal("the rotated secret did not take effect within 20 s (cache_ttl 1s)")
			}
			time.Sleep(500 * time.Millisecond)
		}
		c.wantImages(t, "team-a", "pod/rotated", "{.spec.containers[*].image}", signed.String())
	})
	t.Run("listed namespace without RBAC: the read is refused, denied", func(t *testing.T) {
		c.create(t, "team-c", pod("private", withPullSecrets(podSpec([]string{image}, nil), "regcred"))).
			denied(t, `container "c0" image "`+image+`": credentials_error: reading pull secret "regcred" in namespace "team-c": the API server answered 403`)
	})
	t.Run("namespace not listed: its secret is not read, denied", func(t *testing.T) {
		c.create(t, "team-d", pod("private", withPullSecrets(podSpec([]string{image}, nil), "regcred"))).
			denied(t, unauthorized+`; [map[Action:pull Class: Name:e2e/private Type:repository]] (the pull secrets of namespace "team-d" are not read (plugins.cosign.kubernetes.namespaces))`)
	})
	t.Run("cluster-wide RBAC and namespaces [\"*\"]: every namespace's secrets read", func(t *testing.T) {
		c.applyShipped(t, "deploy/kubernetes/pull-secrets/cluster-wide.yaml")
		// The first server stops, so that no answer below can be its: until
		// the API server calls the new one, failurePolicy Fail refuses.
		_ = w.cmd.Process.Kill()
		_ = w.cmd.Wait()
		wide := startPullSecretsWebhook(t, c, cfg, reg.caFile, access, []string{"*"}, "1s")
		c.waitWebhooks(t, "team-a", image, signed.String(), unsignedImage)
		// team-c and team-d, refused above, have no RoleBinding: the ClusterRoleBinding grants the read.
		for _, ns := range []string{"team-c", "team-d"} {
			c.create(t, ns, pod("wide", withPullSecrets(podSpec([]string{image}, nil), "regcred"))).admitted(t)
			c.wantImages(t, ns, "pod/wide", "{.spec.containers[*].image}", signed.String())
		}
		c.create(t, "team-b", pod("wide", podSpec([]string{image}, nil))).denied(t, unauthorized)
		logs = append(logs, wide.out)
	})
	t.Run("the password is in no log line", func(t *testing.T) {
		var out string
		for _, l := range logs {
			out += l.String()
		}
		// The check reads the decision log, not an empty buffer: the
		// decisions of the scenarios above are in it.
		if !strings.Contains(out, "decision_id") || !strings.Contains(out, image) {
			t.Fatalf("no decision log in the server's output:\n%s", tail(out, 2000))
		}
		for _, secret := range []string{
			reg.password,
			base64.StdEncoding.EncodeToString([]byte(reg.user + ":" + reg.password)),
			base64.StdEncoding.EncodeToString([]byte(reg.password)),
		} {
			if strings.Contains(out, secret) {
				t.Errorf("the server's output holds %q", secret)
			}
		}
	})
}
