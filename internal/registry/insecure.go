package registry

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// InsecureRegistriesEnv names registries reached over plain HTTP (or with
// unverified TLS), comma- or space-separated. It adds to the plugin's
// registry.insecure list wherever the engine is built: the server, exec, eval,
// test and verify. It is the one rule for marking a registry insecure outside
// a config file.
const InsecureRegistriesEnv = "OPA_COSIGN_INSECURE_REGISTRIES"

// hostPort is a registry host as it appears in an image reference: a DNS
// name or IPv4 address, or an IPv6 address in brackets, with an optional port.
var hostPort = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:([0-9]{1,5}))?$`)

// CheckInsecureHost returns why h cannot name a registry, with the spelling
// that would, or nil when it is a host[:port].
func CheckInsecureHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty registry name")
	}
	if i := strings.Index(h, "://"); i >= 0 {
		return fmt.Errorf("%q has a scheme: write the registry as it appears in image references, %s", h, suggest(h[i+3:]))
	}
	if i := strings.IndexAny(h, "/"); i >= 0 {
		return fmt.Errorf("%q has a path: name the registry only, %s", h, suggest(h))
	}
	m := hostPort.FindStringSubmatch(h)
	if m == nil {
		return fmt.Errorf("%q is not a registry host[:port] (such as localhost:5000 or registry.local)", h)
	}
	if m[4] != "" {
		if p, err := strconv.Atoi(m[4]); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("%q has an invalid port", h)
		}
	}
	return nil
}

// suggest is the host[:port] that s (a reference or URL without its scheme)
// starts with, as a hint.
func suggest(s string) string {
	host, _, _ := strings.Cut(s, "/")
	if CheckInsecureHost(host) != nil {
		return "host[:port] such as localhost:5000"
	}
	return host
}

// ParseInsecureList reads a list of registries in the form the environment
// variable takes: host[:port] entries separated by commas and/or spaces. An
// entry that is not a host[:port] is an error naming it and the fix, so that a
// value meant to allow plain HTTP is never silently ignored.
func ParseInsecureList(s string) ([]string, error) {
	var out []string
	for _, h := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if err := CheckInsecureHost(h); err != nil {
			return nil, err
		}
		out = append(out, strings.ToLower(h))
	}
	return out, nil
}

// InsecureFromEnv is the list in OPA_COSIGN_INSECURE_REGISTRIES; a malformed
// value is an error that names the variable.
func InsecureFromEnv() ([]string, error) {
	hosts, err := ParseInsecureList(os.Getenv(InsecureRegistriesEnv))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", InsecureRegistriesEnv, err)
	}
	return hosts, nil
}
