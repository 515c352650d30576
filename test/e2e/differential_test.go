//go:build e2e

package e2e

import (
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// target is what a case verifies: the reference given to both tools, and the
// digest that reference must resolve to (the image that would run).
type target struct{ ref, digest string }

// diffCase is one row of the differential table.
type diffCase struct {
	name  string
	setup func(t *testing.T, repo string) target // pushes and signs
	opts  func(t *testing.T) map[string]any      // cosign.verify options
	// The reference verdict: the cosign CLI and how it is called.
	cli     string
	cliKey  keyPair
	cliTlog bool // verify without --insecure-ignore-tlog
	cliEnv  []string
	cliArgs []string
	// Our verdict: verified with signatures of this format, or this error code.
	verified bool
	format   string
	code     string
	// What the CLI must print when it refuses — on every negative row and on a
	// documented difference — so that it fails for that reason, not another
	// (a network error, a missing flag); and why its verdict differs from
	// ours, when it does by design.
	cliSays, cliDiffers string
}

// cliRefuses reports whether the case expects the CLI to fail.
func (c diffCase) cliRefuses() bool { return c.verified == (c.cliDiffers != "") }

// TestDifferentialWithCosign signs images with the real cosign v2 and v3 CLIs
// and checks that opa-cosign — through `eval` and through the server's REST
// API, which must agree with each other exactly — gives the same verdict as
// `cosign verify` on the same reference and key, with the error code saying
// why, and resolves the reference to the digest that would run. Each case
// also runs `opa-cosign verify` with the very arguments given to the cosign
// CLI: its result is eval's, and its exit code is the CLI's (cli_verify_test.go).
func TestDifferentialWithCosign(t *testing.T) {
	host := startRegistry(t)
	srv := startServer(t, host)
	good, bad := newKeyPair(t), newKeyPair(t)
	sigRepo := host + "/e2e/signatures"
	sigRepoV3 := host + "/e2e/signatures-v3"

	// signed pushes an image, signs it by digest and returns the digest ref.
	signed := func(version string, env []string, extra ...string) func(*testing.T, string) target {
		return func(t *testing.T, repo string) target {
			d := push(t, host, repo, "v1")
			sign(t, version, good, d.String(), env, extra...)
			return target{d.String(), d.DigestStr()}
		}
	}
	// byTag is signed, verified by tag.
	byTag := func(version string) func(*testing.T, string) target {
		return func(t *testing.T, repo string) target {
			d := push(t, host, repo, "v1")
			sign(t, version, good, d.String(), nil)
			return target{d.Context().Name() + ":v1", d.DigestStr()}
		}
	}
	// tagMoved signs the image under :v1, then pushes another image to :v1.
	tagMoved := func(version string) func(*testing.T, string) target {
		return func(t *testing.T, repo string) target {
			d := push(t, host, repo, "v1")
			sign(t, version, good, d.String(), nil)
			moved := push(t, host, repo, "v1")
			return target{d.Context().Name() + ":v1", moved.DigestStr()}
		}
	}
	// tagAndUnsignedDigest names a signed tag and an unsigned digest.
	tagAndUnsignedDigest := func(version string) func(*testing.T, string) target {
		return func(t *testing.T, repo string) target {
			d := push(t, host, repo, "v1")
			sign(t, version, good, d.String(), nil)
			u := push(t, host, repo, "other")
			return target{d.Context().Name() + ":v1@" + u.DigestStr(), u.DigestStr()}
		}
	}
	unsigned := func(t *testing.T, repo string) target {
		d := push(t, host, repo, "v1")
		return target{d.String(), d.DigestStr()}
	}
	key := func(k keyPair, extra map[string]any) func(*testing.T) map[string]any {
		return func(t *testing.T) map[string]any { return keyOpts(k, t, extra) }
	}
	tlogRequired := func(t *testing.T) map[string]any { return map[string]any{"key": good.pem(t)} }
	// Verifying a transparency-log proof offline needs the log's key. Without
	// one the CLI fails fetching TUF metadata (no network here), which says
	// nothing about the signature; given the public-good root that opa-cosign
	// embeds, it fails because the signature carries no proof.
	root := filepath.Join(repoRoot, "internal/trust/public-good/trusted_root.json")
	v2Tlog := []string{"SIGSTORE_REKOR_PUBLIC_KEY=" + rekorKeyFile(t, root)}
	v3Tlog := []string{"--trusted-root", root}
	prod := map[string]any{"annotations": map[string]any{"env": "prod"}}

	cases := []diffCase{
		// cosign v2, legacy .sig signatures.
		{name: "v2 signed, right key", setup: signed(v2, nil), opts: key(good, nil), cli: v2, cliKey: good, verified: true, format: "legacy"},
		{name: "v2 signed, wrong key", setup: signed(v2, nil), opts: key(bad, nil), cli: v2, cliKey: bad, code: "no_matching_signatures",
			cliSays: "no matching signatures: invalid signature"},
		{name: "v2 signed, by tag", setup: byTag(v2), opts: key(good, nil), cli: v2, cliKey: good, verified: true, format: "legacy"},
		{name: "unsigned", setup: unsigned, opts: key(good, nil), cli: v2, cliKey: good, code: "no_signatures", cliSays: v2NoSigs},
		{name: "unsigned, v3 CLI", setup: unsigned, opts: key(good, nil), cli: v3, cliKey: good, code: "no_signatures", cliSays: v3NoSigs},
		{name: "v2 annotation required and present", setup: signed(v2, nil, "-a", "env=prod"), opts: key(good, prod),
			cli: v2, cliKey: good, cliArgs: []string{"-a", "env=prod"}, verified: true, format: "legacy"},
		{name: "v2 annotation required and different", setup: signed(v2, nil, "-a", "env=dev"), opts: key(good, prod),
			cli: v2, cliKey: good, cliArgs: []string{"-a", "env=prod"}, code: "annotation_mismatch", cliSays: v2Annotation},
		{name: "v2 annotation required and absent", setup: signed(v2, nil), opts: key(good, prod),
			cli: v2, cliKey: good, cliArgs: []string{"-a", "env=prod"}, code: "annotation_mismatch", cliSays: v2Annotation},
		{name: "v2 signature in another repository", setup: signed(v2, []string{"COSIGN_REPOSITORY=" + sigRepo}), opts: key(good, map[string]any{"signature-repository": sigRepo}),
			cli: v2, cliKey: good, cliEnv: []string{"COSIGN_REPOSITORY=" + sigRepo}, verified: true, format: "legacy"},
		{name: "v2 signature in another repository, not named", setup: signed(v2, []string{"COSIGN_REPOSITORY=" + sigRepo}), opts: key(good, nil),
			cli: v2, cliKey: good, code: "no_signatures", cliSays: v2NoSigs},
		{name: "v2 tag moved to an unsigned image after signing", setup: tagMoved(v2), opts: key(good, nil), cli: v2, cliKey: good, code: "no_signatures", cliSays: v2NoSigs},
		{name: "v2 signed tag with an unsigned digest", setup: tagAndUnsignedDigest(v2), opts: key(good, nil), cli: v2, cliKey: good, code: "no_signatures", cliSays: v2NoSigs},
		{name: "v2 signed without tlog, tlog required", setup: signed(v2, nil), opts: tlogRequired,
			cli: v2, cliKey: good, cliTlog: true, cliEnv: v2Tlog, code: "tlog_verification_failed", cliSays: v2NoTlog},

		// cosign v3, Sigstore bundles in the referrers tag fallback.
		{name: "v3 bundle, right key", setup: signed(v3, nil), opts: key(good, nil), cli: v3, cliKey: good, verified: true, format: "bundle"},
		{name: "v3 bundle, wrong key", setup: signed(v3, nil), opts: key(bad, nil), cli: v3, cliKey: bad, code: "no_matching_signatures",
			cliSays: v3WrongKey},
		{name: "v3 bundle, by tag", setup: byTag(v3), opts: key(good, nil), cli: v3, cliKey: good, verified: true, format: "bundle"},
		{name: "v3 annotation required and present", setup: signed(v3, nil, "-a", "env=prod"), opts: key(good, prod),
			cli: v3, cliKey: good, cliArgs: []string{"-a", "env=prod"}, verified: true, format: "bundle"},
		{name: "v3 annotation required and absent", setup: signed(v3, nil), opts: key(good, prod),
			cli: v3, cliKey: good, cliArgs: []string{"-a", "env=prod"}, code: "annotation_mismatch", cliSays: v3Annotation},
		{name: "v3 bundle in another repository", setup: signed(v3, []string{"COSIGN_REPOSITORY=" + sigRepoV3}), opts: key(good, map[string]any{"signature-repository": sigRepoV3}),
			cli: v3, cliKey: good, cliEnv: []string{"COSIGN_REPOSITORY=" + sigRepoV3}, verified: true, format: "bundle"},
		{name: "v3 tag moved to an unsigned image after signing", setup: tagMoved(v3), opts: key(good, nil), cli: v3, cliKey: good, code: "no_signatures", cliSays: v3NoSigs},
		{name: "v3 signed tag with an unsigned digest", setup: tagAndUnsignedDigest(v3), opts: key(good, nil), cli: v3, cliKey: good, code: "no_signatures", cliSays: v3NoSigs},
		{name: "v3 bundle without tlog, tlog required", setup: signed(v3, nil), opts: tlogRequired,
			cli: v3, cliKey: good, cliTlog: true, cliArgs: v3Tlog, code: "tlog_verification_failed", cliSays: v3NoTlog},
		{name: "v3 bundle read by the v2 CLI", setup: signed(v3, nil), opts: key(good, nil), cli: v2, cliKey: good, verified: true, format: "bundle",
			cliDiffers: "cosign v2.6 cannot verify a v3 bundle offline (it asks for a trusted root, which a key-signed bundle does not need)",
			cliSays:    "trusted root is required when using new bundle format"},

		// Both formats on one image.
		{name: "both formats, v2 with wrong key and v3 with right key", setup: func(t *testing.T, repo string) target {
			d := push(t, host, repo, "v1")
			sign(t, v2, bad, d.String(), nil)
			sign(t, v3, good, d.String(), nil)
			return target{d.String(), d.DigestStr()}
		}, opts: key(good, nil), cli: v3, cliKey: good, verified: true, format: "bundle"},
	}

	for _, c := range cases {
		if c.cliRefuses() && c.cliSays == "" {
			t.Fatalf("case %q: the CLI must refuse, but the case does not say why (cliSays)", c.name)
		}
	}
	agreed := 0
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := c.setup(t, "e2e/case"+string(rune('a'+i)))
			opts := c.opts(t)
			viaEval, viaServer := evalVerify(t, host, tg.ref, opts), srv.verify(t, tg.ref, opts)
			if !reflect.DeepEqual(viaEval, viaServer) {
				t.Errorf("eval and server disagree:\n eval:   %+v\n server: %+v", viaEval, viaServer)
			}
			c.check(t, viaEval, tg)

			cliCode, out, args := cosignVerify(t, c.cli, c.cliKey, tg.ref, !c.cliTlog, c.cliEnv, c.cliArgs...)
			cliOK := cliCode == 0
			c.checkVerifyCommand(t, host, args, viaEval, cliCode)
			switch {
			case c.cliDiffers == "" && cliOK != c.verified:
				t.Errorf("cosign %s verify says %v, opa-cosign says %v:\n%s", c.cli, cliOK, c.verified, tail(out, 1500))
			case c.cliDiffers != "" && cliOK == c.verified:
				t.Errorf("documented difference gone (%s): cosign now agrees", c.cliDiffers)
			case !cliOK && !strings.Contains(out, c.cliSays):
				t.Errorf("cosign %s verify refused, but not saying %q:\n%s", c.cli, c.cliSays, tail(out, 1500))
			case c.cliDiffers == "":
				agreed++
			default:
				t.Logf("differs by design: %s; cosign said %q", c.cliDiffers, c.cliSays)
			}
		})
	}
	t.Logf("%d of %d cases agree with the cosign CLI; the rest differ by design", agreed, len(cases))
	if agreed < 10 {
		t.Fatalf("only %d cases agree with cosign, want at least 10", agreed)
	}
}

