# METADATA
# title: Config validation — rules
# description: |
#   Checks the keys a namespace overlay may set as well as the top level: allow_with_verification (registry hosts,
#   image path patterns, requirements and their cosign options), allow_without_verification, mode and controls.
package imagepolicy.validation.sections

import rego.v1

import data.imagepolicy.validation.controls
import data.imagepolicy.validation.util

# problems checks the keys a namespace overlay may also set (path "" is the top level).
problems(path, cfg) := union({
	with_verification_problems(util.field(path, "allow_with_verification"), cfg),
	without_verification_problems(util.field(path, "allow_without_verification"), cfg),
	mode_problems(util.field(path, "mode"), cfg),
	controls.problems(util.field(path, "controls"), cfg),
	util.duplicate_host_problems(util.field(path, "allow_with_verification"), object.get(cfg, "allow_with_verification", {})),
	util.duplicate_host_problems(util.field(path, "allow_without_verification"), object.get(cfg, "allow_without_verification", {})),
})

mode_problems(path, cfg) := {sprintf(`%s: must be "enforce", "warn" or "audit", got %s`, [path, json.marshal(cfg.mode)])} if {
	"mode" in object.keys(cfg)
	not cfg.mode in {"enforce", "warn", "audit"}
} else := set()

# The largest `of` list of a threshold: distinct signers are counted over every subset of the list
# (imagepolicy.signers), so its size is kept small.
max_threshold_options := 10

with_verification_problems(path, cfg) := set() if {
	not "allow_with_verification" in object.keys(cfg)
} else := util.expect(path, cfg.allow_with_verification, "object", "an object of registry hosts") if {
	not is_object(cfg.allow_with_verification)
} else := union({
	{msg |
		some host, patterns in cfg.allow_with_verification
		some msg in util.host_section_problems(util.key(path, host), host, patterns, "object")
	},
	{msg |
		some host, patterns in cfg.allow_with_verification
		is_object(patterns)
		some pattern, requirement in patterns
		some msg in requirement_problems(util.key(util.key(path, host), pattern), requirement)
	},
})

without_verification_problems(path, cfg) := set() if {
	not "allow_without_verification" in object.keys(cfg)
} else := util.expect(path, cfg.allow_without_verification, "object", "an object of registry hosts") if {
	not is_object(cfg.allow_without_verification)
} else := {msg |
	some host, patterns in cfg.allow_without_verification
	some msg in util.host_section_problems(util.key(path, host), host, patterns, "array")
}

# A requirement: one options object, a non-empty list of them (any of), or {"threshold": N, "of": [...]}.
requirement_problems(path, value) := util.options_problems(path, value, false) if {
	is_object(value)
	not "threshold" in object.keys(value)
	not "of" in object.keys(value)
} else := threshold_problems(path, value) if {
	is_object(value)
} else := {sprintf("%s: must not be empty", [path])} if {
	value == []
} else := {msg |
	some i, o in value
	some msg in util.options_problems(sprintf("%s[%d]", [path, i]), o, false)
} if {
	is_array(value)
} else := {sprintf(`%s: must be an options object, a list of options objects, or {"threshold": N, "of": [...]}, got %s`, [path, util.got(value)])}

threshold_problems(path, value) := union({
	util.unknown_keys(path, value, {"threshold", "of"}),
	threshold_number_problems(path, value),
	of_problems(path, value),
})

threshold_number_problems(path, value) := {sprintf("%s.threshold: must be an integer from 1 to the number of options in of, got %s", [path, util.got(object.get(value, "threshold", null))])} if {
	not valid_threshold(value)
} else := set()

valid_threshold(value) if {
	util.non_negative_integer(value.threshold)
	value.threshold >= 1
	is_array(value.of)
	value.threshold <= count(value.of)
}

of_problems(path, value) := {sprintf("%s.of: must be a list of 1 to %d options objects, got %s", [path, max_threshold_options, util.got(object.get(value, "of", null))])} if {
	not is_array(value.of)
} else := {sprintf("%s.of: must be a list of 1 to %d options objects, got %d", [path, max_threshold_options, count(value.of)])} if {
	not count(value.of) in numbers.range(1, max_threshold_options)
} else := {msg |
	some i, o in value.of
	some msg in util.options_problems(sprintf("%s.of[%d]", [path, i]), o, false)
}
