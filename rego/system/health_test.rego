package system.health_test

import rego.v1

import data.system.health

valid := {"allow_without_verification": {"registry.k8s.io": ["pause"]}}

test_ready_once_plugins_policy_and_a_valid_config_are_loaded if {
	health.ready with input as {"plugins_ready": true} with data.imagepolicy.config as valid
}

test_not_ready_before_plugins if {
	health.ready == false with input as {"plugins_ready": false} with data.imagepolicy.config as valid
}

test_not_ready_without_config if {
	health.ready == false with input as {"plugins_ready": true}
}

# docs/security.md #24: a config with errors keeps the replica out of the Service until it is fixed.
test_not_ready_with_config_errors if {
	bad := object.union(valid, {"controls": {"require_digest": "true"}})
	data.imagepolicy.config_errors == ["controls.require_digest: must be a boolean (true or false), got a string \"true\""] with data.imagepolicy.config as bad
	health.ready == false with input as {"plugins_ready": true} with data.imagepolicy.config as bad
}

test_live if {
	health.live
}
