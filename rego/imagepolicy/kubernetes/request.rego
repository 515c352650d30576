# METADATA
# title: Admission request
# description: |
#   Reads an admission.k8s.io/v1 AdmissionReview: which operation, namespace and kind, whether the namespace is
#   exempt, and the images to check with their verdicts.
package imagepolicy.kubernetes.request

import rego.v1

import data.imagepolicy.evaluate
import data.imagepolicy.kubernetes.annotations
import data.imagepolicy.kubernetes.images

request := input.request

uid := object.get(object.get(input, "request", {}), "uid", "")

kind := request.kind.kind

namespace := ns if {
	ns := request.namespace
	ns != ""
} else := object.get(object.get(request.object, "metadata", {}), "namespace", "")

# evaluated requests: CREATE and UPDATE of kinds with Pod specs, outside exempt namespaces.
evaluated if {
	request.operation in {"CREATE", "UPDATE"}
	images.known(kind)
	not exempt
}

exempt if {
	some pattern in object.get(evaluate.settings, "exempt_namespaces", [])
	glob.match(pattern, [], namespace)
}

containers := images.of(request.object, kind)

# result of evaluating every container image (each distinct image once).
result := evaluate.decide([c.image | some c in containers], namespace)

verdicts := {r.image: r | some r in result.images}

# problems: one message per container whose image is not allowed.
problems contains msg if {
	some c in containers
	v := verdicts[c.image]
	not v.allowed
	msg := sprintf("%s %q image %q: %s", [container_word(c.list), c.name, c.image, concat("; ", v.reasons)])
}

problems contains msg if {
	some c in containers
	not is_string(c.image)
	msg := sprintf("%s %q has no image", [container_word(c.list), c.name])
}

# A container image that produced no verdict at all (evaluation failed) is a problem too.
problems contains msg if {
	some c in containers
	is_string(c.image)
	not verdicts[c.image]
	msg := sprintf("%s %q image %q: not evaluated (policy error)", [container_word(c.list), c.name, c.image])
}

# The annotation controls, when configured, add workload-level problems.
problems contains msg if {
	some msg in annotations.problems(request.object, namespace, containers, verdicts, evaluate.config(namespace))
}

container_word("initContainers") := "init container"

container_word("containers") := "container"

container_word("ephemeralContainers") := "ephemeral container"
