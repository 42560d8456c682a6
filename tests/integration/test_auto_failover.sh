#!/usr/bin/env bash
# Automatic failover (etcd.lease_ttl_s): a primary holding the leader lease and a synchronous
# standby; SIGKILL the primary; its lease expires and the standby promotes itself, with no
# operator; every acknowledged transaction is in its log at its index, it writes, quota-audit
# passes; the old primary rejoins as its standby. Durations are printed.
# Usage: bash test_failover.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
source "$(dirname "$0")/node_lib.sh"
node_lib_programs "$BUILD_DIR" etcd
node_lib_init failover
# every acknowledged account is in URL's log at its acknowledged index
all_acked_at_index() { # all_acked_at_index URL FILE
  local bad=0 a idx
  while read -r a idx; do
    "$Q" --url "$1" --key "$T/op.key" --json entries --start "$idx" --limit 1 | grep -q "\"account\": *$a\b" || bad=$((bad + 1))
  done <"$2"
  [ "$bad" = 0 ]
}

t0=$(date +%s)
ETCD=$(bash "$HERE/etcd_cluster.sh" start "$T/etcd") || { echo "FAIL - etcd did not start"; exit 1; }
NODE_FLAGS=(--etcd-endpoints "$ETCD")
echo "#      etcd cluster up in $(( $(date +%s) - t0 )) s: $ETCD"
ORIGIN=auto.quotad.example/cets
node_lib_keys "$ORIGIN"
AUTO=(--standby-sync --standby-timeout-ms 8000 --etcd-lease-ttl-s 2)
start P "$T/a" "${AUTO[@]}" || { echo "FAIL - the primary did not start"; cat "$T/P.log"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
start S "$T/b" "${AUTO[@]}" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
check "the standby confirmed all of the primary" wait_sync "$P_URL" "$S_URL"
sleep 2 # the primary's leader lease is seen by the standby
rm -f "$T/stop-load"
load "$P_URL" 10000 "$T/acked" & L1=$!
sleep 3
t0=$(date +%s%N)
kill -KILL "$P_PID"
promoted=0
for _ in $(seq 1 200); do
  curl -s "$S_URL/healthz" | grep -q '"role"' || { promoted=1; break; }
  sleep 0.1
done
echo "#      kill to self-promotion: $(( ($(date +%s%N) - t0) / 1000000 )) ms (lease 2 s)"
check "the standby promoted itself once the primary's lease expired (no operator)" test "$promoted" = 1
check "it says why" grep -q "lease: the primary's leader lease expired" "$T/S.log"
touch "$T/stop-load"; wait "$L1"
check "clients were acknowledged before the kill ($(wc -l <"$T/acked"))" test "$(wc -l <"$T/acked")" -gt 3
check "every acknowledged transaction is in the new primary's log at its index" all_acked_at_index "$S_URL" "$T/acked"
start P "$T/a" "${AUTO[@]}" --follow "$S_URL" --follow-key "$T/auditor.key" || echo "FAIL - the old primary did not rejoin"
check "the old primary rejoined as its standby" wait_sync "$S_URL" "$P_URL"
expect 0 "the new primary writes" "^ok: account_open" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" account-open --account 30000 --kind participant --name after
expect 0 "quota-audit passes over its whole log" "" -- \
  "$AUDIT" --url "$S_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet
sleep 3
check "the old primary, now a standby, did not take the lease back (it still follows)" \
  grep -q '"role": *"standby"' <(curl -s "$P_URL/healthz")

stops_on_term() { # the lease thread must not keep a node running
  kill -TERM "$1"
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}
check "the standby stops on SIGTERM" stops_on_term "$P_PID"
check "the primary stops on SIGTERM" stops_on_term "$S_PID"
echo "# automatic failover test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
