package plugins

import "testing"

// A value of the wrong type is named by its field as written in the config
// file, with what the field takes and what was found (item 5 of issue 16: a
// bare `timeout: 8` used to give Go's unmarshal message).
func TestParseConfigWrongTypesSayWhatIsExpected(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{"timeout": 8}`:                       `invalid value for plugins.cosign.timeout field, should be a duration string such as "8s", got 8 (a number)`,
		`{"cache": {"ttl": 60}}`:               `invalid value for plugins.cosign.cache.ttl field, should be a duration string such as "8s", got 60 (a number)`,
		`{"max_concurrency": "16"}`:            `invalid value for plugins.cosign.max_concurrency field, should be an integer, got "16" (a string)`,
		`{"registry": {"insecure": "a:5000"}}`: `invalid value for plugins.cosign.registry.insecure field, should be a list of strings, got "a:5000" (a string)`,
		`{"registry": {"ca_file": true}}`:      `invalid value for plugins.cosign.registry.ca_file field, should be a string, got true (a boolean)`,
		`{"limits": []}`:                       `invalid value for plugins.cosign.limits field, should be an object, got [] (an array)`,
		`{"timout": "8s"}`:                     `invalid plugins.cosign config: unknown field "timout"`,
	} {
		_, err := ParseConfig([]byte(raw))
		if err == nil || err.Error() != want {
			t.Errorf("%s:\n got  %v\n want %s", raw, err, want)
		}
	}
}
