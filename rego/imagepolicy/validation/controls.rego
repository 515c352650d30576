# METADATA
# title: Config validation — controls
# description: |
#   Checks controls: registries, require_digest, attestation rules and their gate parameters, and the annotation
#   controls. A gate parameter on the wrong kind of rule would never be read, so it is an error too.
package imagepolicy.validation.controls

import rego.v1

import data.imagepolicy.validation.util

control_keys := {"registries", "require_digest", "attestations", "verification_annotations", "scan_annotation"}

severities := {"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}

# Attestation types whose gates read vulnerability reports, and SLSA provenance.
vuln_types := {"vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"}

provenance_types := {
	"slsaprovenance", "slsaprovenance02", "slsaprovenance1",
	"https://slsa.dev/provenance/v0.2", "https://slsa.dev/provenance/v1",
}

problems(path, cfg) := set() if {
	not "controls" in object.keys(cfg)
} else := util.expect(path, cfg.controls, "object", "an object of controls") if {
	not is_object(cfg.controls)
} else := union({
	util.unknown_keys(path, cfg.controls, control_keys),
	registries_problems(util.field(path, "registries"), cfg.controls),
	require_digest_problems(util.field(path, "require_digest"), cfg.controls),
	attestations_problems(util.field(path, "attestations"), cfg.controls),
	verification_annotations_problems(util.field(path, "verification_annotations"), cfg.controls),
	scan_annotation_problems(util.field(path, "scan_annotation"), cfg.controls),
})

registries_problems(path, c) := union({
	util.strings_problems(path, c.registries, "an array of registry prefixes (host or host/path)"),
	{sprintf("%s[%d]: %s is not a registry host or host/path prefix", [path, i, json.marshal(p)]) |
		is_array(c.registries)
		some i, p in c.registries
		is_string(p)
		not valid_prefix(p)
	},
}) if "registries" in object.keys(c)

else := set()

valid_prefix(p) if {
	parts := split(trim_suffix(p, "/"), "/")
	util.valid_host(parts[0])
	every segment in array.slice(parts, 1, count(parts)) {
		regex.match(`^[a-z0-9._-]+$`, segment)
	}
}

require_digest_problems(path, c) := util.expect(path, c.require_digest, "boolean", "a boolean (true or false)") if "require_digest" in object.keys(c)

else := set()

attestations_problems(path, c) := set() if {
	not "attestations" in object.keys(c)
} else := util.expect(path, c.attestations, "object", "an object of registry hosts") if {
	not is_object(c.attestations)
} else := union({
	{msg |
		some host, patterns in c.attestations
		some msg in util.host_section_problems(util.key(path, host), host, patterns, "object")
	},
	{msg |
		some host, patterns in c.attestations
		is_object(patterns)
		some pattern, rules in patterns
		some msg in rules_problems(util.key(util.key(path, host), pattern), rules)
	},
	util.duplicate_host_problems(path, c.attestations),
})

rules_problems(path, rules) := {sprintf("%s: must be a non-empty array of attestation rules, got %s", [path, util.got(rules)])} if {
	not is_array(rules)
} else := {sprintf("%s: must be a non-empty array of attestation rules, got []", [path])} if {
	count(rules) == 0
} else := {msg |
	some i, rule in rules
	some msg in rule_problems(sprintf("%s[%d]", [path, i]), rule)
}

rule_keys := {"type", "opts", "max_severity", "max_age_hours", "builder_ids", "source_repositories"}

rule_problems(path, rule) := util.expect(path, rule, "object", `an attestation rule {"type": ..., "opts": {...}, ...gate parameters}`) if {
	not is_object(rule)
} else := union({
	util.unknown_keys(path, rule, rule_keys),
	rule_type_problems(path, rule),
	rule_opts_problems(path, rule),
	gate_problems(path, rule),
})

rule_type_problems(path, rule) := {sprintf(`%s.type: required: the attestation type (e.g. "vuln", "slsaprovenance1" or a predicate type URI)`, [path])} if {
	not "type" in object.keys(rule)
} else := util.expect(util.field(path, "type"), rule.type, "string", "a string") if {
	not util.non_empty_string(rule.type)
} else := set()

rule_opts_problems(path, rule) := {sprintf("%s.opts: required: the cosign options that verify the attestation", [path])} if {
	not "opts" in object.keys(rule)
} else := util.expect(util.field(path, "opts"), rule.opts, "object", "an object of cosign options") if {
	not is_object(rule.opts)
} else := {sprintf("%s.opts.type: give the type beside opts, as the rule's type", [path])} if {
	"type" in object.keys(rule.opts)
} else := util.options_problems(util.field(path, "opts"), object.union(rule.opts, {"type": rule.type}), true) if {
	util.non_empty_string(rule.type)
} else := set()

# Each gate parameter belongs to one kind of attestation: a vulnerability limit on a provenance rule would never be
# read, and the rule would pass without it.
gate_problems(path, rule) := union({
	severity_problems(util.field(path, "max_severity"), rule),
	age_problems(util.field(path, "max_age_hours"), rule),
	provenance_list_problems(path, rule, "builder_ids"),
	provenance_list_problems(path, rule, "source_repositories"),
	kind_problems(path, rule),
})

kind_problems(path, rule) := {sprintf("%s.%s: only applies to a vuln rule, not to type %s", [path, k, json.marshal(rule.type)]) |
	some k in {"max_severity", "max_age_hours"}
	k in object.keys(rule)
	not rule.type in vuln_types
} | {sprintf("%s.%s: only applies to an SLSA provenance rule, not to type %s", [path, k, json.marshal(rule.type)]) |
	some k in {"builder_ids", "source_repositories"}
	k in object.keys(rule)
	not rule.type in provenance_types
}

severity_problems(path, rule) := max_severity_problems(path, rule.max_severity) if "max_severity" in object.keys(rule)

else := set()

max_severity_problems(path, limits) := util.expect(path, limits, "object", "an object of severities to the most findings allowed") if {
	not is_object(limits)
} else := {msg |
	some severity, n in limits
	some msg in severity_limit_problems(path, severity, n)
}

severity_limit_problems(path, severity, n) := {sprintf("%s: unknown severity (known: %s)", [util.key(path, severity), concat(", ", sort(severities))])} if {
	not upper(severity) in severities
} else := {sprintf("%s: must be a non-negative integer, got %s", [util.key(path, severity), util.got(n)])} if {
	not util.non_negative_integer(n)
} else := set()

age_problems(path, rule) := {sprintf("%s: must be a positive number of hours, got %s", [path, util.got(rule.max_age_hours)])} if {
	"max_age_hours" in object.keys(rule)
	not positive_number(rule.max_age_hours)
} else := set()

positive_number(n) if {
	is_number(n)
	n > 0
}

provenance_list_problems(path, rule, name) := union({
	util.strings_problems(util.field(path, name), rule[name], "a non-empty array of strings"),
	{sprintf("%s: must not be empty", [util.field(path, name)]) | rule[name] == []},
}) if name in object.keys(rule)

else := set()

verification_annotations_problems(path, c) := set() if {
	not "verification_annotations" in object.keys(c)
} else := util.expect(path, c.verification_annotations, "object", `an object {"required": [...], "exempt_namespaces": [...]}`) if {
	not is_object(c.verification_annotations)
} else := union({
	util.unknown_keys(path, c.verification_annotations, {"required", "exempt_namespaces"}),
	{msg |
		"required" in object.keys(c.verification_annotations)
		some msg in util.strings_problems(util.field(path, "required"), c.verification_annotations.required, "an array of annotation names")
	},
	{msg |
		"exempt_namespaces" in object.keys(c.verification_annotations)
		some msg in util.strings_problems(util.field(path, "exempt_namespaces"), c.verification_annotations.exempt_namespaces, "an array of namespace names or globs")
	},
})

scan_annotation_problems(path, c) := set() if {
	not "scan_annotation" in object.keys(c)
} else := util.expect(path, c.scan_annotation, "object", `an object {"annotation": "...", "max_severity": {...}}`) if {
	not is_object(c.scan_annotation)
} else := union({
	util.unknown_keys(path, c.scan_annotation, {"annotation", "max_severity"}),
	{sprintf("%s.annotation: required: a non-empty string, got %s", [path, util.got(object.get(c.scan_annotation, "annotation", null))]) |
		not util.non_empty_string(object.get(c.scan_annotation, "annotation", null))
	},
	max_severity_problems(util.field(path, "max_severity"), object.get(c.scan_annotation, "max_severity", {})),
})
