#!/usr/bin/env bash
# Live cross-check of our importer against the real Kubo 0.22: installs the embedded Kubo
# (install.sh, a no-op when present), then runs cross_check.py with the given arguments.
#
#   FLOWCOIN_BIN=target/debug/flowcoin scripts/interop/cross_check.sh --seed 7 --count 50
#   scripts/interop/cross_check.sh --kubo-only --count 5      # the harness alone
#
# Exit code: 0 all matched, 1 a mismatch (or our CLI failed on a case), 2 setup error.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="$("$HERE/install.sh" | tail -n1)"
exec "$PY" "$HERE/cross_check.py" "$@"
