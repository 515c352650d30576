//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
)

// TestWalkthrough runs docs/getting-started.md's script and checks the three
// verdicts it shows: v2 verified, v3 verified, wrong key not.
func TestWalkthrough(t *testing.T) {
	out := mustRun(t, repoRoot, []string{fmt.Sprintf("PORT=%d", freePort(t))}, filepath.Join(repoRoot, "scripts", "walkthrough.sh"))
	verdicts := regexp.MustCompile(`"verified": (true|false)`).FindAllStringSubmatch(out, -1)
	got := []string{}
	for _, v := range verdicts {
		got = append(got, v[1])
	}
	if fmt.Sprint(got) != "[true true false]" {
		t.Fatalf("verdicts %v, want [true true false]:\n%s", got, tail(out, 3000))
	}
	for _, want := range []string{`"format": "legacy"`, `"format": "bundle"`, `"code": "no_matching_signatures"`} {
		if !regexp.MustCompile(regexp.QuoteMeta(want)).MatchString(out) {
			t.Errorf("output lacks %s", want)
		}
	}
}
