# METADATA
# title: Per-namespace configuration
# description: |
#   Chooses the overlay of a namespace and lays it over the global config. An overlay replaces each top-level key
#   it names — it never merges into it — so a stricter `allow_with_verification` or an empty
#   `allow_without_verification` in prod really is all that prod allows (docs/security.md #25).
#   Precedence: an entry of `namespaces` naming the namespace exactly, then the first `namespace_selectors` entry
#   whose labels the namespace carries, then the most specific glob of `namespaces`.
package imagepolicy.namespaces

import rego.v1

import data.imagepolicy.match
import data.imagepolicy.settings
import data.imagepolicy.validation

# Keys of the config that say how namespaces are treated; they are not part of any namespace's effective config.
namespace_keys := {"namespaces", "namespace_selectors", "exempt_namespaces"}

global := object.remove(settings.config, namespace_keys)

# config is the effective config of namespace: the global config, each key the overlay names replaced whole.
config(namespace) := object.union(object.remove(global, object.keys(ov)), ov) if {
	ov := overlay(namespace)
}

overlay(namespace) := ov if {
	ov := object.get(settings.config, ["namespaces", namespace], null)
	is_object(ov)
} else := ov if {
	ov := selected(namespace)
} else := ov if {
	ov := by_glob(namespace)
} else := {}

# selected is the config of the first namespace_selectors entry whose match_labels the namespace all carries.
selected(namespace) := matching[0].config if {
	matching := [s |
		some s in object.get(settings.config, "namespace_selectors", [])
		carries(labels(namespace), s.match_labels)
	]
	count(matching) > 0
}

carries(have, want) if {
	count(want) > 0
	every k, v in want {
		have[k] == v
	}
}

# labels of a namespace as kube-mgmt replicates them (--replicate-cluster=v1/namespaces puts each Namespace at
# data.kubernetes.namespaces[name]); {} when the namespace is not replicated.
labels(namespace) := l if {
	l := data.kubernetes.namespaces[namespace].metadata.labels
	is_object(l)
} else := {}

by_glob(namespace) := top[2] if {
	found := [[match.specificity(pattern), pattern, value] |
		some pattern, value in object.get(settings.config, "namespaces", {})
		contains(pattern, "*")
		glob.match(pattern, [], namespace)
	]
	count(found) > 0
	top := sort(found)[0]
}

# exempt namespaces are not checked at all: listed in exempt_namespaces, or their overlay says so. A config with
# errors exempts nothing: every image is denied until it is fixed.
exempt(namespace) if {
	count(validation.errors_once) == 0
	exempt_by_config(namespace)
}

exempt_by_config(namespace) if {
	some pattern in object.get(settings.config, "exempt_namespaces", [])
	glob.match(pattern, [], namespace)
}

exempt_by_config(namespace) if overlay(namespace).exempt == true
