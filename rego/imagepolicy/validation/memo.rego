# Config validation, once per revision. The problems of the config are a function of the config alone (and of the policy and the plugin's trust roots,
# whose every change empties the store), so a decision asks for them through imagepolicy.cached: while the cosign
# plugin runs they are computed once per config revision, not on every decision (issue 14). Without the plugin
# every lookup misses and `errors` is computed as before.
package imagepolicy.validation

import rego.v1

import data.imagepolicy.settings

# errors_once is errors, kept across decisions for the same config.
errors_once := e if {
	e := imagepolicy.cached("imagepolicy.validation.errors", errors_key)
} else := imagepolicy.cache("imagepolicy.validation.errors", errors_key, errors)

errors_key := [settings.loaded, settings.config]
