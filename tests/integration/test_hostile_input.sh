#!/usr/bin/env bash
# Integration: the hostile input catalogue (tests/integration/hostile.py) against a real quotad.
# Usage: bash test_hostile_input.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
if [ ! -x "$BUILD_DIR/daemon/quotad" ]; then echo "FAIL: quotad not built"; exit 1; fi
T=$(mktemp -d /tmp/quotad-hostile-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/hostile.py" "$BUILD_DIR" "$T"
