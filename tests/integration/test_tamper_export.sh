#!/usr/bin/env bash
# Integration: tamper evidence end to end (quotad -> quotactl export -> quota-audit), see
# tests/integration/tamper.py. 40 random byte flips; QUOTAD_LONG=1 runs 1,000.
# Usage: bash test_tamper_export.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
for b in daemon/quotad tools/quotactl tools/quota-audit; do
  [ -x "$BUILD_DIR/$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done
T=$(mktemp -d /tmp/quotad-tamper-XXXXXX)
trap 'rm -rf "$T"' EXIT
FLIPS=40
[ "${QUOTAD_LONG:-0}" = 1 ] && FLIPS=1000
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/tamper.py" "$BUILD_DIR" "$T" "$FLIPS" "${QUOTAD_SEED:-20261125}"
