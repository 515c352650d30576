# METADATA
# title: Readiness
# description: |
#   GET /health/ready (OPA's custom health check, the readiness probe) answers 200 only once the cosign plugin is
#   ready, the policy library and a verification config are loaded, and the config has no errors
#   (data.imagepolicy.config_errors). So a replica never receives decisions it would deny for lack of a policy, and
#   a bad config shows as a replica that is not ready. Shipped in the bundles and, in deploy/kubernetes, mounted as
#   a file so that it is in place before kube-mgmt loads anything.
package system.health

import rego.v1

default ready := false

ready if {
	input.plugins_ready
	is_object(data.imagepolicy.config)
	data.imagepolicy.settings.config == data.imagepolicy.config
	count(data.imagepolicy.config_errors) == 0
	is_object(data.imagepolicy.kubernetes.validation)
	is_object(data.imagepolicy.kubernetes.mutation)
	is_object(data.imagepolicy.decision)
}

default live := true
