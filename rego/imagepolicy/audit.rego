package imagepolicy

import rego.v1

import data.imagepolicy.evaluate
import data.imagepolicy.kubernetes.images
import data.imagepolicy.namespaces

# METADATA
# scope: document
# title: Running-workload audit
# description: |
#   Verifies what actually runs: input is `kubectl get pods -A -o json` (a v1 List of Pods). Per Pod: allowed, and
#   each offending container or image volume (`list` says which) with its image and reasons. Uses each Pod's namespace rules; exempt namespaces are
#   reported as exempt.
# entrypoint: true
audit := [pod_audit(pod) | some pod in object.get(input, "items", [])]

pod_audit(pod) := {
	"namespace": ns,
	"name": object.get(pod.metadata, "name", ""),
	"exempt": true,
	"allowed": true,
	"violations": [],
} if {
	ns := object.get(pod.metadata, "namespace", "")
	namespaces.exempt(ns)
} else := {
	"namespace": ns,
	"name": object.get(pod.metadata, "name", ""),
	"exempt": false,
	"allowed": count(violations) == 0,
	"violations": violations,
} if {
	ns := object.get(pod.metadata, "namespace", "")
	containers := images.of(pod, "Pod")
	result := evaluate.decide([c.image | some c in containers], ns)
	verdicts := {r.image: r | some r in result.images}
	violations := [{"container": c.name, "list": c.list, "image": c.image, "reasons": object.get(verdicts, [c.image, "reasons"], ["not evaluated: no image"])} |
		some c in containers
		not object.get(verdicts, [c.image, "allowed"], false)
	]
} else := {
	"namespace": object.get(pod.metadata, "namespace", ""),
	"name": object.get(pod.metadata, "name", ""),
	"exempt": false,
	"allowed": false,
	"violations": [{"container": "", "list": "", "image": "", "reasons": ["the pod could not be evaluated"]}],
}
