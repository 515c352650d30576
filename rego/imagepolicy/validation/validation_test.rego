package imagepolicy.validation_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

valid := {
	"allow_with_verification": {"ghcr.io": {"acme/*": testing.dev, "acme/app": {"threshold": 2, "of": [testing.dev, testing.sec]}}},
	"allow_without_verification": {"registry.k8s.io": ["pause"]},
	"mode": "enforce",
	"exempt_namespaces": ["kube-system"],
	"namespaces": {"prod": {"allow_without_verification": {}}, "sandbox-*": {"mode": "audit"}},
	"namespace_selectors": [{"match_labels": {"opa-cosign.io/mode": "warn"}, "config": {"mode": "warn"}}],
	"controls": {
		"registries": ["ghcr.io/acme", "registry.k8s.io"],
		"require_digest": false,
		"attestations": {"ghcr.io": {"acme/*": [
			{"type": "vuln", "opts": testing.dev, "max_severity": {"CRITICAL": 0}, "max_age_hours": 24},
			{"type": "slsaprovenance1", "opts": testing.dev, "builder_ids": ["b"], "source_repositories": ["https://github.com/acme/"]},
		]}},
		"verification_annotations": {"required": ["image.digest"], "exempt_namespaces": ["legacy"]},
		"scan_annotation": {"annotation": "trivy.scan.result", "max_severity": {"HIGH": 0}},
	},
}

errors(cfg) := e if {
	e := imagepolicy.config_errors with data.imagepolicy.config as cfg
}

# broken(patch) is valid with a JSON patch applied.
broken(patch) := errors(json.patch(valid, patch))

test_valid_config_has_no_errors if {
	errors(valid) == []
	errors(testing.das_config) == []
}

test_no_config_loaded if {
	imagepolicy.config_errors == ["data.imagepolicy.config: no verification config is loaded"]
}

test_config_not_an_object if {
	errors("allow everything") == [`data.imagepolicy.config: must be an object, got a string`]
}

# docs/security.md #24: each malformed control named, none switched off silently.
test_attestation_rule_as_an_object if {
	broken([{"op": "replace", "path": "/controls/attestations/ghcr.io/acme~1*", "value": {"type": "vuln", "opts": testing.dev}}]) == [sprintf(`controls.attestations["ghcr.io"]["acme/*"]: must be a non-empty array of attestation rules, got an object %s`, [json.marshal({"type": "vuln", "opts": testing.dev})])]
}

test_attestation_rule_without_type if {
	broken([{"op": "remove", "path": "/controls/attestations/ghcr.io/acme~1*/0/type"}]) == [`controls.attestations["ghcr.io"]["acme/*"][0].type: required: the attestation type (e.g. "vuln", "slsaprovenance1" or a predicate type URI)`]
}

test_registries_as_a_string if {
	broken([{"op": "replace", "path": "/controls/registries", "value": "ghcr.io/acme"}]) == [`controls.registries: must be an array of registry prefixes (host or host/path), got a string "ghcr.io/acme"`]
}

test_string_severities if {
	broken([{"op": "replace", "path": "/controls/attestations/ghcr.io/acme~1*/0/max_severity/CRITICAL", "value": "0"}]) == [`controls.attestations["ghcr.io"]["acme/*"][0].max_severity["CRITICAL"]: must be a non-negative integer, got a string "0"`]
	broken([{"op": "replace", "path": "/controls/scan_annotation/max_severity", "value": {"SEVERE": 1}}]) == [`controls.scan_annotation.max_severity["SEVERE"]: unknown severity (known: CRITICAL, HIGH, LOW, MEDIUM, NEGLIGIBLE, UNKNOWN)`]
}

test_require_digest_as_a_string if {
	broken([{"op": "replace", "path": "/controls/require_digest", "value": "true"}]) == [`controls.require_digest: must be a boolean (true or false), got a string "true"`]
}

test_gate_parameter_on_the_wrong_kind_of_rule if {
	broken([{"op": "add", "path": "/controls/attestations/ghcr.io/acme~1*/1/max_severity", "value": {"CRITICAL": 0}}]) == [`controls.attestations["ghcr.io"]["acme/*"][1].max_severity: only applies to a vuln rule, not to type "slsaprovenance1"`]
}

