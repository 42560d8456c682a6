#!/usr/bin/env bash
# Integration: the signed acknowledgement in POST /v1/tx answers, verified by an independent
# implementation (tests/integration/ack_it.py); quotactl keeps it, quota-audit --acks checks it.
# Usage: bash test_ack.sh BUILD_DIR SOURCE_DIR. A missing binary fails the test.
set -u
BUILD_DIR=$(cd "$1" && pwd)
SOURCE_DIR=$(cd "$2" && pwd)
for bin in daemon/quotad tools/quotactl tools/quota-audit; do
  if [ ! -x "$BUILD_DIR/$bin" ]; then echo "FAIL - $BUILD_DIR/$bin is not built"; exit 1; fi
done
T=$(mktemp -d /tmp/quotad-ack-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/ack_it.py" "$BUILD_DIR" "$T" "$SOURCE_DIR"
status=$?
[ $status -eq 0 ] || { echo "--- quotad log"; tail -40 "$T/quotad.log"; }
exit $status
