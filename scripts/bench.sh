#!/usr/bin/env bash
# make bench: builds the peer engines (unless SKIP_PEERS=1), runs the benchmark
# once and writes BENCHMARKS.md with the command, the date and the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -n "${SKIP_PEERS:-}" ]] || scripts/peers.sh
out=$(mktemp)
BENCH_OUT=$out go run ./test/bench
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (scripts/bench.sh → \`go run ./test/bench\`) on $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) of memory, against the CNCF Distribution registry v3.1.2 on loopback with images"
  echo "signed by the real cosign v2.6.5 (\`sign --key --tlog-upload=false\`). Peers at pinned versions: cosign v2.6.5"
  echo "(\`cosign verify --key --insecure-ignore-tlog\`), the Kyverno CLI v1.19.1 (\`kyverno apply --registry\`, a"
  echo "verifyImages key policy), sigstore policy-controller v0.13.1's \`tester\` (a ClusterImagePolicy with a key authority)."
  echo "The machine is shared and noisy: read the ratios, measured in one run, rather than lone absolute times."
  echo
  cat "$out"
  cat test/bench/reading.md
  if [[ -f test/bench/load.md ]]; then # from `make load`
    echo
    cat test/bench/load.md
  fi
} > BENCHMARKS.md
rm -f "$out"
echo "wrote BENCHMARKS.md"
