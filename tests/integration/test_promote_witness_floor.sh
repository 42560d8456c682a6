#!/usr/bin/env bash
# quotactl promote takes the witnesses' sizes as a lower bound: a standby left behind (paused while
# its primary went on and three quota-witness processes cosigned the larger tree) is refused with
# witness_ahead and its ledger stays as it was, even with no etcd and no checkpoint file to tell
# it; once it holds what the witnesses cosigned, it is promoted, and a witness that does not answer
# is counted and named, not taken as a bound.
# Usage: bash test_promote_witness_floor.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/node_lib.sh"
node_lib_programs "$BUILD_DIR"
node_lib_init wfloor
open_account() { "$Q" --url "$1" --key "$T/op.key" account-open --account "$2" --kind participant --name "a$2"; }

ORIGIN=wfloor.quotad.example/cets
node_lib_keys "$ORIGIN"
start_witnesses "$ORIGIN" "$VK" || { echo "FAIL - witness set-up"; exit 1; }
NODE_FLAGS=(--witness-policy "$T/policy" --checkpoint-interval-ms 100 --witness-timeout-ms 1000)

start P "$T/p" || { echo "FAIL - the primary did not start"; cat "$T/P.log"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
start S "$T/s" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
check "the standby follows (2 entries)" wait_size "$S_URL" 2
check "the primary published size 2, cosigned" wait_published "$P_URL"

# ---- the standby is paused; the primary goes on and the witnesses cosign a tree it never saw
kill -STOP "$S_PID"
for a in 101 102 103; do open_account "$P_URL" "$a" >/dev/null; done
check "the primary published size 5 through the witnesses" wait_published "$P_URL"
check "it is size 5" test "$(size_of "$P_URL")" = 5
kill -KILL "$P_PID"
kill -CONT "$S_PID"
behind=$(size_of "$S_URL")
check "the standby holds less than the witnesses cosigned ($behind < 5)" test "$behind" -lt 5
expect 1 "promote refuses: a witness cosigned a larger tree (witness_ahead)" "witness_ahead" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" promote
check "the refusal names the witness and both sizes" \
  grep -qE "witness W[123] cosigned tree size 5 of this log, beyond this node's $behind" "$T/out"
check "the standby's log says why it refused" grep -q "promote refused: witness W" "$T/S.log"
check "its ledger is unchanged (size $behind)" test "$(size_of "$S_URL")" = "$behind"
expect 1 "it accepts no write" "read_only" -- open_account "$S_URL" 201
check "its ledger is still unchanged" test "$(size_of "$S_URL")" = "$behind"

# ---- the old primary is back; the standby catches up; one witness is away; promote succeeds
kill -TERM "$S_PID"; wait "$S_PID" 2>/dev/null
start P "$T/p" || { echo "FAIL - the primary did not restart"; cat "$T/P.log"; exit 1; }
start S "$T/s" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart"
check "the standby caught up (size 5)" wait_size "$S_URL" 5
kill -KILL "${WPID[3]}"
kill -KILL "$P_PID"
expect 0 "promote succeeds once the tree holds every cosigned checkpoint" "promoted: primary at tree size 5" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" promote
check "it counts the witnesses that answered (2 of 3) and says the third bounds nothing" \
  grep -q "witnesses: 2 of 3 answered.*unreachable" "$T/out"
check "its log names the unreachable witness" grep -q "promote: witness W3 .*unreachable" "$T/S.log"
expect 0 "the promoted node writes" "^ok: account_open" -- open_account "$S_URL" 202
check "and publishes through the two witnesses left (quorum 2)" wait_published "$S_URL"

echo "# witness floor test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
