#!/usr/bin/env bash
# With etcd and no witness policy, publication fails closed: while the etcd cluster does not answer
# (its three members paused), a write is committed but not acknowledged, and the checkpoint signed
# for it is served nowhere (/v1/checkpoint, /log/checkpoint, the high-water file, the standby);
# /healthz, /metrics and the log say so. Once etcd answers again, the writer's retry swaps it and
# publication resumes without another write.
# Usage: bash test_etcd_fail_closed.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/node_lib.sh"
node_lib_programs "$BUILD_DIR" etcd
node_lib_init fclosed
served() { curl -s "$1/$2" | sed -n 2p; } # served URL PATH: the size of the checkpoint served there
wait_served() { for _ in $(seq 1 150); do [ "$(served "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done; return 1; }
etcd_signal() { while read -r p; do kill "-$1" "$p"; done <"$T/etcd/pids"; }
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | sed -n "s/^$1 //p"; } # on the primary

ETCD=$(bash "$HERE/etcd_cluster.sh" start "$T/etcd") || { echo "FAIL - etcd did not start"; exit 1; }
NODE_FLAGS=(--etcd-endpoints "$ETCD")
ORIGIN=closed.quotad.example/cets
node_lib_keys "$ORIGIN"
MPORT=$(free_port)
start P "$T/p" --metrics-listen "127.0.0.1:$MPORT" || { echo "FAIL - the primary did not start"; cat "$T/P.log"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
start S "$T/s" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
expect 0 "a write with etcd up is acknowledged" "^ok: account_open" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 101 --kind participant --name a
check "the primary serves size 3" test "$(served "$P_URL" v1/checkpoint)" = 3
check "the standby serves size 3" wait_served "$S_URL" v1/checkpoint 3
check "no checkpoint waits: quotad_unpublished 0" test "$(metric quotad_unpublished)" = 0

# ---- etcd stops answering
etcd_signal STOP
expect 1 "a write while etcd does not answer is not acknowledged" "busy" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 102 --kind participant --name b
check "it is committed (tree size 4)" test "$(size_of "$P_URL")" = 4
check "the standby holds it too" wait_size "$S_URL" 4
check "/v1/checkpoint still serves size 3" test "$(served "$P_URL" v1/checkpoint)" = 3
check "/log/checkpoint still serves size 3" test "$(served "$P_URL" log/checkpoint)" = 3
check "the high-water file still holds size 3" test "$(sed -n 2p "$T/p-hw/checkpoint")" = 3
check "the standby still serves size 3" test "$(served "$S_URL" v1/checkpoint)" = 3
check "/healthz says the checkpoint is unpublished and why" \
  grep -q '"status": *"unpublished".*etcd does not answer' <(curl -s "$P_URL/healthz")
check "quotad_unpublished 1" test "$(metric quotad_unpublished)" = 1
check "the log says so" grep -q "UNPUBLISHED: the checkpoint of size 4 is signed but its etcd swap failed" "$T/P.log"
sleep 2
check "still size 3 after the writer's retries" test "$(served "$P_URL" v1/checkpoint)" = 3

# ---- etcd answers again: publication resumes, without another write
etcd_signal CONT
check "/v1/checkpoint serves size 4 once etcd answers" wait_served "$P_URL" v1/checkpoint 4
check "/log/checkpoint serves size 4" test "$(served "$P_URL" log/checkpoint)" = 4
check "the high-water file holds size 4" test "$(sed -n 2p "$T/p-hw/checkpoint")" = 4
check "the standby serves size 4" wait_served "$S_URL" v1/checkpoint 4
check "quotad_unpublished 0" test "$(metric quotad_unpublished)" = 0
check "/healthz is ok again" grep -q '"status": *"ok"' <(curl -s "$P_URL/healthz")
check "the log says publication resumed" grep -q "etcd answers again: checkpoint of size 4 swapped and published" "$T/P.log"
expect 0 "writes are acknowledged again" "^ok: account_open" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 103 --kind participant --name c
check "and published (size 5)" test "$(served "$P_URL" v1/checkpoint)" = 5

echo "# etcd fail-closed test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
