# METADATA
# title: Image evaluation
# description: |
#   The core shared by every entrypoint: for a list of images and a namespace, find the config rule of each image,
#   verify all that need it in one cosign.verify_batch call, and decide. Anything undefined — an unparsable
#   image, a malformed rule, a built-in error — leaves `allowed` false (allow-list style), and a config with
#   errors denies every image.
package imagepolicy.evaluate

import rego.v1

import data.imagepolicy.controls
import data.imagepolicy.match
import data.imagepolicy.namespaces
import data.imagepolicy.requirement
import data.imagepolicy.settings
import data.imagepolicy.signers
import data.imagepolicy.trust
import data.imagepolicy.validation

# config is the effective config of a namespace (see imagepolicy.namespaces), kept across decisions while the
# cosign plugin runs (imagepolicy.cached): a function of the config, the namespace and its labels alone.
config(namespace) := c if {
	c := imagepolicy.cached("imagepolicy.evaluate.config", config_key(namespace))
} else := imagepolicy.cache("imagepolicy.evaluate.config", config_key(namespace), namespaces.config(namespace))

config_key(namespace) := [settings.config, namespace, namespaces.labels(namespace)]

# mode is enforce, warn or audit; anything else enforces (fail closed).
mode(cfg) := m if {
	m := object.get(cfg, "mode", "enforce")
	m in {"enforce", "warn", "audit"}
} else := "enforce"

# decide evaluates images in namespace: {"mode", "images": [one result per image, in order]}.
decide(images, namespace) := decide_with(images, namespace, null)

# decide_with is decide with the registry credentials' pull context (cosign.verify_batch's `kubernetes`), or null
# for none: every verification of the batch is read with the credentials the kubelet would use.
decide_with(images, namespace, pull) := {"mode": "enforce", "images": [config_error_result(img) | some img in images]} if {
	count(validation.errors_once) > 0
} else := {
	"mode": mode(cfg),
	"images": [image_decision(img, object.get(pl, [img], null), cfg, rs, one) | some img in images],
} if {
	cfg := config(namespace)
	pl := plan(images, cfg)
	rs := batch_results(with_pull(requests(pl), pull))
	one := one_digest_each(rs)
}

config_error_result(img) := object.union(unevaluated(img), {"reasons": [config_error_reason]})

# The reason names the first problems; data.imagepolicy.config_errors lists them all.
config_error_reason := sprintf("the verification config has %d error(s), so every image is denied until it is fixed: %s%s", [
	count(validation.errors),
	concat("; ", array.slice(sort(validation.errors), 0, 3)),
	more_errors(count(validation.errors) - 3),
])

more_errors(n) := sprintf(" (and %d more: see data.imagepolicy.config_errors)", [n]) if n > 0

else := ""

parsed(img) := {"ok": true, "value": image.parse(img)} if {
	is_string(img)
} else := {"ok": false}

# plan lists, per distinct image, its parsed form, rule and requirement.
plan(images, cfg) := {img: entry |
	some img in images
	entry := planned(img, cfg)
}

# planned is the plan entry of one image: a function of the effective config and the image alone, so it is kept
# across decisions while the cosign plugin runs (imagepolicy.cached).
planned(img, cfg) := entry if {
	entry := imagepolicy.cached("imagepolicy.evaluate.plan", [cfg, img])
} else := imagepolicy.cache("imagepolicy.evaluate.plan", [cfg, img], with_attestation_rules(plan_entry(parsed(img), cfg), cfg))

# with_attestation_rules adds the attestation rules of the image (controls.attestation_rules), found once per plan.
with_attestation_rules(entry, cfg) := object.union(entry, {"attestation_rules": controls.attestation_rules(entry, cfg)}) if {
	entry.parsed != null
} else := object.union(entry, {"attestation_rules": []})

