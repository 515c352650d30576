package imagepolicy.kubernetes_test

import rego.v1

import data.imagepolicy.kubernetes
import data.imagepolicy.kubernetes.images
import data.imagepolicy.testing

config := {
	"allow_with_verification": {"ghcr.io": {"acme/*": testing.dev}},
	"allow_without_verification": {"registry.k8s.io": ["pause"]},
	"exempt_namespaces": ["kube-system", "sandbox-*"],
	"namespaces": {"dev-team": {"mode": "warn"}, "observe": {"mode": "audit"}},
}

signed := "ghcr.io/acme/app:v1"

unsigned := "ghcr.io/acme/unsigned:v1"

pinned := sprintf("ghcr.io/acme/app@%s", [testing.digest_of("ghcr.io/acme/app")])

pod_spec(containers, init) := {"containers": [{"name": sprintf("c%d", [i]), "image": img} | some i, img in containers], "initContainers": [{"name": sprintf("init%d", [i]), "image": img} | some i, img in init]}

# workload builds an object of the given kind around a Pod spec.
workload(kind, spec) := {"metadata": {"name": "w", "namespace": "prod"}, "spec": spec} if kind == "Pod"

workload(kind, spec) := {"metadata": {"name": "w"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}} if kind == "CronJob"

workload(kind, spec) := {"metadata": {"name": "w"}, "template": {"spec": spec}} if kind == "PodTemplate"

workload(kind, spec) := {"metadata": {"name": "w"}, "spec": {"template": {"spec": spec}}} if {
	not kind in {"Pod", "CronJob", "PodTemplate"}
}

# review of an operation on obj; for an UPDATE, the old object had no images (see update_review).
review(kind, op, ns, obj) := update_review(kind, ns, object.get(obj, "metadata", {}), obj) if op == "UPDATE"

else := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"request": {
		"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
		"kind": {"group": "", "version": "v1", "kind": kind},
		"operation": op,
		"namespace": ns,
		"object": obj,
	},
}

update_review(kind, ns, old, obj) := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"request": {
		"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
		"kind": {"group": "", "version": "v1", "kind": kind},
		"operation": "UPDATE",
		"namespace": ns,
		"object": obj,
		"oldObject": old,
	},
}

validate(rv) := r if {
	r := kubernetes.validate with input as rv
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
}

mutate(rv) := r if {
	r := kubernetes.mutate with input as rv
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
}

test_allow_signed_every_kind_create_and_update if {
	every kind, _ in images.pod_spec {
		every op in ["CREATE", "UPDATE"] {
			r := validate(review(kind, op, "prod", workload(kind, pod_spec([signed, "registry.k8s.io/pause:3.9"], [signed]))))
			object.remove(r.response, {"auditAnnotations"}) == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}
			r.apiVersion == "admission.k8s.io/v1"
			r.kind == "AdmissionReview"
		}
	}
}

test_deny_unsigned_init_container_every_kind if {
	every kind, _ in images.pod_spec {
		every op in ["CREATE", "UPDATE"] {
			r := validate(review(kind, op, "prod", workload(kind, pod_spec([signed], [unsigned]))))
			r.response.allowed == false
			r.response.status.code == 403
			r.response.status.message == `init container "init0" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`
		}
	}
}

# docs/security.md #15: order does not matter.
test_deny_any_unsigned_container_in_any_order if {
	every case in [[[signed, unsigned], 1], [[unsigned, signed], 0]] {
		r := validate(review("Pod", "CREATE", "prod", workload("Pod", pod_spec(case[0], []))))
		r.response.allowed == false
		r.response.status.message == sprintf(`container "c%d" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`, [case[1]])
	}
}

# docs/security.md #14: kubectl debug adds an ephemeral container through the subresource.
test_deny_unsigned_ephemeral_container if {
	obj := workload("Pod", object.union(pod_spec([signed], []), {"ephemeralContainers": [{"name": "debugger", "image": "busybox"}]}))
	rv := json.patch(review("Pod", "UPDATE", "prod", obj), [{"op": "add", "path": "/request/subResource", "value": "ephemeralcontainers"}])
	r := validate(rv)
	r.response.allowed == false
	r.response.status.message == `ephemeral container "debugger" image "busybox": no rule of the verification config matches docker.io/library/busybox`
}

test_deny_unmatched_registry_names_the_container if {
	r := validate(review("Deployment", "CREATE", "prod", workload("Deployment", pod_spec(["quay.io/x/y:1"], []))))
	r.response.status.message == `container "c0" image "quay.io/x/y:1": no rule of the verification config matches quay.io/x/y`
}

test_allow_exempt_namespaces if {
	every ns in ["kube-system", "sandbox-42"] {
		validate(review("Pod", "CREATE", ns, workload("Pod", pod_spec([unsigned], [])))).response.allowed
	}
}

