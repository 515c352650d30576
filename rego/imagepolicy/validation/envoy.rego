# METADATA
# title: Config validation — Envoy gateways
# description: |
#   Checks data.imagepolicy.config.envoy, the settings of the Envoy gateways (docs/envoy.md): known keys, their
#   types, an upstream that is a registry host, a max_images from 1 to 1000.
package imagepolicy.validation.envoy

import rego.v1

# The keys each section accepts, and the type each must have.
known := {
	"envoy": {"registry": "object", "deploy": "object"},
	"registry": {
		"upstream": "string",
		"allow_push": "boolean",
		"allow_catalog": "boolean",
		"allow_tags_list": "boolean",
		"allow_referrers": "boolean",
	},
	"deploy": {"max_images": "number"},
}

# host[:port] as a registry is named in an image reference, lower case; an IPv6 address in brackets.
host_pattern := `^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?$`

# problems of the envoy section (cfg is the whole config); none when it is absent.
problems(cfg) := set() if {
	not "envoy" in object.keys(cfg)
} else := {"envoy: must be an object"} if {
	not is_object(cfg.envoy)
} else := union({
	{msg |
		some section, value in sections(cfg.envoy)
		some msg in section_problems(section, value)
	},
	upstream_problems(object.get(cfg.envoy, ["registry", "upstream"], null)),
	max_images_problems(object.get(cfg.envoy, ["deploy", "max_images"], null)),
})

sections(envoy) := {
	"envoy": envoy,
	"registry": object.get(envoy, "registry", {}),
	"deploy": object.get(envoy, "deploy", {}),
}

section_problems(section, value) := {sprintf("%s: must be of type object, not %s", [path(section), type_name(value)])} if {
	not is_object(value)
} else := {msg |
	some key, v in value
	msg := key_problem(section, key, v)
}

key_problem(section, key, v) := sprintf("%s: unknown key %q (known: %s)", [path(section), key, concat(", ", sort(object.keys(known[section])))]) if {
	not known[section][key]
} else := sprintf("%s.%s: must be of type %s, not %s", [path(section), key, known[section][key], type_name(v)]) if {
	type_name(v) != known[section][key]
}

upstream_problems(upstream) := {sprintf("envoy.registry.upstream: %q is not a registry host[:port] in lower case", [upstream])} if {
	is_string(upstream)
	not regex.match(host_pattern, upstream)
} else := set()

max_images_problems(n) := {sprintf("envoy.deploy.max_images: must be an integer from 1 to 1000, not %v", [n])} if {
	is_number(n)
	not valid_max(n)
} else := set()

valid_max(n) if {
	n == floor(n)
	n >= 1
	n <= 1000
}

path("envoy") := "envoy"

path(section) := concat(".", ["envoy", section]) if section != "envoy"
