# METADATA
# title: Provenance gate
# description: |
#   Checks verified SLSA provenance (v0.2 and v1) against a rule's `builder_ids` (exact) and
#   `source_repositories`. The source is the build's own — v1 `buildDefinition.externalParameters`
#   (`workflow.repository`, `configSource.uri` or `source`), v0.2 `invocation.configSource.uri` — never a
#   dependency or material, and it matches a listed repository at a path boundary: `https://github.com/acme/app`
#   does not cover `https://github.com/acme/app-evil` (docs/security.md #32). One statement passing both checks is enough.
package imagepolicy.controls.provenance

import rego.v1

applies(rule) if "builder_ids" in object.keys(rule)

applies(rule) if "source_repositories" in object.keys(rule)

violations(rule, attestations) := set() if {
	some a in attestations
	count(statement_violations(rule, a.predicate)) == 0
} else := {v |
	some a in attestations
	some v in statement_violations(rule, a.predicate)
}

statement_violations(rule, p) := builder_violations(rule, p) | source_violations(rule, p)

builder_violations(rule, p) := set() if {
	not rule.builder_ids
} else := {sprintf("the builder is not named (runDetails.builder.id or builder.id), expected one of %s", [json.marshal(rule.builder_ids)])} if {
	not builder_id(p)
} else := {sprintf("builder %s is not one of %s", [json.marshal(builder_id(p)), json.marshal(rule.builder_ids)])} if {
	not builder_id(p) in rule.builder_ids
} else := set()

builder_id(p) := id if {
	id := p.runDetails.builder.id
	is_string(id)
} else := id if {
	not p.runDetails
	id := p.builder.id
	is_string(id)
}

source_violations(rule, p) := set() if {
	not rule.source_repositories
} else := {sprintf("the build's source is not named (%s), expected a repository under %s", [source_fields, json.marshal(rule.source_repositories)])} if {
	count(sources(p)) == 0
} else := {sprintf("source %s is not under %s", [json.marshal(s), json.marshal(rule.source_repositories)]) |
	some s in sources(p)
	not under_any(s, rule.source_repositories)
}

source_fields := "buildDefinition.externalParameters.workflow.repository, .configSource.uri or .source; invocation.configSource.uri"

# sources are the build's own source URIs; every one of them must be allowed.
sources(p) := {u |
	params := p.buildDefinition.externalParameters
	some u in [
		object.get(params, ["workflow", "repository"], null),
		object.get(params, ["configSource", "uri"], null),
		source_uri(object.get(params, "source", null)),
	]
	is_string(u)
} if {
	p.buildDefinition
} else := {u |
	u := p.invocation.configSource.uri
	is_string(u)
}

source_uri(s) := s if is_string(s)

else := s.uri if is_object(s)

else := null

under_any(uri, repositories) if {
	some r in repositories
	under(canonical(uri), canonical(r))
}

under(u, r) if u == r

under(u, r) if startswith(u, concat("", [r, "/"]))

# canonical drops what varies between spellings of one repository: a "git+" scheme prefix, an "@ref" suffix
# (v0.2 configSource.uri), ".git", and a trailing slash.
canonical(u) := trim_suffix(trim_suffix(regex.replace(trim_prefix(u, "git+"), `@[^@]*$`, ""), "/"), ".git")
