# METADATA
# title: Image controls
# description: |
#   The seeds' other controls, applied to every image on top of the verification config, each parameterised by
#   data.imagepolicy.config.controls: a registry allowlist, digest enforcement, and gates on verified attestations
#   (vulnerability scans by severity and age; SLSA provenance by builder and source repository).
package imagepolicy.controls

import rego.v1

import data.imagepolicy.match

# violations lists why an image fails the configured controls (empty when none apply or all pass).
violations(img, entry, cfg, rs) := [v |
	some v in array.concat(
		array.concat(registry_violations(entry, cfg), digest_violations(img, entry, cfg)),
		attestation_violations(img, entry, cfg, rs),
	)
]

controls(cfg) := object.get(cfg, "controls", {})

# Registry allowlist: {"registries": ["ghcr.io/acme", "docker.io/library"]} — a prefix of the normalised name,
# at a path boundary.
registry_violations(entry, cfg) := [sprintf("registry not allowed: %s is not under %s", [entry.parsed.name, concat(", ", allowed)])] if {
	allowed := controls(cfg).registries
	not under_any(entry.parsed.name, allowed)
} else := []

under_any(name, prefixes) if {
	some p in prefixes
	startswith(sprintf("%s/", [name]), sprintf("%s/", [trim_suffix(normal_prefix(p), "/")]))
}

normal_prefix(p) := concat("/", array.concat([match.normal_host(parts[0])], array.slice(parts, 1, count(parts)))) if {
	parts := split(p, "/")
}

# Digest enforcement: {"require_digest": true} — the reference as written must name a digest.
digest_violations(_, entry, cfg) := ["image is not pinned by digest (name@sha256:...)"] if {
	controls(cfg).require_digest == true
	entry.parsed.digest == ""
} else := []

# Attestation gates: {"attestations": {host: {pattern: [rule, ...]}}}, the most specific pattern wins. A rule
# is {"type": "vuln" | "slsaprovenance" | ..., "opts": {cosign options}, then the gate's parameters}.
attestation_rules(entry, cfg) := m.value if {
	m := match.best(object.get(controls(cfg), "attestations", {}), entry.parsed)
	is_array(m.value)
} else := []

# attestation_request is the verify_batch request of one rule.
attestation_request(img, rule) := {"image": img, "opts": object.union(object.get(rule, "opts", {}), {"type": rule.type}), "attestation": true}

requests(img, entry, cfg) := [attestation_request(img, rule) | some rule in attestation_rules(entry, cfg)]

attestation_violations(img, entry, cfg, rs) := [v |
	some i, rule in attestation_rules(entry, cfg)
	v := rule_violation(rule, object.get(rs, [["att", img, i]], null))
]

# rule_violation is undefined when the rule passes.
rule_violation(rule, res) := sprintf("%s attestation: not verified (%s)", [rule.type, concat("; ", [e.code | some e in object.get(res, "errors", [])])]) if {
	not res.verified == true
} else := sprintf("%s attestation: no verified statement passes the gate", [rule.type]) if {
	not any_passes(rule, res.attestations)
}

any_passes(rule, attestations) if {
	some a in attestations
	passes(rule, a.predicate)
}

passes(rule, predicate) if {
	vuln_ok(rule, predicate)
	provenance_ok(rule, predicate)
}

# Vulnerability gate: "max_severity": {"CRITICAL": 0, "HIGH": 3}, "max_age_hours": 24. Counts come from the
# scan summary (predicate.scanner.result.summary) or are counted from a Trivy report in the predicate.
vuln_ok(rule, predicate) if {
	every severity, max in object.get(rule, "max_severity", {}) {
		severity_count(predicate, upper(severity)) <= max
	}
	fresh(rule, predicate)
}

severity_count(predicate, severity) := n if {
	summary := predicate.scanner.result.summary
	n := object.get({upper(k): v | some k, v in summary}, severity, 0)
} else := count([1 |
	some r in object.get(predicate.scanner.result, "Results", [])
	some v in object.get(r, "Vulnerabilities", [])
	upper(v.Severity) == severity
])

fresh(rule, _) if not rule.max_age_hours

fresh(rule, predicate) if {
	finished := time.parse_rfc3339_ns(predicate.metadata.scanFinishedOn)
	time.now_ns() - finished <= (rule.max_age_hours * 3600) * 1000000000
}

# Provenance gate: "builder_ids": [...] exact; "source_repositories": [...] prefixes of the source URI.
provenance_ok(rule, predicate) if {
	builder_ok(rule, predicate)
	source_ok(rule, predicate)
}

builder_ok(rule, _) if not rule.builder_ids

builder_ok(rule, predicate) if builder_id(predicate) in rule.builder_ids

builder_id(p) := p.runDetails.builder.id

builder_id(p) := p.builder.id if not p.runDetails

source_ok(rule, _) if not rule.source_repositories

source_ok(rule, predicate) if {
	some uri in source_uris(predicate)
	some prefix in rule.source_repositories
	startswith(uri, prefix)
}

source_uris(p) := {u |
	some u in array.concat(
		[p.buildDefinition.externalParameters.workflow.repository | p.buildDefinition.externalParameters.workflow.repository],
		[d.uri | some d in object.get(object.get(p, "buildDefinition", {}), "resolvedDependencies", [])],
	)
} if p.buildDefinition

source_uris(p) := {u |
	some u in array.concat(
		[p.invocation.configSource.uri | p.invocation.configSource.uri],
		[m.uri | some m in object.get(p, "materials", [])],
	)
} if not p.buildDefinition
