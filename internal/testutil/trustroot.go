package testutil

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
)

// WriteTrustedRoot writes the virtual Sigstore's CAs, logs and TSA as a
// trusted_root.json, as a private Sigstore deployment would publish it.
func WriteTrustedRoot(t testing.TB, vs *ca.VirtualSigstore) string {
	t.Helper()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), withIDs(t, vs.CTLogs()), vs.TimestampingAuthorities(), withIDs(t, vs.RekorLogs()))
	must(t, err)
	b, err := tr.MarshalJSON()
	must(t, err)
	p := filepath.Join(t.TempDir(), "trusted_root.json")
	must(t, os.WriteFile(p, b, 0o600))
	return p
}

// withIDs sets each log's ID from its map key (hex): the virtual Sigstore
// leaves it empty, and the JSON form identifies logs by it.
func withIDs(t testing.TB, logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
	t.Helper()
	out := make(map[string]*root.TransparencyLog, len(logs))
	for id, l := range logs {
		c := *l
		b, err := hex.DecodeString(id)
		must(t, err)
		c.ID = b
		out[id] = &c
	}
	return out
}
