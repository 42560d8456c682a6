#!/usr/bin/env bash
# Integration: SIGKILL quotad under concurrent signed transfers (tests/integration/crash_load.py).
# 20 kill cycles; QUOTAD_LONG=1 runs 200. QUOTAD_SEED picks the kill moments (default fixed).
# Usage: bash test_crash_load.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
if [ ! -x "$BUILD_DIR/daemon/quotad" ] || [ ! -x "$BUILD_DIR/tools/quota-audit" ]; then
  echo "FAIL: quotad or quota-audit is not built"; exit 1
fi
T=$(mktemp -d /tmp/quotad-crash-XXXXXX)
trap 'rm -rf "$T"' EXIT
CYCLES=20
[ "${QUOTAD_LONG:-0}" = 1 ] && CYCLES=200
SEED=${QUOTAD_SEED:-20261125}
echo "crash cycles: $CYCLES, seed $SEED"
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/crash_load.py" "$BUILD_DIR" "$T" "$CYCLES" "$SEED"
