# METADATA
# title: Config validation — trust material
# description: |
#   Checks the `trust` section: named keys (trust.keys, PEM public keys) and trusted roots (trust.trusted_roots,
#   trusted_root.json objects). Every entry is checked by the built-in that will use it, whether or not a rule names
#   it yet, so a malformed root or key is a config error the moment it is loaded — never a root silently left out.
#   Names used in options are checked where they are used (util.options_problems).
package imagepolicy.validation.trust

import rego.v1

import data.imagepolicy.validation.util

trust_keys := {"keys", "trusted_roots"}

problems(cfg) := set() if {
	not "trust" in object.keys(cfg)
} else := util.expect("trust", cfg.trust, "object", "an object with keys and trusted_roots") if {
	not is_object(cfg.trust)
} else := union({
	util.unknown_keys("trust", cfg.trust, trust_keys),
	keys_problems(cfg.trust),
	roots_problems(cfg.trust),
})

keys_problems(t) := set() if {
	not "keys" in object.keys(t)
} else := util.expect("trust.keys", t.keys, "object", "an object of names and PEM public keys") if {
	not is_object(t.keys)
} else := {msg |
	some name, pem in t.keys
	path := util.key("trust.keys", name)
	some msg in union({
		name_problems(path, name),
		{sprintf("%s: %s", [path, p]) | some p in cosign.check_options({"key": pem}, false)},
	})
}

roots_problems(t) := set() if {
	not "trusted_roots" in object.keys(t)
} else := util.expect("trust.trusted_roots", t.trusted_roots, "object", "an object of names and trusted_root.json objects") if {
	not is_object(t.trusted_roots)
} else := {msg |
	some name, root in t.trusted_roots
	path := util.key("trust.trusted_roots", name)
	some msg in union({name_problems(path, name), reserved_problems(path, name), root_problems(path, root)})
}

# Names are what options write instead of PEM text or a root; they can never be mistaken for either.
name_problems(path, name) := {sprintf(`%s: a name is letters, digits, ".", "_" and "-", starting with a letter or digit`, [path])} if {
	not regex.match(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`, name)
} else := set()

# public-good is the default root of every option set that names none; a config root of that name would apply only
# where it is named, which reads as if it replaced the default. The default is replaced in plugins.cosign.trust_roots.
reserved_problems(path, "public-good") := {sprintf("%s: public-good is the name of the default root; replace that in plugins.cosign.trust_roots, or choose another name", [path])}

reserved_problems(_, name) := set() if name != "public-good"

# A root is checked alone: with a key and the log ignored, the only thing the built-in can refuse is the root.
root_problems(path, root) := {sprintf("%s: must be a trusted_root.json object (the file's content, not its name), got %s", [path, util.got(root)])} if {
	not is_object(root)
} else := {sprintf("%s: %s", [path, p]) | some p in cosign.check_options({"trusted-root": root, "key": probe_key, "insecure-ignore-tlog": true}, false)}

# probe_key is any valid public key (P-256), only to ask the built-in about a root on its own; it verifies nothing.
probe_key := `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEoXDfxuiBdbczU0Xm6jHCPhY92+RW
8GpY9lGyHLWPSEM/TbU6Luw8vX3v3MqyYRcJM6pZSg0dtc47c4wrrOt10Q==
-----END PUBLIC KEY-----
`
