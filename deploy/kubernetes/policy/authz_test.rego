package system.authz_test

import rego.v1

import data.system.authz

token := "0123456789abcdef0123456789abcdef"

runtime := {"env": {"KUBE_MGMT_TOKEN": token}}

test_webhook_decisions_need_no_token if {
	authz.allow with input as {"method": "POST", "path": ["v0", "data", "imagepolicy", "kubernetes", "validate"]}
	authz.allow with input as {"method": "POST", "path": ["v0", "data", "imagepolicy", "kubernetes", "mutate"]}
}

test_health_and_metrics_need_no_token if {
	authz.allow with input as {"method": "GET", "path": ["health", "ready"]}
	authz.allow with input as {"method": "GET", "path": ["metrics"]}
}

test_anonymous_writes_denied if {
	not authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "evil"]} with opa.runtime as runtime
	not authz.allow with input as {"method": "PUT", "path": ["v1", "data", "imagepolicy", "config"]} with opa.runtime as runtime
	not authz.allow with input as {"method": "POST", "path": ["v1", "data", "imagepolicy", "kubernetes", "validate"]} with opa.runtime as runtime
	not authz.allow with input as {"method": "GET", "path": ["v1", "data"]} with opa.runtime as runtime
}

test_wrong_token_denied if {
	not authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": "guess"} with opa.runtime as runtime
}

test_kube_mgmt_token_allowed if {
	authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": token} with opa.runtime as runtime
}

test_unset_or_short_token_never_matches if {
	not authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": ""} with opa.runtime as {"env": {}}
	not authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": ""} with opa.runtime as {"env": {"KUBE_MGMT_TOKEN": ""}}
	not authz.allow with input as {"method": "PUT", "path": ["v1", "policies", "p"], "identity": "short"} with opa.runtime as {"env": {"KUBE_MGMT_TOKEN": "short"}}
}
