package reference

import (
	"strings"
	"testing"

	distref "github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
)

// FuzzParse: whatever the input, Parse does not panic, and what it accepts is
// accepted by distribution/reference and go-containerregistry, is no image
// ID, has a lower-case host, and normalises to itself.
func FuzzParse(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r, err := Parse(in)
		if err != nil {
			return
		}
		if IsImageID(in) {
			t.Fatalf("%q: an image ID was accepted as %s", in, r.Reference)
		}
		if _, err := distref.ParseNormalizedNamed(in); err != nil {
			t.Fatalf("%q: accepted as %s, distribution refuses: %v", in, r.Reference, err)
		}
		if _, err := name.ParseReference(r.Reference, name.StrictValidation); err != nil {
			t.Fatalf("%q: go-containerregistry refuses %s: %v", in, r.Reference, err)
		}
		if r.Registry != strings.ToLower(r.Registry) || r.Name != r.Registry+"/"+r.Repository || (r.Tag == "" && r.Digest == "") {
			t.Fatalf("%q: %+v", in, r)
		}
		again, err := Parse(r.Reference)
		if err != nil || again.Reference != r.Reference || again.Name != r.Name {
			t.Fatalf("%q: Parse(%s) = %s, %v", in, r.Reference, again.Reference, err)
		}
	})
}
