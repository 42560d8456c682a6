#!/usr/bin/env bash
# Integration: a damaged data file (random page headers, a changed Merkle node) is refused or
# answered `corrupt`, never a crash of quotad; see tests/integration/damage.py.
# Usage: bash test_store_damage.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
for b in daemon/quotad tools/quotactl; do
  [ -x "$BUILD_DIR/$b" ] || { echo "FAIL: $BUILD_DIR/$b is not built"; exit 1; }
done
T=$(mktemp -d /tmp/quotad-damage-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/damage.py" "$BUILD_DIR" "$T"
