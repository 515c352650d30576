package imagepolicy.trust_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

# A config whose rules name their key and trusted root; the material is in trust (issue 15).
named := {
	"allow_with_verification": {
		"ghcr.io": {"acme/*": {"key": "dev"}},
		"registry.corp.example": {"app": object.union(testing.carol, {"trusted-root": "corp"})},
	},
	"allow_without_verification": {"registry.k8s.io": ["pause"]},
	"controls": {"attestations": {"ghcr.io": {"acme/app": [{"type": "vuln", "opts": {"key": "dev"}, "max_severity": {"CRITICAL": 0}}]}}},
	"trust": {"keys": {"dev": testing.keys.DEV}, "trusted_roots": {"corp": testing.root_corp_a}},
}

images := ["ghcr.io/acme/app", "ghcr.io/acme/dev-only", "registry.corp.example/app"]

decision(cfg, imgs) := d if {
	d := imagepolicy.decision with input as {"images": imgs}
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
}

errors(cfg) := e if {
	e := imagepolicy.config_errors with data.imagepolicy.config as cfg
}

ready(cfg) if {
	data.system.health.ready with input as {"plugins_ready": true} with data.imagepolicy.config as cfg
}

verdicts(cfg) := [[i.image, i.allowed, i.reasons] | some i in decision(cfg, images).images]

patched(ops) := json.patch(named, ops)

test_named_key_and_root_verify if {
	errors(named) == []
	verdicts(named) == [
		["ghcr.io/acme/app", true, []],
		["ghcr.io/acme/dev-only", true, []],
		["registry.corp.example/app", true, []],
	]
	ready(named)
}

# Negative twin: the same names bound to other material (a rotation) verify against the new material only: the
# name never stands for what it was bound to before. ghcr.io/acme/app is signed by DEV and SEC, but its vuln
# attestation only by DEV.
test_rotated_material_is_what_verifies if {
	rotated := patched([
		{"op": "replace", "path": "/trust/keys/dev", "value": testing.keys.SEC},
		{"op": "replace", "path": "/trust/trusted_roots/corp", "value": testing.root_corp_b},
	])
	errors(rotated) == []
	verdicts(rotated) == [
		["ghcr.io/acme/app", false, ["vuln attestation: not verified (no_matching_attestations: none verified)"]],
		["ghcr.io/acme/dev-only", false, ["no_matching_signatures: none verified"]],
		["registry.corp.example/app", false, ["no_matching_signatures: none verified"]],
	]
}

# A root whose Fulcio CA did not issue the signing certificate verifies nothing, and neither does the default root.
test_root_of_another_ca_denies if {
	for_b := patched([{"op": "replace", "path": "/trust/trusted_roots/corp", "value": testing.root_corp_b}])
	decision(for_b, ["registry.corp.example/app"]).images[0].reasons == ["no_matching_signatures: none verified"]
	without := patched([{"op": "remove", "path": "/allow_with_verification/registry.corp.example/app/trusted-root"}])
	errors(without) == []
	decision(without, ["registry.corp.example/app"]).images[0].reasons == ["no_matching_signatures: none verified"]
}

# The attestation gate's named key is resolved too: with dev bound to SEC, the DEV-signed attestation fails.
test_attestation_named_key if {
	rotated := patched([{"op": "replace", "path": "/trust/keys/dev", "value": testing.keys.SEC}])
	d := decision(rotated, ["ghcr.io/acme/app"])
	d.images[0].allowed == false
	d.images[0].reasons == ["vuln attestation: not verified (no_matching_attestations: none verified)"]
}

# Every config error below denies every image, the unverified pause included, and fails readiness.
denies_all(cfg, first) if {
	count(errors(cfg)) > 0
	errors(cfg)[0] == first
	d := decision(cfg, ["registry.k8s.io/pause"])
	d.allowed == false
	startswith(d.images[0].reasons[0], sprintf("the verification config has %d error(s), so every image is denied until it is fixed: %s", [count(errors(cfg)), first]))
	not ready(cfg)
}

test_unknown_key_name if {
	cfg := patched([{"op": "replace", "path": "/allow_with_verification/ghcr.io/acme~1*/key", "value": "release"}])
	errors(cfg) == [`allow_with_verification["ghcr.io"]["acme/*"]: option "key": "release" is neither a PEM public key nor a name in trust.keys (names: dev)`]
	denies_all(cfg, errors(cfg)[0])
}

test_unknown_root_name if {
	cfg := patched([{"op": "replace", "path": "/allow_with_verification/registry.corp.example/app/trusted-root", "value": "corp-typo"}])
	errors(cfg) == [`allow_with_verification["registry.corp.example"]["app"]: option "trusted-root": unknown trusted root "corp-typo" (configured: [public-good]), nor a name in trust.trusted_roots (names: corp)`]
	denies_all(cfg, errors(cfg)[0])
}

