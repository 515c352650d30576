package imagepolicy.namespaces_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

decide(images, namespace, config, namespaces) := d if {
	d := imagepolicy.decision with input as {"images": images, "namespace": namespace}
		with data.imagepolicy.config as config
		with data.kubernetes.namespaces as namespaces
		with cosign.verify_batch as testing.verify_batch
}

global := {
	"allow_with_verification": {"ghcr.io": {"**": testing.dev}},
	"allow_without_verification": {"docker.io": ["**"]},
	"mode": "enforce",
}

# docs/security.md #25: a namespace entry replaces the keys it names; it never merges into them.
test_deny_empty_overlay_section_replaces_the_global_one if {
	config := object.union(global, {"namespaces": {"prod": {"allow_without_verification": {}}}})
	decide(["evil/miner:latest"], "dev", config, {}).allowed
	d := decide(["evil/miner:latest"], "prod", config, {})
	d.allowed == false
	d.images[0].reasons == ["no rule of the verification config matches docker.io/evil/miner"]
}

test_deny_stricter_overlay_is_all_that_applies if {
	config := object.union(global, {"namespaces": {"prod": {"allow_with_verification": {"ghcr.io": {"acme/app": testing.sec}}}}})

	# In prod, the global ghcr.io/** rule (DEV's key) is gone: acme/dev-only is matched by nothing.
	d := decide(["ghcr.io/acme/dev-only"], "prod", config, {})
	d.allowed == false
	d.images[0].matched.rule == "none"
	decide(["ghcr.io/acme/dev-only"], "dev", config, {}).allowed
	decide(["ghcr.io/acme/app"], "prod", config, {}).images[0].signers == [testing.signer_id({"key": "SEC"})]
}

labels(name, l) := {name: {"metadata": {"name": name, "labels": l}}}

# docs/security.md #28: modes by explicit names or labels an admin sets; a name glob is matched last.
test_label_selector_sets_the_mode if {
	config := object.union(global, {
		"allow_without_verification": {},
		"namespace_selectors": [{"match_labels": {"opa-cosign.io/mode": "warn"}, "config": {"mode": "warn"}}],
	})
	warn := decide(["ghcr.io/acme/unsigned"], "team-a", config, labels("team-a", {"opa-cosign.io/mode": "warn"}))
	warn.allowed
	warn.mode == "warn"
	warn.images[0].reasons == ["no_signatures: no signatures found"]

	# A namespace without the label, or not replicated at all, gets the global config.
	every ns in [labels("team-b", {"opa-cosign.io/mode": "audit"}), labels("team-b", {}), {}] {
		d := decide(["ghcr.io/acme/unsigned"], "team-b", config, ns)
		d.allowed == false
		d.mode == "enforce"
	}
}

test_precedence_name_then_selector_then_glob if {
	config := object.union(global, {
		"namespaces": {"dev": {"mode": "audit"}, "dev-*": {"mode": "warn"}},
		"namespace_selectors": [
			{"match_labels": {"tier": "dev"}, "config": {"mode": "enforce"}},
			{"match_labels": {"tier": "dev", "team": "a"}, "config": {"mode": "audit"}},
		],
	})
	ns := object.union(labels("dev", {"tier": "dev"}), labels("dev-x", {"tier": "dev", "team": "a"}))
	decide(["ghcr.io/acme/unsigned"], "dev", config, ns).mode == "audit"

	# The first selector that matches wins, over the glob.
	decide(["ghcr.io/acme/unsigned"], "dev-x", config, ns).mode == "enforce"
	decide(["ghcr.io/acme/unsigned"], "dev-y", config, ns).mode == "warn"
}

test_exempt_by_overlay if {
	config := object.union(global, {"namespace_selectors": [{"match_labels": {"opa-cosign.io/exempt": "true"}, "config": {"exempt": true}}]})
	data.imagepolicy.namespaces.exempt("tools") with data.imagepolicy.config as config
		with data.kubernetes.namespaces as labels("tools", {"opa-cosign.io/exempt": "true"})
	not data.imagepolicy.namespaces.exempt("other") with data.imagepolicy.config as config
		with data.kubernetes.namespaces as labels("tools", {"opa-cosign.io/exempt": "true"})
}
