package imagepolicy_test

import rego.v1

import data.imagepolicy
import data.imagepolicy.testing

decide(images, config) := d if {
	d := imagepolicy.decision with input as {"images": images}
		with data.imagepolicy.config as config
		with cosign.verify_batch as testing.verify_batch
}

one(img, config) := decide([img], config).images[0]

with_key(pattern, opts) := {"allow_with_verification": {"ghcr.io": {pattern: opts}}}

app_digest := testing.digest_of("ghcr.io/acme/app")

# The DAS sample and its documented precedence.

test_allow_das_with_verification_wins_over_without if {
	r := one("docker.io/ubuntu/nginx", testing.das_config)
	r.allowed
	r.verified
	r.matched == {"host": "docker.io", "pattern": "ubuntu/nginx", "rule": "allow_with_verification"}
	r.signers == ["cert:https://github.com/login/oauth|maintainer@example.com"]
}

test_deny_das_with_verification_wins_even_when_without_would_allow if {
	# Signed by no one at this digest: allow_without_verification's ubuntu/* must not rescue it.
	r := one("docker.io/ubuntu/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000", testing.das_config)
	r.allowed == false
	r.matched.rule == "allow_with_verification"
	r.reasons == ["no_signatures: no signatures found"]
}

test_allow_das_without_verification if {
	every img in ["ubuntu", "docker.io/ubuntu/bash", "ecr.io/xyz/other", "gcr.io/my-proj-7/base-go-image"] {
		r := one(img, testing.das_config)
		r.allowed
		not r.verified
		r.matched.rule == "allow_without_verification"
		r.signers == []
	}
}

test_allow_das_keyless_regexp_and_key if {
	every img in ["openpolicyagent/opa:0.60", "ecr.io/xyz/busybox:1", "gcr.io/xyz/app"] {
		r := one(img, testing.das_config)
		r.allowed
		r.verified
	}
}

test_deny_das_unmatched_images if {
	every img in ["nginx", "quay.io/xyz/app", "gcr.io/xyz/a/b", "gcr.io/other/base-a-image"] {
		r := one(img, testing.das_config)
		r.allowed == false
		r.matched.rule == "none"
		r.reasons == [sprintf("no rule of the verification config matches %s", [image.parse(img).name])]
	}
}

test_deny_das_unsigned if {
	r := one("gcr.io/xyz/unsigned-app", testing.das_config)
	r.allowed == false
	r.reasons == ["no_signatures: no signatures found"]
}

test_deny_signed_by_another_key if {
	r := one("ghcr.io/acme/dev-only", with_key("acme/*", testing.sec))
	r.allowed == false
	r.reasons == ["no_matching_signatures: none verified"]
}

# docs/security.md #16: Docker Hub spellings are one image; a look-alike host is another registry.
test_docker_hub_normalisation if {
	config := {"allow_with_verification": {"index.docker.io": {"library/nginx": testing.dev}}}
	every img in ["nginx", "library/nginx", "docker.io/nginx", "index.docker.io/library/nginx", "registry-1.docker.io/library/nginx"] {
		r := one(img, config)
		r.allowed
		r.reference == sprintf("docker.io/library/nginx@%s", [testing.digest_of("docker.io/library/nginx")])
	}
	evil := one("docker.io.evil.com/nginx", config)
	evil.allowed == false
	evil.reasons == ["no rule of the verification config matches docker.io.evil.com/nginx"]
}

test_official_image_pattern_without_library_prefix if {
	r := one("nginx:1.25", {"allow_with_verification": {"docker.io": {"nginx": testing.dev}}})
	r.allowed
	r.matched.pattern == "nginx"
}

# Only library/<one segment> is an official image: a three-segment name under library/ is not "ubuntu/evil".
test_deny_library_prefix_trimmed_only_for_official_images if {
	config := {"allow_without_verification": {"docker.io": ["ubuntu/*"]}}
	one("ubuntu/bash", config).allowed
	r := one("docker.io/library/ubuntu/evil", config)
	r.allowed == false
	r.reasons == ["no rule of the verification config matches docker.io/library/ubuntu/evil"]
}

# Most specific wins, deterministically.
test_most_specific_pattern_wins if {
	config := {"allow_with_verification": {"ghcr.io": {
		"acme/*": testing.sec,
		"acme/app": testing.dev,
		"**": testing.das,
	}}}
	r := one("ghcr.io/acme/app:v1", config)
	r.allowed
	r.matched.pattern == "acme/app"
	one("ghcr.io/acme/other", config).matched.pattern == "acme/*"
	one("ghcr.io/other/deep/path", config).matched.pattern == "**"
}

test_single_star_stays_in_segment if {
	config := {"allow_without_verification": {"ghcr.io": ["acme/*"]}}
	one("ghcr.io/acme/app", config).allowed
	r := one("ghcr.io/acme/team/app", config)
	r.allowed == false
	r.matched.rule == "none"
}

# Extensions: any-of and N-of-M signers.
test_allow_any_of if {
	r := one("ghcr.io/acme/dev-only", with_key("acme/*", [testing.sec, testing.dev]))
	r.allowed
	r.signers == [testing.signer_id({"key": "DEV"})]
}

test_threshold_counts_two_keys if {
	config := with_key("acme/*", {"threshold": 2, "of": [testing.dev, testing.sec]})
	ok := one("ghcr.io/acme/app", config)
	ok.allowed
	ok.signers == sort([testing.signer_id({"key": "DEV"}), testing.signer_id({"key": "SEC"})])
	r := one("ghcr.io/acme/dev-only", config)
	r.allowed == false
	r.reasons == ["1 of 2 required signers verified (a signer counts once)", "no_matching_signatures: none verified"]
}

