# METADATA
# title: Admission response
# description: |
#   Wraps the response of either webhook in an AdmissionReview with the request's uid and the audit trail
#   (imagepolicy.kubernetes.trail). A package of its own, imported by both: kube-mgmt loads the shipped ConfigMap key
#   by key, and a function one webhook's file called from the other's would not be loaded yet (scripts/gen-deploy.sh
#   orders keys by imports).
package imagepolicy.kubernetes.response

import rego.v1

import data.imagepolicy.kubernetes.request
import data.imagepolicy.kubernetes.trail

# review: both webhooks carry the audit trail. The mutating webhook's names each image as requested and the digest it
# pins it to, the validating webhook's each image as stored and the verdict that admitted or denied it.
review(response) := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"response": object.union(object.union(response, trail.response), {"uid": request.uid}),
}
