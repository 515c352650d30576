# METADATA
# title: Workload images
# description: |
#   Every image of an admission request — containers, initContainers, ephemeralContainers and image volumes — for
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

# of(object, kind) lists {list, index, name, image, path} for each container and each image volume
# (`volumes[].image.reference`, Kubernetes 1.35+: an image mounted as a volume is code and data that run too,
# docs/security.md #23). path is the JSON Pointer of the image field, for patches.
of(obj, kind) := array.concat(containers(obj, kind), image_volumes(obj, kind))

containers(obj, kind) := [c |
	path := pod_spec[kind]
	spec := object.get(obj, path, {})
	some list in container_lists
	some i, container in object.get(spec, list, [])
	c := {
		"list": list,
		"index": i,
		"name": object.get(container, "name", ""),
		"image": object.get(container, "image", null),
		"path": pointer(array.concat(path, [list, format_int(i, 10), "image"])),
	}
]

image_volumes(obj, kind) := [v |
	path := pod_spec[kind]
	spec := object.get(obj, path, {})
	some i, volume in object.get(spec, "volumes", [])
	"image" in object.keys(volume)
	v := {
		"list": "volumes",
		"index": i,
		"name": object.get(volume, "name", ""),
		"image": object.get(volume, ["image", "reference"], null),
		"path": pointer(array.concat(path, ["volumes", format_int(i, 10), "image", "reference"])),
	}
]

pointer(segments) := concat("/", array.concat([""], segments))

# kinds this policy understands; other kinds carry no images of ours.
known(kind) if pod_spec[kind]
