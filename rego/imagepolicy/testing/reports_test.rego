# Vulnerability reports: Reports in the formats scanners produce, trimmed to the fields that matter, for the vulnerability gate's
# tests: Trivy JSON (`trivy image -f json`), Grype JSON (`grype -o json`) and SARIF 2.1.0 from both.
package imagepolicy.testing

import rego.v1

trivy(vulns) := {
	"SchemaVersion": 2,
	"CreatedAt": "2026-11-30T10:00:00.123456789Z",
	"ArtifactName": "ghcr.io/acme/app:v1",
	"ArtifactType": "container_image",
	"Results": [
		{"Target": "ghcr.io/acme/app:v1 (alpine 3.20.3)", "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": vulns},
		{"Target": "app/go.mod", "Class": "lang-pkgs", "Type": "gomod"},
	],
}

trivy_vuln(id, severity) := {"VulnerabilityID": id, "PkgName": "openssl", "InstalledVersion": "3.3.2-r0", "Severity": severity}

trivy_clean := trivy([trivy_vuln("CVE-2024-0001", "HIGH"), trivy_vuln("CVE-2024-0002", "LOW")])

trivy_critical := trivy([trivy_vuln("CVE-2024-0003", "CRITICAL"), trivy_vuln("CVE-2024-0004", "HIGH")])

grype(severities) := {
	"matches": [{
		"vulnerability": {"id": sprintf("CVE-2024-10%d", [i]), "dataSource": "https://nvd.nist.gov", "severity": s},
		"artifact": {"name": "openssl", "version": "3.3.2-r0", "type": "apk"},
	} |
		some i, s in severities
	],
	"source": {"type": "image", "target": {"userInput": "ghcr.io/acme/app:v1"}},
	"distro": {"name": "alpine", "version": "3.20.3"},
	"descriptor": {"name": "grype", "version": "0.86.1", "timestamp": "2026-11-30T10:00:00.123456789Z"},
}

# SARIF as Trivy writes it: the severity is a tag of the rule.
sarif_trivy(severity) := {
	"version": "2.1.0",
	"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
	"runs": [{
		"tool": {"driver": {"name": "Trivy", "rules": [{"id": "CVE-2024-0003", "properties": {"tags": ["vulnerability", "security", severity], "security-severity": "9.8"}}]}},
		"results": [{"ruleId": "CVE-2024-0003", "level": "error", "message": {"text": "openssl"}}],
	}],
}

# SARIF as Grype writes it: a CVSS score as security-severity.
sarif_grype(score) := {
	"version": "2.1.0",
	"runs": [{
		"tool": {"driver": {"name": "Grype", "rules": [{"id": "CVE-2024-0005-openssl", "properties": {"security-severity": score}}]}},
		"results": [{"ruleId": "CVE-2024-0005-openssl", "level": "error", "message": {"text": "openssl"}}],
	}],
}
