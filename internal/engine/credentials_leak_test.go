package engine

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// TestPullSecretCredentialsNeverInResults (issue 15): a refused pull secret's password, and the Basic auth
// value built from it, appear nowhere in the result a policy (and so a decision log) sees — only the refusal.
func TestPullSecretCredentialsNeverInResults(t *testing.T) {
	t.Parallel()
	f := newCredFixture(t)
	const secret = "s3cr3t-Pull-Password-7f1d"
	f.secrets.set("team-d", registry.NewKeyring(registry.DockerConfig{f.reg.Host: {Username: "robot", Password: secret}}))
	basic := base64.StdEncoding.EncodeToString([]byte("robot:" + secret))
	for _, image := range []string{f.tag, f.image.String()} {
		r := f.verify(t, image, "team-d")
		if r.Verified || code(r) != verify.CodeUnauthorized {
			t.Fatalf("%s with a wrong password: %+v, want unauthorized", image, r)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{secret, basic} {
			if strings.Contains(string(b), leak) {
				t.Errorf("%s: the result carries the credentials: %s", image, b)
			}
		}
	}
}
