// Package reference parses container image references and normalises them the
// way a container runtime resolves them, so that policy matching and
// verification see one canonical name per image (docs/security.md #16, #17).
package reference
