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

# errors_once is errors, kept across decisions for the same config. The problems of the config are a function of
# the config alone (and of the policy and the plugin's trust roots, whose every change empties the store), so a
# decision asks for them through imagepolicy.cached: while the cosign plugin runs they are computed once per config
# revision, not on every decision. Without the plugin every lookup misses and `errors` is computed as before.
# It lives beside `errors`: kube-mgmt loads each file of the policy ConfigMap as its own module, in order, and a
# module naming a rule of its package that no loaded module defines yet does not compile.
errors_once := e if {
	e := imagepolicy.cached("imagepolicy.validation.errors", errors_key)
} else := imagepolicy.cache("imagepolicy.validation.errors", errors_key, errors)

errors_key := [settings.loaded, settings.config]