# docs/security.md #26: one keyless signature matching two overlapping option sets meets one of them.
test_deny_one_signature_counted_twice if {
	config := with_key("acme/*", {"threshold": 2, "of": [
		{"certificate-identity-regexp": "@acme\\.example$", "certificate-oidc-issuer": testing.issuer},
		testing.identity("alice@acme.example"),
	]})
	r := one("ghcr.io/acme/alice", config)
	r.allowed == false
	r.reasons == ["1 of 2 required signers verified (a signer counts once)"]

	# The same identity signing twice is still one signer.
	twice := one("ghcr.io/acme/alice-twice", config)
	twice.allowed == false
	twice.reasons == ["1 of 2 required signers verified (a signer counts once)"]

	# Two people: each option set gets its own.
	both := one("ghcr.io/acme/alice-bob", config)
	both.allowed
	both.signers == ["cert:https://accounts.example|alice@acme.example", "cert:https://accounts.example|bob@acme.example"]
}

test_deny_one_key_named_twice if {
	r := one("ghcr.io/acme/app", with_key("acme/*", {"threshold": 2, "of": [testing.dev, object.union(testing.dev, {"insecure-ignore-tlog": true})]}))
	r.allowed == false
	r.reasons == ["1 of 2 required signers verified (a signer counts once)"]
}

# Three option sets, two signers: a matching, not a count of signers, decides (one signer would serve two sets).
test_threshold_is_a_matching if {
	config := with_key("acme/*", {"threshold": 3, "of": [
		{"certificate-identity-regexp": "@acme\\.example$", "certificate-oidc-issuer": testing.issuer},
		testing.identity("alice@acme.example"),
		testing.identity("alice@acme.example"),
	]})
	r := one("ghcr.io/acme/alice-bob", config)
	r.allowed == false
	r.reasons == ["2 of 3 required signers verified (a signer counts once)"]
}

# docs/security.md #17: with a tag and a digest, only the digest counts.
test_deny_signed_tag_with_unsigned_digest if {
	r := one("ghcr.io/acme/app:v1@sha256:1111111111111111111111111111111111111111111111111111111111111111", with_key("acme/app", testing.dev))
	r.allowed == false
	r.digest == "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	r.reasons == ["no_signatures: no signatures found"]
}

# docs/security.md #20: a failing built-in denies, with a reason.
test_deny_when_the_builtin_fails if {
	d := imagepolicy.decision with input as {"images": ["ghcr.io/acme/app"]}
		with data.imagepolicy.config as with_key("acme/app", testing.dev)
		with cosign.verify_batch as testing.failing_batch
	d.allowed == false
	d.images[0].allowed == false
	d.images[0].reasons == ["verification did not run: malformed options or requirement for this pattern (see the built-in error)"]
}

test_deny_invalid_reference if {
	r := one("Not//A:Ref", testing.das_config)
	r.allowed == false
	r.reasons == ["invalid image reference"]
}

test_deny_bad_input if {
	d := imagepolicy.decision with input as {"image": "x"}
	d.allowed == false
	d.reasons == ["input must be an object with images: an array of image references"]
}

test_allowed_requires_every_image if {
	config := with_key("acme/*", testing.dev)
	decide(["ghcr.io/acme/app", "ghcr.io/acme/dev-only"], config).allowed
	every images in [["ghcr.io/acme/app", "ghcr.io/acme/unsigned"], ["ghcr.io/acme/unsigned", "ghcr.io/acme/app"]] {
		d := decide(images, config)
		d.allowed == false
		d.reasons == ["ghcr.io/acme/unsigned: no_signatures: no signatures found"]
	}
}

test_decision_result_object if {
	decide(["ghcr.io/acme/app:v1"], with_key("acme/app", testing.sec)) == {
		"allowed": true,
		"mode": "enforce",
		"reasons": [],
		"images": [{
			"image": "ghcr.io/acme/app:v1",
			"allowed": true,
			"verified": true,
			"digest": app_digest,
			"reference": sprintf("ghcr.io/acme/app@%s", [app_digest]),
			"signers": [testing.signer_id({"key": "SEC"})],
			"matched": {"host": "ghcr.io", "pattern": "acme/app", "rule": "allow_with_verification"},
			"reasons": [],
		}],
	}
}

test_deny_non_string_image if {
	d := decide([42, "ghcr.io/acme/app"], with_key("acme/app", testing.dev))
	d.allowed == false
	count(d.images) == 2
	d.images[0].reasons == ["invalid image reference"]
	d.images[1].allowed
}

test_allow_no_images if {
	decide([], testing.das_config).allowed
}

# docs/security.md #22: a runtime image ID names a cached local image, not a Docker Hub repository.
test_deny_runtime_image_ids if {
	config := {"allow_without_verification": {"docker.io": ["**"]}}
	every img in [
		"sha256:4c1e4d6e1b8a7f1c1e6b4a4e1f6c0c5d9a2b3c4d5e6f708192a3b4c5d6e7f809",
		"4c1e4d6e1b8a7f1c1e6b4a4e1f6c0c5d9a2b3c4d5e6f708192a3b4c5d6e7f809",
		"4c1e4d6e1b8a",
	] {
		r := one(img, config)
		r.allowed == false
		r.reasons == ["invalid image reference"]
	}
	one("docker.io/library/4c1e4d6e1b8a", config).allowed
}
