#!/usr/bin/env bash
# Integration: quotactl mirror (tests/integration/mirror.py): first mirror, interrupted and resumed
# runs, a tampered tile and a fork refused, a static mirror read by the monitor and a second mirror.
# Usage: bash test_mirror.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
T=$(mktemp -d /tmp/quotad-mirror-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/mirror.py" "$BUILD_DIR" "$T"
