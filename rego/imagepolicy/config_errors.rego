package imagepolicy

import rego.v1

import data.imagepolicy.validation

# METADATA
# scope: document
# title: Verification config errors
# description: |
#   Every problem of data.imagepolicy.config, sorted, each naming its field: unknown keys, wrong types, malformed
#   cosign options, unsupported glob syntax. Empty when the config is valid. While it is not empty, every image is
#   denied (the reason names the problems) and the shipped readiness check (/health/ready) fails.
# entrypoint: true
config_errors := sort(validation.errors)
