#!/usr/bin/env bash
# Builds the Gatekeeper controller the Gatekeeper e2e suite runs out of cluster,
# from the pinned tools module in tools/gatekeeper (Go module proxy only), into
# build/tools/bin/gatekeeper, and copies the CRDs of the same module version into
# build/tools/gatekeeper-crds. The first build takes several minutes on two cores;
# later runs reuse the binary while its embedded build info (`go version -m`)
# names the pinned version, and the CRDs while their stamp names it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/tools/bin
crds=$PWD/build/tools/gatekeeper-crds
mod=github.com/open-policy-agent/gatekeeper/v3
mkdir -p "$bin"
version=$(grep -oP "^\s*(require\s+)?${mod//./\\.}\s+\Kv\S+" tools/gatekeeper/go.mod)
[[ -n $version ]] || { echo "gatekeeper-tools: no $mod version in tools/gatekeeper/go.mod" >&2; exit 1; }

pinned() { # FILE: FILE was built from the main package of $mod at the pinned version
  [[ -x $1 ]] || return 1
  go version -m "$1" 2>/dev/null | awk -v pkg="$mod" -v ver="$version" '
    $1 == "path" { path = ($2 == pkg) }
    $1 == "mod" && $2 == pkg { ver_ok = ($3 == ver) }
    END { exit !(path && ver_ok) }'
}

if ! pinned "$bin/gatekeeper"; then
  echo "gatekeeper-tools: building gatekeeper $version (several minutes the first time)"
  start=$SECONDS
  (cd tools/gatekeeper && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/gatekeeper" "$mod")
  pinned "$bin/gatekeeper" || { echo "gatekeeper-tools: $bin/gatekeeper is not $mod@$version" >&2; exit 1; }
  echo "gatekeeper-tools: built in $((SECONDS - start))s"
fi

# The CRDs ship in the module (charts/gatekeeper/crds); the stamp names the
# version they were copied from, so a new pin replaces them.
if [[ $(cat "$crds/VERSION" 2>/dev/null) != "$version" ]]; then
  dir=$(cd tools/gatekeeper && go list -m -f '{{.Dir}}' "$mod")
  rm -rf "$crds" && mkdir -p "$crds"
  cp "$dir"/charts/gatekeeper/crds/*.yaml "$crds/"
  chmod u+w "$crds"/*.yaml
  echo "$version" > "$crds/VERSION"
fi
