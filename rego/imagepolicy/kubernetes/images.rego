# METADATA
# title: Workload images
# description: |
#   Every container image of an admission request, from containers, initContainers and ephemeralContainers, for
#   Pods (including the pods/ephemeralcontainers subresource) and every workload kind that templates Pods, with
#   the JSON Pointer of each image field for patches.
package imagepolicy.kubernetes.images

import rego.v1

# pod_spec is where each kind keeps its Pod spec.
pod_spec := {
	"Pod": ["spec"],
	"Deployment": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
	"PodTemplate": ["template", "spec"],
}

container_lists := ["initContainers", "containers", "ephemeralContainers"]

# of(object, kind) lists {list, index, name, image, path} for each container.
of(obj, kind) := [c |
	path := pod_spec[kind]
	spec := object.get(obj, path, {})
	some list in container_lists
	some i, container in object.get(spec, list, [])
	c := {
		"list": list,
		"index": i,
		"name": object.get(container, "name", ""),
		"image": object.get(container, "image", null),
		"path": concat("/", array.concat(array.concat([""], path), [list, format_int(i, 10), "image"])),
	}
]

# kinds this policy understands; other kinds carry no images of ours.
known(kind) if pod_spec[kind]
