#!/usr/bin/env bash
# Builds the peer engines the benchmark compares against, from the Go module
# proxy, into build/tools/bin: the Kyverno CLI and sigstore policy-controller's
# tester. Both carry replace directives, so `go install` refuses them; each is
# built from a throwaway wrapper module that requires the peer and copies its
# replace directives (TECH-NOTES.md). Slow (10-20 minutes each on 2 cores);
# only `make bench` needs them, CI does not.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/tools/bin
mkdir -p "$bin"

build_peer() { # name module version package
  local name=$1 module=$2 version=$3 pkg=$4 stamp="$bin/.$1.version"
  if [[ -x "$bin/$name" && "$(cat "$stamp" 2>/dev/null)" == "$module@$version" ]]; then
    return
  fi
  local dir=$PWD/build/peers/$name
  rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
  go mod init "peers.local/$name" > /dev/null 2>&1
  local gomod
  gomod=$(go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  go mod edit -require="$module@$version"
  # Copy the peer's replace directives (single-line and block forms), comments dropped.
  awk '
    /^replace \(/ {inblock=1; next}
    inblock && /^\)/ {inblock=0; next}
    inblock {sub(/\/\/.*/, ""); if ($0 ~ /=>/) print "replace " $0; next}
    /^replace / {sub(/\/\/.*/, ""); print}
  ' "$gomod" >> go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > tools.go
  echo "peers: building $name ($module@$version)"
  local start=$SECONDS
  GOFLAGS=-mod=mod go mod tidy > /dev/null 2>&1 || true
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$bin/$name" "$pkg"
  echo "$module@$version" > "$stamp"
  echo "peers: $name built in $((SECONDS - start))s"
  cd - > /dev/null
}

build_peer kyverno github.com/kyverno/kyverno v1.19.1 github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno
build_peer policy-tester github.com/sigstore/policy-controller v0.13.1 github.com/sigstore/policy-controller/cmd/tester
