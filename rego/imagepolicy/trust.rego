# METADATA
# title: Trust material from the config
# description: |
#   The config's `trust` section names keys and trusted roots (`trust.keys`, `trust.trusted_roots`) that options
#   refer to by name: `"key": "<name>"`, `"trusted-root": "<name>"`. They travel with the config — a bundle's
#   data.json, a kube-mgmt ConfigMap, the data API — so one bundle carries policy, config and trust, and a rotation
#   is a config update. A name is replaced by the material itself before any option reaches a built-in, so the
#   built-ins' caches are keyed by the material (its fingerprint), never by the name: results made under a rotated
#   key or root are never reused. An unknown name or malformed material is a config error
#   (imagepolicy.validation.trust), which denies every image.
package imagepolicy.trust

import rego.v1

import data.imagepolicy.settings

# section is trust.<name> when it is an object, else {} (validation reports any other value).
section(name) := s if {
	is_object(settings.config)
	t := settings.config.trust
	is_object(t)
	s := t[name]
	is_object(s)
} else := {}

keys := section("keys")

trusted_roots := section("trusted_roots")

# resolve replaces a named key or trusted root of an options object by the material. A PEM key, an inline root or
# a name of plugins.cosign.trust_roots is left as it is; an unknown key name is left too, and the built-in refuses it.
resolve(opts) := object.union(opts, object.union(named_key(opts), named_root(opts))) if {
	is_object(opts)
} else := opts

# A name is replaced by whatever the config gives it, well-formed or not: the built-in then refuses the material
# itself, never an option that silently fell back to something else.
named_key(opts) := {"key": keys[opts.key]} if {
	is_string(opts.key)
	opts.key in object.keys(keys)
} else := {}

named_root(opts) := {"trusted-root": trusted_roots[opts["trusted-root"]]} if {
	is_string(opts["trusted-root"])
	opts["trusted-root"] in object.keys(trusted_roots)
} else := {}

# requirement is a requirement (imagepolicy.requirement) with each option set resolved.
requirement(req) := {"need": req.need, "of": [resolve(o) | some o in req.of]}

# names lists a section's names for messages.
names(s) := concat(", ", sort(object.keys(s))) if count(s) > 0

else := "none"
