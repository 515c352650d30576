#!/usr/bin/env bash
# Builds the Gatekeeper controller the Gatekeeper e2e suite runs out of cluster,
# from the pinned tools module in tools/gatekeeper (Go module proxy only), into
# build/tools/bin/gatekeeper, and copies from the same module version its CRDs
# (charts/gatekeeper/crds) and its install manifest (deploy/gatekeeper.yaml, for
# its webhook configurations) into build/tools/gatekeeper. The first build takes
# about 6 minutes on two cores with the Kubernetes modules already downloaded
# (much longer on a busy machine); later runs reuse the binary while its
# embedded build info (`go version -m`) names the pinned version, and the
# manifests while their stamp names it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/tools/bin
share=$PWD/build/tools/gatekeeper
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
  echo "gatekeeper-tools: building gatekeeper $version (about 6 minutes the first time)"
  start=$SECONDS
  (cd tools/gatekeeper && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/gatekeeper" "$mod")
  pinned "$bin/gatekeeper" || { echo "gatekeeper-tools: $bin/gatekeeper is not $mod@$version" >&2; exit 1; }
  echo "gatekeeper-tools: built in $((SECONDS - start))s"
fi

# The manifests ship in the module; the stamp names the version they were
# copied from, so a new pin replaces them.
if [[ $(cat "$share/VERSION" 2>/dev/null) != "$version" ]]; then
  dir=$(cd tools/gatekeeper && go list -m -f '{{.Dir}}' "$mod")
  rm -rf "$share" && mkdir -p "$share/crds"
  cp "$dir"/charts/gatekeeper/crds/*.yaml "$share/crds/"
  cp "$dir"/deploy/gatekeeper.yaml "$share/"
  chmod -R u+w "$share"
  echo "$version" > "$share/VERSION"
fi
