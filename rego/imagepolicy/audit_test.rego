package imagepolicy.audit_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

config := {
	"allow_with_verification": {"ghcr.io": {"acme/*": {"key": "DEV"}}},
	"exempt_namespaces": ["kube-system"],
}

pod(ns, name, images) := {"metadata": {"namespace": ns, "name": name}, "spec": {"containers": [{"name": sprintf("c%d", [i]), "image": img} | some i, img in images]}}

test_audit_running_pods if {
	list := {"apiVersion": "v1", "kind": "List", "items": [
		pod("prod", "good", ["ghcr.io/acme/app:v1"]),
		pod("prod", "bad", ["ghcr.io/acme/app:v1", "ghcr.io/acme/unsigned:v1"]),
		pod("kube-system", "dns", ["registry.k8s.io/coredns:1"]),
	]}
	a := imagepolicy.audit with input as list
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
	a == [
		{"namespace": "prod", "name": "good", "exempt": false, "allowed": true, "violations": []},
		{"namespace": "prod", "name": "bad", "exempt": false, "allowed": false, "violations": [{"container": "c1", "image": "ghcr.io/acme/unsigned:v1", "reasons": ["no_signatures: no signatures found"]}]},
		{"namespace": "kube-system", "name": "dns", "exempt": true, "allowed": true, "violations": []},
	]
}

test_audit_denies_when_the_builtin_fails if {
	a := imagepolicy.audit with input as {"items": [pod("prod", "p", ["ghcr.io/acme/app:v1"])]}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	not a[0].allowed
}
