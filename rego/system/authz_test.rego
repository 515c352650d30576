package system.authz_test

import rego.v1

import data.system.authz

token := "0123456789abcdef0123456789abcdef"

runtime := {"env": {"OPA_COSIGN_API_TOKEN": token}}

test_decisions_need_no_token if {
	every path in authz.decisions {
		authz.allow with input as {"method": "POST", "path": path}
	}
	authz.allow with input as {"method": "POST", "path": ["v0", "data", "imagepolicy", "kubernetes", "validate"]}
	authz.allow with input as {"method": "POST", "path": ["v1", "data", "imagepolicy", "decision"]}
}

test_health_and_metrics_need_no_token if {
	authz.allow with input as {"method": "GET", "path": ["health", "ready"]}
	authz.allow with input as {"method": "GET", "path": ["metrics"]}
}

test_anonymous_writes_and_reads_denied if {
	every req in [
		{"method": "PUT", "path": ["v1", "policies", "evil"]},
		{"method": "PUT", "path": ["v1", "data", "imagepolicy", "config"]},
		{"method": "PUT", "path": ["v1", "data", "kubernetes", "namespaces", "prod"]},
		{"method": "PATCH", "path": ["v1", "data", "kubernetes"]},
		{"method": "DELETE", "path": ["v1", "policies", "x"]},
		{"method": "POST", "path": ["v1", "data", "system", "authz"]},
		{"method": "POST", "path": ["v1", "query"]},
		{"method": "GET", "path": ["v1", "data"]},
		{"method": "GET", "path": ["v1", "data", "imagepolicy", "decision"]},
		{"method": "POST", "path": ["v1", "compile"]},
	] {
		authz.allow == false with input as req with opa.runtime as runtime
	}
}

test_wrong_token_denied if {
	authz.allow == false with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": "guess"} with opa.runtime as runtime
}

test_token_allowed if {
	authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": token} with opa.runtime as runtime
}

test_unset_or_short_token_never_matches if {
	authz.allow == false with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": ""} with opa.runtime as {"env": {}}
	authz.allow == false with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": ""} with opa.runtime as {"env": {"OPA_COSIGN_API_TOKEN": ""}}
	authz.allow == false with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": "short"} with opa.runtime as {"env": {"OPA_COSIGN_API_TOKEN": "short"}}
}