# image_decision is the result of one image: with_controls(total_result(...)). Without attestation rules it is a
# function of the config, the image and the image's own signature results alone (no clock: only attestation gates
# read it), so it is kept across decisions for the same results while the cosign plugin runs; a different result
# (another digest, a failure) is another key. With attestation rules it is computed on every decision.
image_decision(img, entry, cfg, rs, one) := d if {
	count(entry.attestation_rules) == 0
	d := imagepolicy.cached("imagepolicy.evaluate.result", [cfg, img, own_results(img, entry, rs)])
} else := imagepolicy.cache("imagepolicy.evaluate.result", [cfg, img, own_results(img, entry, rs)], decided(img, entry, cfg, rs, one)) if {
	count(entry.attestation_rules) == 0
} else := decided(img, entry, cfg, rs, one)

decided(img, entry, cfg, rs, one) := with_controls(total_result(img, entry, rs), entry, cfg, rs, one)

# own_results are the image's signature results, in the order of its requirement (null where the batch gave none).
own_results(img, entry, rs) := [object.get(rs, [[img, i]], null) | some i, _ in entry.requirement.of]

plan_entry(p, cfg) := with_requirement(p.value, match.rule(cfg, p.value)) if {
	p.ok
} else := {"parsed": null, "rule": {"rule": "none", "host": "", "pattern": ""}}

# with_requirement adds the requirement of a with-verification rule, its named keys and trusted roots replaced by
# the material (imagepolicy.trust); a malformed one is left out, which denies.
with_requirement(parsed, r) := {"parsed": parsed, "rule": r, "requirement": trust.requirement(requirement.of(r.options))} if {
	r.rule == "allow_with_verification"
} else := {"parsed": parsed, "rule": r}

# non_empty is a unless it is "", then fallback.
non_empty(a, _) := a if a != ""

non_empty("", fallback) := fallback

both(a, b) if {
	a
	b
} else := false

parsed_or_empty(entry) := entry.parsed if is_object(entry.parsed)

else := {}

# requests are every verification the plan needs, for one batch, each with a small key ([image, option index]
# or ["att", image, rule index]) under which its result is found: cheaper to hash than the request itself.
requests(pl) := array.concat(
	[[[img, i], {"image": img, "opts": o}] |
		some img, entry in pl
		some i, o in entry.requirement.of
	],
	[[["att", img, i], r] |
		some img, entry in pl
		entry.parsed != null
		some i, r in controls.rule_requests(img, entry.attestation_rules)
	],
)

# with_pull gives every request the pull context, unless there is none.
with_pull(keyed, null) := keyed

with_pull(keyed, pull) := [[k, object.union(r, {"kubernetes": pull})] | some [k, r] in keyed] if pull != null

# results maps each request to its result; undefined when the batch fails (misuse), which denies.
results(keyed) := {keyed[i][0]: res | some i, res in cosign.verify_batch([r | some [_, r] in keyed])}

# with_controls adds the controls' violations, and refuses an image whose verifications did not all see one
# digest; an image with any is not allowed. When the controls cannot be evaluated, the image is not allowed either.
with_controls(r, entry, cfg, rs, one) := r if {
	entry.parsed == null
} else := object.union(r, {"allowed": both(r.allowed == true, count(v) == 0), "reasons": array.concat(r.reasons, v)}) if {
	v := array.concat(digest_violations(r.image, rs, one), controls.violations(r.image, entry, cfg, rs))
} else := object.union(r, {"allowed": false, "reasons": array.concat(r.reasons, ["the image controls could not be evaluated"])})

# digest_violations: every result of one image must be about one digest, or the signers, attestations and pinned
# digest of the decision could describe different images (docs/security.md #30).
# one_digest_each is true when no image's results name two digests, found in one pass over the results (the common
# case): digest_violations then has nothing to look for, and the per-image search runs only when it can find something.
one_digest_each(rs) if {
	pairs := {[key_image(k), res.digest] | some k, res in rs; res.digest != ""}
	count(pairs) == count({p[0] | some p in pairs})
} else := false