test_warn_mode_allows_with_warnings if {
	r := validate(review("Pod", "CREATE", "dev-team", workload("Pod", pod_spec([unsigned], []))))
	r.response.allowed
	r.response.warnings == [`container "c0" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`]
}

test_audit_mode_allows_silently if {
	r := validate(review("Pod", "CREATE", "observe", workload("Pod", pod_spec([unsigned], []))))
	object.remove(r.response, {"auditAnnotations"}) == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}
}

test_allow_other_operations_and_kinds if {
	validate(review("Pod", "DELETE", "prod", workload("Pod", pod_spec([unsigned], [])))).response.allowed
	validate(review("ConfigMap", "CREATE", "prod", {"data": {}})).response.allowed
}

test_deny_when_the_builtin_fails if {
	r := kubernetes.validate with input as review("Pod", "CREATE", "prod", workload("Pod", pod_spec([signed], [])))
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	r.response.allowed == false
	r.response.status.message == `container "c0" image "ghcr.io/acme/app:v1": verification did not run: malformed options or requirement for this pattern (see the built-in error)`
}

test_deny_container_without_image if {
	r := validate(review("Pod", "CREATE", "prod", workload("Pod", {"containers": [{"name": "x"}]})))
	r.response.allowed == false
	r.response.status.message == `container "x" has no image`
}

test_deny_garbage_input if {
	r := kubernetes.validate with input as {"request": {"uid": "u", "operation": "CREATE", "kind": {"kind": "Pod"}, "object": "nope"}}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
	r.response.uid == "u"
	r.response.allowed == false
	r.response.status.message == "image policy: the request could not be evaluated"
}

test_mutate_pins_verified_images_to_digests if {
	r := mutate(review("Deployment", "CREATE", "prod", workload("Deployment", pod_spec([signed, "registry.k8s.io/pause:3.9", pinned], [signed]))))
	r.response.allowed
	r.response.patchType == "JSONPatch"
	json.unmarshal(base64.decode(r.response.patch)) == [
		{"op": "replace", "path": "/spec/template/spec/initContainers/0/image", "value": pinned},
		{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": pinned},
	]
}

test_mutate_cronjob_path if {
	r := mutate(review("CronJob", "CREATE", "prod", workload("CronJob", pod_spec([signed], []))))
	json.unmarshal(base64.decode(r.response.patch))[0].path == "/spec/jobTemplate/spec/template/spec/containers/0/image"
}

test_mutate_no_patch_for_unverified if {
	r := mutate(review("Pod", "CREATE", "prod", workload("Pod", pod_spec([unsigned], []))))
	object.remove(r.response, {"auditAnnotations"}) == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}
}

test_system_main_is_validate if {
	rv := review("Pod", "CREATE", "prod", workload("Pod", pod_spec([unsigned], [])))
	main := data.system.main with input as rv
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
	main == validate(rv)
}

annotated(ann, images) := object.union(workload("Pod", pod_spec(images, [])), {"metadata": {"name": "w", "namespace": "prod", "annotations": ann}})

with_annotation_controls(c) := object.union(config, {"controls": c})

validate_with(rv, cfg) := r if {
	r := kubernetes.validate with input as rv
		with data.imagepolicy.config as cfg
		with cosign.verify_batch as testing.verify_batch
}

test_annotation_template if {
	cfg := with_annotation_controls({"verification_annotations": {"required": ["image.signature.verified", "image.digest", "image.signature.timestamp"], "exempt_namespaces": ["legacy"]}})
	good := {"image.signature.verified": "true", "image.digest": testing.digest_of("ghcr.io/acme/app"), "image.signature.timestamp": "2024-01-15T10:30:00Z"}
	validate_with(review("Pod", "CREATE", "prod", annotated(good, [signed])), cfg).response.allowed
	missing := validate_with(review("Pod", "CREATE", "prod", annotated({}, [signed])), cfg).response
	missing.allowed == false
	missing.status.message == "missing required image verification annotations: image.digest, image.signature.timestamp, image.signature.verified"
	forged := validate_with(review("Pod", "CREATE", "prod", annotated(object.union(good, {"image.signature.verified": "false"}), [signed])), cfg).response
	forged.status.message == `annotation "image.signature.verified" must be "true"`
	other := validate_with(review("Pod", "CREATE", "prod", annotated(object.union(good, {"image.digest": "sha256:00"}), [signed])), cfg).response
	other.allowed == false
	other.status.message == sprintf(`container "c0" digest %s does not match the verified digest in annotation image.digest: sha256:00`, [testing.digest_of("ghcr.io/acme/app")])
	validate_with(review("Pod", "CREATE", "legacy", annotated({}, [signed])), cfg).response.allowed
}

