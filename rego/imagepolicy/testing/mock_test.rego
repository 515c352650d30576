# METADATA
# title: Mock of cosign.verify_batch
# description: |
#   A stand-in for cosign.verify_batch over the world in world_test.rego, for `opa test`. It refuses what the real
#   built-in refuses — a malformed request or options that cosign.check_options rejects (an unknown option, a key
#   that is not a PEM public key, an attestation without `type`) — by leaving the whole batch undefined, as the
#   built-in's error does; so the library's tests send exactly the requests the real built-in would accept. Results
#   have the real shape: every field, and a `signer` and `digest` for each signature.
package imagepolicy.testing

import rego.v1

verify_batch(reqs) := [verify_any(r) | some r in reqs] if {
	every r in reqs {
		valid_request(r)
	}
}

valid_request(r) if {
	is_object(r)
	every k, _ in r {
		k in {"image", "opts", "attestation", "kubernetes"}
	}
	valid_pull_context(object.get(r, "kubernetes", null))
	is_string(r.image)
	is_boolean(object.get(r, "attestation", false))
	count(cosign.check_options(r.opts, object.get(r, "attestation", false))) == 0
}

# valid_pull_context is what the built-in accepts as `kubernetes`: null, or a namespace with Secret names and a
# ServiceAccount name (non-empty names are checked by the built-in; the mock checks the types).
valid_pull_context(null)

valid_pull_context(p) if {
	is_object(p)
	every k, _ in p {
		k in {"namespace", "image_pull_secrets", "service_account"}
	}
	is_string(p.namespace)
	p.namespace != ""
	every s in object.get(p, "image_pull_secrets", []) {
		is_string(s)
		s != ""
	}
	is_string(object.get(p, "service_account", ""))
}

verify_any(r) := verify_attestation(r) if {
	r.attestation == true
	is_object(image_of(r))
} else := verify_one(r) if {
	is_object(image_of(r))
} else := {
	"verified": false, "image": r.image, "digest": "", "reference": "", "signatures": [],
	"errors": [{"code": "invalid_reference", "message": "not a reference"}],
}

image_of(r) := image.parse(r.image)

verify_one(r) := object.union(common(r), {"verified": count(found) > 0, "signatures": found, "errors": errors}) if {
	found := [signature_value(s) | some s in object.get(signatures, resolve(r), []); signed_by(r.opts, s.signer)]
	errors := failure(count(found), object.get(signatures, resolve(r), []), "signatures")
}

verify_attestation(r) := object.union(common(r), {
	"verified": count(found) > 0,
	"signatures": [],
	"attestations": found,
	"errors": failure(count(found), object.get(attested, resolve(r), []), "attestations"),
}) if {
	want := object.get(type_uris, r.opts.type, r.opts.type)
	found := [{"predicate_type": a.type, "predicate": a.predicate, "signature": signature_value(a)} |
		some a in object.get(attested, resolve(r), [])
		a.type == want
		signed_by(r.opts, a.signer)
	]
}

failure(n, _, _) := [] if n > 0

failure(0, [], "signatures") := [{"code": "no_signatures", "message": "no signatures found"}]

failure(0, [], "attestations") := [{"code": "no_attestations", "message": "no attestations found"}]

failure(0, present, "signatures") := [{"code": "no_matching_signatures", "message": "none verified"}] if count(present) > 0

failure(0, present, "attestations") := [{"code": "no_matching_attestations", "message": "none verified"}] if count(present) > 0

signature_value(s) := {
	"format": "legacy",
	"subject": object.get(s.signer, "subject", ""),
	"issuer": object.get(s.signer, "issuer", ""),
	"extensions": {},
	"annotations": {},
	"tlog": null,
	"signer": signer_id(s.signer),
	"digest": sprintf("sha256:%s", [crypto.sha256(json.marshal(s))]),
}

# signer_id has the forms of the real built-in (docs/builtins.md).
signer_id(s) := sprintf("key:sha256:%s", [crypto.sha256(keys[s.key])]) if s.key

signer_id(s) := sprintf("cert:%s|%s", [s.issuer, s.subject]) if s.subject

signed_by(opts, s) if opts.key == keys[s.key]

signed_by(opts, s) if {
	s.subject
	subject_ok(opts, s.subject)
	issuer_ok(opts, s.issuer)
	ca_ok(opts, object.get(s, "ca", "public-good"))
}

# ca_ok: a keyless certificate chains to a Fulcio CA of the trusted root the options name — an inline
# trusted_root.json (roots_test.rego) holding the signer's CA, or the default public-good root for the world's
# other keyless signers.
ca_ok(opts, ca) if {
	is_object(opts["trusted-root"])
	some authority in opts["trusted-root"].certificateAuthorities
	some cert in authority.certChain.certificates
	cert.rawBytes == ca
}

ca_ok(opts, ca) if {
	not is_object(object.get(opts, "trusted-root", null))
	object.get(opts, "trusted-root", "public-good") == ca
}

subject_ok(opts, subject) if opts["certificate-identity"] == subject

subject_ok(opts, subject) if regex.match(opts["certificate-identity-regexp"], subject)

issuer_ok(opts, issuer) if opts["certificate-oidc-issuer"] == issuer

issuer_ok(opts, issuer) if regex.match(opts["certificate-oidc-issuer-regexp"], issuer)

# resolve: a digest in the reference is what runs; a tag resolves to the digest of the name, except a tag that
# moves during the decision (attestations see the new digest).
resolve(r) := image_of(r).digest if image_of(r).digest != ""

resolve(r) := digest_of("moved") if {
	image_of(r).digest == ""
	image_of(r).name == moving
	r.attestation == true
}

resolve(r) := digest_of(image_of(r).name) if {
	image_of(r).digest == ""
	not moved(r)
}

moved(r) if {
	image_of(r).name == moving
	r.attestation == true
}

common(r) := {"image": r.image, "digest": resolve(r), "reference": sprintf("%s@%s", [image_of(r).name, resolve(r)])}

# A batch whose call fails, as a misconfigured built-in would (undefined result).
failing_batch(_) := x if {
	x := input.never_defined
}
