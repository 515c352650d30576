package builtins

import (
	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/opa-cosign/opa-cosign/internal/verify"
)

// resultValue converts a result to the object the built-ins return. Every key
// is always present, so policies never meet an undefined field.
func resultValue(r *verify.Result, attestation bool) *ast.Term {
	sigs := make([]*ast.Term, 0, len(r.Signatures))
	for _, s := range r.Signatures {
		sigs = append(sigs, signatureValue(s))
	}
	errs := make([]*ast.Term, 0, len(r.Errors))
	for _, e := range r.Errors {
		errs = append(errs, ast.ObjectTerm(
			ast.Item(ast.InternedTerm("code"), ast.StringTerm(e.Code)),
			ast.Item(ast.InternedTerm("message"), ast.StringTerm(e.Message)),
		))
	}
	items := [][2]*ast.Term{
		ast.Item(ast.InternedTerm("verified"), ast.InternedTerm(r.Verified)),
		ast.Item(ast.InternedTerm("image"), ast.StringTerm(r.Image)),
		ast.Item(ast.InternedTerm("digest"), ast.StringTerm(r.Digest)),
		ast.Item(ast.InternedTerm("reference"), ast.StringTerm(r.Reference)),
		ast.Item(ast.InternedTerm("signatures"), ast.ArrayTerm(sigs...)),
		ast.Item(ast.InternedTerm("errors"), ast.ArrayTerm(errs...)),
	}
	if attestation {
		atts := make([]*ast.Term, 0, len(r.Attestations))
		for _, a := range r.Attestations {
			atts = append(atts, ast.ObjectTerm(
				ast.Item(ast.InternedTerm("predicate_type"), ast.StringTerm(a.PredicateType)),
				ast.Item(ast.InternedTerm("predicate"), anyTerm(a.Predicate)),
				ast.Item(ast.InternedTerm("signature"), signatureValue(a.Signature)),
			))
		}
		items = append(items, ast.Item(ast.InternedTerm("attestations"), ast.ArrayTerm(atts...)))
	}
	return ast.ObjectTerm(items...)
}

func signatureValue(s verify.Signature) *ast.Term {
	ext := ast.NewObject()
	for k, v := range s.Extensions {
		ext.Insert(ast.StringTerm(k), ast.StringTerm(v))
	}
	tlog := ast.NullTerm()
	if s.Tlog != nil {
		tlog = ast.ObjectTerm(
			ast.Item(ast.InternedTerm("log_index"), ast.IntNumberTerm(int(s.Tlog.LogIndex))),
			ast.Item(ast.InternedTerm("integrated_time"), ast.IntNumberTerm(int(s.Tlog.IntegratedTime))),
		)
	}
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("format"), ast.StringTerm(s.Format)),
		ast.Item(ast.InternedTerm("signer"), ast.StringTerm(s.Signer)),
		ast.Item(ast.InternedTerm("digest"), ast.StringTerm(s.Digest)),
		ast.Item(ast.InternedTerm("subject"), ast.StringTerm(s.Subject)),
		ast.Item(ast.InternedTerm("issuer"), ast.StringTerm(s.Issuer)),
		ast.Item(ast.InternedTerm("extensions"), ast.NewTerm(ext)),
		ast.Item(ast.InternedTerm("annotations"), anyTerm(s.Annotations)),
		ast.Item(ast.InternedTerm("tlog"), tlog),
	)
}

// anyTerm converts decoded JSON; values that do not convert become null
// rather than failing the whole result.
func anyTerm(v any) *ast.Term {
	if v == nil {
		return ast.NullTerm()
	}
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		return ast.NullTerm()
	}
	return ast.NewTerm(val)
}
