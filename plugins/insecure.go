package plugins

import (
	"fmt"
	"slices"
	"strings"

	"github.com/opa-cosign/opa-cosign/internal/registry"
)

// insecureRegistries is the one rule for plain HTTP: the registries listed in
// registry.insecure plus those in OPA_COSIGN_INSECURE_REGISTRIES, so that the
// variable a user exported for `eval` also holds for the server they start
// next, and neither is ever silently ignored. A malformed entry in either is
// an error that names where it came from and how to write it.
func insecureRegistries(configured []string) ([]string, error) {
	var out []string
	for i, h := range configured {
		if err := registry.CheckInsecureHost(h); err != nil {
			return nil, fieldError(fmt.Sprintf("registry.insecure[%d]", i), "should be a registry host[:port]: "+err.Error())
		}
		out = append(out, strings.ToLower(h))
	}
	fromEnv, err := registry.InsecureFromEnv()
	if err != nil {
		return nil, err
	}
	for _, h := range fromEnv {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, nil
}
