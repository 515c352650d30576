#!/usr/bin/env bash
# Checks the Rego library with our own binary: formatting, strict compilation
# against the generated capabilities (what vanilla opa and editors see), and the
# test suites, which mock the network built-ins. The admission deployment's own
# policies (deploy/kubernetes/policy: API authorization, readiness, the
# kube-mgmt config rule) are checked together with the library they load with.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/opa-cosign
dirs=(rego/ deploy/kubernetes/policy/)
if [[ -n "$($bin fmt -l "${dirs[@]}")" ]]; then
  echo "rego: not opa fmt clean:" >&2
  $bin fmt -l "${dirs[@]}" >&2
  exit 1
fi
$bin check --strict --capabilities build/capabilities.json rego/
$bin check --strict --capabilities build/capabilities.json "${dirs[@]}"
$bin test --count=1 "${dirs[@]}"
