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

// The flight's deadline and the batch's are the same timeout, and either may
// fire first (CI saw the flight's win). When the work itself sees its
// deadline, the message is the same one: step, registry and timeout.
func TestTimeoutMessageWhenTheWorkSeesTheDeadlineFirst(t *testing.T) {
	t.Parallel()
	hanging := hangingRegistry(t)
	key := testutil.NewKey(t, testutil.ECDSAP256)
	e, err := New(Config{Registry: registry.Config{Insecure: []string{hanging}}, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	o, err := verify.ParseOptions(map[string]any{"key": key.PublicPEM, "insecure-ignore-tlog": true}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := newBatch(e, 2)
	byTag, _ := verify.Parse(hanging + "/app:v1")
	byDigest, _ := verify.Parse(hanging + "/app@" + fmt.Sprintf("sha256:%064x", 7))
	tagged := b.image(byTag, byTag.Reference, nil)
	pinned := b.image(byDigest, byDigest.Reference, nil)
	j := pinned.job(Request{Image: byDigest.Reference, Options: o, Kind: verify.Attestations}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := e.resolveWork(tagged)(ctx).(resolved)
	v := e.verifyWork("k", pinned.target, j)(ctx).(*verify.Result)
	for i, c := range []struct {
		got  *verify.Result
		want string
	}{
		{r.failed, "resolving the tag of " + hanging + "/app:v1 at registry " + hanging + " did not finish before the deadline (plugins.cosign.timeout is 200ms)"},
		{v, "verifying the attestations of " + hanging + "/app@" + pinned.target.Digest.String() + " at registry " + hanging + " did not finish before the deadline (plugins.cosign.timeout is 200ms)"},
	} {
		if c.got == nil || len(c.got.Errors) != 1 || c.got.Errors[0].Code != verify.CodeTimeout || c.got.Errors[0].Message != c.want {
			t.Errorf("work %d: %+v, want a timeout saying %q", i, c.got, c.want)
		}
	}
}
