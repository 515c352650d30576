#!/usr/bin/env bash
# Builds the Kubernetes control plane the admission e2e suite runs against:
# kube-apiserver and a version-matched kubectl, from the pinned tools module in
# tools/kube (Go module proxy only), into build/tools/bin. The first build takes
# 6-9 minutes on two cores (measured); later runs reuse the binaries when their
# embedded build info (`go version -m`) still names the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/build/tools/bin
mkdir -p "$bin"
k8s_version=$(grep -oP '^\s*(require\s+)?k8s\.io/kubernetes\s+\Kv\S+' tools/kube/go.mod)
[[ -n $k8s_version ]] || { echo "kube-tools: no k8s.io/kubernetes version in tools/kube/go.mod" >&2; exit 1; }

pinned() { # FILE PKG: FILE was built from PKG of k8s.io/kubernetes at the pinned version
  [[ -x $1 ]] || return 1
  go version -m "$1" 2>/dev/null | awk -v pkg="$2" -v ver="$k8s_version" '
    $1 == "path" { path = ($2 == pkg) }
    ($1 == "mod" || $1 == "dep") && $2 == "k8s.io/kubernetes" { mod = ($3 == ver) }
    END { exit !(path && mod) }'
}

todo=()
for cmd in kube-apiserver kubectl; do
  pinned "$bin/$cmd" "k8s.io/kubernetes/cmd/$cmd" || todo+=("k8s.io/kubernetes/cmd/$cmd")
done
[[ ${#todo[@]} -eq 0 ]] && exit 0

# Without these the binaries report v0.0.0-master, and kubectl warns about skew.
minor=${k8s_version#v1.} minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done

echo "kube-tools: building ${todo[*]} at $k8s_version (6-9 minutes the first time)"
start=$SECONDS
(cd tools/kube && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/" "${todo[@]}")
for pkg in "${todo[@]}"; do
  pinned "$bin/${pkg##*/}" "$pkg" || { echo "kube-tools: $bin/${pkg##*/} is not $pkg@$k8s_version" >&2; exit 1; }
done
echo "kube-tools: built in $((SECONDS - start))s"
