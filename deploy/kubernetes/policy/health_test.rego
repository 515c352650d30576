package system.health_test

import rego.v1

import data.system.health

config := {"opa": {"opa-cosign-config": {"config.json": {"allow_with_verification": {}}}}}

test_ready_once_plugins_policy_and_config_are_loaded if {
	health.ready with input as {"plugins_ready": true} with data.opa as config.opa
}

test_not_ready_before_plugins if {
	not health.ready with input as {"plugins_ready": false} with data.opa as config.opa
}

test_not_ready_without_config if {
	not health.ready with input as {"plugins_ready": true}
}
