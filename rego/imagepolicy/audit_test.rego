package imagepolicy.audit_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

config := {
	"allow_with_verification": {"ghcr.io": {"acme/*": testing.dev}},
	"exempt_namespaces": ["kube-system"],
}

pod(ns, name, images) := {"metadata": {"namespace": ns, "name": name}, "spec": {"containers": [{"name": sprintf("c%d", [i]), "image": img} | some i, img in images]}}

audit(list, cfg) := a if {
	a := imagepolicy.audit with input as list
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
}

test_audit_running_pods if {
	list := {"apiVersion": "v1", "kind": "List", "items": [
		pod("prod", "good", ["ghcr.io/acme/app:v1"]),
		pod("prod", "bad", ["ghcr.io/acme/app:v1", "ghcr.io/acme/unsigned:v1"]),
		pod("kube-system", "dns", ["registry.k8s.io/coredns:1"]),
	]}
	audit(list, config) == [
		{"namespace": "prod", "name": "good", "exempt": false, "allowed": true, "violations": []},
		{"namespace": "prod", "name": "bad", "exempt": false, "allowed": false, "violations": [{"container": "c1", "list": "containers", "image": "ghcr.io/acme/unsigned:v1", "reasons": ["no_signatures: no signatures found"]}]},
		{"namespace": "kube-system", "name": "dns", "exempt": true, "allowed": true, "violations": []},
	]
}

test_audit_image_volumes if {
	p := json.patch(pod("prod", "vol", ["ghcr.io/acme/app:v1"]), [{"op": "add", "path": "/spec/volumes", "value": [{"name": "models", "image": {"reference": "ghcr.io/acme/unsigned:v1"}}]}])
	audit({"items": [p]}, config)[0].violations == [{"container": "models", "list": "volumes", "image": "ghcr.io/acme/unsigned:v1", "reasons": ["no_signatures: no signatures found"]}]
}

test_audit_container_without_image_is_a_violation if {
	p := {"metadata": {"namespace": "prod", "name": "p"}, "spec": {"containers": [{"name": "x"}]}}
	a := audit({"items": [p]}, config)
	a[0].allowed == false
	a[0].violations == [{"container": "x", "list": "containers", "image": null, "reasons": ["invalid image reference"]}]
}

test_audit_denies_when_the_builtin_fails if {
	a := imagepolicy.audit with input as {"items": [pod("prod", "p", ["ghcr.io/acme/app:v1"])]}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	a[0].allowed == false
	a[0].violations[0].reasons == ["verification did not run: malformed options or requirement for this pattern (see the built-in error)"]
}

# A config with errors exempts nothing and denies everything.
test_audit_config_errors_deny_everything if {
	a := audit({"items": [pod("kube-system", "dns", ["registry.k8s.io/coredns:1"])]}, object.union(config, {"mode": "off"}))
	a[0].exempt == false
	a[0].allowed == false
	a[0].violations[0].reasons == [`the verification config has 1 error(s), so every image is denied until it is fixed: mode: must be "enforce", "warn" or "audit", got "off"`]
}
