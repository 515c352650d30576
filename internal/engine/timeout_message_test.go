package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opa-cosign/opa-cosign/internal/registry"
	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// A timeout names the step that did not finish, the registry it was waiting
// for and the deadline (issue 16 items 5 and 9); its twin, the same request
// against a registry that answers, verifies.
func TestTimeoutNamesTheStepAndTheRegistry(t *testing.T) {
	t.Parallel()
	hanging, healthy := hangingRegistry(t), testutil.Registry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	signed := testutil.PushImage(t, healthy, "ok/app", "v1")
	testutil.AttachLegacy(t, signed, testutil.Legacy{Signer: key.Signer})
	e, err := New(Config{Registry: registry.Config{Insecure: []string{hanging, healthy}}, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	digest := fmt.Sprintf("sha256:%064x", 7)
	res := e.VerifyBatch(context.Background(), []Request{
		{Image: hanging + "/app:v1", Options: o},
		{Image: hanging + "/app@" + digest, Options: o},
		{Image: signed.Context().Name() + ":v1", Options: o},
	})
	for i, want := range []string{
		"resolving the tag of " + hanging + "/app:v1 at registry " + hanging + " did not finish before the deadline (plugins.cosign.timeout is 300ms)",
		"verifying the signatures of " + hanging + "/app@" + digest + " at registry " + hanging + " did not finish before the deadline (plugins.cosign.timeout is 300ms)",
	} {
		if res[i].Verified || len(res[i].Errors) != 1 || res[i].Errors[0].Code != verify.CodeTimeout || !strings.Contains(res[i].Errors[0].Message, want) {
			t.Errorf("request %d: %+v, want a timeout saying %q", i, res[i].Errors, want)
		}
	}
	if !res[2].Verified {
		t.Errorf("the healthy registry's image: %+v", res[2].Errors)
	}
}
