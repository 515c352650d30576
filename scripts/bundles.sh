#!/usr/bin/env bash
# Builds build/bundles/<name>.tar.gz for each bundles/<name>/ from the Rego
# library (tests left out) plus the bundle's .manifest and data.json. With
# SIGNING_KEY (and optionally SIGNING_ALG) set, the bundles are signed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/opa-cosign
out=$PWD/build/bundles
mkdir -p "$out"
for dir in bundles/*/; do
  name=$(basename "$dir")
  stage=$(mktemp -d)
  (cd rego && find . -name '*.rego' ! -name '*_test.rego' ! -path './*/testing/*' -exec install -D -m 0644 {} "$stage/{}" \;)
  install -m 0644 "$dir/.manifest" "$stage/.manifest"
  install -m 0644 "$dir/data.json" "$stage/data.json"
  sign=()
  if [[ -n "${SIGNING_KEY:-}" ]]; then
    sign=(--signing-key "$SIGNING_KEY" --signing-alg "${SIGNING_ALG:-RS256}")
  fi
  (cd "$stage" && "$bin" build --bundle . "${sign[@]}" -o "$out/$name.tar.gz")
  rm -rf "$stage"
  echo "bundles: $out/$name.tar.gz"
done
