#!/usr/bin/env bash
# scripts/demo.sh end to end on the build under test: the 2024 cycle (12 enterprises end short)
# and the 2025 cycle through allocation tables (a refused over-allocation and claw-back leave the
# ledger unchanged) run, and quota-audit verifies the export; the deadline choice is checked at
# fixed clocks. Keeps the README's demo from rotting.
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
check "the 2025 pre-allocation tables are published" "alloc publish: table 2025011, cement-2025, 2464 rows, pre-allocation"
check "the 2025 final tables carry the solved balance values" "alloc publish: table 2025021, cement-2025, 2464 rows, final, balance value 0\.8[0-9]+"
check "every pre-allocation cites its row and is accepted" "units-2025-pre-cement\.csv: 2495 transactions: 2495 ok, 0 exists, 0 refused"
check "the true-up of every cement line is accepted" "units-2025-cement\.csv: 2464 transactions: 2464 ok, 0 exists, 0 refused"
check "one tonne above the final quota is refused" "refused: allocate [0-9a-f]+: over_allocation"
check "a claw-back above the bound is refused" "refused: clawback [0-9a-f]+: clawback_bound"
check "and the ledger is unchanged" "^both refused; the ledger is unchanged"
check "14 enterprises are short in 2025" "compliant 1277, short 14"
check "the demo says which 2025 deadline it uses" "^\(the real deadline, 2026-12-31 Beijing time, (is still ahead|has passed: this demo registry sets its own)"
# The deadline choice at fixed clocks, both branches (never today's date).
# shellcheck source=scripts/demo_deadline.sh
source "$SOURCE_DIR/scripts/demo_deadline.sh"
deadline_is() { # deadline_is NAME REAL NOW_UTC EXPECTED_MS SENTENCE
  local got said
  got=$(demo_deadline_ms "$2" "$(date -u -d "$3" +%s)" 2>"$T/said")
  said=$(cat "$T/said")
  if [ "$got" = "$4" ] && grep -qE -- "$5" <<<"$said"; then PASSED=$((PASSED + 1)); echo "ok   - $1"
  else FAILED=$((FAILED + 1)); echo "FAIL - $1 (got $got, '$said')"; fi
}
deadline_is "a deadline ahead is the real one" 2026-12-31 "2026-12-05 12:00" 1798732799999 "is still ahead"
deadline_is "a passed deadline gives the registry its own, a year on" 2026-12-31 "2027-01-05 00:00" \
  1830268799999 "has passed: this demo registry sets its own, 2027-12-31"
deadline_is "less than a day left counts as passed" 2026-12-31 "2026-12-31 00:00" 1830268799999 "has passed"
deadline_is "the own deadline is always more than a day ahead" 2025-12-31 "2027-12-31 12:00" \
  1861891199999 "sets its own, 2028-12-31"
if [ -x "$BUILD_DIR/tools/quota-audit" ]; then
  check "quota-audit verifies the export" "the export verifies"
  check "the public's monitor trusts the first published checkpoint" "^monitor +first run: trusting on first use"
  check "and at the end finds the log consistent with it" "^monitor +OK: size [0-9]+ -> [0-9]+, consistent"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
