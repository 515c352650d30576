package memo

import (
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

func term(t *testing.T, s string) *ast.Term {
	t.Helper()
	v, err := ast.ParseTerm(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDisabledStoreKeepsNothing(t *testing.T) {
	s := NewStore()
	s.Put("n", term(t, `{"a": 1}`), term(t, `"v"`))
	if _, ok := s.Get("n", term(t, `{"a": 1}`)); ok {
		t.Fatal("a disabled store answered")
	}
	if s.Len("n") != 0 {
		t.Fatal("a disabled store kept a value")
	}
}

func TestKeysAreComparedByValue(t *testing.T) {
	s := NewStore()
	s.Enable()
	s.Put("n", term(t, `[{"a": 1, "b": [1, 2]}, "img"]`), term(t, `"v1"`))
	if v, ok := s.Get("n", term(t, `[{"b": [1, 2], "a": 1}, "img"]`)); !ok || v.String() != `"v1"` {
		t.Fatalf("an equal key built anew: %v %v", v, ok)
	}
	// The array hash is the sum of its elements' hashes: a permutation
	// collides, and must miss.
	if _, ok := s.Get("n", term(t, `["img", {"a": 1, "b": [1, 2]}]`)); ok {
		t.Fatal("a permuted key (same hash) got the value")
	}
	if _, ok := s.Get("n", term(t, `[{"a": 1, "b": [2, 1]}, "img"]`)); ok {
		t.Fatal("another key got the value")
	}
	if _, ok := s.Get("other", term(t, `[{"a": 1, "b": [1, 2]}, "img"]`)); ok {
		t.Fatal("another name got the value")
	}
	// Two colliding keys are both kept.
	s.Put("n", term(t, `["img", {"a": 1, "b": [1, 2]}]`), term(t, `"v2"`))
	if v, ok := s.Get("n", term(t, `["img", {"a": 1, "b": [1, 2]}]`)); !ok || v.String() != `"v2"` {
		t.Fatalf("the second of two colliding keys: %v %v", v, ok)
	}
	if v, _ := s.Get("n", term(t, `[{"a": 1, "b": [1, 2]}, "img"]`)); v.String() != `"v1"` {
		t.Fatalf("the first of two colliding keys now gives %v", v)
	}
}

func TestInvalidateAndDisableForget(t *testing.T) {
	s := NewStore()
	s.Enable()
	k := term(t, `"k"`)
	s.Put("n", k, term(t, `1`))
	s.Invalidate()
	if _, ok := s.Get("n", k); ok {
		t.Fatal("a value survived Invalidate (a policy change)")
	}
	s.Put("n", k, term(t, `1`))
	s.Disable()
	s.Enable()
	if _, ok := s.Get("n", k); ok {
		t.Fatal("a value survived Disable")
	}
}

func TestStoreIsBounded(t *testing.T) {
	s := NewStore()
	s.Enable()
	for i := range MaxEntries + 100 {
		s.Put("n", ast.IntNumberTerm(i), ast.IntNumberTerm(i))
	}
	if got := s.Len("n"); got != MaxEntries {
		t.Fatalf("%d values kept under one name, want %d", got, MaxEntries)
	}
	if _, ok := s.Get("n", ast.IntNumberTerm(0)); ok {
		t.Fatal("the least recently used value was not the one pushed out")
	}
	for i := range MaxNames + 5 {
		s.Put(fmt.Sprintf("name%d", i), ast.IntNumberTerm(1), ast.IntNumberTerm(1))
	}
	if _, ok := s.Get(fmt.Sprintf("name%d", MaxNames+4), ast.IntNumberTerm(1)); ok {
		t.Fatal("a name past MaxNames was kept")
	}
}

func TestEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{`{"a": [1, {"b": 2}]}`, `{"a": [1, {"b": 2}]}`, true},
		{`{"a": [1, {"b": 2}]}`, `{"a": [1, {"b": 3}]}`, false},
		{`[1, 2]`, `[1, 2, 3]`, false},
		{`[1, 2]`, `{1, 2}`, false},
		{`{1, 2}`, `{2, 1}`, true},
		{`"x"`, `"x"`, true},
		{`1`, `1.0`, false},
		{`{"a": 1}`, `{"a": 1.0}`, false},
		{`{1}`, `{1.0}`, false},
		{`{1: "a"}`, `{1.0: "a"}`, false},
		{`null`, `false`, false},
	} {
		if got := Equal(term(t, c.a).Value, term(t, c.b).Value); got != c.want {
			t.Errorf("Equal(%s, %s) = %v", c.a, c.b, got)
		}
	}
	o := term(t, `{"a": 1}`).Value
	if !Equal(o, o) {
		t.Error("an object is not equal to itself")
	}
}

// An attacker who chooses the key's parts can make its hash collide at will
// (an array's hash ignores order): the keys kept under one hash stay bounded,
// the newest are kept, and no key ever gets another's value.
func TestCollidingKeysAreBounded(t *testing.T) {
	s := NewStore()
	s.Enable()
	var keys []*ast.Term
	for _, p := range permutations([]string{"a", "b", "c", "d"}) { // 24 orders, one hash
		keys = append(keys, ast.ArrayTerm(ast.StringTerm(p[0]), ast.StringTerm(p[1]), ast.StringTerm(p[2]), ast.StringTerm(p[3])))
	}
	for _, k := range keys {
		if k.Hash() != keys[0].Hash() {
			t.Fatal("the test needs keys whose hashes collide")
		}
		s.Put("n", k, ast.StringTerm(k.String()))
	}
	if n := s.Len("n"); n != MaxPerHash {
		t.Fatalf("kept %d values under one hash, want %d", n, MaxPerHash)
	}
	for i, k := range keys {
		v, ok := s.Get("n", k)
		newest := i >= len(keys)-MaxPerHash
		if ok != newest {
			t.Fatalf("key %d of %d (%v): kept=%v, want %v", i, len(keys), k, ok, newest)
		}
		if ok && v.String() != ast.StringTerm(k.String()).String() {
			t.Fatalf("key %v got another key's value %v", k, v)
		}
	}
}

func permutations(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{xs}
	}
	var out [][]string
	for i := range xs {
		rest := append(append([]string{}, xs[:i]...), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{xs[i]}, p...))
		}
	}
	return out
}
