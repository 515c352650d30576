package imagepolicy.envoy.routes_test

import rego.v1

import data.imagepolicy.envoy.routes

route_of(path) := r if {
	r := routes.route with input as {"attributes": {"request": {"http": {"method": "GET", "path": path}}}}
}

test_allow_manifest_by_tag_and_by_digest_with_many_segments if {
	route_of("/v2/acme/app/manifests/v1.2") == {"kind": "manifest", "name": "acme/app", "reference": "v1.2"}
	d := concat("", ["sha256:", crypto.sha256("x")])
	route_of(concat("", ["/v2/a/b/c/d-e/f_g/manifests/", d])) == {"kind": "manifest", "name": "a/b/c/d-e/f_g", "reference": d}
}

# A name may contain the words of other routes; the manifest route wins, as in the registry's router.
test_manifest_route_wins_over_lookalike_names if {
	route_of("/v2/a/blobs/manifests/v1") == {"kind": "manifest", "name": "a/blobs", "reference": "v1"}
	route_of("/v2/a/manifests/b/manifests/v1") == {"kind": "manifest", "name": "a/manifests/b", "reference": "v1"}
	route_of("/v2/a/blobs/uploads/manifests/latest") == {"kind": "manifest", "name": "a/blobs/uploads", "reference": "latest"}
	route_of("/v2/a/tags/list/manifests/v1").kind == "manifest"
}

test_other_routes if {
	d := concat("", ["sha256:", crypto.sha256("x")])
	route_of("/v2/") == {"kind": "base", "name": "", "reference": ""}
	route_of("/v2/_catalog?n=10") == {"kind": "catalog", "name": "", "reference": ""}
	route_of("/v2/acme/app/tags/list") == {"kind": "tags", "name": "acme/app", "reference": ""}
	route_of(concat("", ["/v2/acme/app/blobs/", d])) == {"kind": "blob", "name": "acme/app", "reference": d}
	route_of("/v2/acme/app/blobs/uploads/") == {"kind": "upload", "name": "acme/app", "reference": ""}
	route_of("/v2/acme/app/blobs/uploads/0b3c-9a?digest=sha256:1") == {"kind": "upload", "name": "acme/app", "reference": "0b3c-9a"}
	route_of(concat("", ["/v2/acme/app/referrers/", d])) == {"kind": "referrers", "name": "acme/app", "reference": d}
}

# The query never changes the route: the registry ignores it on reads.
test_query_is_not_part_of_the_route if {
	route_of("/v2/acme/app/manifests/v1?ns=docker.io&x=/../../b") == {"kind": "manifest", "name": "acme/app", "reference": "v1"}
}

test_deny_path_tricks if {
	every path, problem in {
		"/v2/a/../b/manifests/x": "dot segments are not accepted",
		"/v2/a/./manifests/x": "dot segments are not accepted",
		"/v2/acme%2Fapp/manifests/v1": "percent-encoded paths are not accepted",
		"/v2/acme/app/manifests/%76%31": "percent-encoded paths are not accepted",
		"/v2//acme/app/manifests/v1": "empty path segments are not accepted",
		"/v2/acme//app/manifests/v1": "empty path segments are not accepted",
		`/v2/acme\app/manifests/v1`: "backslashes are not accepted",
		"v2/acme/app/manifests/v1": "the path must start with /",
	} {
		route_of(path) == {"kind": "malformed", "problem": problem}
	}
}

test_deny_names_outside_the_grammar if {
	every path in [
		"/v2/Acme/app/manifests/v1", # upper case
		"/v2/acme/app/manifests/v1/", # trailing slash
		"/v2/acme/-app/manifests/v1",
		"/v2/acme/app/manifest/v1",
		"/v2",
		"/v1/acme/app/manifests/v1",
		"/",
		"/v2/_catalog/x",
	] {
		route_of(path) == {"kind": "unknown"}
	}
}

test_reference_problems if {
	d := concat("", ["sha256:", crypto.sha256("x")])
	not routes.reference_problem("v1.2_rc-3", "manifest")
	not routes.reference_problem("sha256-abc.sig", "manifest")
	not routes.reference_problem(d, "manifest")
	not routes.reference_problem(d, "blob")
	routes.reference_problem(concat("", ["sha512:", crypto.sha256("x"), crypto.sha256("y")]), "manifest") == "only sha256 digests (64 lower-case hex digits) are accepted"
	routes.reference_problem("sha256:abc", "manifest") == "only sha256 digests (64 lower-case hex digits) are accepted"
	routes.reference_problem(upper(d), "manifest") == "not a tag or a digest"
	routes.reference_problem("v1", "blob") == "not a tag or a digest"
	routes.reference_problem(".hidden", "manifest") == "not a tag or a digest"
	routes.reference_problem(concat("", ["t", crypto.sha256("x"), crypto.sha256("y")]), "manifest") == "not a tag or a digest"
}
