//go:build e2e

package e2e

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// envoyFixture: the real registry with images signed by the real cosign v2
// (legacy .sig) and v3 (Sigstore bundle), an unsigned one and one signed with
// another key; opa-cosign serving each gateway of deploy/envoy.
type envoyFixture struct {
	host                                        string
	legacy, bundled, unsigned, wrongKey, nested name.Digest
	unsignedInSigned                            name.Digest // unsigned, in the repository of a signed image
	registryGW, deployGW                        authzServer
}

// TestEnvoyExtAuthz drives both gateways with envoy.service.auth.v3 Check
// requests over gRPC, as Envoy sends them, and with grpcurl, as a user would.
func TestEnvoyExtAuthz(t *testing.T) {
	f := envoyFixture{host: startRegistry(t)}
	k, other := newKeyPair(t), newKeyPair(t)
	f.legacy = push(t, f.host, "e2e/legacy", "v1")
	sign(t, v2, k, f.legacy.String(), nil)
	f.bundled = push(t, f.host, "e2e/bundled", "v1")
	sign(t, v3, k, f.bundled.String(), nil)
	f.unsigned = push(t, f.host, "e2e/unsigned", "v1")
	f.wrongKey = push(t, f.host, "e2e/wrong-key", "v1")
	sign(t, v2, other, f.wrongKey.String(), nil)
	f.nested = push(t, f.host, "e2e/team/sub/group/app", "v1")
	sign(t, v3, k, f.nested.String(), nil)
	f.unsignedInSigned = push(t, f.host, "e2e/legacy", "unsigned")

	config := map[string]any{
		"allow_with_verification": map[string]any{f.host: map[string]any{"e2e/**": keyOpts(k, t, nil)}},
		// A registry a client could name in the Host header to dodge verification.
		"allow_without_verification": map[string]any{"docker.io": []string{"**"}},
		"envoy":                      map[string]any{"registry": map[string]any{"upstream": f.host}},
	}
	data := map[string]any{"imagepolicy": map[string]any{"config": config}}
	f.registryGW = startAuthz(t, "deploy/envoy/opa-cosign-registry.yaml", data, f.host)
	f.deployGW = startAuthz(t, "deploy/envoy/opa-cosign-deploy.yaml", data, f.host)

	t.Run("registry", func(t *testing.T) { registryScenarios(t, f) })
	t.Run("deploy", func(t *testing.T) { deployScenarios(t, f) })
	t.Run("grpcurl", func(t *testing.T) { grpcurlScenarios(t, f) })
	t.Run("decision logs", func(t *testing.T) { decisionLogScenarios(t, f) })
	t.Run("opa-cosign down", func(t *testing.T) { downScenario(t, f) })
}
