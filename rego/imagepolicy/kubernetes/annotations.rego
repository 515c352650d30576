# METADATA
# title: Annotation controls
# description: |
#   Parity with the annotation-based Gatekeeper template (seed 000) and scan annotations (seed 001), for
#   migrations: CI writes annotations after it verified or scanned the image. They prove less than verification
#   at admission (anyone who can set annotations can forge them: restrict that with RBAC), so they add checks and
#   never replace cosign verification. Parameters in data.imagepolicy.config.controls.
package imagepolicy.kubernetes.annotations

import rego.v1

# problems for a workload object whose containers got verdicts (image -> result).
problems(obj, namespace, containers, verdicts, cfg) := array.concat(
	verification_problems(obj, namespace, containers, verdicts, cfg),
	scan_problems(obj, cfg),
)

annotations(obj) := object.get(object.get(obj, "metadata", {}), "annotations", {})

# verification_annotations: {"required": ["image.signature.verified", "image.digest", ...],
# "exempt_namespaces": [...]} — as the template's requiredAnnotations and exemptNamespaces.
verification_problems(obj, namespace, containers, verdicts, cfg) := [p |
	params := cfg.controls.verification_annotations
	not exempt(namespace, params)
	some p in verification_checks(annotations(obj), params, containers, verdicts)
] if cfg.controls.verification_annotations

else := []

exempt(namespace, params) if {
	some pattern in object.get(params, "exempt_namespaces", [])
	glob.match(pattern, [], namespace)
}

verification_checks(ann, params, containers, verdicts) := array.concat(
	array.concat(
		[sprintf("missing required image verification annotations: %s", [concat(", ", sort(missing))]) |
			missing := {a | some a in object.get(params, "required", []); not ann[a]}
			count(missing) > 0
		],
		[`annotation "image.signature.verified" must be "true"` | object.get(ann, "image.signature.verified", "true") != "true"],
	),
	[sprintf("container %q digest %s does not match the verified digest in annotation image.digest: %s", [c.name, d, ann["image.digest"]]) |
		ann["image.digest"]
		some c in containers
		d := container_digest(c, verdicts)
		d != ann["image.digest"]
	],
)

container_digest(c, verdicts) := d if {
	d := verdicts[c.image].digest
	d != ""
} else := "unknown"

# scan_annotation: {"annotation": "trivy.scan.result", "max_severity": {"CRITICAL": 0, "HIGH": 0}} — a Trivy
# JSON report in a workload annotation; missing or unparsable counts as failing.
scan_problems(obj, cfg) := [p |
	params := cfg.controls.scan_annotation
	some p in scan_checks(annotations(obj), params)
] if cfg.controls.scan_annotation

else := []

scan_checks(ann, params) := [sprintf("scan annotation %q is missing or not a JSON scan report", [params.annotation])] if {
	not json.is_valid(object.get(ann, params.annotation, ""))
} else := [sprintf("scan annotation %q reports %d %s vulnerabilities, at most %d allowed", [params.annotation, n, severity, max]) |
	report := json.unmarshal(ann[params.annotation])
	some severity, max in params.max_severity
	n := count([1 |
		some r in object.get(report, "Results", [])
		some v in object.get(r, "Vulnerabilities", [])
		upper(v.Severity) == upper(severity)
	])
	n > max
]
