# METADATA
# title: Readiness for the admission deployment
# description: |
#   GET /health/ready (the readiness probe) answers 200 only once the cosign
#   plugin is OK and kube-mgmt has loaded both the policy library and the
#   verification config, so the Service never sends an AdmissionReview to a
#   replica that would deny it for lack of a policy.
package system.health

import rego.v1

default ready := false

ready if {
	input.plugins_ready
	is_object(data.imagepolicy.config)
	data.imagepolicy.evaluate.settings == data.imagepolicy.config
	is_object(data.imagepolicy.kubernetes.validation)
	is_object(data.imagepolicy.kubernetes.mutation)
}

default live := true
