# METADATA
# title: Admission request
# description: |
#   Reads an admission.k8s.io/v1 AdmissionReview: which operation, namespace and kind, whether the namespace is
#   exempt, and the images to check with their verdicts. An UPDATE is decided on the images it changes
#   (docs/policies.md): an image the API server's oldObject already has at the same place does not change what
#   runs, and re-verifying it would let a registry outage block finalizer removal and other metadata updates.
package imagepolicy.kubernetes.request

import rego.v1

import data.imagepolicy.evaluate
import data.imagepolicy.kubernetes.annotations
import data.imagepolicy.kubernetes.images
import data.imagepolicy.namespaces

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

exempt if namespaces.exempt(namespace)

# containers are the images to check: all of them on CREATE, the changed ones on UPDATE.
containers := [c |
	some c in images.of(request.object, kind)
	not unchanged(c)
]

# unchanged: on UPDATE, oldObject (written by the API server, not the requester) has the same image in the same
# container list under the same name.
unchanged(c) if {
	request.operation == "UPDATE"
	is_string(c.image)
	some old in images.of(object.get(request, "oldObject", {}), kind)
	old.list == c.list
	old.name == c.name
	old.image == c.image
}

# result of evaluating every container image (each distinct image once).
result := evaluate.decide_with([c.image | some c in containers], namespace, pull_context)

# pull_context says where the kubelet will find the images' registry credentials (docs/deployment.md, "Registry
# credentials from the cluster"): the Pod spec's imagePullSecrets and, for a workload template, its ServiceAccount,
# whose pull secrets the ServiceAccount admission plugin gives the Pods it creates when the template names none. A
# Pod has them already (that plugin runs before the webhooks), so it gives no ServiceAccount. The plugin's
# `kubernetes` section decides whether they are read; without it the context is ignored.
pull_context := {
	"namespace": namespace,
	"image_pull_secrets": [s.name | some s in object.get(pod_spec, "imagePullSecrets", []); is_string(s.name); s.name != ""],
	"service_account": service_account,
} if {
	namespace != ""
} else := null

pod_spec := s if {
	s := object.get(request.object, images.pod_spec[kind], {})
	is_object(s)
} else := {}

# service_account of a template: as the ServiceAccount admission plugin will set it, "default" when unnamed.
service_account := "" if {
	kind == "Pod"
} else := sa if {
	sa := object.get(pod_spec, "serviceAccountName", "")
	is_string(sa)
	sa != ""
} else := "default"

verdicts := {r.image: r | some r in result.images}

# problems: one message per container whose image is not allowed.
problems contains msg if {
	some c in containers
	is_string(c.image)
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

container_word("volumes") := "volume"
