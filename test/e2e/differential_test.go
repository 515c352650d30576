//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestDifferentialWithCosign signs images with the real cosign v2 and v3 CLIs
// and checks that opa-cosign — through `eval` and through the server's REST
// API — gives the same verdict as `cosign verify` on the same image and key,
// with the error code saying why.
func TestDifferentialWithCosign(t *testing.T) {
	host := startRegistry(t)
	srv := startServer(t, host)
	good, bad := newKeyPair(t), newKeyPair(t)
	sigRepo := host + "/e2e/signatures"

	type tc struct {
		name string
		// setup pushes and signs, returning the reference to verify.
		setup func(t *testing.T, repo string) string
		opts  func(t *testing.T) map[string]any
		// cosign CLI used as reference, and how it is called.
		cli        string
		cliKey     keyPair
		cliTlog    bool // verify without --insecure-ignore-tlog
		cliEnv     []string
		cliArgs    []string
		verified   bool
		code       string
		cliDiffers string // why the CLI's verdict differs from ours, when it does by design
	}
	signed := func(version string, env []string, extra ...string) func(*testing.T, string) string {
		return func(t *testing.T, repo string) string {
			d := push(t, host, repo, "v1")
			sign(t, version, good, d.String(), env, extra...)
			return d.String()
		}
	}
	byTag := func(version string) func(*testing.T, string) string {
		return func(t *testing.T, repo string) string {
			d := push(t, host, repo, "v1")
			sign(t, version, good, d.String(), nil)
			return d.Context().Name() + ":v1"
		}
	}
	key := func(k keyPair, extra map[string]any) func(*testing.T) map[string]any {
		return func(t *testing.T) map[string]any { return keyOpts(k, t, extra) }
	}
	cases := []tc{
		{name: "v2 signed, right key", setup: signed(v2, nil), opts: key(good, nil), cli: v2, cliKey: good, verified: true},
		{name: "v2 signed, wrong key", setup: signed(v2, nil), opts: key(bad, nil), cli: v2, cliKey: bad, code: "no_matching_signatures"},
		{name: "v2 signed, by tag", setup: byTag(v2), opts: key(good, nil), cli: v2, cliKey: good, verified: true},
		{name: "unsigned", setup: func(t *testing.T, repo string) string { return push(t, host, repo, "v1").String() },
			opts: key(good, nil), cli: v2, cliKey: good, code: "no_signatures"},
		{name: "v2 annotation required and present", setup: signed(v2, nil, "-a", "env=prod"), opts: key(good, map[string]any{"annotations": map[string]any{"env": "prod"}}),
			cli: v2, cliKey: good, cliArgs: []string{"-a", "env=prod"}, verified: true},
		{name: "v2 annotation required and different", setup: signed(v2, nil, "-a", "env=dev"), opts: key(good, map[string]any{"annotations": map[string]any{"env": "prod"}}),
			cli: v2, cliKey: good, cliArgs: []string{"-a", "env=prod"}, code: "annotation_mismatch"},
		{name: "v2 signature in another repository", setup: signed(v2, []string{"COSIGN_REPOSITORY=" + sigRepo}), opts: key(good, map[string]any{"signature-repository": sigRepo}),
			cli: v2, cliKey: good, cliEnv: []string{"COSIGN_REPOSITORY=" + sigRepo}, verified: true},
		{name: "v2 signature in another repository, not named", setup: signed(v2, []string{"COSIGN_REPOSITORY=" + sigRepo}), opts: key(good, nil),
			cli: v2, cliKey: good, code: "no_signatures"},
		{name: "tag moved to an unsigned image after signing", setup: func(t *testing.T, repo string) string {
			d := push(t, host, repo, "v1")
			sign(t, v2, good, d.String(), nil)
			push(t, host, repo, "v1")
			return d.Context().Name() + ":v1"
		}, opts: key(good, nil), cli: v2, cliKey: good, code: "no_signatures"},
		{name: "signed tag with an unsigned digest", setup: func(t *testing.T, repo string) string {
			d := push(t, host, repo, "v1")
			sign(t, v2, good, d.String(), nil)
			u := push(t, host, repo, "other")
			return d.Context().Name() + ":v1@" + u.DigestStr()
		}, opts: key(good, nil), cli: v2, cliKey: good, code: "no_signatures"},
		{name: "v2 signed without tlog, tlog required", setup: signed(v2, nil), opts: func(t *testing.T) map[string]any { return map[string]any{"key": good.pem(t)} },
			cli: v2, cliKey: good, cliTlog: true, code: "tlog_verification_failed"},
		{name: "v3 bundle, right key", setup: signed(v3, nil), opts: key(good, nil), cli: v3, cliKey: good, verified: true},
		{name: "v3 bundle, wrong key", setup: signed(v3, nil), opts: key(bad, nil), cli: v3, cliKey: bad, code: "no_matching_signatures"},
		{name: "v3 bundle, by tag", setup: byTag(v3), opts: key(good, nil), cli: v3, cliKey: good, verified: true},
		{name: "v3 bundle without tlog, tlog required", setup: signed(v3, nil), opts: func(t *testing.T) map[string]any { return map[string]any{"key": good.pem(t)} },
			cli: v3, cliKey: good, cliTlog: true, code: "tlog_verification_failed"},
		{name: "v3 bundle read by the v2 CLI", setup: signed(v3, nil), opts: key(good, nil), cli: v2, cliKey: good, verified: true,
			cliDiffers: "cosign v2.6 cannot verify a v3 bundle offline (it asks for a trusted root, which a key-signed bundle does not need)"},
		{name: "both formats, v2 with wrong key and v3 with right key", setup: func(t *testing.T, repo string) string {
			d := push(t, host, repo, "v1")
			sign(t, v2, bad, d.String(), nil)
			sign(t, v3, good, d.String(), nil)
			return d.String()
		}, opts: key(good, nil), cli: v3, cliKey: good, verified: true},
	}
	agreed := 0
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := c.setup(t, "e2e/case"+string(rune('a'+i)))
			opts := c.opts(t)
			for via, got := range map[string]verdict{"eval": evalVerify(t, host, ref, opts), "server": srv.verify(t, ref, opts)} {
				if got.Verified != c.verified || (!c.verified && got.code() != c.code) {
					t.Errorf("%s: verified=%v code=%q, want verified=%v code=%q (%+v)", via, got.Verified, got.code(), c.verified, c.code, got.Errors)
				}
			}
			cliOK, out := cosignVerify(t, c.cli, c.cliKey, ref, !c.cliTlog, c.cliEnv, c.cliArgs...)
			switch {
			case c.cliDiffers == "" && cliOK != c.verified:
				t.Errorf("cosign %s verify says %v, opa-cosign says %v:\n%s", c.cli, cliOK, c.verified, tail(out, 1500))
			case c.cliDiffers != "" && cliOK == c.verified:
				t.Errorf("documented difference gone (%s): cosign now agrees", c.cliDiffers)
			case c.cliDiffers == "":
				agreed++
			default:
				t.Logf("differs by design: %s; cosign said: %s", c.cliDiffers, strings.TrimSpace(tail(out, 300)))
			}
		})
	}
	t.Logf("%d of %d cases agree with the cosign CLI; the rest differ by design", agreed, len(cases))
	if agreed < 10 {
		t.Fatalf("only %d cases agree with cosign, want at least 10", agreed)
	}
}

// TestPlainHTTPNeedsOptIn: the same signed image, with no registry marked
// insecure, is never verified.
func TestPlainHTTPNeedsOptIn(t *testing.T) {
	host := startRegistry(t)
	k := newKeyPair(t)
	d := push(t, host, "e2e/plain", "v1")
	sign(t, v2, k, d.String(), nil)
	if got := evalVerify(t, host, d.String(), keyOpts(k, t, nil)); !got.Verified {
		t.Fatalf("with the opt-in: %+v", got)
	}
	got := evalVerify(t, "", d.String(), keyOpts(k, t, nil))
	if got.Verified || got.code() != "registry_error" || !strings.Contains(got.Errors[0].Message, "not marked insecure") {
		t.Fatalf("without the opt-in: %+v", got)
	}
}
