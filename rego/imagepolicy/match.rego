# METADATA
# title: Image matching
# description: |
#   Matches a normalised image against the verification config: registry hosts are normalised like images
#   (Docker Hub aliases fold into docker.io), `*` matches within one path segment and `**` across segments,
#   allow_with_verification wins over allow_without_verification, and among several matching patterns the most
#   specific wins by a fixed order (see docs/policies.md).
package imagepolicy.match

import rego.v1

# normal_host folds a configured registry host the way image.parse folds image hosts.
normal_host(host) := "docker.io" if {
	lower(host) in {"docker.io", "index.docker.io", "registry-1.docker.io"}
} else := lower(host)

# hosts returns the config entries of section whose host is the image's registry.
entries(section, registry) := [[host, value] |
	some host, value in section
	normal_host(host) == registry
]

# Docker Hub official images are written "nginx" in configs but are library/nginx. Only library/<one segment> is
# an official image: docker.io/library/ubuntu/evil is someone's repository, not "ubuntu/evil" (docs/security.md #16).
candidate_paths(parsed) := {parsed.repository, trim_prefix(parsed.repository, "library/")} if {
	parsed.registry == "docker.io"
	regex.match(`^library/[^/]+$`, parsed.repository)
} else := {parsed.repository}

matches(pattern, paths) if {
	some path in paths
	glob.match(pattern, ["/"], path)
}

# specificity orders matching patterns: the smallest key wins. An exact pattern beats any glob; then more
# literal characters; then fewer `**`; then fewer `*`; then the pattern itself, so the choice is deterministic.
specificity(pattern) := [exact, 0 - literal, double, single, pattern] if {
	double := count(indexof_n(pattern, "**"))
	single := count(indexof_n(pattern, "*")) - (2 * double)
	literal := count(pattern) - count(indexof_n(pattern, "*"))
	exact := to_number(count(indexof_n(pattern, "*")) > 0)
}

# best returns {host, pattern, value} of the most specific pattern of section matching the image, if any.
best(section, parsed) := choice if {
	found := [[specificity(pattern), host, pattern, value] |
		some [host, patterns] in entries(section, parsed.registry)
		some pattern, value in as_object(patterns)
		matches(pattern, candidate_paths(parsed))
	]
	count(found) > 0
	top := sort(found)[0]
	choice := {"host": top[1], "pattern": top[2], "value": top[3]}
}

# allow_without_verification lists patterns; allow_with_verification maps them to options.
as_object(patterns) := {p: true | some p in patterns} if is_array(patterns)

as_object(patterns) := patterns if is_object(patterns)

# rule is the config rule that decides an image: with verification, without, or none (denied).
rule(config, parsed) := {"rule": "allow_with_verification", "host": m.host, "pattern": m.pattern, "options": m.value} if {
	m := best(object.get(config, "allow_with_verification", {}), parsed)
} else := {"rule": "allow_without_verification", "host": m.host, "pattern": m.pattern} if {
	m := best(object.get(config, "allow_without_verification", {}), parsed)
} else := {"rule": "none", "host": "", "pattern": ""}
