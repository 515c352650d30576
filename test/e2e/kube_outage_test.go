//go:build e2e && k8s

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// registryOutage: with the registry down and nothing cached (opa-cosign restarted), an UPDATE that leaves the
// images as oldObject has them — removing a finalizer — is admitted, while one that changes an image is still
// verified, and denied (issue 11: Pods must not stay Terminating because a registry is down). It returns the
// webhook server now registered, for the tests after it.
func registryOutage(t *testing.T, c cluster, cfg map[string]any, k keyPair, insecure ...string) webhook {
	t.Helper()
	reg, stop := stoppableRegistry(t)
	image := push(t, reg, "e2e/outage", "v1")
	sign(t, v2, k, image.String(), nil)
	verifyWith := map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}
	withReg := maps.Clone(cfg)
	hosts := maps.Clone(cfg["allow_with_verification"].(map[string]any))
	hosts[reg] = map[string]any{"e2e/**": verifyWith}
	withReg["allow_with_verification"] = hosts
	all := append([]string{reg}, insecure...)

	w := startWebhook(t, c, withReg, all...)
	c.waitWebhooks(t, "prod", "", "", reg+"/e2e/unsigned:v1")
	held := pod("held", podSpec([]string{reg + "/e2e/outage:v1"}, nil))
	held["metadata"].(map[string]any)["finalizers"] = []any{"e2e.opa-cosign.openpolicyagent.org/hold"}
	c.create(t, "prod", held).admitted(t)
	c.wantImages(t, "prod", "pod/held", "{.spec.containers[*].image}", image.String())

	stop()
	_ = w.cmd.Process.Kill()
	_ = w.cmd.Wait()
	w = startWebhook(t, c, withReg, all...) // an empty cache: nothing about the image is known
	c.waitWebhooks(t, "prod", "", "", reg+"/e2e/unsigned:v1")

	c.run(t, "", "-n", "prod", "label", "pod", "held", "touched=yes").admitted(t)
	c.run(t, "", "-n", "prod", "set", "image", "pod/held", "c0="+reg+"/e2e/outage:v2").denied(t, `image "`+reg+`/e2e/outage:v2": registry_error`)
	// Deleted, the Pod waits on its finalizer (Terminating); removing it is an UPDATE that must get through.
	c.mustKubectl(t, "", "-n", "prod", "delete", "pod", "held", "--wait=false")
	patch, _ := json.Marshal([]any{map[string]any{"op": "remove", "path": "/metadata/finalizers"}})
	c.run(t, "", "-n", "prod", "patch", "pod", "held", "--type=json", "-p", string(patch)).admitted(t)
	c.mustKubectl(t, "", "-n", "prod", "wait", "--for=delete", "pod/held", "--timeout=30s")
	return w
}

// stoppableRegistry is startRegistry with a way to take the registry down mid-test.
func stoppableRegistry(t *testing.T) (string, func()) {
	t.Helper()
	port := freePort(t)
	cfg := filepath.Join(t.TempDir(), "config.yml")
	conf := fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage: {inmemory: {}}\nhttp: {addr: 127.0.0.1:%d}\n", port)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := startProc(t, bin(t, "build/tools/bin/registry"), nil, "serve", cfg)
	host := fmt.Sprintf("127.0.0.1:%d", port)
	waitHTTP(t, "http://"+host+"/v2/")
	return host, func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}
