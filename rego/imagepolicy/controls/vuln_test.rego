package imagepolicy.controls.vuln_test

import rego.v1

import data.imagepolicy.controls.vuln
import data.imagepolicy.testing

limits := {"type": "vuln", "max_severity": {"CRITICAL": 0, "HIGH": 1}}

check(rule, predicates) := vuln.violations(rule, [{"predicate": p} | some p in predicates])

unreadable := {"the scan report is in a format opa-cosign cannot read (expected Trivy JSON, Grype JSON or SARIF 2.1.0, alone or in predicate.scanner.result)"}

test_trivy if {
	check(limits, [testing.trivy_clean]) == set()
	check(limits, [testing.trivy_critical]) == {"1 CRITICAL vulnerabilities in the Trivy report, at most 0 allowed"}

	# A report with no Results (nothing scanned) or null Vulnerabilities is clean.
	check(limits, [{"SchemaVersion": 2}]) == set()
	check(limits, [testing.trivy(null)]) == set()
}

test_deny_malformed_trivy if {
	# Findings as an object, or a finding without a severity, would be skipped: the report is unreadable.
	check(limits, [testing.trivy({"CVE-1": {"Severity": "CRITICAL"}})]) == unreadable
	check(limits, [testing.trivy([{"VulnerabilityID": "CVE-1"}])]) == unreadable
	check(limits, [json.patch(testing.trivy_clean, [{"op": "replace", "path": "/Results", "value": {"a": 1}}])]) == unreadable
}

test_grype if {
	check(limits, [testing.grype(["High", "Low", "Negligible"])]) == set()
	check(limits, [testing.grype(["Critical", "High", "High"])]) == {
		"1 CRITICAL vulnerabilities in the Grype report, at most 0 allowed",
		"2 HIGH vulnerabilities in the Grype report, at most 1 allowed",
	}
	check(limits, [{"matches": [{"vulnerability": {"id": "CVE-1"}}]}]) == unreadable
}

test_sarif if {
	check(limits, [testing.sarif_trivy("HIGH")]) == set()
	check(limits, [testing.sarif_trivy("CRITICAL")]) == {"1 CRITICAL vulnerabilities in the SARIF report, at most 0 allowed"}
	check(limits, [testing.sarif_grype("9.8")]) == {"1 CRITICAL vulnerabilities in the SARIF report, at most 0 allowed"}
	check(limits, [testing.sarif_grype("7.5")]) == set()
}

test_sarif_finding_without_a_known_rule_is_unknown if {
	report := json.patch(testing.sarif_grype("9.8"), [{"op": "replace", "path": "/runs/0/results/0/ruleId", "value": "other"}])
	check({"type": "vuln", "max_severity": {"UNKNOWN": 0}}, [report]) == {"1 UNKNOWN vulnerabilities in the SARIF report, at most 0 allowed"}
}

test_deny_unreadable if {
	every p in [{}, {"scanner": {"result": {}}}, {"vulnerabilities": []}, testing.cosign_vuln("text", testing.hours_ago(1))] {
		check(limits, [p]) == unreadable
	}
}

test_inside_the_cosign_predicate if {
	check(limits, [testing.cosign_vuln(testing.grype(["Critical"]), testing.hours_ago(1))]) == {"1 CRITICAL vulnerabilities in the Grype report, at most 0 allowed"}
}

test_age if {
	rule := {"type": "vuln", "max_age_hours": 24}
	check(rule, [testing.cosign_vuln(testing.trivy_clean, testing.hours_ago(23))]) == set()
	old := testing.hours_ago(25)
	check(rule, [testing.cosign_vuln(testing.trivy_clean, old)]) == {sprintf("the scan finished %s, 25 hours ago, more than max_age_hours 24", [old])}
}

test_deny_scan_time_in_the_future if {
	future := testing.hours_ago(-2)
	check({"type": "vuln", "max_age_hours": 24}, [testing.cosign_vuln(testing.trivy_clean, future)]) == {sprintf("the scan finished %s, in the future", [future])}
}

test_deny_unknown_scan_time_with_max_age if {
	check({"type": "vuln", "max_age_hours": 24}, [{"scanner": {"result": {"SchemaVersion": 2}}}]) == {"the scan time is unknown (predicate.metadata.scanFinishedOn), so its age cannot be checked against max_age_hours 24"}
}

test_scan_time_from_the_report_itself if {
	recent := testing.hours_ago(1)
	check({"type": "vuln", "max_age_hours": 24}, [json.patch(testing.grype([]), [{"op": "replace", "path": "/descriptor/timestamp", "value": recent}])]) == set()
}

test_newest_report_decides if {
	clean_old := testing.cosign_vuln(testing.trivy_clean, testing.hours_ago(30))
	critical_new := testing.cosign_vuln(testing.trivy_critical, testing.hours_ago(2))
	check(limits, [clean_old, critical_new]) == {"1 CRITICAL vulnerabilities in the Trivy report, at most 0 allowed"}
	check(limits, [testing.cosign_vuln(testing.trivy_critical, testing.hours_ago(30)), testing.cosign_vuln(testing.trivy_clean, testing.hours_ago(2))]) == set()

	# Without times for every report, every report must pass.
	check(limits, [testing.trivy_clean, testing.trivy_critical]) == {"1 CRITICAL vulnerabilities in the Trivy report, at most 0 allowed"}
}
