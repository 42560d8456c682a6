#!/usr/bin/env bash
# With standby.sync the primary sends each batch to its standby while it commits it (the two
# fsyncs overlap), so the standby can hold a batch its primary never committed. Nothing in such a
# batch was acknowledged or signed, and nothing forks:
# - the primary dies between sending and committing (QUOTAD_TEST_BEFORE_COMMIT=exit:N, after the
#   standby confirmed): the client hears no ok, the standby holds one entry more; restarted, the
#   primary refuses the standby's ask beyond its tree, naming the cause; the restarted standby sets
#   that entry aside into a file (rejoin) and follows; the client's retry is acknowledged on both;
# - the primary's commit fails after sending (fail:N): the client gets storage, the primary stops
#   writing (read_only, with the reason), the standby holds the entry; promoted, it keeps it and
#   signs it; the old primary rejoins as its standby and follows (its tree is a prefix).
# Also: in a normal run batches are sent ahead (quotad_standby_sent_ahead_total).
# Usage: bash test_standby_ahead.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
source "$(dirname "$0")/node_lib.sh"
node_lib_programs "$BUILD_DIR"
node_lib_init ahead
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | sed -n "s/^$1 //p"; } # the primary's
open_acct() { "$Q" --url "$P_URL" --key "$T/op.key" account-open --account "$1" --kind participant --name "a$1"; }

ORIGIN=ahead.quotad.example/cets
node_lib_keys "$ORIGIN"
MPORT=$(free_port) PPORT=$(free_port)
SYNC=(--standby-sync --standby-timeout-ms 2000 --metrics-listen "127.0.0.1:$MPORT")

NODE_PORT=$PPORT start P "$T/primary" "${SYNC[@]}" || { echo "FAIL - the primary did not start"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
for a in $(seq 1001 1010); do open_acct "$a" >/dev/null; done
check "12 entries, acknowledged with the standby in sync" wait_sync "$P_URL" "$S_URL"
ahead=$(metric quotad_standby_sent_ahead_total)
check "batches were sent to the standby while the primary committed them (sent ahead: ${ahead:-none})" \
  test "${ahead:-0}" -ge 1
check "quotad_standby_confirmed_at_commit_total is reported" test -n "$(metric quotad_standby_confirmed_at_commit_total)"

# 1. the primary dies after sending batch 12..12 and before committing it
stop "$P_PID"
QUOTAD_TEST_BEFORE_COMMIT=exit:13 NODE_PORT=$PPORT start P "$T/primary" "${SYNC[@]}" || echo "FAIL - the primary did not restart"
check "in sync again at 12" wait_sync "$P_URL" "$S_URL"
expect 3 "the client of the lost batch hears no ok (the connection ends)" "POST /v1/tx" -- open_acct 2001
wait "$P_PID" 2>/dev/null
rc=$?
check "the primary ended before its commit (exit $rc, wanted 75)" test "$rc" = 75
check "the standby holds the batch: 13 entries" wait_size "$S_URL" 13
NODE_PORT=$PPORT start P "$T/primary" "${SYNC[@]}" || echo "FAIL - the primary did not restart after its crash"
check "the restarted primary holds 12 entries" test "$(size_of "$P_URL")" = 12
ahead_said() { grep -q "a standby ahead of its primary" "$T/S.log"; }
wait_said() { for _ in $(seq 1 50); do ahead_said && return 0; sleep 0.1; done; return 1; }
check "the standby's ask beyond the primary's tree is refused, naming the cause" wait_said
check "the standby signed nothing past 12 (its checkpoint)" test "$(curl -s "$S_URL/v1/checkpoint" | sed -n 2p)" -le 12
stop "$S_PID"
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart"
aside=$(ls "$T"/standby-hw/set-aside-12-13-*.json 2>/dev/null | head -1)
check "the restarted standby set entry 12 aside into a file" test -n "$aside"
check "the set-aside file holds the lost entry" python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["from"]==12 and d["to"]==13 and len(d["entries"])==1))' "$aside"
check "the standby follows the primary again at 12" wait_sync "$P_URL" "$S_URL"
expect 0 "the client's retry is acknowledged" "ok: .* at entry 12" -- open_acct 2001
check "both hold it, in sync" wait_sync "$P_URL" "$S_URL"

# 2. the primary's commit fails after sending (a storage fault)
stop "$P_PID"
QUOTAD_TEST_BEFORE_COMMIT=fail:14 NODE_PORT=$PPORT start P "$T/primary" "${SYNC[@]}" || echo "FAIL - the primary did not restart"
check "in sync at 13" wait_sync "$P_URL" "$S_URL"
expect 1 "the client of the failed commit gets storage" "storage" -- open_acct 2002
check "the standby holds the batch: 14 entries" wait_size "$S_URL" 14
check "the primary still holds 13" test "$(size_of "$P_URL")" = 13
curl -s "$P_URL/healthz" >"$T/h.json"
check "the primary stopped writing, saying why" python3 -c '
import json,sys; h=json.load(open(sys.argv[1])); sys.exit(not (h["status"]=="read_only" and "sent ahead to the standby" in h["detail"]))' "$T/h.json"
expect 1 "a later write answers read_only" "read_only" -- open_acct 2003
check "the read-only primary is unchanged" test "$(size_of "$P_URL")" = 13
stop "$P_PID"
expect 0 "the standby ahead is promoted" "promoted: primary" -- "$Q" --url "$S_URL" --key "$T/op.key" promote
check "the promoted standby signs its whole tree (14)" test "$(curl -s "$S_URL/v1/checkpoint" | sed -n 2p)" = 14
NODE_PORT=$PPORT start P "$T/primary" --follow "$S_URL" --follow-key "$T/auditor.key" || echo "FAIL - the old primary did not rejoin"
check "the old primary follows the new one to 14 (its tree was a prefix: nothing set aside)" wait_size "$P_URL" 14
check "nothing was set aside by the old primary" test -z "$(ls "$T"/primary-hw/set-aside-* 2>/dev/null)"
expect 0 "quota-audit passes over the promoted node's log" "" -- \
  "$AUDIT" --url "$S_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet
P_URL=$S_URL expect 0 "writes go on against the promoted node" "ok: .* at entry 14" -- open_acct 2004

echo "# $PASSED passed, $FAILED failed in $(( $(date +%s) - STARTED )) s"
[ "$FAILED" -eq 0 ]
