# METADATA
# title: Kubernetes validating admission
# description: |
#   The validating webhook's decision (POST /v0/data/imagepolicy/kubernetes/validate with the AdmissionReview):
#   denies a workload whose images are not allowed by the verification config in enforce mode, allows it with
#   warnings in warn mode, and allows it silently in audit mode (the decision log keeps the reasons).
# entrypoint: true
package imagepolicy.kubernetes

import rego.v1

import data.imagepolicy.kubernetes.request
import data.imagepolicy.kubernetes.response

validate := response.review(validation)

# The default denies: any error or undefined value below ends here.
default validation := {"allowed": false, "status": {"code": 403, "reason": "Forbidden", "message": "image policy: the request could not be evaluated"}}

validation := {"allowed": true} if not request.evaluated

validation := {"allowed": true} if {
	request.evaluated
	count(request.problems) == 0
	count(request.result.images) >= 0
}

validation := {
	"allowed": false,
	"status": {"code": 403, "reason": "Forbidden", "message": concat("\n", sort(request.problems))},
} if {
	request.evaluated
	count(request.problems) > 0
	request.result.mode == "enforce"
}

validation := {"allowed": true, "warnings": sort(request.problems)} if {
	request.evaluated
	count(request.problems) > 0
	request.result.mode == "warn"
}

validation := {"allowed": true} if {
	request.evaluated
	count(request.problems) > 0
	request.result.mode == "audit"
}
