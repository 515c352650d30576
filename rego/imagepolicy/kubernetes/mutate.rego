package imagepolicy.kubernetes

import rego.v1

import data.imagepolicy.kubernetes.request
import data.imagepolicy.kubernetes.response

# METADATA
# scope: document
# title: Kubernetes mutating admission
# description: |
#   The mutating webhook's decision (POST /v0/data/imagepolicy/kubernetes/mutate): pins every verified image to
#   the digest that was verified (name@sha256:...) with a JSONPatch, so the runtime pulls exactly what was checked
#   and a tag moved after verification changes nothing. It never denies: the validating webhook decides.
# entrypoint: true
mutate := response.review(mutation)

default mutation := {"allowed": true}

mutation := {"allowed": true, "patchType": "JSONPatch", "patch": base64.encode(json.marshal(patches))} if {
	request.evaluated
	count(patches) > 0
}

patches := [{"op": "replace", "path": c.path, "value": pinned} |
	some c in request.containers
	v := request.verdicts[c.image]
	v.verified == true
	pinned := v.reference
	startswith(v.digest, "sha256:")
	pinned != c.image
]
