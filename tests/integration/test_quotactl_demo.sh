#!/usr/bin/env bash
# scripts/demo.sh end to end on the build under test: the whole registry year runs, 12
# enterprises end short, and quota-audit verifies the export. Keeps the README's demo from rotting.
# Usage: bash test_quotactl_demo.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
SOURCE_DIR=$(cd "$2" && pwd)
if [ ! -x "$BUILD_DIR/daemon/quotad" ] || [ ! -x "$BUILD_DIR/tools/quotactl" ]; then
  echo "FAIL: quotad or quotactl is not built"
  exit 1
fi
T=$(mktemp -d /tmp/quotactl-demo-XXXXXX)
trap 'rm -rf "$T"' EXIT
PASSED=0
FAILED=0
check() { # check NAME PATTERN: the demo's output matches
  if grep -qE -- "$2" "$T/demo.out"; then PASSED=$((PASSED + 1)); echo "ok   - $1"
  else FAILED=$((FAILED + 1)); echo "FAIL - $1 (/$2/)"; fi
}
QUOTAD_DEMO_DIR="$T/run" bash "$SOURCE_DIR/scripts/demo.sh" "$BUILD_DIR" >"$T/demo.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then PASSED=$((PASSED + 1)); echo "ok   - the demo exits 0"
else FAILED=$((FAILED + 1)); echo "FAIL - the demo exits $rc"; tail -30 "$T/demo.out"; fi
check "1,327 accounts opened" "1327 transactions: 1327 ok, 0 exists, 0 refused"
check "the 2025 balance values are solved" "cement 2025: sector: bp 0\.8[0-9]+ \(solved\)"
check "the settlement day above 1,000 legs became two entries" "settle.csv: 1500 rows, 3 transactions: 3 ok"
check "the refused transfer shows the available amount" "available: [0-9]+ t"
check "the rerun applies nothing twice" "1291 transactions: 0 ok, 1291 exists, 0 refused"
check "12 enterprises are short" "compliant 1279, short 12"
check "the proof verifies" "^verified: verified_emissions"
check "the demo prints the public pages' address" "^public pages: http://127\.0\.0\.1:[0-9]+/ "
check "the checkpoint is cosigned by a quorum of the three witnesses" "^quorum met \(3 of 3 witnesses\)"
if [ -x "$BUILD_DIR/tools/quota-audit" ]; then
  check "quota-audit verifies the export" "the export verifies"
  check "the public's monitor trusts the first published checkpoint" "^monitor +first run: trusting on first use"
  check "and at the end finds the log consistent with it" "^monitor +OK: size [0-9]+ -> [0-9]+, consistent"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
