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

# The DAS sample and its documented precedence.

test_allow_das_with_verification_wins_over_without if {
	r := one("docker.io/ubuntu/nginx", testing.das_config)
	r.allowed
	r.verified
	r.matched == {"host": "docker.io", "pattern": "ubuntu/nginx", "rule": "allow_with_verification"}
}

test_deny_das_with_verification_wins_even_when_without_would_allow if {
	# Signed by someone else: allow_without_verification's ubuntu/* must not rescue it.
	r := one("docker.io/ubuntu/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000", testing.das_config)
	not r.allowed
	r.matched.rule == "allow_with_verification"
}

test_allow_das_without_verification if {
	every img in ["ubuntu", "docker.io/ubuntu/bash", "ecr.io/xyz/other", "gcr.io/my-proj-7/base-go-image"] {
		r := one(img, testing.das_config)
		r.allowed
		not r.verified
		r.matched.rule == "allow_without_verification"
	}
}

test_allow_das_keyless_regexp_and_key if {
	every img in ["openpolicyagent/opa:0.60", "ecr.io/xyz/busybox:1", "gcr.io/xyz/app"] {
		one(img, testing.das_config).verified
	}
}

test_deny_das_unmatched_images if {
	every img in ["nginx", "quay.io/xyz/app", "gcr.io/xyz/a/b", "gcr.io/other/base-a-image"] {
		r := one(img, testing.das_config)
		not r.allowed
		r.matched.rule == "none"
	}
}

test_deny_das_signed_by_wrong_key if {
	r := one("gcr.io/xyz/unsigned-app", testing.das_config)
	not r.allowed
	r.reasons == ["no_signatures: no signatures found"]
}

# THREATS #16: Docker Hub spellings are one image; a look-alike host is another registry.
test_docker_hub_normalisation if {
	config := {"allow_with_verification": {"index.docker.io": {"library/nginx": {"key": "DEV"}}}}
	every img in ["nginx", "library/nginx", "docker.io/nginx", "index.docker.io/library/nginx", "registry-1.docker.io/library/nginx"] {
		r := one(img, config)
		r.allowed
		r.reference == sprintf("docker.io/library/nginx@%s", [testing.digest_of("docker.io/library/nginx")])
	}
	not one("docker.io.evil.com/nginx", config).allowed
}

test_official_image_pattern_without_library_prefix if {
	one("nginx:1.25", {"allow_with_verification": {"docker.io": {"nginx": {"key": "DEV"}}}}).allowed
}

# Most specific wins, deterministically.
test_most_specific_pattern_wins if {
	config := {"allow_with_verification": {"ghcr.io": {
		"acme/*": {"key": "NOBODY"},
		"acme/app": {"key": "DEV"},
		"**": {"key": "NOBODY"},
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
	not one("ghcr.io/acme/team/app", config).allowed
}

# Extensions: any-of and N-of-M signers.
test_allow_any_of if {
	one("ghcr.io/acme/dev-only", {"allow_with_verification": {"ghcr.io": {"acme/*": [{"key": "SEC"}, {"key": "DEV"}]}}}).allowed
}

test_threshold_needs_distinct_signers if {
	config := {"allow_with_verification": {"ghcr.io": {"acme/*": {"threshold": 2, "of": [{"key": "DEV"}, {"key": "SEC"}]}}}}
	one("ghcr.io/acme/app", config).allowed
	r := one("ghcr.io/acme/dev-only", config)
	not r.allowed
	r.reasons[0] == "1 of 2 required signers verified"
}

test_deny_malformed_requirement if {
	every value in [{"threshold": 3, "of": [{"key": "DEV"}]}, [], {"threshold": "2", "of": []}, "DEV"] {
		not one("ghcr.io/acme/app", {"allow_with_verification": {"ghcr.io": {"acme/app": value}}}).allowed
	}
}

# THREATS #17: with a tag and a digest, only the digest counts.
test_deny_signed_tag_with_unsigned_digest if {
	config := {"allow_with_verification": {"ghcr.io": {"acme/app": {"key": "DEV"}}}}
	not one("ghcr.io/acme/app:v1@sha256:1111111111111111111111111111111111111111111111111111111111111111", config).allowed
}

# THREATS #20: a failing built-in denies.
test_deny_when_the_builtin_fails if {
	d := imagepolicy.decision with input as {"images": ["ghcr.io/acme/app"]}
		with data.imagepolicy.config as {"allow_with_verification": {"ghcr.io": {"acme/app": {"key": "DEV"}}}}
		with cosign.verify_batch as testing.failing_batch
	not d.allowed
	not d.images[0].allowed
}

test_deny_invalid_reference if {
	r := one("Not//A:Ref", testing.das_config)
	not r.allowed
	r.reasons == ["invalid image reference"]
}

test_deny_bad_input if {
	not imagepolicy.decision.allowed with input as {"image": "x"}
}

test_allowed_requires_every_image if {
	config := {"allow_with_verification": {"ghcr.io": {"acme/*": {"key": "DEV"}}}}
	decide(["ghcr.io/acme/app", "ghcr.io/acme/dev-only"], config).allowed
	not decide(["ghcr.io/acme/app", "ghcr.io/acme/unsigned"], config).allowed
	not decide(["ghcr.io/acme/unsigned", "ghcr.io/acme/app"], config).allowed
}

test_decision_result_object if {
	config := {"allow_with_verification": {"ghcr.io": {"acme/app": {"key": "SEC"}}}}
	decide(["ghcr.io/acme/app:v1"], config) == {
		"allowed": true,
		"mode": "enforce",
		"reasons": [],
		"images": [{
			"image": "ghcr.io/acme/app:v1",
			"allowed": true,
			"verified": true,
			"digest": testing.digest_of("ghcr.io/acme/app"),
			"reference": sprintf("ghcr.io/acme/app@%s", [testing.digest_of("ghcr.io/acme/app")]),
			"matched": {"host": "ghcr.io", "pattern": "acme/app", "rule": "allow_with_verification"},
			"reasons": [],
		}],
	}
}

test_deny_non_string_image if {
	d := decide([42, "ghcr.io/acme/app"], {"allow_with_verification": {"ghcr.io": {"acme/app": {"key": "DEV"}}}})
	not d.allowed
	count(d.images) == 2
}

test_allow_no_images if {
	decide([], testing.das_config).allowed
}
