# METADATA
# title: API authorization for the admission deployment
# description: |
#   Loaded from a file at start with --authorization=basic. The webhook port is
#   reachable from the whole cluster, so without this anyone there could PUT a
#   permissive policy. Anonymous callers may only ask the two admission
#   decisions and the health endpoints; everything else (kube-mgmt loading the
#   policy and config ConfigMaps) needs the token shared through the Secret
#   opa-cosign-kube-mgmt-token.
package system.authz

import rego.v1

default allow := false

admission_decisions := {
	["v0", "data", "imagepolicy", "kubernetes", "validate"],
	["v0", "data", "imagepolicy", "kubernetes", "mutate"],
}

allow if {
	input.method == "POST"
	input.path in admission_decisions
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
	token := opa.runtime().env.KUBE_MGMT_TOKEN
	count(token) >= 32
	input.identity == token
}
