# METADATA
# title: Vulnerability gate
# description: |
#   Reads the vulnerability reports of verified attestations — Trivy JSON, Grype JSON or SARIF 2.1.0, on their
#   own or inside cosign's vuln predicate (predicate.scanner.result) — and checks them against a rule's
#   `max_severity` and `max_age_hours`. A report it cannot read fails the gate: an unreadable report is not a
#   clean one (docs/security.md #31). When several reports verified, the newest decides (every one, when their times are
#   not all known).
package imagepolicy.controls.vuln

import rego.v1

applies(rule) if "max_severity" in object.keys(rule)

applies(rule) if "max_age_hours" in object.keys(rule)

violations(rule, attestations) := {v |
	some a in deciding(attestations)
	some v in report_violations(rule, a.predicate)
}

# deciding: the newest reports when every report has a scan time, else all of them.
deciding(attestations) := [a | some a in attestations; scan_time(a.predicate) == newest] if {
	times := [t | some a in attestations; t := scan_time(a.predicate)]
	count(times) == count(attestations)
	count(times) > 0
	newest := max(times)
} else := attestations

report_violations(rule, predicate) := {sprintf("the scan report is in a format opa-cosign cannot read (%s)", [readable_formats])} if {
	not format(report(predicate))
} else := severity_violations(rule, predicate) | age_violations(rule, predicate)

readable_formats := "expected Trivy JSON, Grype JSON or SARIF 2.1.0, alone or in predicate.scanner.result"

severity_violations(rule, predicate) := {sprintf("%d %s vulnerabilities in the %s report, at most %d allowed", [n, upper(severity), format(report(predicate)), limit]) |
	some severity, limit in object.get(rule, "max_severity", {})
	n := count([1 | some s in severities(report(predicate)); s == upper(severity)])
	n > limit
}

age_violations(rule, predicate) := set() if {
	not rule.max_age_hours
} else := {sprintf("the scan time is unknown (predicate.metadata.scanFinishedOn), so its age cannot be checked against max_age_hours %v", [rule.max_age_hours])} if {
	not scan_time(predicate)
} else := {sprintf("the scan finished %s, %d hours ago, more than max_age_hours %v", [time_text(predicate), age_hours(predicate), rule.max_age_hours])} if {
	time.now_ns() - scan_time(predicate) > (rule.max_age_hours * 3600) * 1000000000
} else := {sprintf("the scan finished %s, in the future", [time_text(predicate)])} if {
	# A clock far ahead would keep a report fresh forever; five minutes of skew are tolerated.
	scan_time(predicate) - time.now_ns() > (5 * 60) * 1000000000
} else := set()

age_hours(predicate) := floor((time.now_ns() - scan_time(predicate)) / (3600 * 1000000000))

# report: cosign's vuln predicate carries the scanner's own report in scanner.result.
report(predicate) := predicate.scanner.result if {
	is_object(predicate.scanner.result)
} else := predicate

# format recognises a report only when every finding in it can be read, so that a malformed entry is never
# skipped by a comprehension and counted as no finding.
format(r) := "Trivy" if {
	is_number(r.SchemaVersion)
	is_array(object.get(r, "Results", []))
	every res in object.get(r, "Results", []) {
		is_array(vulnerabilities(res))
		every v in vulnerabilities(res) {
			is_string(v.Severity)
		}
	}
} else := "Grype" if {
	is_array(r.matches)
	every m in r.matches {
		is_string(m.vulnerability.severity)
	}
} else := "SARIF" if {
	r.version == "2.1.0"
	is_array(r.runs)
	every run in r.runs {
		is_array(object.get(run, "results", []))
	}
}

vulnerabilities(res) := [] if {
	is_object(res)
	is_null(object.get(res, "Vulnerabilities", null))
} else := res.Vulnerabilities if {
	is_object(res)
	is_array(res.Vulnerabilities)
}

# severities lists one upper-case severity per finding.
severities(r) := [upper(v.Severity) | some res in object.get(r, "Results", []); some v in vulnerabilities(res)] if {
	format(r) == "Trivy"
} else := [upper(m.vulnerability.severity) | some m in r.matches] if {
	format(r) == "Grype"
} else := [sarif_severity(run, result) | some run in r.runs; some result in object.get(run, "results", [])] if {
	format(r) == "SARIF"
}

# SARIF: Trivy tags each rule with its severity; Grype and others give a CVSS score as security-severity
# (GitHub's mapping: 9.0 critical, 7.0 high, 4.0 medium, above 0 low). A finding whose rule says neither is
# UNKNOWN.
sarif_severity(run, result) := s if {
	rule := sarif_rule(run, result)
	some tag in rule.properties.tags
	s := upper(tag)
	s in {"CRITICAL", "HIGH", "MEDIUM", "LOW"}
} else := score_severity(score) if {
	score := to_number(sarif_rule(run, result).properties["security-severity"])
} else := "UNKNOWN"

sarif_rule(run, result) := rule if {
	some rule in object.get(object.get(object.get(run, "tool", {}), "driver", {}), "rules", [])
	rule.id == result.ruleId
}

score_severity(s) := "CRITICAL" if s >= 9

else := "HIGH" if s >= 7

else := "MEDIUM" if s >= 4

else := "LOW" if s > 0

else := "UNKNOWN"

# scan_time in ns: cosign's predicate metadata, else the report's own time (Trivy CreatedAt, Grype
# descriptor.timestamp, SARIF invocation end).
scan_time(predicate) := time.parse_rfc3339_ns(time_text(predicate))

time_text(predicate) := t if {
	t := predicate.metadata.scanFinishedOn
	is_string(t)
} else := t if {
	t := report(predicate).CreatedAt
	is_string(t)
} else := t if {
	t := report(predicate).descriptor.timestamp
	is_string(t)
} else := t if {
	t := report(predicate).runs[0].invocations[0].endTimeUtc
	is_string(t)
}
