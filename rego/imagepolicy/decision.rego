# METADATA
# title: Image policy decision
# description: |
#   Decision for a deploy gateway or a pipeline: input {"images": ["ref", ...], "namespace": "optional"}.
#   allowed is true only when every image is allowed (in enforce mode); each image says which config rule
#   matched and why it was denied.
# related_resources:
#   - ref: ../../docs/policies.md
# entrypoint: true
package imagepolicy

import rego.v1

import data.imagepolicy.evaluate

default decision := {
	"allowed": false,
	"mode": "enforce",
	"images": [],
	"reasons": ["input must be an object with images: an array of image references"],
}

decision := {
	"allowed": allowed_in_mode(result),
	"mode": result.mode,
	"images": result.images,
	"reasons": [r | some img in result.images; not img.allowed; some reason in img.reasons; r := sprintf("%s: %s", [img.image, reason])],
} if {
	is_array(input.images)
	result := evaluate.decide(input.images, object.get(input, "namespace", ""))
}

allowed_in_mode(result) if {
	every img in result.images {
		img.allowed
	}
} else if {
	result.mode in {"warn", "audit"}
} else := false
