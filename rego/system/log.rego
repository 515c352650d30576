# METADATA
# title: Decision-log masking
# description: |
#   Decision logs must not copy what a Pod spec carries: env values, commands and arguments hold secrets
#   (docs/security.md #29). For admission reviews and Pod lists, the logged input is replaced by what the decision needs:
#   the request's identity (uid, kind, namespace, name, operation, user) and every image with its location. This
#   policy depends on nothing else, so it masks from the first request, before kube-mgmt has loaded the library.
package system.log

import rego.v1

# mask is read by OPA's decision logger with the event as input (input.input is the decision's input).
mask contains {"op": "upsert", "path": "/input", "value": summary} if {
	is_object(input.input.request)
}

mask contains {"op": "upsert", "path": "/input", "value": summary} if {
	input.input.kind == "List"
}

# summary never leaves the input unmasked: if the input is too odd to summarise, it is replaced all the same.
summary := s if {
	is_object(input.input.request)
	s := admission_summary(input.input)
} else := s if {
	input.input.kind == "List"
	s := list_summary(input.input)
} else := {"masked": "the input could not be summarised"}

admission_summary(review) := {
	"apiVersion": object.get(review, "apiVersion", ""),
	"kind": object.get(review, "kind", ""),
	"request": {
		"uid": object.get(review.request, "uid", ""),
		"kind": object.get(review.request, "kind", {}),
		"resource": object.get(review.request, "resource", {}),
		"subResource": object.get(review.request, "subResource", ""),
		"operation": object.get(review.request, "operation", ""),
		"namespace": object.get(review.request, "namespace", ""),
		"name": object.get(review.request, "name", ""),
		"userInfo": {"username": object.get(review.request, ["userInfo", "username"], "")},
		"images": images(object.get(review.request, "object", {})),
		"oldImages": images(object.get(review.request, "oldObject", {})),
	},
}

list_summary(list) := {
	"kind": "List",
	"items": [{
		"namespace": object.get(item, ["metadata", "namespace"], ""),
		"name": object.get(item, ["metadata", "name"], ""),
		"images": images(item),
	} |
		some item in object.get(list, "items", [])
	],
}

# images lists every image field of an object, wherever the kind keeps its Pod spec: the image of an entry of a
# container list, or the reference of an image volume.
images(obj) := [{"path": concat("/", [format_path(p) | some p in path]), "image": v} |
	walk(obj, [path, v])
	is_string(v)
	image_field(path)
]

image_field(path) if {
	path[count(path) - 1] == "image"
	path[count(path) - 3] in {"containers", "initContainers", "ephemeralContainers"}
}

image_field(path) if {
	path[count(path) - 1] == "reference"
	path[count(path) - 2] == "image"
	path[count(path) - 4] == "volumes"
}

format_path(p) := p if is_string(p)

else := format_int(p, 10) if is_number(p)

else := json.marshal(p)