key_image([img, _]) := img

key_image(["att", img, _]) := img

digest_violations(_, _, true) := []

digest_violations(img, rs, false) := [sprintf("the verifications of this image saw different digests (%s): the tag moved during the decision", [concat(", ", sort(digests))])] if {
	digests := {res.digest |
		some k, res in rs
		own_key(k, img)
		res.digest != ""
	}
	count(digests) > 1
} else := []

own_key([img, _], img)

own_key(["att", img, _], img)

# A failed batch (misuse of a built-in) leaves no results: every image that needed one is denied, with a reason.
batch_results(reqs) := r if {
	count(reqs) > 0
	r := results(reqs)
} else := {}

# total_result never leaves an image out: a comprehension would silently drop an undefined element, and an
# "every image is allowed" check over fewer images would allow (docs/security.md #20).
total_result(img, entry, rs) := r if {
	r := image_result(img, entry, rs)
} else := object.union(unevaluated(img), {"reasons": ["the image could not be evaluated"]})

unevaluated(img) := {
	"image": img,
	"allowed": false,
	"verified": false,
	"digest": "",
	"reference": "",
	"signers": [],
	"matched": {"host": "", "pattern": "", "rule": "none"},
	"reasons": [],
}

image_result(img, entry, _) := object.union(base(img, entry), {"allowed": false, "reasons": ["invalid image reference"]}) if {
	entry.parsed == null
}

image_result(img, entry, _) := object.union(base(img, entry), {"allowed": false, "reasons": [sprintf("no rule of the verification config matches %s", [entry.parsed.name])]}) if {
	entry.parsed != null
	entry.rule.rule == "none"
}

image_result(img, entry, _) := object.union(base(img, entry), {"allowed": true, "reasons": []}) if {
	entry.rule.rule == "allow_without_verification"
}

image_result(img, entry, rs) := verified_result(img, entry, rs) if {
	entry.rule.rule == "allow_with_verification"
}

base(img, entry) := {
	"image": img,
	"verified": false,
	"digest": object.get(parsed_or_empty(entry), "digest", ""),
	"reference": object.get(parsed_or_empty(entry), "reference", ""),
	"signers": [],
	"matched": {"host": entry.rule.host, "pattern": entry.rule.pattern, "rule": entry.rule.rule},
}

verified_result(img, entry, rs) := object.union(base(img, entry), {
	"allowed": ok,
	"verified": ok,
	"digest": first.digest,
	"reference": non_empty(first.reference, base(img, entry).reference),
	"signers": sort(union({signers.of(res) | some res in good})),
	"reasons": failure_reasons(ok, own, entry.requirement.need, got),
}) if {
	own := [res | some i, _ in entry.requirement.of; res := rs[[img, i]]]
	count(own) == count(entry.requirement.of)
	good := [res | some res in own; res.verified == true]
	got := met(entry.requirement.need, own, good)
	ok := got >= entry.requirement.need
	first := preferred(good, own)
} else := object.union(base(img, entry), {
	"allowed": false,
	"reasons": ["verification did not run: malformed options or requirement for this pattern (see the built-in error)"],
})

# met counts the option sets that are satisfied: any one for a single signer or an any-of list; for N of M,
# option sets matched to distinct signers.
met(1, _, good) := count(good)

met(need, own, _) := signers.matched([signers.of(res) | some res in own]) if need > 1

preferred(good, _) := good[0] if count(good) > 0

preferred(good, own) := own[0] if count(good) == 0

failure_reasons(true, _, _, _) := []

failure_reasons(false, own, need, got) := array.concat(
	[sprintf("%d of %d required signers verified (a signer counts once)", [got, need]) | need > 1],
	[sprintf("%s: %s", [e.code, e.message]) | some res in own; not res.verified; some e in res.errors],
)