test_unknown_keys_everywhere if {
	broken([
		{"op": "add", "path": "/allow_with_verifcation", "value": {}},
		{"op": "add", "path": "/controls/require_digests", "value": true},
		{"op": "add", "path": "/namespaces/prod/exempt_namespaces", "value": []},
		{"op": "add", "path": "/controls/attestations/ghcr.io/acme~1*/0/max_critical", "value": 0},
	]) == [
		`"allow_with_verifcation": unknown key (known: allow_with_verification, allow_without_verification, controls, envoy, exempt_namespaces, mode, namespace_selectors, namespaces, trust)`,
		`controls.attestations["ghcr.io"]["acme/*"][0].max_critical: unknown key (known: builder_ids, max_age_hours, max_severity, opts, source_repositories, type)`,
		`controls.require_digests: unknown key (known: attestations, registries, require_digest, scan_annotation, verification_annotations)`,
		`namespaces["prod"].exempt_namespaces: unknown key (known: allow_with_verification, allow_without_verification, controls, exempt, mode)`,
	]
}

# Options are checked by the built-in itself: what it would refuse at verification time is a config error now.
test_malformed_options if {
	broken([{"op": "replace", "path": "/allow_with_verification/ghcr.io/acme~1*", "value": {"key": "DEV"}}]) == [`allow_with_verification["ghcr.io"]["acme/*"]: option "key": not a PEM public key: "DEV" is not PEM text; the option takes the key itself, not a file name (e.g. jq --rawfile key cosign.pub, or opa-cosign verify --key cosign.pub)`]
	broken([{"op": "replace", "path": "/allow_with_verification/ghcr.io/acme~1*", "value": {"certificate-identity-regexp": "(", "certificate-oidc-issuer": "x"}}]) == [concat("", [`allow_with_verification["ghcr.io"]["acme/*"]: option "certificate-identity-regexp": invalid regexp: error parsing regexp: missing closing ): `, "`(`"])]
	broken([{"op": "replace", "path": "/controls/attestations/ghcr.io/acme~1*/0/opts", "value": {"key": testing.keys.DEV, "tlog": false}}])[0] == `controls.attestations["ghcr.io"]["acme/*"][0].opts: option "tlog": unknown option (known: annotations, certificate, certificate-chain, certificate-github-workflow-name, certificate-github-workflow-ref, certificate-github-workflow-repository, certificate-github-workflow-sha, certificate-github-workflow-trigger, certificate-identity, certificate-identity-regexp, certificate-oidc-issuer, certificate-oidc-issuer-regexp, insecure-ignore-sct, insecure-ignore-tlog, key, signature-repository, trusted-root, type)`
}

test_malformed_requirements if {
	every case in [
		[{"threshold": 3, "of": [testing.dev]}, `allow_with_verification["ghcr.io"]["acme/app"].threshold: must be an integer from 1 to the number of options in of, got a number 3`],
		[{"threshold": "2", "of": [testing.dev, testing.sec]}, `allow_with_verification["ghcr.io"]["acme/app"].threshold: must be an integer from 1 to the number of options in of, got a string "2"`],
		[{"threshold": 1.5, "of": [testing.dev, testing.sec]}, `allow_with_verification["ghcr.io"]["acme/app"].threshold: must be an integer from 1 to the number of options in of, got a number 1.5`],
		[[], `allow_with_verification["ghcr.io"]["acme/app"]: must not be empty`],
		["DEV", `allow_with_verification["ghcr.io"]["acme/app"]: must be an options object, a list of options objects, or {"threshold": N, "of": [...]}, got a string "DEV"`],
		[{"threshold": 1, "of": [testing.dev], "any": true}, `allow_with_verification["ghcr.io"]["acme/app"].any: unknown key (known: of, threshold)`],
	] {
		broken([{"op": "replace", "path": "/allow_with_verification/ghcr.io/acme~1app", "value": case[0]}]) == [case[1]]
	}
	too_many := [testing.dev | some _ in numbers.range(1, 11)]
	broken([{"op": "replace", "path": "/allow_with_verification/ghcr.io/acme~1app", "value": {"threshold": 2, "of": too_many}}]) == [`allow_with_verification["ghcr.io"]["acme/app"].of: must be a list of 1 to 10 options objects, got 11`]
}

