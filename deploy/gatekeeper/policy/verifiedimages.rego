# METADATA
# title: Images verified by opa-cosign (Gatekeeper ConstraintTemplate)
# description: |
#   The Rego of deploy/gatekeeper/template.yaml. It sends every image of the reviewed object (containers,
#   initContainers, ephemeralContainers and image volumes of Pods and of every kind that templates Pods) to the
#   opa-cosign provider in one external_data call, and allows only images that opa-cosign answered with
#   "allowed": true. Everything else is a violation with opa-cosign's reason: a denial, a per-image error, a
#   systemError, an HTTP status other than 200, a transport failure (null responses) and an image left unanswered.
# related_resources:
#   - ref: ../../../docs/gatekeeper.md
package opacosignverifiedimages

# Rego v1, without `import rego.v1`: Gatekeeper parses the template as v1 (source.version "v1") and refuses
# imports other than data.lib and future.

# provider is the Provider resource that answers /validate; the Constraint may name another.
default provider := "opa-cosign-validate"

provider := input.parameters.provider if is_string(input.parameters.provider)

# pod_specs are where Pod specs live: a Pod (also when reviewed through pods/ephemeralcontainers), a
# workload's template (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController), a CronJob's
# job template and a PodTemplate. Looking in every place, whatever the kind, leaves no kind unchecked.
pod_specs contains input.review.object.spec

pod_specs contains input.review.object.spec.template.spec

pod_specs contains input.review.object.spec.jobTemplate.spec.template.spec

pod_specs contains input.review.object.template.spec

container_lists := ["containers", "initContainers", "ephemeralContainers"]

images contains container.image if {
	some spec in pod_specs
	some list in container_lists
	some container in spec[list]
}

# Image volumes (Kubernetes 1.35+) pull and mount an image like a container does.
images contains volume.image.reference if {
	some spec in pod_specs
	some volume in spec.volumes
}

keys := sort(images)

response := external_data({"provider": provider, "keys": keys}) if count(keys) > 0

# The provider, or Gatekeeper on its way to it, failed: opa-cosign's systemError, or Gatekeeper's own error
# when the provider could not be reached or answered garbage (then responses is null). No answer at all, or
# one without a list of responses, is a failure too.
failed if response.system_error != ""

failed if {
	count(keys) > 0
	not has_responses
}

has_responses if is_array(response.responses)

failure := response.system_error if {
	is_string(response.system_error)
	response.system_error != ""
} else := "no answer"

violation contains {"msg": msg} if {
	failed
	msg := sprintf("opa-cosign (provider %q) gave no decision for %v: %s", [provider, keys, failure])
}

# An answer with an error status is no answer, whatever its items say.
violation contains {"msg": msg} if {
	not failed
	status := object.get(response, "status_code", null)
	not status in {0, 200} # 0: every key came from Gatekeeper's response cache
	msg := sprintf("opa-cosign (provider %q) answered HTTP %v", [provider, status])
}

# A key opa-cosign could not decide.
violation contains {"msg": msg} if {
	some [key, err] in response.errors
	msg := sprintf("image %q: %v", [key, err])
}

# A key opa-cosign decided, but not as allowed.
violation contains {"msg": msg} if {
	some [key, value] in response.responses
	not allowed(value)
	msg := sprintf("image %q: %s", [key, reasons(value)])
}

# A key with no answer at all (the provider left it out).
violation contains {"msg": msg} if {
	not failed
	some key in keys
	not answered(key)
	msg := sprintf("image %q: no answer from opa-cosign (provider %q)", [key, provider])
}

allowed(value) if value.allowed == true

answered(key) if {
	some pair in response.responses
	pair[0] == key
}

answered(key) if {
	some pair in response.errors
	pair[0] == key
}

# reasons joins opa-cosign's reasons; a denial always has a message, whatever the value looks like.
reasons(value) := concat("; ", texts) if {
	texts := [r | some r in value.reasons; is_string(r)]
	count(texts) > 0
} else := "not allowed by opa-cosign's verification config"
