package builtins

import (
	"strings"
	"testing"
)

// TestVerifyBatchKubernetesContext: the `kubernetes` field of a batch request is checked as the API server
// checks names — misuse is an error naming the request and the key — and null means none. Without the plugin's
// kubernetes section (this engine has none) a valid context changes nothing.
func TestVerifyBatchKubernetesContext(t *testing.T) {
	f := setup(t)
	input := map[string]any{"image": f.signed, "key": f.key.PublicPEM}
	for _, ctx := range []string{`null`, `{"namespace": "prod"}`, `{"namespace": "prod", "image_pull_secrets": ["regcred", "other.cred"], "service_account": "builder"}`} {
		q := `cosign.verify_batch([{"image": input.image, "opts": {"key": input.key, "insecure-ignore-tlog": true}, "kubernetes": ` + ctx + `}])[0].verified`
		got, err := eval(t, q, input, true)
		if err != nil || got != true {
			t.Errorf("kubernetes %s: %v, %v; want verified", ctx, got, err)
		}
	}
	for _, c := range []struct{ ctx, want string }{
		{`"prod"`, `request 0: kubernetes: must be an object or null, got string`},
		{`{}`, `kubernetes: namespace "" is not a namespace name`},
		{`{"namespace": "Prod"}`, `namespace "Prod" is not a namespace name`},
		{`{"namespace": "prod", "image_pull_secrets": "regcred"}`, `image_pull_secrets must be an array of Secret names`},
		{`{"namespace": "prod", "image_pull_secrets": ["../x"]}`, `"../x" is not a Secret name`},
		{`{"namespace": "prod", "service_account": 1}`, `service_account must be a string`},
		{`{"namespace": "prod", "serviceAccountName": "x"}`, `unknown key "serviceAccountName" (known: namespace, image_pull_secrets, service_account)`},
	} {
		q := `cosign.verify_batch([{"image": input.image, "opts": {"key": input.key, "insecure-ignore-tlog": true}, "kubernetes": ` + c.ctx + `}])`
		_, err := eval(t, q, input, true)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("kubernetes %s: error %v, want %q", c.ctx, err, c.want)
		}
	}
}
