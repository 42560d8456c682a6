#!/usr/bin/env bash
# Integration: storage faults (failing fsync, full disk, map ceiling) under a real quotad with the
# fault shim preloaded; see tests/integration/faults.py.
# Usage: bash test_storage_faults.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
for b in daemon/quotad tools/quota-audit tests/fault/libfaultshim.so; do
  [ -e "$BUILD_DIR/$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done
T=$(mktemp -d /tmp/quotad-faults-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/faults.py" "$BUILD_DIR" "$T"
