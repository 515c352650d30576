package plugins

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opa-cosign/opa-cosign/internal/registry"
)

// The one rule for plain HTTP (issue 16 item 3): the config's list and the
// environment variable add up, whether or not the config has a cosign
// section; a malformed entry in either stops the config with the fix.
func TestInsecureRegistriesAreTheConfigPlusTheEnvironment(t *testing.T) {
	t.Setenv(registry.InsecureRegistriesEnv, "127.0.0.1:5000, Reg.Local:5001")
	for raw, want := range map[string][]string{
		``:   {"127.0.0.1:5000", "reg.local:5001"},
		`{}`: {"127.0.0.1:5000", "reg.local:5001"},
		`{"timeout": "8s", "registry": {"insecure": ["localhost:5000", "127.0.0.1:5000"]}}`: {"localhost:5000", "127.0.0.1:5000", "reg.local:5001"},
	} {
		c, err := ParseConfig([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.engine.Registry.Insecure; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: insecure %v, want %v", raw, got, want)
		}
	}
}

func TestInsecureRegistriesMalformedAreErrors(t *testing.T) {
	t.Setenv(registry.InsecureRegistriesEnv, "")
	_, err := ParseConfig([]byte(`{"registry": {"insecure": ["http://localhost:5000"]}}`))
	want := `invalid value for plugins.cosign.registry.insecure[0] field, should be a registry host[:port]: "http://localhost:5000" has a scheme: write the registry as it appears in image references, localhost:5000`
	if err == nil || err.Error() != want {
		t.Errorf("config: got %v\nwant %s", err, want)
	}
	t.Setenv(registry.InsecureRegistriesEnv, "localhost:5000/app")
	if _, err := ParseConfig(nil); err == nil || !strings.HasPrefix(err.Error(), `OPA_COSIGN_INSECURE_REGISTRIES: "localhost:5000/app" has a path`) {
		t.Errorf("environment: got %v", err)
	}
}
