# METADATA
# title: API authorization
# description: |
#   OPA's API lets its caller load policy and data: left open, anyone who reaches the port could PUT a permissive
#   policy, or fake namespace labels under data.kubernetes. With --authentication=token --authorization=basic
#   this policy lets anonymous callers only ask decisions (the admission reviews, imagepolicy.decision and
#   imagepolicy.audit) and read health and metrics. Anything else needs the token in OPA_COSIGN_API_TOKEN (at
#   least 32 characters; kube-mgmt presents it). Shipped in the bundles, and in deploy/kubernetes as a file loaded
#   at start, before anything else.
package system.authz

import rego.v1

default allow := false

decisions := {
	["v0", "data", "imagepolicy", "kubernetes", "validate"],
	["v0", "data", "imagepolicy", "kubernetes", "mutate"],
	["v1", "data", "imagepolicy", "kubernetes", "validate"],
	["v1", "data", "imagepolicy", "kubernetes", "mutate"],
	["v1", "data", "imagepolicy", "decision"],
	["v1", "data", "imagepolicy", "audit"],
}

allow if {
	input.method == "POST"
	input.path in decisions
}

allow if {
	input.method == "GET"
	input.path[0] == "health"
}

allow if {
	input.method == "GET"
	input.path == ["metrics"]
}

# An unset or short token never matches: a missing Secret must not open the API.
allow if {
	token := opa.runtime().env.OPA_COSIGN_API_TOKEN
	count(token) >= 32
	input.identity == token
}
