# METADATA
# title: Audit trail
# description: |
#   The auditAnnotations of both admission responses (docs/deployment.md, "Audit trail"): the API server writes
#   them into its audit log under the webhook's name, and the decision log keeps them in the result. One annotation
#   `image.<n>` per image the request was checked for (compact JSON: container, list, image, verdict, and for a
#   verified image the digest it is pinned to and who signed it), and `images`, which counts them and says how many
#   were left out. Only a verified image names a signer: a denied, warned, audited or exempt image says which.
package imagepolicy.kubernetes.trail

import rego.v1

import data.imagepolicy.kubernetes.images
import data.imagepolicy.kubernetes.request

# Bounds, so that a Pod with hundreds of containers, or names and signer identities of any length, cannot make the
# response or the audit event large: at most max_images annotations of images. An annotation longer than
# max_value characters is made again with each string cut at max_chars characters (marked with "...") and at most
# max_signers signers: then at most 7 such strings, under 9 KB even if JSON escapes every character (\u003c is 6
# bytes). In practice an annotation is a few hundred characters and kept as it is, which is also the fast path: a
# warm decision is not slowed by cutting strings that need no cut.
max_images := 20

max_value := 1000

max_chars := 200

max_signers := 4

# response is merged into both admission responses: {"auditAnnotations": {...}}, or {} when there is nothing to
# say (another operation or kind, an UPDATE that changes no image) or the summary cannot be made.
response := {"auditAnnotations": a} if {
	a := annotations
	count(a) > 0
} else := {}

# annotations: one per image the request is decided on (request.containers: all on CREATE, the changed ones on
# UPDATE; in an exempt namespace, the ones it would have been decided on), and the summary.
annotations := object.union(
	{sprintf("image.%d", [i]): bounded(entry(c)) |
		some i, c in request.containers
		i < max_images
	},
	{"images": json.marshal(summary)},
) if {
	request.request.operation in {"CREATE", "UPDATE"}
	images.known(request.kind)
	count(request.containers) > 0
}

summary := {
	"count": count(request.containers),
	"annotated": min({count(request.containers), max_images}),
	"omitted": max({0, count(request.containers) - max_images}),
	"mode": mode,
}

# mode is how the namespace's images were treated: exempt (nothing verified), or the config's mode.
mode := "exempt" if request.exempt

else := request.result.mode

# entry describes one image. An exempt namespace is tested before any verdict is looked up, so that the trail
# verifies nothing the decision does not. Only a verified image carries the digest it was verified at (the one the
# mutating webhook pins it to) and its signers, each a key fingerprint (key:sha256:<hex of the public key's DER>) or
# a certificate's issuer and identity (cert:<issuer>|<identity>), as cosign.verify_batch reports them
# (docs/builtins.md). An image that is not allowed is named by what the mode did with it: denied (enforce), or
# admitted unverified with a warning (warn) or silently (audit).
entry(c) := {"container": c.name, "list": c.list, "image": c.image, "verdict": "exempt"} if {
	request.exempt
} else := {"container": c.name, "list": c.list, "image": c.image, "verdict": "verified", "digest": d.digest, "signers": d.signers} if {
	d := request.verdicts[c.image]
	d.allowed == true
	d.verified == true
} else := {"container": c.name, "list": c.list, "image": c.image, "verdict": "allowed-without-verification"} if {
	request.verdicts[c.image].allowed == true
} else := {"container": c.name, "list": c.list, "image": c.image, "verdict": unverified[request.result.mode]}

unverified := {"enforce": "denied", "warn": "warned", "audit": "audited"}

# bounded is the annotation value of an entry: as it is when short and well-typed, else with its strings cut and its
# signers capped (a mutating webhook sees the object before the API server validated it: the image may be a number).
bounded(e) := v if {
	is_string(e.image)
	is_string(e.container)
	v := json.marshal(e)
	count(v) <= max_value
} else := json.marshal(cut_entry(e))

cut_entry(e) := object.union({k: cut(x) | some k, x in e; k != "signers"}, cut_signers(e))

cut_signers(e) := {"signers": [cut(s) | some i, s in e.signers; i < max_signers], "signers_omitted": n} if {
	n := count(e.signers) - max_signers
	n > 0
} else := {"signers": [cut(s) | some s in e.signers]} if {
	e.signers
} else := {}

# cut bounds a string field; anything else (an image that is not a string) is "".
cut(s) := s if {
	is_string(s)
	count(s) <= max_chars
} else := concat("", [substring(s, 0, max_chars - 3), "..."]) if {
	is_string(s)
} else := ""
