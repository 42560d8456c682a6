#!/usr/bin/env bash
# Failover without forking: a primary with a synchronous standby and a three-member etcd cluster
# under load; SIGKILL the primary; quotactl promote on the standby; every acknowledged transaction
# is in the new primary's log at its acknowledged index, quota-audit passes, clients go on. Then
# a zombie primary (SIGSTOP, promote its standby, SIGCONT): its next batch fails the etcd swap,
# it says it is superseded and acknowledges nothing. Durations are printed.
# Usage: bash test_failover.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
Q="$BUILD_DIR/tools/quotactl"
QUOTAD="$BUILD_DIR/daemon/quotad"
AUDIT="$BUILD_DIR/tools/quota-audit"
for b in "$Q" "$QUOTAD" "$AUDIT"; do
  [ -x "$b" ] || { echo "FAIL: $b is not built"; exit 1; }
done
command -v etcd >/dev/null || { echo "FAIL: etcd is not installed (scripts/deps.sh)"; exit 1; }
T=$(mktemp -d /tmp/failover-it-XXXXXX)
PASSED=0
FAILED=0
PIDS=()
STARTED=$(date +%s)
cleanup() {
  for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  bash "$HERE/etcd_cluster.sh" stop "$T/etcd"
  rm -rf "$T"
}
trap cleanup EXIT
expect() { # expect CODE NAME PATTERN -- COMMAND...
  local code=$1 name=$2 pattern=$3
  shift 4
  "$@" >"$T/out" 2>&1
  local got=$?
  if [ "$got" -eq "$code" ] && { [ -z "$pattern" ] || grep -qE -- "$pattern" "$T/out"; }; then
    PASSED=$((PASSED + 1)); echo "ok   - $name"
  else
    FAILED=$((FAILED + 1)); echo "FAIL - $name (exit $got, wanted $code${pattern:+, /$pattern/})"
    sed 's/^/       /' "$T/out" | tail -8
  fi
}
check() {
  local name=$1; shift
  if "$@"; then PASSED=$((PASSED + 1)); echo "ok   - $name"; else FAILED=$((FAILED + 1)); echo "FAIL - $name"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
start() { # start NAME DATA_DIR [flags...]: URL in ${NAME}_URL, pid in ${NAME}_PID
  local name=$1 dir=$2; shift 2
  local port; port=$(free_port)
  mkdir -p "$dir"
  "$QUOTAD" --data-dir "$dir" --log-key "$T/log.key" --listen "127.0.0.1:$port" --log-level info \
    --etcd-endpoints "$ETCD" "$@" 2>>"$T/$name.log" &
  local pid=$!
  PIDS+=("$pid")
  eval "${name}_URL=http://127.0.0.1:$port ${name}_PID=$pid"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
size_of() { curl -s "$1/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])'; }
wait_size() { for _ in $(seq 1 200); do [ "$(size_of "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
# a client that opens accounts against URL until told to stop, one "account index" line per ok
load() { # load URL FIRST OUT
  local a=$2
  while [ ! -f "$T/stop-load" ]; do
    out=$("$Q" --url "$1" --key "$T/op.key" account-open --account "$a" --kind participant --name "l$a" 2>&1)
    idx=$(echo "$out" | sed -n 's/^ok: .* at entry \([0-9]*\).*/\1/p')
    [ -n "$idx" ] && echo "$a $idx" >>"$3"
    a=$((a + 1))
  done
}
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
echo "#      etcd cluster up in $(( $(date +%s) - t0 )) s: $ETCD"
ORIGIN=failover.quotad.example/cets
"$Q" keygen "$T/log.key" --name "$ORIGIN" >/dev/null
"$Q" keygen "$T/op.key" >/dev/null
"$Q" keygen "$T/auditor.key" >/dev/null
VK=$(cat "$T/log.key.vkey")

start P "$T/a" --standby-sync --standby-timeout-ms 3000 || { echo "FAIL - the primary did not start"; cat "$T/P.log"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
start S "$T/b" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
check "the standby follows (2 entries)" wait_size "$S_URL" 2

# ---- failover under load
rm -f "$T/stop-load"
load "$P_URL" 10000 "$T/acked1" & L1=$!
load "$P_URL" 20000 "$T/acked2" & L2=$!
sleep 4
t0=$(date +%s%N)
kill -KILL "$P_PID"
expect 0 "quotactl promote on the standby" "promoted: primary" -- "$Q" --url "$S_URL" --key "$T/op.key" promote
echo "#      kill to promoted: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
touch "$T/stop-load"; wait "$L1" "$L2"
cat "$T/acked1" "$T/acked2" >"$T/acked"
echo "#      $(wc -l <"$T/acked") transactions acknowledged by the old primary"
check "clients were acknowledged before the kill" test "$(wc -l <"$T/acked")" -gt 5
check "every acknowledged transaction is in the new primary's log at its index" all_acked_at_index "$S_URL" "$T/acked"
expect 0 "clients go on against the new primary" "^ok: account_open" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" account-open --account 30000 --kind participant --name after
expect 0 "quota-audit passes over the new primary's whole log" "" -- \
  "$AUDIT" --url "$S_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet
check "the new primary's high-water file follows it" test "$(sed -n 2p "$T/b-hw/checkpoint")" = "$(size_of "$S_URL")"

# ---- zombie: the new primary gets a standby, is paused, its standby promoted, then it wakes up
rm -rf "$T/a" "$T/a-hw"
start S2 "$T/a" --follow "$S_URL" --follow-key "$T/auditor.key" || echo "FAIL - the second standby did not start"
check "a new standby follows the new primary" wait_size "$S2_URL" "$(size_of "$S_URL")"
kill -STOP "$S_PID"
expect 0 "promote the standby of the paused primary" "promoted: primary" -- \
  "$Q" --url "$S2_URL" --key "$T/op.key" promote
kill -CONT "$S_PID"
before=$(size_of "$S2_URL")
expect 1 "the woken old primary acknowledges nothing: its etcd swap fails (superseded)" "superseded" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" account-open --account 40000 --kind participant --name zombie
check "it says it was superseded and stopped writing" grep -q "SUPERSEDED: the etcd swap" "$T/S.log"
code=$(curl -s -o /dev/null -w '%{http_code}' "$S_URL/v1/checkpoint")
check "it serves no checkpoint past the promotion (503)" test "$code" = 503
expect 1 "later writes to it answer read_only" "read_only|superseded" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" account-open --account 40001 --kind participant --name zombie2
expect 0 "the promoted node writes" "^ok: account_open" -- \
  "$Q" --url "$S2_URL" --key "$T/op.key" account-open --account 40000 --kind participant --name real
check "the promoted node's log went on from its own size" test "$(size_of "$S2_URL")" = "$((before + 1))"
expect 0 "quota-audit passes over the promoted node" "" -- \
  "$AUDIT" --url "$S2_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet

echo "# failover test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