// Why the cosign CLIs refuse, in their own words.
const (
	v2NoSigs     = "Error: no signatures found"
	v2Annotation = "no matching signatures: missing or incorrect annotation"
	v2NoTlog     = "no matching signatures: offline verification failed"
	v3NoSigs     = "Error: no signatures found"
	v3WrongKey   = "could not verify envelope: accepted signatures do not match threshold, Found: 0"
	v3Annotation = "no matching attestations: missing or incorrect annotation"
	v3NoTlog     = "not enough verified log entries from transparency log: 0 < 1"
)

// rekorKeyFile writes the Rekor public key of a trusted_root.json as PEM, the
// form cosign v2 reads from SIGSTORE_REKOR_PUBLIC_KEY.
func rekorKeyFile(t *testing.T, trustedRoot string) string {
	t.Helper()
	b, err := os.ReadFile(trustedRoot)
	if err != nil {
		t.Fatal(err)
	}
	var tr struct {
		Tlogs []struct {
			PublicKey struct {
				RawBytes []byte `json:"rawBytes"`
			} `json:"publicKey"`
		} `json:"tlogs"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || len(tr.Tlogs) == 0 {
		t.Fatalf("no transparency log in %s: %v", trustedRoot, err)
	}
	file := filepath.Join(t.TempDir(), "rekor.pub")
	key := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: tr.Tlogs[0].PublicKey.RawBytes})
	if err := os.WriteFile(file, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// check compares one opa-cosign result with the case's expectation.
func (c diffCase) check(t *testing.T, got verdict, tg target) {
	t.Helper()
	if got.Digest != tg.digest {
		t.Errorf("digest = %s, want %s (what %s runs)", got.Digest, tg.digest, tg.ref)
	}
	if !strings.HasSuffix(got.Reference, "@"+tg.digest) {
		t.Errorf("reference = %s, want one pinned to %s", got.Reference, tg.digest)
	}
	if !c.verified {
		if got.Verified || got.code() != c.code || len(got.Signatures) != 0 {
			t.Errorf("verified=%v code=%q signatures=%d, want code %q (%+v)", got.Verified, got.code(), len(got.Signatures), c.code, got.Errors)
		}
		return
	}
	if !got.Verified || len(got.Errors) != 0 || len(got.Signatures) == 0 {
		t.Fatalf("not verified: %+v", got.Errors)
	}
	for _, s := range got.Signatures {
		if s.Format != c.format {
			t.Errorf("signature format %q, want %q", s.Format, c.format)
		}
	}
}

// TestPlainHTTPNeedsOptIn: the same signed image, with no registry marked
// insecure, is never verified — neither by eval nor by the server.
func TestPlainHTTPNeedsOptIn(t *testing.T) {
	host := startRegistry(t)
	k := newKeyPair(t)
	d := push(t, host, "e2e/plain", "v1")
	sign(t, v2, k, d.String(), nil)
	if got := evalVerify(t, host, d.String(), keyOpts(k, t, nil)); !got.Verified {
		t.Fatalf("with the opt-in: %+v", got)
	}
	refused := func(via string, got verdict) {
		if got.Verified || got.code() != "registry_error" || !strings.Contains(got.Errors[0].Message, "not marked insecure") {
			t.Errorf("%s without the opt-in: %+v", via, got)
		}
	}
	refused("eval", evalVerify(t, "", d.String(), keyOpts(k, t, nil)))
	refused("eval, another registry marked", evalVerify(t, "127.0.0.1:1", d.String(), keyOpts(k, t, nil)))
	refused("server", startServer(t, "").verify(t, d.String(), keyOpts(k, t, nil)))
}
