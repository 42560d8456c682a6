#!/usr/bin/env bash
# Integration: quota-witness against checkpoints of an independent signer and its cosignatures
# against an independent cosignature/v1 verifier (tests/integration/witness_it.py, witness_spec.py).
# Usage: bash test_witness.sh BUILD_DIR SOURCE_DIR. A missing binary fails the test.
set -u
BUILD_DIR=$(cd "$1" && pwd)
SOURCE_DIR=$(cd "$2" && pwd)
for bin in witness/quota-witness tools/quotactl; do
  if [ ! -x "$BUILD_DIR/$bin" ]; then echo "FAIL - $BUILD_DIR/$bin is not built"; exit 1; fi
done
T=$(mktemp -d /tmp/quota-witness-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/witness_it.py" "$BUILD_DIR" "$T" "$SOURCE_DIR"
status=$?
[ $status -eq 0 ] || { echo "--- quota-witness log"; tail -40 "$T/witness.log"; }
exit $status
