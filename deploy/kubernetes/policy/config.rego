package imagepolicy

import rego.v1

# METADATA
# title: Verification config from kube-mgmt
# description: |
#   kube-mgmt loads the data ConfigMap opa/opa-cosign-config under
#   data.opa["opa-cosign-config"]; the library reads data.imagepolicy.config.
#   This rule joins the two. Without the ConfigMap the config is undefined, and
#   every image is denied.
config := data.opa["opa-cosign-config"]["config.json"]
