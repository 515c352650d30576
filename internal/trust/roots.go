package trust

import (
	_ "embed" // the public-good trusted root
	"fmt"
	"sort"

	"github.com/sigstore/sigstore-go/pkg/root"
)

// PublicGoodName is the name of the embedded Sigstore public-good root, the
// default when a call names no trusted-root.
const PublicGoodName = "public-good"

// publicGoodJSON is copied from the pinned github.com/sigstore/sigstore module
// by `make generate` (scripts/gen-trusted-root.sh).
//
//go:embed public-good/trusted_root.json
var publicGoodJSON []byte

// PublicGood parses the embedded public-good trusted root.
func PublicGood() (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(publicGoodJSON)
	if err != nil {
		return nil, fmt.Errorf("parsing embedded public-good trusted root: %w", err)
	}
	return tr, nil
}

// Roots is an immutable set of named trust roots.
type Roots struct {
	byName map[string]root.TrustedMaterial
}

// NewRoots returns the public-good root plus the named ones. A name may
// replace public-good (e.g. in tests or for a private default).
func NewRoots(named map[string]root.TrustedMaterial) (*Roots, error) {
	r := &Roots{byName: map[string]root.TrustedMaterial{}}
	if _, ok := named[PublicGoodName]; !ok {
		pg, err := PublicGood()
		if err != nil {
			return nil, err
		}
		r.byName[PublicGoodName] = pg
	}
	for n, m := range named {
		r.byName[n] = m
	}
	return r, nil
}

// LoadFile reads a trusted_root.json.
func LoadFile(path string) (root.TrustedMaterial, error) {
	tr, err := root.NewTrustedRootFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("loading trusted root %s: %w", path, err)
	}
	return tr, nil
}

// Get returns the root called name; "" means public-good.
func (r *Roots) Get(name string) (root.TrustedMaterial, error) {
	if name == "" {
		name = PublicGoodName
	}
	m, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("unknown trusted root %q (configured: %v)", name, r.Names())
	}
	return m, nil
}

// Names lists the configured roots, sorted.
func (r *Roots) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
