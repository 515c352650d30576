#!/usr/bin/env bash
# Checks the Rego library with our own binary: formatting, strict compilation
# against the generated capabilities (what vanilla opa and editors see), and the
# test suites, which mock the network built-ins.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/opa-cosign
if [[ -n "$($bin fmt -l rego/)" ]]; then
  echo "rego: not opa fmt clean:" >&2
  $bin fmt -l rego/ >&2
  exit 1
fi
$bin check --strict --capabilities build/capabilities.json rego/
$bin test --count=1 rego/
