package builtins

import (
	"strings"
	"sync"
	"testing"
)

// Misuse is reported with the built-in's name and the call's location;
// verification failures are not misuse and are not reported.
func TestMisuseIsReported(t *testing.T) {
	f := setup(t)
	var mu sync.Mutex
	var got []string
	stop := ReportMisuse(func(m Misuse) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m.String())
	})
	defer stop()

	if _, err := eval(t, `cosign.verify(input.image, {"kee": "x"})`, map[string]any{"image": f.signed}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := eval(t, `cosign.verify_batch([{"image": input.image, "opts": {"key": "cosign.pub"}}])`, map[string]any{"image": f.signed}, false); err != nil {
		t.Fatal(err)
	}
	// Negative twin: a failed verification is data, not misuse.
	res, err := eval(t, `cosign.verify(input.image, {"key": input.key})`, map[string]any{"image": f.unsigned, "key": f.key.PublicPEM}, false)
	if err != nil || res.(map[string]any)["verified"] != false {
		t.Fatalf("unsigned: %v %v", res, err)
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], `cosign.verify: operand 2 option "kee": unknown option`) ||
		!strings.HasPrefix(got[1], `cosign.verify_batch: operand 1 request 0: option "key": not a PEM public key`) {
		t.Fatalf("reported: %q", got)
	}
	stop()
	if _, err := eval(t, `cosign.verify(input.image, {"kee": "x"})`, map[string]any{"image": f.signed}, false); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("reported after stop: %q", got)
	}
}
