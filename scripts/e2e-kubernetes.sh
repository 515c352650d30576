#!/usr/bin/env bash
# make e2e-kubernetes: runs the admission suite (files built with the tags
# `e2e k8s`) and fails unless every test of that suite ran and passed.
#
# `go test -run '^TestKubernetes'` alone exits 0 when the pattern matches no
# test ("no tests to run"), so renaming a test would silently drop it from CI.
# The suite's tests are found without naming them: those that the `e2e k8s`
# build has and the `e2e` build has not. Each must match the run pattern, and
# each must report `--- PASS` in the verbose output.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='^TestKubernetes'
pkg=./test/e2e/

# list TAGS: the top-level tests of the package built with TAGS (a build
# failure stops the script here, not later as an empty list).
list() {
  local out
  out=$(go test -tags "$1" -list '.*' "$pkg")
  grep -E '^(Test|Example|Fuzz)' <<<"$out" | sort || true
}
plain=$(list e2e)
k8s=$(list 'e2e k8s')
mapfile -t suite < <(comm -13 <(echo "$plain") <(echo "$k8s") | grep .)
if [[ ${#suite[@]} -eq 0 ]]; then
  echo "e2e-kubernetes: the e2e k8s build has no test of its own" >&2
  exit 1
fi
for t in "${suite[@]}"; do
  if ! [[ $t =~ $pattern ]]; then
    echo "e2e-kubernetes: $t is in the k8s suite but does not match $pattern, so it would never run" >&2
    exit 1
  fi
done

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
go test -count=1 -tags 'e2e k8s' -run "$pattern" -timeout 20m -v "$pkg" 2>&1 | tee "$log" || status=$?
if grep -q 'no tests to run' "$log"; then
  echo "e2e-kubernetes: go test ran no test" >&2
  exit 1
fi
for t in "${suite[@]}"; do
  if ! grep -qE "^--- PASS: $t \(" "$log"; then
    echo "e2e-kubernetes: $t did not pass" >&2
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "e2e-kubernetes: ${#suite[@]} tests passed: ${suite[*]}"
exit "$status"
