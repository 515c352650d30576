# METADATA
# title: Verification config source
# description: |
#   Where the library reads its configuration: data.imagepolicy.config, from a bundle's data.json, a kube-mgmt
#   ConfigMap or the data API. Every other package reads it through here, so "no config loaded" is one fact.
package imagepolicy.settings

import rego.v1

default loaded := false

loaded if data.imagepolicy.config

# config is the whole verification config; {} when none is loaded (validation then reports it).
default config := {}

config := data.imagepolicy.config