# docs/security.md #33: glob syntax other than * and ** would be literal and outrank exact rules.
test_glob_syntax_beyond_stars if {
	every pattern in ["acme/[a-z]pp", "acme/ap?", "acme/{app,web}", "acme/App", "acme//app", "/acme", "acme/***", "acme\\app"] {
		e := broken([{"op": "add", "path": sprintf("/allow_with_verification/ghcr.io/%s", [replace(pattern, "/", "~1")]), "value": testing.dev}])
		e == [sprintf(`allow_with_verification["ghcr.io"]: pattern %s: only lower-case letters, digits, ".", "_", "-", "/" between segments, "*" within a segment and "**" across segments are allowed`, [json.marshal(pattern)])]
	}
}

test_without_verification_must_be_a_list if {
	broken([{"op": "replace", "path": "/allow_without_verification/registry.k8s.io", "value": {"pause": testing.dev}}]) == [sprintf(`allow_without_verification["registry.k8s.io"]: must be an array of image path patterns, got an object %s`, [json.marshal({"pause": testing.dev})])]
}

test_hosts if {
	broken([{"op": "add", "path": "/allow_without_verification/ghcr.io~1acme", "value": ["app"]}]) == [`allow_without_verification["ghcr.io/acme"]: not a registry host[:port]`]
	errors({"allow_without_verification": {"localhost:5000": ["a"], "[::1]:5000": ["b"], "Registry.Example.COM": ["c"]}}) == []
}

test_one_pattern_under_two_spellings_of_a_registry if {
	errors({"allow_with_verification": {"docker.io": {"nginx": testing.dev}, "index.docker.io": {"nginx": testing.sec}}}) == [`allow_with_verification: pattern "nginx" is given under docker.io and index.docker.io, which are one registry`]
}

test_mode_and_namespaces if {
	broken([{"op": "replace", "path": "/mode", "value": "enforcing"}]) == [`mode: must be "enforce", "warn" or "audit", got "enforcing"`]
	broken([{"op": "add", "path": "/namespaces/dev", "value": {"mode": "permissive"}}]) == [`namespaces["dev"].mode: must be "enforce", "warn" or "audit", got "permissive"`]
	broken([{"op": "add", "path": "/namespaces/Dev", "value": {}}]) == [`namespaces["Dev"]: "Dev" is not a namespace name or glob (lower-case letters, digits, "-" and "*")`]
	broken([{"op": "replace", "path": "/exempt_namespaces", "value": "kube-system"}]) == [`exempt_namespaces: must be an array of namespace names or globs, got a string "kube-system"`]
	broken([{"op": "add", "path": "/namespaces/dev", "value": {"exempt": "yes"}}]) == [`namespaces["dev"].exempt: must be a boolean, got a string "yes"`]
}

test_namespace_selectors if {
	broken([{"op": "replace", "path": "/namespace_selectors/0/match_labels", "value": {}}]) == [`namespace_selectors[0].match_labels: must be a non-empty object of label names to values, got an object {}`]
	broken([{"op": "replace", "path": "/namespace_selectors/0/match_labels", "value": {"tier": 1}}]) == [`namespace_selectors[0].match_labels["tier"]: must be a string, got a number 1`]
	broken([{"op": "replace", "path": "/namespace_selectors/0/config", "value": {"mode": "off"}}]) == [`namespace_selectors[0].config.mode: must be "enforce", "warn" or "audit", got "off"`]
}

# While the config has errors, every image is denied with a reason naming them, whatever the namespace and mode.
test_deny_every_image_while_the_config_has_errors if {
	cfg := json.patch(valid, [{"op": "replace", "path": "/controls/require_digest", "value": "true"}, {"op": "replace", "path": "/mode", "value": "warn"}])
	d := imagepolicy.decision with input as {"images": ["registry.k8s.io/pause:3.10"], "namespace": "sandbox-1"}
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
	d.allowed == false
	d.mode == "enforce"
	d.images[0].reasons == [`the verification config has 1 error(s), so every image is denied until it is fixed: controls.require_digest: must be a boolean (true or false), got a string "true"`]
}

test_config_error_reason_names_the_first_three if {
	cfg := json.patch(valid, [
		{"op": "replace", "path": "/mode", "value": 1},
		{"op": "replace", "path": "/controls/require_digest", "value": 1},
		{"op": "replace", "path": "/controls/registries", "value": 1},
		{"op": "replace", "path": "/exempt_namespaces", "value": 1},
	])
	d := imagepolicy.decision with input as {"images": ["registry.k8s.io/pause"]}
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
	endswith(d.images[0].reasons[0], " (and 1 more: see data.imagepolicy.config_errors)")
	startswith(d.images[0].reasons[0], "the verification config has 4 error(s), so every image is denied until it is fixed: controls.registries: ")
}
