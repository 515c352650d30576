# METADATA
# title: Envoy gateway settings
# description: |
#   The gateways' own settings under data.imagepolicy.config.envoy, with their defaults. They are validated with
#   the rest of the config (imagepolicy.validation.envoy); while the config has errors, both gateways deny every
#   request (a malformed setting never switches a check off, and never falls back to the request's authority).
# related_resources:
#   - ref: ../../../docs/envoy.md
package imagepolicy.envoy.settings

import rego.v1

import data.imagepolicy.validation
import data.imagepolicy.validation.envoy as schema

default envoy := {}

envoy := data.imagepolicy.config.envoy

registry := object.get(envoy, "registry", {})

deploy := object.get(envoy, "deploy", {})

# host_pattern is a registry host[:port] as images name it (lower case; an IPv6 address in brackets).
host_pattern := schema.host_pattern

# upstream is the registry the pull gateway checks images against; undefined when not configured.
upstream := registry.upstream

enabled(name) if registry[name] == true

default max_images := 100

max_images := deploy.max_images

# errors are the config's errors, these settings' included (imagepolicy.validation.envoy): while there is any,
# both gateways deny every request.
errors := validation.errors
