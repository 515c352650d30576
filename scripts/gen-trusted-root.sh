#!/usr/bin/env bash
# Copies the Sigstore public-good trusted root from the pinned sigstore module
# into the binary's embedded data, so it changes only with the dependency.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(go list -m -f '{{.Dir}}' github.com/sigstore/sigstore)
install -m 0644 "$dir/pkg/tuf/repository/targets/trusted_root.json" internal/trust/public-good/trusted_root.json
