# METADATA
# title: Image controls
# description: |
#   The seeds' other controls, applied to every image on top of the verification config, each parameterised by
#   data.imagepolicy.config.controls: a registry allowlist, digest enforcement, and gates on verified attestations
#   (vulnerability reports by severity and age; SLSA provenance by builder and source repository).
package imagepolicy.controls

import rego.v1

import data.imagepolicy.controls.provenance
import data.imagepolicy.controls.vuln
import data.imagepolicy.match
import data.imagepolicy.trust

# violations lists why an image fails the configured controls (empty when none apply or all pass).
violations(img, entry, cfg, rs) := array.concat(
	array.concat(registry_violations(entry, cfg), digest_violations(img, entry, cfg)),
	attestation_violations(img, entry, cfg, rs),
)

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
# is {"type": "vuln" | "slsaprovenance" | ..., "opts": {cosign options}, then the gate's parameters}. An entry of
# the evaluation's plan carries the rules found for its image (attestation_rules), so they are matched once.
attestation_rules(entry, cfg) := entry.attestation_rules if {
	is_array(entry.attestation_rules)
} else := matched_rules(entry, cfg)

matched_rules(entry, cfg) := m.value if {
	m := match.best(object.get(controls(cfg), "attestations", {}), entry.parsed)
	is_array(m.value)
} else := []

# attestation_request is the verify_batch request of one rule, its named key or trusted root replaced by the
# material (imagepolicy.trust).
attestation_request(img, rule) := {"image": img, "opts": trust.resolve(object.union(object.get(rule, "opts", {}), {"type": rule.type})), "attestation": true}

requests(img, entry, cfg) := rule_requests(img, attestation_rules(entry, cfg))

# rule_requests are the verify_batch requests of an image's attestation rules.
rule_requests(img, rules) := [attestation_request(img, rule) | some rule in rules]

# Every rule yields its violations; a rule whose result is missing (a failed batch) yields one too, so that an
# undefined result can never pass a gate.
attestation_violations(img, entry, cfg, rs) := [v |
	some i, rule in attestation_rules(entry, cfg)
	some v in rule_violations(rule, object.get(rs, [["att", img, i]], null))
]

rule_violations(rule, null) := [sprintf("%s attestation: not verified (verification did not run)", [rule.type])]

rule_violations(rule, res) := [sprintf("%s attestation: not verified (%s)", [rule.type, concat("; ", [sprintf("%s: %s", [e.code, e.message]) | some e in object.get(res, "errors", [])])])] if {
	res != null
	not res.verified == true
} else := gate_violations(rule, res.attestations)

gate_violations(rule, attestations) := [sprintf("%s attestation: %s", [rule.type, v]) | some v in vuln.violations(rule, attestations)] if {
	vuln.applies(rule)
} else := [sprintf("%s attestation: %s", [rule.type, v]) | some v in provenance.violations(rule, attestations)] if {
	provenance.applies(rule)
} else := []
