# METADATA
# title: Config validation helpers
# description: |
#   What every part of config validation shares: how fields are named in messages, type checks, and the checks of
#   registry hosts, image path patterns and cosign options.
package imagepolicy.validation.util

import rego.v1

import data.imagepolicy.match
import data.imagepolicy.settings
import data.imagepolicy.trust

# Paths name each field the way a user would find it: top.key["map key"][index].

field("", name) := name

field(path, name) := sprintf("%s.%s", [path, name]) if path != ""

key(path, k) := sprintf("%s[%s]", [path, json.marshal(k)])

unknown_keys(path, obj, known) := {sprintf("%s: unknown key (known: %s)", [key_or_field(path, k), concat(", ", sort(known))]) |
	some k, _ in obj
	not k in known
}

key_or_field("", k) := json.marshal(k)

key_or_field(path, k) := field(path, k) if {
	path != ""
	is_string(k)
}

type_name(v) := "null" if is_null(v)

else := "a string" if is_string(v)

else := "a number" if is_number(v)

else := "a boolean" if is_boolean(v)

else := "an array" if is_array(v)

else := "an object" if is_object(v)

else := "a set" if is_set(v)

got(v) := "null" if is_null(v)

else := sprintf("%s %s", [type_name(v), json.marshal(v)]) if not is_set(v)

else := type_name(v)

# expect reports a value of the wrong type; ok_type is "object", "array", "string", "boolean" or "number".
expect(path, v, ok_type, what) := {sprintf("%s: must be %s, got %s", [path, what, got(v)])} if {
	not has_type(v, ok_type)
} else := set()

has_type(v, "object") if is_object(v)

has_type(v, "array") if is_array(v)

has_type(v, "string") if is_string(v)

has_type(v, "boolean") if is_boolean(v)

has_type(v, "number") if is_number(v)

strings_problems(path, v, what) := {sprintf("%s: must be %s, got %s", [path, what, got(v)])} if {
	not is_array(v)
} else := {sprintf("%s: must be %s, got %s", [sprintf("%s[%d]", [path, i]), what_item(what), got(s)]) |
	some i, s in v
	not non_empty_string(s)
}

what_item(_) := "a non-empty string"

non_empty_string(s) if {
	is_string(s)
	s != ""
}

non_negative_integer(n) if {
	is_number(n)
	n >= 0
	floor(n) == n
}

# host_section_problems checks a registry host and its patterns: an object pattern -> requirement with
# verification, an array of patterns without (DAS's shape; an object there would look like a requirement that is
# never checked).
host_section_problems(path, host, patterns, "object") := union({
	host_problems(path, host),
	expect(path, patterns, "object", "an object of image path patterns"),
	{msg |
		is_object(patterns)
		some pattern, _ in patterns
		some msg in pattern_problems(path, pattern)
	},
})

host_section_problems(path, host, patterns, "array") := union({
	host_problems(path, host),
	expect(path, patterns, "array", "an array of image path patterns"),
	{msg |
		is_array(patterns)
		some i, pattern in patterns
		some msg in pattern_problems(sprintf("%s[%d]", [path, i]), pattern)
	},
})

host_problems(path, host) := {sprintf("%s: not a registry host[:port]", [path])} if {
	not valid_host(host)
} else := set()

valid_host(host) if regex.match(`^([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$`, lower(host))

valid_host(host) if regex.match(`^\[[0-9a-f:]+\](:[0-9]{1,5})?$`, lower(host))

# Image path patterns: repository characters, "/" between segments, "*" within a segment and "**" across.
# Other glob syntax (?, [...], {...}) is refused: it would count as literal characters and outrank exact rules
# (docs/security.md #33). Upper case is refused too: image paths are lower case, so such a pattern would never match and
# a weaker rule would decide instead.
pattern_problems(path, pattern) := {sprintf("%s: pattern must be a string, got %s", [path, got(pattern)])} if {
	not is_string(pattern)
} else := {sprintf("%s: pattern %s: only lower-case letters, digits, \".\", \"_\", \"-\", \"/\" between segments, \"*\" within a segment and \"**\" across segments are allowed", [path, json.marshal(pattern)])} if {
	not valid_pattern(pattern)
} else := set()

valid_pattern(pattern) if {
	regex.match(`^[a-z0-9._*-]+(/[a-z0-9._*-]+)*$`, pattern)
	not contains(pattern, "***")
}

# options_problems asks the built-in itself, so the config is held to exactly what verification will accept: the
# options as verification gets them, named keys and trusted roots replaced by the material (imagepolicy.trust).
options_problems(path, opts, attestation) := {sprintf("%s: %s", [path, p]) | some p in option_problems(opts, attestation)}

option_problems(opts, attestation) := [unknown_key_name(opts.key)] if {
	unknown_key_name(opts.key)
} else := [with_root_names(p, opts) | some p in cosign.check_options(trust.resolve(opts), attestation)]

# With named keys in the config, a key that is not PEM text is a name that is missing: say so, not that a file name
# was given.
unknown_key_name(k) := sprintf(`option "key": %s is neither a PEM public key nor a name in trust.keys (names: %s)`, [json.marshal(k), trust.names(trust.keys)]) if {
	"keys" in object.keys(object.get(settings.config, "trust", {}))
	is_string(k)
	not contains(k, "-----BEGIN")
	not k in object.keys(trust.keys)
}

# An unknown trusted root name is looked for in the config too: the built-in's message names only the plugin's roots.
with_root_names(p, opts) := sprintf("%s, nor a name in trust.trusted_roots (names: %s)", [p, trust.names(trust.trusted_roots)]) if {
	"trusted_roots" in object.keys(object.get(settings.config, "trust", {}))
	is_string(opts["trusted-root"])
	not opts["trusted-root"] in object.keys(trust.trusted_roots)
	startswith(p, `option "trusted-root": unknown trusted root`)
} else := p

# duplicate_host_problems: two spellings of one registry (docker.io, index.docker.io) with the same pattern leave
# the choice between their rules to the spelling.
duplicate_host_problems(path, section) := {msg |
	is_object(section)
	some registry in {match.normal_host(h) | some h, _ in section; is_string(h)}
	some pattern in {p | some h, ps in section; match.normal_host(h) == registry; some p in pattern_list(ps)}
	hosts := {h | some h, ps in section; match.normal_host(h) == registry; pattern in pattern_list(ps)}
	count(hosts) > 1
	msg := sprintf("%s: pattern %s is given under %s, which are one registry", [path, json.marshal(pattern), concat(" and ", sort(hosts))])
}

pattern_list(ps) := object.keys(ps) if is_object(ps)

else := {p | some p in ps} if is_array(ps)

else := set()
