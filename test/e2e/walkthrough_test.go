//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docReg is the registry address docs/getting-started.md uses; the script
// runs on a free port and its output is read back as if it were on this one.
const docReg = "127.0.0.1:5000"

// TestWalkthrough runs scripts/walkthrough.sh and holds docs/getting-started.md
// to it: every command in the page's `sh` blocks is a line of the script (with
// $reg = 127.0.0.1:5000), every `json` block is, in order, what the script
// printed — field by field for the fields the page shows, digests aside (they
// depend on file times) — and every `text` block is printed as shown, digests
// aside: what a user sees of a misused option (stderr, exit code 2) and of
// `opa-cosign verify`. The verdicts are v2 verified, v3 verified, wrong key
// refused, registry not marked insecure refused.
func TestWalkthrough(t *testing.T) {
	script := filepath.Join(repoRoot, "scripts", "walkthrough.sh")
	port := freePort(t)
	out := runGroup(t, script, fmt.Sprintf("PORT=%d", port))
	out = strings.ReplaceAll(out, fmt.Sprintf("127.0.0.1:%d", port), docReg)

	results := jsonBlocks(out)
	var verdicts []bool
	for _, r := range results {
		verdicts = append(verdicts, r.(map[string]any)["verified"] == true)
	}
	if fmt.Sprint(verdicts) != "[true true false false]" {
		t.Fatalf("verdicts %v, want [true true false false]:\n%s", verdicts, tail(out, 4000))
	}

	doc, err := os.ReadFile(filepath.Join(repoRoot, "docs", "getting-started.md"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(strings.ReplaceAll(string(src), "$reg", docReg), "\n") {
		lines[command(l)] = true
	}
	blocks := fenced(string(doc))
	for _, b := range blocks["sh"] {
		for _, l := range strings.Split(b, "\n") {
			if c := command(l); c != "" && !strings.HasPrefix(c, "#") && !lines[c] {
				t.Errorf("getting-started.md runs a command that scripts/walkthrough.sh does not:\n  %s", c)
			}
		}
	}
	printed := digestRE.ReplaceAllString(out, "sha256:<digest>")
	if len(blocks["text"]) < 2 {
		t.Fatalf("getting-started.md shows %d text blocks, want the misuse and verify outputs", len(blocks["text"]))
	}
	for _, b := range blocks["text"] {
		if !strings.Contains(printed, digestRE.ReplaceAllString(b, "sha256:<digest>")) {
			t.Errorf("getting-started.md shows output the script did not print:\n%s", b)
		}
	}
	if len(blocks["json"]) != len(results) {
		t.Fatalf("getting-started.md shows %d results, the script prints %d", len(blocks["json"]), len(results))
	}
	for i, b := range blocks["json"] {
		var shown any
		if err := json.Unmarshal([]byte(b), &shown); err != nil {
			t.Fatalf("getting-started.md, result %d: %v", i+1, err)
		}
		if path, ok := shownIn(normalise(shown), normalise(results[i])); !ok {
			got, _ := json.MarshalIndent(results[i], "", "  ")
			t.Errorf("getting-started.md, result %d: %s differs from what the script printed:\n%s", i+1, path, got)
		}
	}
}

// runGroup runs a script in its own process group, killed with everything it
// started (the registry) at cleanup, and returns its combined output.
func runGroup(t *testing.T, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	t.Cleanup(func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(script), err, tail(string(out), 4000))
	}
	return string(out)
}

var trailingComment = regexp.MustCompile(`\s{2,}#.*$`)

// command is a shell line without indentation and trailing comment.
func command(line string) string {
	return strings.TrimSpace(trailingComment.ReplaceAllString(line, ""))
}

// fenced returns the page's fenced code blocks by info string.
func fenced(doc string) map[string][]string {
	blocks := map[string][]string{}
	var lang string
	var cur []string
	in := false
	for _, l := range strings.Split(doc, "\n") {
		switch {
		case !in && strings.HasPrefix(l, "```"):
			in, lang, cur = true, strings.TrimPrefix(l, "```"), nil
		case in && l == "```":
			in = false
			blocks[lang] = append(blocks[lang], strings.Join(cur, "\n"))
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

// jsonBlocks parses the pretty-printed JSON objects in out: each starts with a
// line "{" and ends with a line "}".
func jsonBlocks(out string) []any {
	var res []any
	var cur []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case l == "{":
			cur = []string{l}
		case cur != nil:
			cur = append(cur, l)
			if l == "}" {
				var v any
				if json.Unmarshal([]byte(strings.Join(cur, "\n")), &v) == nil {
					res = append(res, v)
				}
				cur = nil
			}
		}
	}
	return res
}

var digestRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// normalise replaces digests in every string with a placeholder.
func normalise(v any) any {
	switch x := v.(type) {
	case string:
		return digestRE.ReplaceAllString(x, "sha256:<digest>")
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = normalise(x[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalise(e)
		}
		return out
	}
	return v
}

// shownIn reports whether shown is got with some object fields left out (and
// nothing else changed), or else the path of the first difference.
func shownIn(shown, got any) (string, bool) {
	switch s := shown.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return "$", false
		}
		for k, v := range s {
			gv, present := g[k]
			if !present {
				return "." + k, false
			}
			if p, ok := shownIn(v, gv); !ok {
				return "." + k + p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(s) {
			return "$", false
		}
		for i := range s {
			if p, ok := shownIn(s[i], g[i]); !ok {
				return fmt.Sprintf("[%d]%s", i, p), false
			}
		}
		return "", true
	}
	if !reflect.DeepEqual(shown, got) {
		return "", false
	}
	return "", true
}

// TestWalkthroughBusyPort: with the registry's port already taken — by a
// listener that accepts connections and never answers, where waiting for the
// registry used to hang — the walkthrough fails within seconds, showing the
// registry's own error and saying how to choose another port (issue 16 item 11).
func TestWalkthroughBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "scripts", "walkthrough.sh"))
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("walkthrough on a taken port: err %v after %s:\n%s", err, took, tail(string(out), 2000))
	}
	for _, want := range []string{fmt.Sprintf("listen tcp 127.0.0.1:%d: bind: address already in use", port), "(PORT chooses another port)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output does not say %q:\n%s", want, tail(string(out), 2000))
		}
	}
	t.Logf("failed after %s", took.Round(time.Millisecond))
}
