#!/usr/bin/env bash
# The five-minute walk-through of docs/getting-started.md, runnable as is. The
# e2e suite runs it and checks that every command of the document is here
# (with $reg = 127.0.0.1:5000) and that every JSON result the document shows
# is what this script prints, so the document cannot drift from what works.
# Needs: make build tools (build/opa-cosign, build/tools/bin/*), curl, jq.
# PORT chooses the registry's port (default 5000); a port already taken fails
# at once with the registry's own error.
set -euo pipefail
cd "$(dirname "$0")/.."
reg=127.0.0.1:${PORT:-5000}
registry_pid=

# 0. The tools on PATH, and a scratch directory.
export PATH=$PWD/build:$PWD/build/tools/bin:$PATH
cd "$(mktemp -d)"
work=$PWD
trap 'kill $registry_pid 2>/dev/null || true; rm -rf "$work"' EXIT

# 1. A registry on loopback (the CNCF Distribution registry, in memory). It is
# up when it logs that it listens; if it stops instead (the port is taken),
# its own error is printed and the script fails at once.
printf "version: 0.1\nlog: {level: info}\nstorage: {inmemory: {}}\nhttp: {addr: $reg}\n" > registry.yml
registry serve registry.yml > registry.log 2>&1 &
registry_pid=$!
until grep -q "listening on" registry.log; do
  if ! kill -0 $! 2>/dev/null; then tail -1 registry.log; break; fi
  sleep 0.1
done
kill -0 $registry_pid 2>/dev/null || { echo "walkthrough: the registry did not start on $reg (PORT chooses another port)" >&2; exit 1; }

# 2. Two small images, each a one-file layer, pushed with crane.
echo "hello" > hello.txt && tar -cf layer.tar hello.txt
app=$(crane append --insecure -f layer.tar -t $reg/demo/app:v1)
echo "hello v3" > hello.txt && tar -cf layer-v3.tar hello.txt
app_v3=$(crane append --insecure -f layer-v3.tar -t $reg/demo/app-v3:v1)
echo "pushed $app and $app_v3"

# 3. A key pair, and signatures by digest: cosign v2 (legacy .sig) and cosign v3 (Sigstore bundle).
export COSIGN_PASSWORD=""
cosign-v2 generate-key-pair
cosign-v2 sign --key cosign.key --tlog-upload=false --allow-insecure-registry -y "$app"
cosign-v3 sign --key cosign.key --use-signing-config=false --tlog-upload=false --allow-insecure-registry -y "$app_v3"

# 4. Verify with opa-cosign, by tag. Plain HTTP is allowed only for the registries you name.
export OPA_COSIGN_INSECURE_REGISTRIES=$reg
verify() {
  jq -n --arg image "$1" --rawfile key "$2" '{image: $image, opts: {key: $key, "insecure-ignore-tlog": true}}' |
    opa-cosign eval --format pretty --stdin-input 'cosign.verify(input.image, input.opts)'
}
echo "== legacy signature (cosign v2)"
verify $reg/demo/app:v1 cosign.pub
echo "== bundle signature (cosign v3)"
verify $reg/demo/app-v3:v1 cosign.pub

# 5. The negative twins: another key; a registry not marked insecure; a
# mistake in the options, which is an error (stderr, exit code 2), not a result.
mkdir other && (cd other && cosign-v2 generate-key-pair > /dev/null)
echo "== wrong key"
verify $reg/demo/app:v1 other/cosign.pub
echo "== registry not marked insecure"
(unset OPA_COSIGN_INSECURE_REGISTRIES; verify $reg/demo/app:v1 cosign.pub)
echo "== the key's file name instead of the key"
jq -n --arg image $reg/demo/app:v1 '{image: $image, opts: {key: "cosign.pub"}}' |
  opa-cosign eval --format pretty --stdin-input 'cosign.verify(input.image, input.opts)' 2>&1 || echo "exit code $?"

# 6. The same verdict from cosign itself, and from opa-cosign verify with
# cosign's flags.
echo "== cosign verify"
cosign-v2 verify --key cosign.pub --insecure-ignore-tlog --allow-insecure-registry $reg/demo/app:v1 > /dev/null
cosign-v3 verify --key cosign.pub --insecure-ignore-tlog --allow-insecure-registry $reg/demo/app-v3:v1 > /dev/null
echo "== opa-cosign verify"
opa-cosign verify --key cosign.pub --insecure-ignore-tlog --allow-insecure-registry $reg/demo/app:v1 $reg/demo/app-v3:v1
opa-cosign verify --key other/cosign.pub --insecure-ignore-tlog --allow-insecure-registry $reg/demo/app:v1 2>&1 || echo "exit code $?"
