package imagepolicy.controls.provenance_test

import rego.v1

import data.imagepolicy.controls.provenance
import data.imagepolicy.testing

check(rule, predicates) := provenance.violations(rule, [{"predicate": p} | some p in predicates])

sources(repositories) := {"type": "slsaprovenance1", "source_repositories": repositories}

test_source_at_a_path_boundary if {
	check(sources(["https://github.com/acme/app"]), [testing.slsa1("https://github.com/acme/app")]) == set()
	check(sources(["https://github.com/acme/"]), [testing.slsa1("https://github.com/acme/app")]) == set()
	check(sources(["https://github.com/acme/app"]), [testing.slsa1("https://github.com/acme/app-evil")]) == {`source "https://github.com/acme/app-evil" is not under ["https://github.com/acme/app"]`}
	check(sources(["https://github.com/acme"]), [testing.slsa1("https://github.com/acme-evil/app")]) == {`source "https://github.com/acme-evil/app" is not under ["https://github.com/acme"]`}
}

test_spellings_of_one_repository if {
	every uri in ["git+https://github.com/acme/app@refs/heads/main", "https://github.com/acme/app.git", "https://github.com/acme/app/"] {
		check({"type": "slsaprovenance", "source_repositories": ["https://github.com/acme/app"]}, [testing.slsa02(testing.github_builder, uri)]) == set()
	}
}

test_deny_dependency_as_source if {
	# acme/lib appears only among resolvedDependencies: it is not the build's source.
	check(sources(["https://github.com/acme/lib"]), [testing.slsa1("https://github.com/evil/app")]) == {`source "https://github.com/evil/app" is not under ["https://github.com/acme/lib"]`}
}

test_other_v1_source_fields if {
	buildkit := {"buildDefinition": {"externalParameters": {"configSource": {"uri": "https://github.com/acme/app.git#main"}}}, "runDetails": {"builder": {"id": "b"}}}
	check(sources(["https://github.com/acme/app"]), [buildkit]) == {`source "https://github.com/acme/app.git#main" is not under ["https://github.com/acme/app"]`}
	plain := {"buildDefinition": {"externalParameters": {"source": "https://github.com/acme/app"}}}
	check(sources(["https://github.com/acme/app"]), [plain]) == set()
}

test_deny_statement_without_a_source if {
	check(sources(["https://github.com/acme/app"]), [{"buildDefinition": {"externalParameters": {}}}]) == {`the build's source is not named (buildDefinition.externalParameters.workflow.repository, .configSource.uri or .source; invocation.configSource.uri), expected a repository under ["https://github.com/acme/app"]`}
}

test_every_named_source_must_be_allowed if {
	two := {"buildDefinition": {"externalParameters": {"workflow": {"repository": "https://github.com/acme/app"}, "source": "https://github.com/evil/app"}}}
	check(sources(["https://github.com/acme/app"]), [two]) == {`source "https://github.com/evil/app" is not under ["https://github.com/acme/app"]`}
}

test_builder if {
	rule := {"type": "slsaprovenance1", "builder_ids": [testing.github_builder]}
	check(rule, [testing.slsa1("https://github.com/acme/app")]) == set()
	check(rule, [testing.slsa02("https://evil.example/builder", "x")]) == {`builder "https://evil.example/builder" is not one of ["https://github.com/actions/runner/github-hosted"]`}
	check(rule, [{"buildDefinition": {}}]) == {`the builder is not named (runDetails.builder.id or builder.id), expected one of ["https://github.com/actions/runner/github-hosted"]`}
}

test_one_passing_statement_is_enough if {
	rule := sources(["https://github.com/acme/app"])
	check(rule, [testing.slsa1("https://github.com/evil/app"), testing.slsa1("https://github.com/acme/app")]) == set()
}
