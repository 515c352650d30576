# METADATA
# title: Registry API routes
# description: |
#   Classifies a request of the OCI distribution API (/v2/...) the way the registry routes it, from the raw
#   request path Envoy sends (never the percent-decoded parsed_path): anything not in canonical form is
#   malformed, and a path is a manifest request before anything else, as in the registry's own router.
# related_resources:
#   - ref: ../../../docs/envoy.md
package imagepolicy.envoy.routes

import rego.v1

# The distribution spec's grammar: repository name components, tags, digests.
component := `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`

name := sprintf(`%s(?:/%s)*`, [component, component])

tag_pattern := `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`

digest_pattern := `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+$`

sha256_pattern := `^sha256:[a-f0-9]{64}$`

# Most specific first: a manifest path wins, as in the registry's router, so that no manifest pull is ever read
# as a more permissive kind.
patterns := [
	["manifest", sprintf(`^/v2/(%s)/manifests/([^/]+)$`, [name])],
	["tags", sprintf(`^/v2/(%s)/tags/list$`, [name])],
	["upload", sprintf(`^/v2/(%s)/blobs/uploads/([A-Za-z0-9_.=-]*)$`, [name])],
	["blob", sprintf(`^/v2/(%s)/blobs/([^/]+)$`, [name])],
	["referrers", sprintf(`^/v2/(%s)/referrers/([^/]+)$`, [name])],
	["catalog", `^/v2/_catalog$`],
	["base", `^/v2/$`],
]

# path is the request path without its query; the registry ignores the query on every read route.
path := split(input.attributes.request.http.path, "?")[0]

# route of the request: {"kind", "name", "reference"} or {"kind": "malformed", "problem"}.
# (object.get: `not is_string(x)` is undefined, not true, when x is undefined.)
route := {"kind": "malformed", "problem": "the request has no path"} if {
	not is_string(object.get(input, ["attributes", "request", "http", "path"], null))
} else := {"kind": "malformed", "problem": problem} if {
	some problem in problems
} else := classified

# problems of form: the registry, Envoy and the policy must all read the path the same way, so the policy
# accepts only the one spelling that needs no decoding or normalising.
problems contains "percent-encoded paths are not accepted" if contains(path, "%")

problems contains "backslashes are not accepted" if contains(path, `\`)

problems contains "empty path segments are not accepted" if contains(path, "//")

problems contains "dot segments are not accepted" if {
	some segment in split(path, "/")
	segment in {".", ".."}
}

problems contains "the path must start with /" if not startswith(path, "/")

classified := r if {
	matches := [[kind, groups] |
		some [kind, pattern] in patterns
		groups := regex.find_all_string_submatch_n(pattern, path, 1)
		count(groups) == 1
	]
	count(matches) > 0
	[kind, groups] := matches[0]
	r := with_reference(kind, groups[0])
} else := {"kind": "unknown"}

with_reference(kind, groups) := {"kind": kind, "name": groups[1], "reference": groups[2]} if count(groups) == 3

with_reference(kind, groups) := {"kind": kind, "name": groups[1], "reference": ""} if count(groups) == 2

with_reference(kind, groups) := {"kind": kind, "name": "", "reference": ""} if count(groups) == 1

# reference_problem says what is wrong with a manifest reference (tag or digest), or a blob's digest.
reference_problem(ref, "manifest") := p if {
	not regex.match(tag_pattern, ref)
	p := digest_problem(ref)
}

reference_problem(ref, kind) := digest_problem(ref) if kind in {"blob", "referrers"}

digest_problem(ref) := "not a tag or a digest" if not regex.match(digest_pattern, ref)

digest_problem(ref) := "only sha256 digests (64 lower-case hex digits) are accepted" if {
	regex.match(digest_pattern, ref)
	not regex.match(sha256_pattern, ref)
}

is_digest(ref) if regex.match(sha256_pattern, ref)
