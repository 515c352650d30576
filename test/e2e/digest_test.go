//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// digestCase is one image.digest call: the digest it must give, or the text
// its error must contain.
type digestCase struct{ name, ref, digest, err string }

// checkDigests calls image.digest through the server twice per case: with
// strict built-in errors, which shows the error, and without, where an error
// must leave the rule undefined (a deny in allow-list policies).
func checkDigests(t *testing.T, srv server, cases []digestCase) {
	t.Helper()
	for _, c := range cases {
		got, msg := srv.digest(t, c.ref, true)
		if got != c.digest || (c.err == "") != (msg == "") || !strings.Contains(msg, c.err) {
			t.Errorf("image.digest, %s (%s) = %q, error %q; want %q, error with %q", c.name, c.ref, got, msg, c.digest, c.err)
		}
		if lax, laxMsg := srv.digest(t, c.ref, false); lax != c.digest || laxMsg != "" {
			t.Errorf("image.digest, %s, without strict errors = %q (%q), want %q", c.name, lax, laxMsg, c.digest)
		}
	}
}

// digest evaluates data.e2e.digest for image: the digest, or "" when the rule
// is undefined, and the error message when the server refused the query.
func (s server) digest(t *testing.T, image string, strict bool) (string, string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"input": map[string]any{"image": image}})
	if err != nil {
		t.Fatal(err)
	}
	url := s.url + "/v1/data/e2e/digest"
	if strict {
		url += "?strict-builtin-errors=true"
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Result  *string `json:"result"`
		Message string  `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		msg := out.Message
		for _, e := range out.Errors {
			msg += "; " + e.Message
		}
		return "", msg
	}
	if out.Result == nil {
		return "", ""
	}
	return *out.Result, ""
}
