#!/usr/bin/env bash
# A standby confirms a page once its root is checked and the page is in its journal, fdatasynced
# (DATA_DIR/standby.journal); its applier commits the page to the ledger just after. Entries it
# confirmed are never lost, whatever happens between the two:
# - the standby is killed while confirmed entries are only in its journal (the applier held back
#   by QUOTAD_TEST_APPLY_DELAY_MS): restarted, it applies them before anything else, says so, and
#   empties the file; a torn record at the file's end (a write the crash cut short, never
#   confirmed) is left out and said;
# - promoted while entries wait in its journal: the promotion applies them first, and signs them;
# - a damaged head (a body larger than the file) is no record: the start goes on, saying so;
# - a journal whose first record starts past the tree (a gap) stops the start, saying why.
# Usage: bash test_standby_journal.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
source "$(dirname "$0")/node_lib.sh"
node_lib_programs "$BUILD_DIR"
node_lib_init journal
open_acct() { "$Q" --url "$P_URL" --key "$T/op.key" account-open --account "$1" --kind participant --name "a$1"; }
smetric() { curl -s "http://127.0.0.1:$SMPORT/metrics" | sed -n "s/^$1 //p"; } # the standby's
J=$T/standby/standby.journal
# the records at the start of a standby journal (docs/STORAGE.md), as "FROM-END" lines; with
# "tear", bytes that are no whole record are written right after the last one
records() { # records FILE [tear]
  python3 - "$@" <<'PY'
import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
at, nxt = 0, None
while b[at:at + 4] == b"QSJ1":
    frm, n, body = struct.unpack("<QII", b[at + 4:at + 20])
    end = at + 52 + body
    if hashlib.sha256(b[at:end]).digest() != b[end:end + 32] or (nxt is not None and frm != nxt):
        break
    print(f"{frm}-{frm + n}")
    at, nxt = end + 32, frm + n
if len(sys.argv) > 2:
    with open(sys.argv[1], "r+b") as f:
        f.seek(at)
        f.write(b"QSJ1 a record the crash cut short")
PY
}

ORIGIN=journal.quotad.example/cets
node_lib_keys "$ORIGIN"
SYNC=(--standby-sync --standby-timeout-ms 5000)
start P "$T/primary" "${SYNC[@]}" || { echo "FAIL - the primary did not start"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
SMPORT=$(free_port)
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" --metrics-listen "127.0.0.1:$SMPORT" ||
  echo "FAIL - the standby did not start"
check "the standby follows (2 entries)" wait_sync "$P_URL" "$S_URL"
check "its journal holds no record once they are applied (written with zeros ahead: 16 MiB)" \
  test -z "$(records "$J")" -a "$(stat -c %s "$J")" -ge 16777216
stop "$S_PID"

# 1. killed with confirmed entries only in its journal
QUOTAD_TEST_APPLY_DELAY_MS=60000 start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" \
  --metrics-listen "127.0.0.1:$SMPORT" || echo "FAIL - the standby did not restart"
for a in 1001 1002 1003 1004 1005; do
  expect 0 "account $a is acknowledged (the standby confirmed it)" "ok: " -- open_acct "$a"
done
check "the primary holds 7 entries" test "$(size_of "$P_URL")" = 7
check "the standby's ledger still holds 2 (its applier waits)" test "$(size_of "$S_URL")" = 2
check "quotad_standby_unapplied counts the 5 confirmed entries not yet in its ledger" test "$(smetric quotad_standby_unapplied)" = 5
check "its journal holds them (from 2 to 7)" test "$(records "$J" | head -1 | cut -d- -f1)-$(records "$J" | tail -1 | cut -d- -f2)" = 2-7
kill -KILL "$S_PID"
wait "$S_PID" 2>/dev/null
records "$J" tear >/dev/null
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart after the kill"
check "restarted, its ledger holds the 5 entries at once (7)" test "$(size_of "$S_URL")" = 7
check "it says it applied what its journal held" grep -q "standby journal: 5 entries it had confirmed applied to the ledger (tree size 2 to 7)" "$T/S.log"
check "and that it left out the torn record" grep -q "what follows is no whole record" "$T/S.log"
check "the journal holds no record any more (marked applied)" test -z "$(records "$J")"
check "it follows on, in sync" wait_sync "$P_URL" "$S_URL"
expect 0 "the next write is acknowledged" "ok: .* at entry 7" -- open_acct 1006
check "in sync at 8" wait_sync "$P_URL" "$S_URL"
stop "$S_PID"

# 2. promoted while confirmed entries wait in its journal
QUOTAD_TEST_APPLY_DELAY_MS=60000 start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" ||
  echo "FAIL - the standby did not restart"
for a in 1007 1008 1009; do open_acct "$a" >/dev/null; done
check "the primary acknowledged 3 more (11)" test "$(size_of "$P_URL")" = 11
check "the standby's ledger holds 8 of them" test "$(size_of "$S_URL")" = 8
stop "$P_PID"
expect 0 "the standby is promoted" "promoted: primary at tree size 11" -- "$Q" --url "$S_URL" --key "$T/op.key" promote
check "it signs its whole tree (11)" test "$(curl -s "$S_URL/v1/checkpoint" | sed -n 2p)" = 11
expect 0 "quota-audit passes over the promoted node's log" "" -- \
  "$AUDIT" --url "$S_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet
P_URL=$S_URL expect 0 "writes go on against it" "ok: .* at entry 11" -- open_acct 1010
stop "$S_PID"

# 3. a damaged journal: a head that claims a 4 GiB body (more than any page, more than the file) is
# no record: read no further, said, the ledger unchanged
python3 - "$J" <<'PY'
import struct, sys
open(sys.argv[1], "wb").write(b"QSJ1" + struct.pack("<QII", 12, 1, 0xFFFFFFF0) + bytes(32) + b"short")
PY
start S3 "$T/standby" || echo "FAIL - the node did not start with a damaged journal"
check "a head claiming more than the file holds is no record: the start goes on, saying so" \
  grep -q "what follows is no whole record" "$T/S3.log"
check "the ledger is unchanged (12)" test "$(size_of "$S3_URL")" = 12
stop "$S3_PID"

# 4. a journal whose first record starts past the tree: a gap, never written by quotad
: >"$J"
python3 - "$J" 100 <<'PY'
import hashlib, struct, sys
leaf = b"x" * 10
body = struct.pack("<II", len(leaf), 0) + leaf
rec = b"QSJ1" + struct.pack("<QII", int(sys.argv[2]), 1, len(body)) + bytes(32) + body
open(sys.argv[1], "ab").write(rec + hashlib.sha256(rec).digest())
PY
started=0
start S2 "$T/standby" && started=1
check "a journal record past the tree stops the start" test "$started" = 0
[ "$started" = 0 ] || tail -5 "$T/S2.log" | sed 's/^/#      /' 
check "saying why" grep -q "not starting: the standby journal .*record from 100 starts past the tree (size 12)" "$T/S2.log"

echo "# $PASSED passed, $FAILED failed in $(( $(date +%s) - STARTED )) s"
[ "$FAILED" -eq 0 ]
