# METADATA
# title: Config validation
# description: |
#   Checks data.imagepolicy.config as a whole — unknown keys, wrong types, malformed cosign options, glob syntax
#   other than `*` and `**` — so that a malformed control never switches itself off (docs/security.md #24). Every problem
#   names its field; while there is any, every image is denied and readiness fails (docs/policies.md).
package imagepolicy.validation

import rego.v1

import data.imagepolicy.settings
import data.imagepolicy.validation.envoy
import data.imagepolicy.validation.namespaces
import data.imagepolicy.validation.sections
import data.imagepolicy.validation.trust
import data.imagepolicy.validation.util

# errors is the set of problems of the loaded config, each "<field>: <what is wrong>".
errors := {"data.imagepolicy.config: no verification config is loaded"} if {
	not settings.loaded
} else := {sprintf("data.imagepolicy.config: must be an object, got %s", [util.type_name(settings.config)])} if {
	not is_object(settings.config)
} else := config_problems(settings.config)

top_keys := {
	"allow_with_verification", "allow_without_verification", "mode", "controls",
	"exempt_namespaces", "namespaces", "namespace_selectors", "envoy", "trust",
}

config_problems(cfg) := union({
	util.unknown_keys("", cfg, top_keys),
	sections.problems("", cfg),
	namespaces.problems(cfg),
	envoy.problems(cfg),
	trust.problems(cfg),
})