test_malformed_root_object if {
	cfg := patched([{"op": "replace", "path": "/trust/trusted_roots/corp/certificateAuthorities/0/certChain/certificates/0/rawBytes", "value": "bm90IGEgY2VydA=="}])
	msg := `option "trusted-root": not a trusted_root.json: failed to parse certificate for https://fulcio.corp-a.example x509: malformed certificate`
	errors(cfg) == [
		sprintf(`allow_with_verification["registry.corp.example"]["app"]: %s`, [msg]),
		sprintf(`trust.trusted_roots["corp"]: %s`, [msg]),
	]
	denies_all(cfg, errors(cfg)[0])
}

# A root nobody names yet is checked all the same: it is never silently left out.
test_malformed_unused_root if {
	cfg := patched([{"op": "add", "path": "/trust/trusted_roots/next", "value": {"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": "none"}}])
	count(errors(cfg)) == 1
	startswith(errors(cfg)[0], `trust.trusted_roots["next"]: option "trusted-root": not a trusted_root.json: `)
	denies_all(cfg, errors(cfg)[0])
}

test_root_given_as_a_file_name if {
	cfg := patched([{"op": "replace", "path": "/trust/trusted_roots/corp", "value": "corp.json"}])
	errors(cfg) == [
		`allow_with_verification["registry.corp.example"]["app"]: option "trusted-root": unknown trusted root "corp.json" (configured: [public-good])`,
		`trust.trusted_roots["corp"]: must be a trusted_root.json object (the file's content, not its name), got a string "corp.json"`,
	]
	denies_all(cfg, errors(cfg)[0])
}

test_malformed_named_key if {
	cfg := patched([{"op": "replace", "path": "/trust/keys/dev", "value": "cosign.pub"}])
	msg := `option "key": not a PEM public key: "cosign.pub" is not PEM text; the option takes the key itself, not a file name (e.g. jq --rawfile key cosign.pub, or opa-cosign verify --key cosign.pub)`
	errors(cfg) == [
		sprintf(`allow_with_verification["ghcr.io"]["acme/*"]: %s`, [msg]),
		sprintf(`controls.attestations["ghcr.io"]["acme/app"][0].opts: %s`, [msg]),
		sprintf(`trust.keys["dev"]: %s`, [msg]),
	]
	denies_all(cfg, errors(cfg)[0])
}

test_trust_shapes if {
	errors(patched([{"op": "replace", "path": "/trust", "value": []}]))[3] == `trust: must be an object with keys and trusted_roots, got an array []`
	errors(patched([{"op": "replace", "path": "/trust/keys", "value": "k"}])) == [
		`allow_with_verification["ghcr.io"]["acme/*"]: option "key": "dev" is neither a PEM public key nor a name in trust.keys (names: none)`,
		`controls.attestations["ghcr.io"]["acme/app"][0].opts: option "key": "dev" is neither a PEM public key nor a name in trust.keys (names: none)`,
		`trust.keys: must be an object of names and PEM public keys, got a string "k"`,
	]
	errors(patched([
		{"op": "add", "path": "/trust/keys/my key", "value": testing.keys.SEC},
		{"op": "add", "path": "/trust/trusted_roots/public-good", "value": testing.root_corp_b},
		{"op": "add", "path": "/trust/certificates", "value": {}},
	])) == [
		`trust.certificates: unknown key (known: keys, trusted_roots)`,
		`trust.keys["my key"]: a name is letters, digits, ".", "_" and "-", starting with a letter or digit`,
		`trust.trusted_roots["public-good"]: public-good is the name of the default root; replace that in plugins.cosign.trust_roots, or choose another name`,
	]
}

# trust is top-level only: an overlay naming it would otherwise look like a per-namespace root that is never read.
test_trust_in_an_overlay if {
	cfg := patched([{"op": "add", "path": "/namespaces", "value": {"prod": {"trust": {}}}}])
	startswith(errors(cfg)[0], `namespaces["prod"].trust: unknown key`)
}

# Without trust, a key that is not PEM keeps the built-in's message (it was meant to be the key itself).
test_no_trust_section_keeps_the_pem_message if {
	cfg := object.remove(patched([{"op": "remove", "path": "/allow_with_verification/registry.corp.example"}, {"op": "remove", "path": "/controls"}]), ["trust"])
	errors(cfg) == [`allow_with_verification["ghcr.io"]["acme/*"]: option "key": not a PEM public key: "dev" is not PEM text; the option takes the key itself, not a file name (e.g. jq --rawfile key cosign.pub, or opa-cosign verify --key cosign.pub)`]
}

# A namespace overlay's rules name the top-level material too; with the name bound to another key, they deny.
test_overlay_rules_use_named_material if {
	cfg := patched([{"op": "add", "path": "/namespaces", "value": {"prod": {"allow_with_verification": {"ghcr.io": {"acme/dev-only": {"key": "dev"}}}}}}])
	errors(cfg) == []
	d := imagepolicy.decision with input as {"images": ["ghcr.io/acme/dev-only"], "namespace": "prod"}
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
	d.allowed == true
	rotated := json.patch(cfg, [{"op": "replace", "path": "/trust/keys/dev", "value": testing.keys.SEC}])
	r := imagepolicy.decision with input as {"images": ["ghcr.io/acme/dev-only"], "namespace": "prod"}
		with data.imagepolicy.config as rotated
		with cosign.verify_batch as testing.verify_batch
	r.images[0].reasons == ["no_matching_signatures: none verified"]
}
