#!/usr/bin/env bash
# Builds build/bundles/<name>.tar.gz for each bundles/<name>/ from the Rego
# library (tests left out) plus the bundle's .manifest and data.json. With
# SIGNING_KEY (and optionally SIGNING_ALG) set, the bundles are signed.
#
#   scripts/bundles.sh [NAME...]      only these bundles
#   BUNDLE_DATA=my-data.json          your data.json (e.g. your verification config) instead of the shipped one
#   BUNDLE_OUT=dir                    write the bundles there instead of build/bundles
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/opa-cosign
out=${BUNDLE_OUT:-$PWD/build/bundles}
mkdir -p "$out"
out=$(cd "$out" && pwd)
data=${BUNDLE_DATA:+$(realpath "$BUNDLE_DATA")}
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for dir in bundles/*/; do names+=("$(basename "$dir")"); done
fi
for name in "${names[@]}"; do
  dir=bundles/$name
  [[ -f $dir/.manifest ]] || { echo "bundles: no bundle $name (bundles/$name/.manifest)" >&2; exit 1; }
  stage=$(mktemp -d)
  (cd rego && find . -name '*.rego' ! -name '*_test.rego' ! -path './*/testing/*' -exec install -D -m 0644 {} "$stage/{}" \;)
  install -m 0644 "$dir/.manifest" "$stage/.manifest"
  install -m 0644 "${data:-$dir/data.json}" "$stage/data.json"
  sign=()
  if [[ -n "${SIGNING_KEY:-}" ]]; then
    sign=(--signing-key "$SIGNING_KEY" --signing-alg "${SIGNING_ALG:-RS256}")
  fi
  (cd "$stage" && "$bin" build --bundle . "${sign[@]}" -o "$out/$name.tar.gz")
  rm -rf "$stage"
  echo "bundles: $out/$name.tar.gz"
done