test_scan_annotation if {
	cfg := with_annotation_controls({"scan_annotation": {"annotation": "trivy.scan.result", "max_severity": {"CRITICAL": 0, "high": 1}}})
	clean := json.marshal({"Results": [{"Vulnerabilities": [{"Severity": "HIGH"}, {"Severity": "LOW"}]}]})
	validate_with(review("Pod", "CREATE", "prod", annotated({"trivy.scan.result": clean}, [signed])), cfg).response.allowed
	bad := json.marshal({"Results": [{"Vulnerabilities": [{"Severity": "CRITICAL"}]}]})
	r := validate_with(review("Pod", "CREATE", "prod", annotated({"trivy.scan.result": bad}, [signed])), cfg).response
	r.status.message == `scan annotation "trivy.scan.result" reports 1 CRITICAL vulnerabilities, at most 0 allowed`
	missing := validate_with(review("Pod", "CREATE", "prod", annotated({}, [signed])), cfg).response
	missing.allowed == false
	missing.status.message == `scan annotation "trivy.scan.result" is missing or not a JSON scan report`
}

with_volumes(obj, kind, volumes) := json.patch(obj, [{"op": "add", "path": concat("/", array.concat([""], array.concat(images.pod_spec[kind], ["volumes"]))), "value": volumes}])

# docs/security.md #23: an image volume is verified like a container, in every kind, and pinned.
test_deny_unsigned_image_volume_every_kind if {
	every kind, _ in images.pod_spec {
		obj := with_volumes(workload(kind, pod_spec([signed], [])), kind, [{"name": "cfg", "configMap": {"name": "c"}}, {"name": "models", "image": {"reference": unsigned, "pullPolicy": "IfNotPresent"}}])
		r := validate(review(kind, "CREATE", "prod", obj))
		r.response.allowed == false
		r.response.status.message == `volume "models" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`
	}
}

test_deny_image_volume_without_reference if {
	obj := with_volumes(workload("Pod", pod_spec([signed], [])), "Pod", [{"name": "models", "image": {}}])
	r := validate(review("Pod", "CREATE", "prod", obj))
	r.response.allowed == false
	r.response.status.message == `volume "models" has no image`
}

test_mutate_pins_image_volumes if {
	obj := with_volumes(workload("Deployment", pod_spec([signed], [])), "Deployment", [{"name": "models", "image": {"reference": signed}}])
	r := mutate(review("Deployment", "CREATE", "prod", obj))
	json.unmarshal(base64.decode(r.response.patch)) == [
		{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": pinned},
		{"op": "replace", "path": "/spec/template/spec/volumes/0/image/reference", "value": pinned},
	]
}

# An UPDATE is decided on what it changes: what oldObject already runs at the same place is not verified again,
# so a registry outage does not block metadata updates such as finalizer removal.
test_allow_update_with_unchanged_images_when_verification_fails if {
	old := workload("Pod", pod_spec([signed, unsigned], []))
	obj := json.patch(old, [{"op": "add", "path": "/metadata/finalizers", "value": []}])
	r := kubernetes.validate with input as update_review("Pod", "prod", old, obj)
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.failing_batch
	r.response == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}
}

test_deny_update_that_changes_an_image if {
	old := workload("Deployment", pod_spec([signed, signed], []))
	obj := json.patch(old, [{"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": unsigned}])
	r := validate(update_review("Deployment", "prod", old, obj))
	r.response.allowed == false
	r.response.status.message == `container "c1" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`
}

# Moving an image to another container, or renaming the container, is a change.
test_deny_update_that_moves_an_unverified_image if {
	old := workload("Pod", {"containers": [{"name": "a", "image": unsigned}]})
	moved := workload("Pod", {"containers": [{"name": "a", "image": signed}], "initContainers": [{"name": "a", "image": unsigned}]})
	r := validate(update_review("Pod", "prod", old, moved))
	r.response.allowed == false
	r.response.status.message == `init container "a" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`
	renamed := workload("Pod", {"containers": [{"name": "b", "image": unsigned}]})
	validate(update_review("Pod", "prod", old, renamed)).response.allowed == false
}

test_update_without_old_object_checks_everything if {
	r := validate(update_review("Pod", "prod", null, workload("Pod", pod_spec([unsigned], []))))
	r.response.allowed == false
	r.response.status.message == `container "c0" image "ghcr.io/acme/unsigned:v1": no_signatures: no signatures found`
}

test_mutate_update_pins_only_changed_images if {
	old := workload("Deployment", pod_spec([signed], []))
	obj := workload("Deployment", pod_spec([signed, signed], []))
	r := mutate(update_review("Deployment", "prod", old, obj))
	json.unmarshal(base64.decode(r.response.patch)) == [{"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": pinned}]
}
