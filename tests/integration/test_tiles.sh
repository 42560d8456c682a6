#!/usr/bin/env bash
# Integration: the log as C2SP tlog-tiles (tests/integration/tiles.py): hash tiles, partial tiles
# and entry bundles checked against an independent reading of the spec, read rules, caching.
# Usage: bash test_tiles.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
T=$(mktemp -d /tmp/quotad-tiles-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/tiles.py" "$BUILD_DIR" "$T"
