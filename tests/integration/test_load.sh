#!/usr/bin/env bash
# Integration: 1,000 concurrent connections (slow senders, clients that never read, bursts beyond
# batch_entries_max) against a real quotad; see tests/integration/load.py. The short run pipelines
# one round of 50 requests on each non-reading connection for 8 s; QUOTAD_LONG=1 runs five rounds
# for 60 s (see docs/SECURITY.md for what that showed).
# Usage: bash test_load.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
[ -x "$BUILD_DIR/daemon/quotad" ] || { echo "FAIL: quotad not built"; exit 1; }
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open files limit: $(ulimit -n)"
T=$(mktemp -d /tmp/quotad-load-XXXXXX)
trap 'rm -rf "$T"' EXIT
SECONDS_RUN=8
if [ "${QUOTAD_LONG:-0}" = 1 ]; then SECONDS_RUN=60; export LOAD_DEAF_ROUNDS=${LOAD_DEAF_ROUNDS:-5}; fi
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/load.py" "$BUILD_DIR" "$T" "$SECONDS_RUN"
