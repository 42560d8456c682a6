#!/usr/bin/env bash
# Integration: attacks on quotad's connections (tests/integration/hostile_conns.py): a reset while
# answers are written, large pipelined answers never read, silent sockets, one address taking
# every slot. Usage: bash test_daemon_hostile_conns.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
if [ ! -x "$BUILD_DIR/daemon/quotad" ]; then echo "FAIL: $BUILD_DIR/daemon/quotad not built"; exit 1; fi
T=$(mktemp -d /tmp/quotad-conns-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/hostile_conns.py" "$BUILD_DIR" "$T"
