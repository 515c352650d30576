package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/sigstore/sigstore-go/pkg/root"
)

// maxParsedRoots bounds the inline trust roots kept parsed: a policy carries
// a few, and a rotation adds one.
const maxParsedRoots = 64

// parsedRoots keeps inline roots by the hash of their JSON, so that a root
// carried in every call's options is parsed once, not per verification.
// Parsed roots are immutable and shared.
var parsedRoots, _ = lru.New[string, *root.TrustedRoot](maxParsedRoots) // cannot fail: the size is positive

// ParseJSON parses an inline trusted_root.json and names it by the hash of
// its content ("inline sha256:<12 hex>"), the name messages use.
func ParseJSON(b []byte) (root.TrustedMaterial, string, error) {
	sum := sha256.Sum256(b)
	key := hex.EncodeToString(sum[:])
	name := "inline sha256:" + key[:12]
	if tr, ok := parsedRoots.Get(key); ok {
		return tr, name, nil
	}
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return nil, "", fmt.Errorf("not a trusted_root.json: %w", err)
	}
	parsedRoots.Add(key, tr)
	return tr, name, nil
}
