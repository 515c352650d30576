package verify_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/testutil"
	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// A signature without a transparency-log entry, verified with the log
// required, says which option accepts it (issue 16 item 5), in both formats;
// its twin, a signature made with another key, is no match and says nothing
// about the log.
func TestMissingTlogEntryNamesTheOption(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const hint = "set insecure-ignore-tlog to accept signatures without one"
	legacy, bundle, other := w.image(t, "hint/legacy"), w.image(t, "hint/bundle"), w.image(t, "hint/other")
	testutil.AttachLegacy(t, legacy, testutil.Legacy{Signer: w.key.Signer})
	testutil.AttachBundle(t, bundle, testutil.Bundle{Signer: w.key.Signer})
	testutil.AttachLegacy(t, other, testutil.Legacy{Signer: w.other.Signer})
	o := opts(t, map[string]any{"key": w.key.PublicPEM}, false)
	for _, ref := range []string{legacy.String(), bundle.String()} {
		res := verifyImage(t, w.v, ref, o, verify.Signatures)
		check(t, res, want{code: verify.CodeTlogFailed})
		if msg := res.Errors[0].Message; !strings.HasSuffix(msg, hint+")") || strings.Count(msg, hint) != 1 {
			t.Errorf("%s: %q does not end with the hint once", ref, msg)
		}
	}
	res := verifyImage(t, w.v, other.String(), o, verify.Signatures)
	check(t, res, want{code: verify.CodeNoMatchingSignatures})
	if strings.Contains(res.Errors[0].Message, hint) {
		t.Errorf("another key's signature hints at the log: %q", res.Errors[0].Message)
	}
}

// A digest the registry does not have is not_found, not no_signatures (issue
// 16 item 5); an unsigned image that exists stays no_signatures, and so do
// attestations.
func TestMissingDigestIsNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	unsigned := w.image(t, "missing/app")
	absent := fmt.Sprintf("%s@sha256:%s", unsigned.Context().Name(), strings.Repeat("1", 64))
	o := opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM}), false)
	res := verifyImage(t, w.v, absent, o, verify.Signatures)
	check(t, res, want{code: verify.CodeNotFound})
	if want := "the registry has no image sha256:" + strings.Repeat("1", 64) + " in " + unsigned.Context().Name(); res.Errors[0].Message != want {
		t.Errorf("message %q, want %q", res.Errors[0].Message, want)
	}
	check(t, verifyImage(t, w.v, unsigned.String(), o, verify.Signatures), want{code: verify.CodeNoSignatures})
	att := opts(t, ignoreTlog(map[string]any{"key": w.key.PublicPEM, "type": "vuln"}), true)
	check(t, verifyImage(t, w.v, absent, att, verify.Attestations), want{code: verify.CodeNotFound})
	check(t, verifyImage(t, w.v, unsigned.String(), att, verify.Attestations), want{code: verify.CodeNoAttestations})
}

// A chain missing its intermediate fails as a certificate problem, and the
// message gives opa-cosign's remedy instead of cosign's advice about its own
// TUF cache and SIGSTORE_ROOT_FILE (issue 16 item 5); with the intermediate,
// the same signature verifies.
func TestMissingIntermediateGivesOurAdvice(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	corp := testutil.NewCA(t)
	leaf, signer := corp.Issue(t, testutil.Leaf{URI: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"})
	d := w.image(t, "hint/chain")
	testutil.AttachLegacy(t, d, testutil.Legacy{Signer: signer, Cert: leaf})
	base := map[string]any{"insecure-ignore-tlog": true, "insecure-ignore-sct": true}
	rootOnly := opts(t, merged(base, map[string]any{"certificate-chain": testutil.CertPEM(corp.Root)}), false)
	res := verifyImage(t, w.v, d.String(), rootOnly, verify.Signatures)
	check(t, res, want{code: verify.CodeCertificateInvalid})
	msg := res.Errors[0].Message
	if strings.Contains(msg, "cosign initialize") || strings.Contains(msg, "SIGSTORE_ROOT_FILE") || !strings.Contains(msg, "certificate-chain with every intermediate then the root") {
		t.Errorf("message %q", msg)
	}
	full := opts(t, merged(base, map[string]any{"certificate-chain": corp.ChainPEM()}), false)
	check(t, verifyImage(t, w.v, d.String(), full, verify.Signatures), want{verified: true})
}

func merged(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range []map[string]any{a, b} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
