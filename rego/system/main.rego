# METADATA
# title: kube-mgmt entrypoint
# description: kube-mgmt's default decision (data.system.main) is the validating admission review.
# entrypoint: true
package system

import rego.v1

main := data.imagepolicy.kubernetes.validate
