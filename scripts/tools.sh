#!/usr/bin/env bash
# Installs the end-to-end tools at pinned versions into build/tools/bin, from the
# Go module proxy only. Idempotent: a tool whose pinned version is already there
# is not rebuilt (a stamp file records what was installed).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/tools/bin
mkdir -p "$bin"

# name  module@version  installed binary name
tools=(
  "registry  github.com/distribution/distribution/v3/cmd/registry@v3.1.2  registry"
  "cosign-v2 github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5              cosign"
  "cosign-v3 github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3              cosign"
  "crane     github.com/google/go-containerregistry/cmd/crane@v0.22.1      crane"
)

for t in "${tools[@]}"; do
  read -r name pkg built <<<"$t"
  stamp="$bin/.$name.version"
  if [[ -x "$bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$pkg" ]]; then
    continue
  fi
  echo "tools: installing $name ($pkg)"
  start=$SECONDS
  tmp=$(mktemp -d)
  GOBIN=$tmp CGO_ENABLED=0 go install -trimpath -ldflags=-s "$pkg"
  mv "$tmp/$built" "$bin/$name"
  rm -rf "$tmp"
  echo "$pkg" >"$stamp"
  echo "tools: $name installed in $((SECONDS - start))s"
done
