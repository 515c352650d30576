# METADATA
# title: Envoy gateway settings
# description: |
#   The gateways' own settings under data.imagepolicy.config.envoy, with their defaults, and the list of what is
#   wrong with them. While the list is not empty, both gateways deny every request (a malformed setting never
#   switches a check off, and never falls back to the request's authority).
# related_resources:
#   - ref: ../../../docs/envoy.md
package imagepolicy.envoy.settings

import rego.v1

default envoy := {}

envoy := data.imagepolicy.config.envoy

registry := object.get(envoy, "registry", {})

deploy := object.get(envoy, "deploy", {})

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

# upstream is the registry the pull gateway checks images against; undefined when not configured.
upstream := registry.upstream

enabled(name) if registry[name] == true

default max_images := 100

max_images := deploy.max_images

errors contains "envoy: must be an object" if not is_object(envoy)

errors contains msg if {
	some section, value in sections
	is_object(value)
	some key, _ in value
	not known[section][key]
	msg := sprintf("%s: unknown key %q (known: %s)", [path(section), key, concat(", ", sort(object.keys(known[section])))])
}

errors contains msg if {
	some section, value in sections
	is_object(value)
	some key, v in value
	want := known[section][key]
	type_name(v) != want
	msg := sprintf("%s.%s: must be of type %s, not %s", [path(section), key, want, type_name(v)])
}

errors contains msg if {
	is_string(registry.upstream)
	not regex.match(host_pattern, registry.upstream)
	msg := sprintf("envoy.registry.upstream: %q is not a registry host[:port] in lower case", [registry.upstream])
}

errors contains msg if {
	is_number(deploy.max_images)
	not valid_max(deploy.max_images)
	msg := sprintf("envoy.deploy.max_images: must be an integer from 1 to 1000, not %v", [deploy.max_images])
}

valid_max(n) if {
	n == floor(n)
	n >= 1
	n <= 1000
}

sections := {"envoy": envoy, "registry": registry, "deploy": deploy} if is_object(envoy)

path("envoy") := "envoy"

path(section) := concat(".", ["envoy", section]) if section != "envoy"
