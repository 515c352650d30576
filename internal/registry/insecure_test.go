package registry

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseInsecureList(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want []string
		err  string // a fragment of the error; "" = valid
	}{
		{"", nil, ""},
		{"127.0.0.1:5000", []string{"127.0.0.1:5000"}, ""},
		{"127.0.0.1:5000,localhost:5001", []string{"127.0.0.1:5000", "localhost:5001"}, ""},
		{"127.0.0.1:5000 localhost:5001", []string{"127.0.0.1:5000", "localhost:5001"}, ""},
		{" Registry.Local , [::1]:5000 ,", []string{"registry.local", "[::1]:5000"}, ""},
		{"http://127.0.0.1:5000", nil, `"http://127.0.0.1:5000" has a scheme: write the registry as it appears in image references, 127.0.0.1:5000`},
		{"127.0.0.1:5000,https://reg.local/v2/", nil, `has a scheme: write the registry as it appears in image references, reg.local`},
		{"127.0.0.1:5000/demo/app", nil, `"127.0.0.1:5000/demo/app" has a path: name the registry only, 127.0.0.1:5000`},
		{"127.0.0.1:99999", nil, `"127.0.0.1:99999" has an invalid port`},
		{"*.local", nil, `"*.local" is not a registry host[:port]`},
		{"reg.local:", nil, `"reg.local:" is not a registry host[:port]`},
	} {
		got, err := ParseInsecureList(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one saying %q", c.in, err, c.err)
		case c.err == "" && !reflect.DeepEqual(got, c.want):
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
		}
	}
}

// The refusal of plain HTTP names the two ways to allow it.
func TestInsecureRefusalNamesTheFix(t *testing.T) {
	t.Setenv(InsecureRegistriesEnv, "")
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.guard.roundTrip(mustRequest(t, "http://127.0.0.1:1/v2/x/manifests/v1"), nil)
	if resp != nil {
		resp.Body.Close()
	}
	want := "plain HTTP refused to 127.0.0.1:1: the registry is not marked insecure (to allow it, add 127.0.0.1:1 to OPA_COSIGN_INSECURE_REGISTRIES, or to plugins.cosign.registry.insecure in the config file)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestInsecureFromEnvNamesTheVariable(t *testing.T) {
	t.Setenv(InsecureRegistriesEnv, "http://localhost:5000")
	if _, err := InsecureFromEnv(); err == nil || !strings.HasPrefix(err.Error(), "OPA_COSIGN_INSECURE_REGISTRIES: ") {
		t.Fatalf("got %v", err)
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
