#!/usr/bin/env bash
# Integration: 200 connections that never read while 50 well-behaved clients keep being answered;
# quotad's RssAnon stays under a stated bound (tests/integration/load_deaf.py). About a minute.
# Usage: bash test_load_deaf.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
if [ ! -x "$BUILD_DIR/daemon/quotad" ]; then echo "FAIL: $BUILD_DIR/daemon/quotad not built"; exit 1; fi
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
T=$(mktemp -d /tmp/quotad-deaf-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/load_deaf.py" "$BUILD_DIR" "$T"
