#!/usr/bin/env bash
# Installs the end-to-end tools and the linter at pinned versions into
# build/tools/bin, from the Go module proxy only (no other network). grpcurl
# drives the Envoy ext_authz gRPC service the way a user tries it by hand.
# Idempotent and fast when up to date: a tool is rebuilt only when the build
# info embedded in the installed binary (`go version -m`) does not name the
# pinned package and version.
#
# Both cosign majors install a binary called `cosign`; each is built into its
# own temporary GOBIN and renamed (cosign-v2, cosign-v3), so two runs never
# race on one file.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/tools/bin
mkdir -p "$bin"

# installed name   package@version
tools=(
  "registry      github.com/distribution/distribution/v3/cmd/registry@v3.1.2"
  "cosign-v2     github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5"
  "cosign-v3     github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3"
  "crane         github.com/google/go-containerregistry/cmd/crane@v0.22.1"
  "golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"
  "grpcurl       github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"
)

# With arguments, only the tools named (e.g. `scripts/tools.sh golangci-lint`).
only=" $* "

# pinned FILE PKG VERSION: FILE was built from PKG of its module at VERSION.
pinned() {
  [[ -x $1 ]] || return 1
  go version -m "$1" 2>/dev/null | awk -v pkg="$2" -v ver="$3" '
    $1 == "path" { path = ($2 == pkg) }
    $1 == "mod"  { mod = ($3 == ver) }
    END { exit !(path && mod) }'
}

for t in "${tools[@]}"; do
  read -r name spec <<<"$t"
  if [[ $# -gt 0 && $only != *" $name "* ]]; then
    continue
  fi
  pkg=${spec%@*} version=${spec##*@}
  if pinned "$bin/$name" "$pkg" "$version"; then
    continue
  fi
  echo "tools: installing $name ($spec)"
  start=$SECONDS
  tmp=$(mktemp -d)
  GOBIN=$tmp CGO_ENABLED=0 go install -trimpath -ldflags=-s "$spec"
  mv "$tmp/${pkg##*/}" "$bin/$name"
  rm -rf "$tmp"
  pinned "$bin/$name" "$pkg" "$version" || { echo "tools: $bin/$name is not $spec" >&2; exit 1; }
  echo "tools: $name installed in $((SECONDS - start))s"
done
