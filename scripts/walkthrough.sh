#!/usr/bin/env bash
# The five-minute walk-through of docs/getting-started.md, runnable as is. The
# e2e suite runs it, so the document cannot drift from what works.
# Needs: make build tools (build/opa-cosign, build/tools/bin/*), curl, jq.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=$root/build:$root/build/tools/bin:$PATH
port=${PORT:-5000}
reg=127.0.0.1:$port
work=$(mktemp -d)
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

# 1. A registry on loopback (the CNCF Distribution registry, in memory).
printf 'version: 0.1\nlog: {level: warn}\nstorage: {inmemory: {}}\nhttp: {addr: %s}\n' "$reg" > registry.yml
registry serve registry.yml > registry.log 2>&1 &
registry_pid=$!
until curl -sf "http://$reg/v2/" > /dev/null; do sleep 0.1; done

# 2. Two small images, built from a file with crane.
echo "hello" > hello.txt && tar -cf layer.tar hello.txt
echo "hello v3" > hello.txt && tar -cf layer-v3.tar hello.txt
crane append --insecure -f layer.tar -t "$reg/demo/app:v1"
crane append --insecure -f layer-v3.tar -t "$reg/demo/app-v3:v1"

# 3. A key pair, and signatures: cosign v2 (legacy .sig) and cosign v3 (Sigstore bundle).
export COSIGN_PASSWORD=""
cosign-v2 generate-key-pair
cosign-v2 sign --key cosign.key --tlog-upload=false --allow-insecure-registry -y "$reg/demo/app:v1"
cosign-v3 sign --key cosign.key --tlog-upload=false --use-signing-config=false --allow-insecure-registry -y "$reg/demo/app-v3:v1"

# 4. Verify with opa-cosign. Plain HTTP is allowed only for the registries you name.
export OPA_COSIGN_INSECURE_REGISTRIES=$reg
verify() { # image, public key file
  jq -n --arg image "$1" --rawfile key "$2" '{image: $image, opts: {key: $key, "insecure-ignore-tlog": true}}' |
    opa-cosign eval --format pretty --stdin-input 'cosign.verify(input.image, input.opts)'
}
echo "== legacy signature (cosign v2)"
verify "$reg/demo/app:v1" cosign.pub
echo "== bundle signature (cosign v3)"
verify "$reg/demo/app-v3:v1" cosign.pub

# 5. The negative twin: another key.
mkdir other && (cd other && cosign-v2 generate-key-pair > /dev/null)
echo "== wrong key"
verify "$reg/demo/app:v1" other/cosign.pub
