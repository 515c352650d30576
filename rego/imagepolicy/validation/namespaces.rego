# METADATA
# title: Config validation — namespaces
# description: |
#   Checks exempt_namespaces, namespaces and namespace_selectors; each overlay is checked as the top level is.
package imagepolicy.validation.namespaces

import rego.v1

import data.imagepolicy.validation.sections
import data.imagepolicy.validation.util

# Keys a namespace overlay may set; each replaces the global key of the same name for that namespace.
overlay_keys := {"mode", "allow_with_verification", "allow_without_verification", "controls", "exempt"}

problems(cfg) := union({
	exempt_namespaces_problems(cfg),
	namespaces_problems(cfg),
	selectors_problems(cfg),
})

exempt_namespaces_problems(cfg) := union({
	util.strings_problems("exempt_namespaces", cfg.exempt_namespaces, "an array of namespace names or globs"),
	{msg |
		is_array(cfg.exempt_namespaces)
		some i, p in cfg.exempt_namespaces
		some msg in namespace_pattern_problems(sprintf("exempt_namespaces[%d]", [i]), p)
	},
}) if "exempt_namespaces" in object.keys(cfg)

else := set()

namespaces_problems(cfg) := set() if {
	not "namespaces" in object.keys(cfg)
} else := util.expect("namespaces", cfg.namespaces, "object", "an object of namespace names or globs") if {
	not is_object(cfg.namespaces)
} else := {msg |
	some pattern, overlay in cfg.namespaces
	path := util.key("namespaces", pattern)
	some msg in union({namespace_pattern_problems(path, pattern), overlay_problems(path, overlay)})
}

selectors_problems(cfg) := set() if {
	not "namespace_selectors" in object.keys(cfg)
} else := util.expect("namespace_selectors", cfg.namespace_selectors, "array", "an array of {\"match_labels\": {...}, \"config\": {...}}") if {
	not is_array(cfg.namespace_selectors)
} else := {msg |
	some i, s in cfg.namespace_selectors
	some msg in selector_problems(sprintf("namespace_selectors[%d]", [i]), s)
}

selector_problems(path, s) := util.expect(path, s, "object", "an object {\"match_labels\": {...}, \"config\": {...}}") if {
	not is_object(s)
} else := union({
	util.unknown_keys(path, s, {"match_labels", "config"}),
	labels_problems(util.field(path, "match_labels"), object.get(s, "match_labels", null)),
	overlay_problems(util.field(path, "config"), object.get(s, "config", null)),
})

labels_problems(path, labels) := {sprintf("%s: must be a non-empty object of label names to values, got %s", [path, util.got(labels)])} if {
	not is_object(labels)
} else := {sprintf("%s: must be a non-empty object of label names to values, got %s", [path, util.got(labels)])} if {
	count(labels) == 0
} else := {sprintf("%s: must be a string, got %s", [util.key(path, k), util.got(v)]) |
	some k, v in labels
	not is_string(v)
}

overlay_problems(path, overlay) := util.expect(path, overlay, "object", "an object of config keys for the namespace") if {
	not is_object(overlay)
} else := union({
	util.unknown_keys(path, overlay, overlay_keys),
	sections.problems(path, overlay),
	exempt_problems(util.field(path, "exempt"), overlay),
})

exempt_problems(path, overlay) := util.expect(path, overlay.exempt, "boolean", "a boolean") if "exempt" in object.keys(overlay)

else := set()

# Namespace names are DNS labels; "*" is the only glob character (docs/security.md #28: prefer exact names or labels an
# admin sets to globs, which whoever creates a namespace can match).
namespace_pattern_problems(path, p) := {sprintf("%s: %s is not a namespace name or glob (lower-case letters, digits, \"-\" and \"*\")", [path, util.got(p)])} if {
	not is_string(p)
} else := {sprintf("%s: %s is not a namespace name or glob (lower-case letters, digits, \"-\" and \"*\")", [path, json.marshal(p)])} if {
	not regex.match(`^[a-z0-9*]([a-z0-9*-]{0,62})$`, p)
} else := set()
