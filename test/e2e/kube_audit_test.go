//go:build e2e && k8s

package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// The shipped webhooks' names: the API server prefixes each webhook's
// auditAnnotations keys with its name.
const (
	mutateWebhook   = "mutate.opa-cosign.openpolicyagent.org"
	validateWebhook = "validate.opa-cosign.openpolicyagent.org"
)

// TestKubernetesAuditTrail reads the real kube-apiserver's audit log
// (startCluster enables it at level Metadata): the event of a signed Pod's
// create carries, from both webhooks, the image, the digest it was pinned to
// and the key fingerprint that signed it; a denied Pod's and an exempt
// namespace's events name no signer (docs/deployment.md, "Audit trail").
func TestKubernetesAuditTrail(t *testing.T) {
	c := startCluster(t)
	host := startRegistry(t)
	k := newKeyPair(t)
	signed := push(t, host, "e2e/audited", "v1")
	sign(t, v3, k, signed.String(), nil)
	push(t, host, "e2e/unsigned", "v1")
	tag := func(repo string) string { return host + "/e2e/" + repo + ":v1" }
	cfg := map[string]any{
		"mode":                    "enforce",
		"exempt_namespaces":       []string{"kube-system", "opa", "tools"},
		"allow_with_verification": map[string]any{host: map[string]any{"e2e/**": map[string]any{"key": k.pem(t), "insecure-ignore-tlog": true}}},
	}
	startWebhook(t, c, cfg, host)
	c.namespace(t, "prod")
	c.namespace(t, "tools")
	c.waitWebhooks(t, "prod", tag("audited"), signed.String(), tag("unsigned"))
	signer := keyFingerprint(t, k.pem(t))
	t.Logf("signer computed from %s: %s", k.public, signer)

	c.create(t, "prod", pod("audited", podSpec([]string{tag("audited")}, nil))).admitted(t)
	c.create(t, "prod", pod("refused", podSpec([]string{tag("unsigned")}, nil))).denied(t, `container "c0" image "`+tag("unsigned")+`": no_signatures`)
	c.create(t, "tools", pod("exempt", podSpec([]string{tag("unsigned")}, nil))).admitted(t)

	t.Run("signed pod: image, pinned digest and key fingerprint from both webhooks", func(t *testing.T) {
		ev := c.auditEvent(t, "prod", "audited")
		if ev.ResponseStatus.Code != 201 {
			t.Fatalf("create answered %d, want 201", ev.ResponseStatus.Code)
		}
		// The mutating webhook names the image as requested, the validating webhook as stored (pinned).
		for webhook, image := range map[string]string{mutateWebhook: tag("audited"), validateWebhook: signed.String()} {
			got := ev.trail(t, webhook, "image.0")
			want := map[string]any{"container": "c0", "list": "containers", "image": image, "verdict": "verified",
				"digest": signed.DigestStr(), "signers": []any{signer}}
			if !equalJSON(got, want) {
				t.Errorf("%s/image.0 = %v, want %v", webhook, got, want)
			}
			if n := ev.trail(t, webhook, "images"); !equalJSON(n, map[string]any{"count": 1, "annotated": 1, "omitted": 0, "mode": "enforce"}) {
				t.Errorf("%s/images = %v", webhook, n)
			}
		}
	})
	t.Run("denied pod: no signer claimed", func(t *testing.T) {
		ev := c.auditEvent(t, "prod", "refused")
		if ev.ResponseStatus.Code != 403 {
			t.Fatalf("create answered %d, want 403", ev.ResponseStatus.Code)
		}
		for _, webhook := range []string{mutateWebhook, validateWebhook} {
			got := ev.trail(t, webhook, "image.0")
			want := map[string]any{"container": "c0", "list": "containers", "image": tag("unsigned"), "verdict": "denied"}
			if !equalJSON(got, want) {
				t.Errorf("%s/image.0 = %v, want %v", webhook, got, want)
			}
		}
		ev.noSigner(t)
	})
	t.Run("exempt namespace: says exempt, no signer claimed", func(t *testing.T) {
		ev := c.auditEvent(t, "tools", "exempt")
		got := ev.trail(t, validateWebhook, "image.0")
		if want := map[string]any{"container": "c0", "list": "containers", "image": tag("unsigned"), "verdict": "exempt"}; !equalJSON(got, want) {
			t.Errorf("image.0 = %v, want %v", got, want)
		}
		ev.noSigner(t)
	})
}

// keyFingerprint is the signer of a public key as docs/builtins.md defines
// it, computed here without opa-cosign: key:sha256:<hex of the DER
// SubjectPublicKeyInfo>, re-encoded from the parsed key.
func keyFingerprint(t *testing.T, pemText string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		t.Fatal("public key: no PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return "key:sha256:" + hex.EncodeToString(sum[:])
}

// auditEvent is the part of an audit.k8s.io/v1 Event this test reads.
type auditEvent struct {
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	ObjectRef struct {
		Resource, Namespace, Name string
	} `json:"objectRef"`
	ResponseStatus struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	Annotations map[string]string `json:"annotations"`
}

// auditEvent waits for the ResponseComplete event of the create of Pod name.
func (c cluster) auditEvent(t *testing.T, namespace, name string) auditEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(c.auditLog)
		if err != nil {
			t.Fatal(err)
		}
		s := bufio.NewScanner(bytes.NewReader(b))
		s.Buffer(make([]byte, 0, 1<<20), 1<<24)
		for s.Scan() {
			var ev auditEvent
			if err := json.Unmarshal(s.Bytes(), &ev); err != nil {
				t.Fatalf("audit log line: %v: %s", err, s.Text())
			}
			if ev.Stage == "ResponseComplete" && ev.Verb == "create" && ev.ObjectRef.Resource == "pods" &&
				ev.ObjectRef.Namespace == namespace && ev.ObjectRef.Name == name {
				keys := make([]string, 0, len(ev.Annotations))
				for k, v := range ev.Annotations {
					keys = append(keys, k+"="+v)
				}
				sort.Strings(keys)
				t.Logf("audit event of pods/%s/%s:\n%s", namespace, name, strings.Join(keys, "\n"))
				return ev
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ResponseComplete event for the create of pods/%s/%s in %s (%d bytes)", namespace, name, c.auditLog, len(b))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// trail decodes the annotation key of webhook, which must be there.
func (ev auditEvent) trail(t *testing.T, webhook, key string) map[string]any {
	t.Helper()
	v, ok := ev.Annotations[webhook+"/"+key]
	if !ok {
		t.Fatalf("the audit event has no annotation %s/%s: %v", webhook, key, ev.Annotations)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		t.Fatalf("annotation %s/%s is not JSON: %v: %s", webhook, key, err, v)
	}
	return out
}

// noSigner: none of the webhooks' annotations names a signer or a digest.
func (ev auditEvent) noSigner(t *testing.T) {
	t.Helper()
	for k, v := range ev.Annotations {
		if strings.Contains(k, "opa-cosign") && (strings.Contains(v, "signers") || strings.Contains(v, "key:sha256:") || strings.Contains(v, "digest")) {
			t.Errorf("annotation %s claims a signer or digest: %s", k, v)
		}
	}
}

// equalJSON compares two values by their JSON encodings (numbers decode as float64).
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
