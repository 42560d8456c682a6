#!/usr/bin/env bash
# Two promotions racing cannot both win: a primary with two standbys and a three-member etcd
# cluster; the primary is killed and both standbys are promoted at once, each pausing between its
# reading of etcd and its epoch write (QUOTAD_TEST_PROMOTE_PAUSE_MS, a test hook) so that both read
# the same epoch. The epoch write is one transaction that compares the revisions read: exactly one
# is promoted, the other refuses with promotion_lost, writes nothing to etcd and accepts no write.
# Usage: bash test_promote_race.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/node_lib.sh"
node_lib_programs "$BUILD_DIR" etcd
node_lib_init prace
# the value of quotad/<origin>/KEY in etcd, through its JSON gateway
etcd_value() { # etcd_value KEY
  local k; k=$(printf 'quotad/%s/%s' "$ORIGIN" "$1" | base64 -w0)
  curl -s -X POST -d "{\"key\":\"$k\"}" "${ETCD%%,*}/v3/kv/range" |
    python3 -c 'import base64,json,sys; d=json.load(sys.stdin); print(base64.b64decode(d["kvs"][0]["value"]).decode() if d.get("kvs") else "")'
}

ETCD=$(bash "$HERE/etcd_cluster.sh" start "$T/etcd") || { echo "FAIL - etcd did not start"; exit 1; }
NODE_FLAGS=(--etcd-endpoints "$ETCD")
ORIGIN=race.quotad.example/cets
node_lib_keys "$ORIGIN"
start P "$T/p" || { echo "FAIL - the primary did not start"; cat "$T/P.log"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" account-open --account 101 --kind participant --name a >/dev/null
export QUOTAD_TEST_PROMOTE_PAUSE_MS=2000
start A "$T/a" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - standby A did not start"
start B "$T/b" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - standby B did not start"
unset QUOTAD_TEST_PROMOTE_PAUSE_MS
check "standby A follows (3 entries)" wait_size "$A_URL" 3
check "standby B follows (3 entries)" wait_size "$B_URL" 3
epoch_before=$(etcd_value epoch)
check "the primary holds epoch 1" test "$epoch_before" = 1
kill -KILL "$P_PID"

"$Q" --url "$A_URL" --key "$T/op.key" promote >"$T/promote-A" 2>&1 & PA=$!
"$Q" --url "$B_URL" --key "$T/op.key" promote >"$T/promote-B" 2>&1 & PB=$!
wait "$PA"; ra=$?
wait "$PB"; rb=$?
echo "#      promote A: exit $ra: $(head -1 "$T/promote-A")"
echo "#      promote B: exit $rb: $(head -1 "$T/promote-B")"
paused() { grep -q "pausing 2000 ms before the epoch write" "$T/A.log" && grep -q "pausing 2000 ms before the epoch write" "$T/B.log"; }
check "both promotions read etcd before either wrote (both paused)" paused
check "exactly one promotion won" test "$((ra == 0 ? 1 : 0))$((rb == 0 ? 1 : 0))" = 10 -o \
  "$((ra == 0 ? 1 : 0))$((rb == 0 ? 1 : 0))" = 01
if [ "$ra" = 0 ]; then W=A L=B; else W=B L=A; fi
W_URL=$(eval echo "\$${W}_URL") L_URL=$(eval echo "\$${L}_URL")
check "the loser refused with promotion_lost" grep -q "promotion_lost" "$T/promote-$L"
check "and says the epoch changed between its check and its write" \
  grep -q "changed between this promotion's check and its epoch write" "$T/promote-$L"
check "its log says so too" grep -q "promote refused: .*(promotion_lost)" "$T/$L.log"
epoch_after=$(etcd_value epoch)
check "the winner says it is the primary" grep -q "PROMOTED" "$T/$W.log"
check "the loser does not" test "$(grep -c PROMOTED "$T/$L.log")" = 0
check "the epoch changed from 1 ($epoch_after)" test -n "$epoch_after" -a "$epoch_after" != 1
expect 0 "the winner writes" "^ok: account_open" -- \
  "$Q" --url "$W_URL" --key "$T/op.key" account-open --account 102 --kind participant --name w
check "etcd's checkpoint is the winner's (size 4)" test "$(etcd_value checkpoint | sed -n 2p)" = 4
check "the epoch is still the winner's after its write" test "$(etcd_value epoch)" = "$epoch_after"
size_l=$(size_of "$L_URL")
expect 1 "the loser accepts no write" "read_only" -- \
  "$Q" --url "$L_URL" --key "$T/op.key" account-open --account 103 --kind participant --name l
check "the loser's ledger is unchanged (size $size_l = 3)" test "$(size_of "$L_URL")" = 3 -a "$size_l" = 3

echo "# promotion race test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
