# METADATA
# title: Verification requirements
# description: |
#   Turns the value of an allow_with_verification pattern into a requirement: an options object (one signer), a
#   list of option objects (any of them), or {"threshold": N, "of": [...]} (N distinct signers, e.g. both the
#   development and the security team).
package imagepolicy.requirement

import rego.v1

# of returns {"need": n, "of": [options...]}; it is undefined for a malformed value, which denies.
of(value) := {"need": 1, "of": [value]} if {
	is_object(value)
	not "threshold" in object.keys(value)
	not "of" in object.keys(value)
}

of(value) := {"need": 1, "of": value} if {
	is_array(value)
	count(value) > 0
	every o in value {
		is_object(o)
	}
}

of(value) := {"need": value.threshold, "of": value.of} if {
	is_object(value)
	is_number(value.threshold)
	value.threshold >= 1
	is_array(value.of)
	value.threshold <= count(value.of)
	every o in value.of {
		is_object(o)
	}
}
