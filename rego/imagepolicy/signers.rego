# METADATA
# title: Distinct signers
# description: |
#   Counts how many option sets of an N-of-M requirement are met by signers of their own. One signer never counts
#   twice (docs/security.md #26): a keyless identity that matches two overlapping option sets, or one key named twice,
#   meets one of them. Signers are the `signer` of each verified signature (docs/builtins.md): a key fingerprint,
#   or a certificate's issuer and identity.
package imagepolicy.signers

import rego.v1

# of is the set of signers whose signatures verified in one result.
of(res) := {s.signer |
	res.verified == true
	some s in res.signatures
	is_string(s.signer)
	s.signer != ""
}

# matched is the size of the largest matching of option sets to distinct signers, by the König–Ore formula: the
# minimum, over every subset S of the option sets, of (number of sets - |S| + number of signers of S). Config
# validation keeps the number of option sets at 10 or fewer, so there are at most 1,024 subsets.
matched(sets) := 0 if {
	count(sets) == 0
} else := min([deficiency |
	some mask in numbers.range(0, bits.lsh(1, count(sets)) - 1)
	members := [i | some i, _ in sets; bits.and(mask, bits.lsh(1, i)) != 0]
	deficiency := (count(sets) - count(members)) + count(union({sets[i] | some i in members}))
])
