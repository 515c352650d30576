#!/usr/bin/env bash
# make load: runs the bounded load and soak test (TestLoad, loopback only, about
# 30 s) and writes its figures to test/bench/load.md, which `make bench` copies
# into BENCHMARKS.md. The same test runs, with its assertions, in `make e2e`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
LOAD_OUT=$out go test -count=1 -tags e2e -run '^TestLoad$' -timeout 10m ./test/e2e/
{
  echo "## 7. Load and soak: well-behaved traffic beside a hostile registry"
  echo
  echo "Produced by \`make load\` (scripts/load.sh → \`go test -tags e2e -run '^TestLoad$' ./test/e2e/\`) on $(date -u +%Y-%m-%d),"
  echo "$(nproc) cores, against \`opa-cosign run --server\` with the plugin's defaults (8 s deadline, 16 verifications at once,"
  echo "8 MiB max_blob_bytes). 8 clients ask back to back for cached (8 hot images), uncached (by tag, each once) and unsigned"
  echo "images of an in-process registry; in the second phase 6 more clients ask for new digests of a hostile registry that"
  echo "hangs (2 clients), lists 10,000 signatures (2) or streams an endless blob behind a 64 MiB descriptor (2). Goroutines"
  echo "and heap are the server's own (\`go_goroutines\`, \`go_memstats_heap_inuse_bytes\` on /metrics, after a GC through"
  echo "\`--pprof\`), read once every connection is closed."
  echo
  cat "$out"
  echo
  cat test/bench/load-reading.md
} > test/bench/load.md
echo "wrote test/bench/load.md"
