package imagepolicy.kubernetes_test

import rego.v1

import data.imagepolicy.kubernetes
import data.imagepolicy.testing

# pull_batch is the mock built-in, except that it verifies only requests whose `kubernetes` context is exactly
# data.want_pull; any other is refused `unauthorized`, naming the context it got, as a registry would refuse a
# client without the credentials.
pull_batch(reqs) := [pull_result(r, res) | some i, r in reqs; res := results[i]] if {
	results := testing.verify_batch(reqs)
}

pull_result(r, res) := res if {
	object.get(r, "kubernetes", null) == data.want_pull
} else := {
	"verified": false, "image": r.image, "digest": "", "reference": "", "signatures": [],
	"errors": [{"code": "unauthorized", "message": sprintf("context %v", [object.get(r, "kubernetes", null)])}],
}

pull_validate(rv, want) := r if {
	r := kubernetes.validate with input as rv
		with data.imagepolicy.config as config
		with data.want_pull as want
		with cosign.verify_batch as pull_batch
}

with_secrets(spec, names) := object.union(spec, {"imagePullSecrets": [{"name": n} | some n in names]})

# A Pod's own imagePullSecrets reach every verification of the batch, with no ServiceAccount: the ServiceAccount
# admission plugin has already copied its secrets into the Pod.
test_pod_pull_secrets_reach_the_batch if {
	spec := with_secrets(pod_spec([signed], [signed]), ["regcred", "other"])
	r := pull_validate(review("Pod", "CREATE", "prod", workload("Pod", spec)), {"namespace": "prod", "image_pull_secrets": ["regcred", "other"], "service_account": ""})
	r.response.allowed == true
}

# Negative twin: the same Pod in another namespace sends that namespace, and the mock registry refuses it.
test_pod_pull_secrets_other_namespace_refused if {
	spec := with_secrets(pod_spec([signed], []), ["regcred"])
	r := pull_validate(review("Pod", "CREATE", "dev", workload("Pod", spec)), {"namespace": "prod", "image_pull_secrets": ["regcred"], "service_account": ""})
	r.response.allowed == false
	contains(r.response.status.message, `unauthorized: context {"image_pull_secrets": ["regcred"], "namespace": "dev", "service_account": ""}`)
}

# A workload template names its ServiceAccount, "default" when it names none, for the built-in to read its secrets.
test_template_service_account_reaches_the_batch if {
	spec := object.union(pod_spec([signed], []), {"serviceAccountName": "builder"})
	r := pull_validate(review("Deployment", "CREATE", "prod", workload("Deployment", spec)), {"namespace": "prod", "image_pull_secrets": [], "service_account": "builder"})
	r.response.allowed == true
	d := pull_validate(review("CronJob", "CREATE", "prod", workload("CronJob", pod_spec([signed], []))), {"namespace": "prod", "image_pull_secrets": [], "service_account": "default"})
	d.response.allowed == true
}

# Negative twin: a template's wrong ServiceAccount is what the batch gets, and it is refused.
test_template_service_account_other_refused if {
	spec := object.union(pod_spec([signed], []), {"serviceAccountName": "intruder"})
	r := pull_validate(review("Deployment", "CREATE", "prod", workload("Deployment", spec)), {"namespace": "prod", "image_pull_secrets": [], "service_account": "builder"})
	r.response.allowed == false
	contains(r.response.status.message, `"service_account": "intruder"`)
}
