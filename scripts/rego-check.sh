#!/usr/bin/env bash
# Checks the Rego library with our own binary: formatting, strict compilation
# against the generated capabilities (what vanilla opa and editors see), and the
# test suites, which mock the network built-ins, with a floor on their line
# coverage. The admission deployment's kube-mgmt config rule
# (deploy/kubernetes/policy) is checked together with the library it loads with.
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

# Line coverage of the library (test files left out) by its own tests. The floor is what the suites reach today
# less a small margin: the lines left uncovered are fall-backs that should never run (a Pod that cannot be
# evaluated at all, no config loaded). A change that adds untested paths falls below it.
floor=95
coverage=$($bin test --coverage rego/ | jq '[.files | to_entries[] | select(.key | test("_test\\.rego$") | not) | .value]
  | (map(.covered_lines // 0) | add) as $c | (map(.not_covered_lines // 0) | add) as $n | 100 * $c / ($c + $n) | floor')
echo "rego: library line coverage ${coverage}% (floor ${floor}%)"
if (( coverage < floor )); then
  echo "rego: coverage ${coverage}% is below the floor of ${floor}%" >&2
  exit 1
fi
