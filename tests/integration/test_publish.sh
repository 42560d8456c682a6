#!/usr/bin/env bash
# Integration: quotad publishes a checkpoint only once a 2-of-3 quorum of real quota-witness
# processes cosigned it (tests/integration/publish_it.py); split view refused by the witnesses.
# Usage: bash test_publish.sh BUILD_DIR SOURCE_DIR. A missing binary fails the test.
set -u
BUILD_DIR=$(cd "$1" && pwd)
SOURCE_DIR=$(cd "$2" && pwd)
for bin in daemon/quotad witness/quota-witness tools/quotactl; do
  if [ ! -x "$BUILD_DIR/$bin" ]; then echo "FAIL - $BUILD_DIR/$bin is not built"; exit 1; fi
done
T=$(mktemp -d /tmp/quotad-publish-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/publish_it.py" "$BUILD_DIR" "$T" "$SOURCE_DIR"
status=$?
if [ $status -ne 0 ]; then
  echo "--- quotad log"; tail -40 "$T/quotad.log"
  for w in 1 2 3; do echo "--- witness $w log"; tail -10 "$T/w$w.log"; done
fi
exit $status
