//go:build e2e && k8s && gatekeeper

package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGatekeeperAdmission runs the pinned Gatekeeper out of cluster against
// the real kube-apiserver, with opa-cosign as its external-data provider and
// deploy/gatekeeper/ applied, and drives it with kubectl: first the
// ConstraintTemplate alone (validation), then with the Assign mutators
// pinning images to the digests opa-cosign verified. Images are in the real
// Distribution registry, signed by the real cosign v2 and v3.
func TestGatekeeperAdmission(t *testing.T) {
	c := startCluster(t)
	host := startRegistry(t)
	down := hangingRegistry(t)
	k, other := newKeyPair(t), newKeyPair(t)
	signedBy := func(version string, key keyPair, repo string) string {
		d := push(t, host, "e2e/"+repo, "v1")
		sign(t, version, key, d.String(), nil)
		return d.String()
	}
	legacy, bundled := signedBy(v2, k, "legacy"), signedBy(v3, k, "bundled")
	initImage, model := signedBy(v2, k, "init"), signedBy(v3, k, "model")
	signedBy(v2, other, "wrong-key")
	push(t, host, "e2e/unsigned", "v1")
	tag := func(repo string) string { return host + "/e2e/" + repo + ":v1" }

	id := newGatekeeperIdentity(t)
	c.namespace(t, "gatekeeper-system")
	verifyWith := map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}
	provider := startGatekeeperProvider(t, c, map[string]any{
		"allow_with_verification": map[string]any{host: map[string]any{"e2e/**": verifyWith}, down: map[string]any{"**": verifyWith}},
	}, id.dir+"/ca.crt", host, down)
	startGatekeeper(t, c, id)
	c.namespace(t, "prod")
	applyGatekeeperPolicy(t, c, provider)
	const constraint = "[opa-cosign-verified-images] "
	c.waitFor(t, "the Constraint", "prod", pod("probe", podSpec([]string{tag("unsigned")}, nil)), func(out string, err error) bool {
		return err != nil && strings.Contains(out, constraint+`image "`+tag("unsigned")+`": no_signatures`)
	})

	denials := []struct {
		name   string
		object map[string]any
		want   string
	}{
		{"unsigned", pod("unsigned", podSpec([]string{tag("unsigned")}, nil)), `image "` + tag("unsigned") + `": no_signatures: `},
		{"wrong key", pod("wrong-key", podSpec([]string{tag("wrong-key")}, nil)), `image "` + tag("wrong-key") + `": no_matching_signatures: `},
		{"unsigned init container", pod("init", podSpec([]string{tag("legacy")}, []string{tag("unsigned")})), `image "` + tag("unsigned") + `": no_signatures: `},
		{"unsigned in a deployment", workload("Deployment", "apps/v1", "unsigned", podSpec([]string{tag("bundled"), tag("unsigned")}, nil)), `image "` + tag("unsigned") + `": no_signatures: `},
	}
	t.Run("validation only", func(t *testing.T) {
		for _, d := range denials {
			t.Run("denied: "+d.name, func(t *testing.T) {
				c.create(t, "prod", d.object).denied(t, `admission webhook "validation.gatekeeper.sh" denied the request: `+constraint+d.want)
			})
		}
		t.Run("signed pod admitted, not pinned", func(t *testing.T) {
			c.create(t, "prod", pod("validated", podSpec([]string{tag("legacy"), tag("bundled")}, nil))).admitted(t)
			c.wantImages(t, "prod", "pod/validated", "{.spec.containers[*].image}", tag("legacy")+" "+tag("bundled"))
		})
	})

	c.waitApply(t, repoRoot+"/deploy/gatekeeper/mutators.yaml")
	c.waitFor(t, "the Assign mutators", "prod", pod("probe", podSpec([]string{tag("legacy")}, nil)), func(out string, err error) bool {
		return err == nil && out == legacy
	}, "-o", "jsonpath={.spec.containers[0].image}")

	t.Run("with mutation", func(t *testing.T) {
		t.Run("signed pod admitted and every image pinned", func(t *testing.T) {
			spec := podSpec([]string{tag("legacy"), tag("bundled")}, []string{tag("init")})
			spec["volumes"] = []any{
				map[string]any{"name": "scratch", "emptyDir": map[string]any{}},
				map[string]any{"name": "model", "image": map[string]any{"reference": tag("model")}},
			}
			c.create(t, "prod", pod("signed", spec)).admitted(t)
			c.wantImages(t, "prod", "pod/signed", "{.spec.containers[*].image}", legacy+" "+bundled)
			c.wantImages(t, "prod", "pod/signed", "{.spec.initContainers[*].image}", initImage)
			c.wantImages(t, "prod", "pod/signed", "{.spec.volumes[1].image.reference}", model)
			c.wantImages(t, "prod", "pod/signed", "{.spec.volumes[0]}", `{"emptyDir":{},"name":"scratch"}`)
		})
		t.Run("signed deployment admitted and pinned", func(t *testing.T) {
			c.create(t, "prod", workload("Deployment", "apps/v1", "signed", podSpec([]string{tag("legacy"), tag("bundled")}, nil))).admitted(t)
			c.wantImages(t, "prod", "deployment/signed", "{.spec.template.spec.containers[*].image}", legacy+" "+bundled)
		})
		for _, d := range denials {
			t.Run("denied: "+d.name, func(t *testing.T) {
				c.create(t, "prod", d.object).denied(t, `admission webhook "mutation.gatekeeper.sh" denied the request: `+
					`failed to resolve external data placeholders: failed to retrieve external data item from provider opa-cosign-mutate: opa-cosign: `+strings.SplitN(d.want, `": `, 2)[1])
			})
		}
		t.Run("registry down: denied with opa-cosign's timeout", func(t *testing.T) {
			r := c.create(t, "prod", pod("registry-down", podSpec([]string{down + "/app:v1"}, nil)))
			r.denied(t, `failed to retrieve external data item from provider opa-cosign-mutate: opa-cosign: timeout: `)
			t.Logf("denied in %v with the registry down", r.elapsed.Round(time.Millisecond))
			if r.elapsed >= gatekeeperWebhookTimeout {
				t.Fatalf("took %v", r.elapsed)
			}
		})
		t.Run("ephemeral containers (kubectl debug)", func(t *testing.T) {
			// Gatekeeper's mutating webhook does not see pods/ephemeralcontainers:
			// the template checks them, unpinned.
			c.run(t, "", "-n", "prod", "debug", "signed", "--profile=general", "-c", "debug-unsigned", "--image="+tag("unsigned")).
				denied(t, `admission webhook "validation.gatekeeper.sh" denied the request: `+constraint+`image "`+tag("unsigned")+`": no_signatures: `)
			c.run(t, "", "-n", "prod", "debug", "signed", "--profile=general", "-c", "debug-signed", "--image="+tag("bundled")).admitted(t)
			c.wantImages(t, "prod", "pod/signed", "{.spec.ephemeralContainers[*].image}", tag("bundled"))
		})
	})

	t.Run("only Gatekeeper's certificate is answered", func(t *testing.T) {
		body := []byte(`{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":["` + tag("legacy") + `"]}}`)
		gk := id.certificate(t)
		resp, err := providerClient(provider.caPEM, &gk).Post(provider.url+"/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("with Gatekeeper's certificate: %v", err)
		}
		var answer struct {
			Response struct {
				Items []struct {
					Key   string         `json:"key"`
					Value map[string]any `json:"value"`
				} `json:"items"`
			} `json:"response"`
		}
		err = json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(answer.Response.Items) != 1 || answer.Response.Items[0].Value["allowed"] != true {
			t.Fatalf("with Gatekeeper's certificate: %d %v %+v", resp.StatusCode, err, answer)
		}
		other := newGatekeeperIdentity(t).certificate(t)
		for name, cert := range map[string]*tls.Certificate{"no client certificate": nil, "a certificate from another CA": &other} {
			_, err := providerClient(provider.caPEM, cert).Post(provider.url+"/validate", "application/json", bytes.NewReader(body))
			t.Logf("%s: %v", name, err)
			if err == nil {
				t.Fatalf("%s: answered", name)
			}
		}
	})

	t.Run("30 signed images admitted inside the webhook timeout", func(t *testing.T) {
		var images, want []string
		for i := range 30 {
			want = append(want, signedBy([]string{v2, v3}[i%2], k, fmt.Sprintf("many-%02d", i)))
			images = append(images, tag(fmt.Sprintf("many-%02d", i)))
		}
		r := c.create(t, "prod", pod("thirty", podSpec(images, nil)))
		r.admitted(t)
		c.wantImages(t, "prod", "pod/thirty", "{.spec.containers[*].image}", strings.Join(want, " "))
		t.Logf("30 images, cold: admitted in %v (each webhook's timeout: %v)", r.elapsed.Round(time.Millisecond), gatekeeperWebhookTimeout)
		if r.elapsed >= gatekeeperWebhookTimeout {
			t.Fatalf("took %v, beyond the webhook timeout", r.elapsed)
		}
	})

	t.Run("opa-cosign down: denied", func(t *testing.T) {
		_ = provider.cmd.Process.Kill()
		_ = provider.cmd.Wait()
		r := c.create(t, "prod", pod("provider-down", podSpec([]string{tag("legacy")}, nil)))
		r.denied(t, `admission webhook "mutation.gatekeeper.sh" denied the request: failed to resolve external data placeholders: failed to send external data request to provider opa-cosign-mutate`)
		t.Logf("denied in %v with the provider down", r.elapsed.Round(time.Millisecond))
		// Validation (kubectl debug): Gatekeeper reports the failed call with
		// null responses, and the template denies.
		r = c.run(t, "", "-n", "prod", "debug", "signed", "--profile=general", "-c", "debug-down", "--image="+tag("wrong-key")+"-not-cached")
		r.denied(t, constraint+`opa-cosign (provider "opa-cosign-validate") gave no decision for [`)
		t.Logf("ephemeral container denied in %v with the provider down", r.elapsed.Round(time.Millisecond))
		if r.elapsed >= gatekeeperWebhookTimeout {
			t.Fatalf("took %v", r.elapsed)
		}
	})
}
