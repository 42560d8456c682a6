#!/usr/bin/env bash
# Integration: GET /v1/stream?wait_ms (tests/integration/stream_wait.py): a request with nothing
# new waits for the next commit or its deadline, on a real quotad.
# Usage: bash test_stream_wait.sh BUILD_DIR SOURCE_DIR. A missing binary fails the test.
set -u
BUILD_DIR=$(cd "$1" && pwd)
[ -x "$BUILD_DIR/daemon/quotad" ] || { echo "FAIL - $BUILD_DIR/daemon/quotad is not built"; exit 1; }
T=$(mktemp -d /tmp/quotad-streamwait-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/stream_wait.py" "$BUILD_DIR" "$T"
status=$?
[ $status -eq 0 ] || { echo "--- quotad log"; tail -40 "$T/quotad.log"; }
exit $status
