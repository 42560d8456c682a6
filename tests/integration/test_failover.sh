#!/usr/bin/env bash
# Failover without forking: a primary with a synchronous standby and a three-member etcd cluster
# under load; SIGKILL the primary; quotactl promote on the standby; the old primary rejoins as the
# new one's standby (its data directory as it was); again, CYCLES times (10; 30 with QUOTAD_LONG=1).
# Every transaction ever acknowledged is in the last primary's log at its acknowledged index, and
# quota-audit passes over the whole log. Then an old primary with a tail its standby never
# confirmed rejoins: the tail is set aside into a file, never acknowledged nor published. Then a
# zombie primary (SIGSTOP, promote its standby, SIGCONT): its next batch fails the etcd fence, it
# says it is superseded and acknowledges nothing. Every node publishes through three quota-witness
# processes (a 2-of-3 policy): after each failover quota-audit --monitor --policy, keeping its
# state across primaries, checks that the witnesses cosigned one consistent, growing sequence,
# and nothing of the zombie reaches a witness. Durations (each cycle, all cycles) are printed.
# The programs come from QUOTAD_RELEASE_BIN_DIR when it is set (scripts/test sets it to its release
# build, so that ten failovers take about two minutes on two cores), else from BUILD_DIR.
# Usage: bash test_failover.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=$BUILD_DIR
if [ -n "${QUOTAD_RELEASE_BIN_DIR:-}" ]; then
  BIN_DIR=$(cd "$QUOTAD_RELEASE_BIN_DIR" && pwd) || { echo "FAIL: QUOTAD_RELEASE_BIN_DIR=$QUOTAD_RELEASE_BIN_DIR is no directory"; exit 1; }
fi
echo "# programs from $BIN_DIR$([ "$BIN_DIR" = "$BUILD_DIR" ] && echo " (the test build; QUOTAD_RELEASE_BIN_DIR not set)")"
source "$(dirname "$0")/node_lib.sh"
node_lib_programs "$BIN_DIR" etcd
node_lib_init failover
# every acknowledged account is in URL's log at its acknowledged index
# the witnesses' cosignatures on URL's published checkpoint meet the policy, and it is consistent
# with every checkpoint the monitor saw before (of any primary): one sequence, only growing
monitor() { # monitor URL
  "$AUDIT" --monitor "$1/log" --state "$T/monitor.state" --verifier-key "$VK" --policy "$T/policy"
}
# (the whole log read once, a page of 1000 entries per request: one quotactl per acknowledgement
# would make each cycle slower than the last)
all_acked_at_index() { # all_acked_at_index URL FILE
  python3 -c '
import json, re, subprocess, sys
q, url, key, acked = sys.argv[1:5]
entries, start = {}, 0
while True:
    out = subprocess.run([q, "--url", url, "--key", key, "--json", "entries", "--start", str(start),
                          "--limit", "1000"], check=True, capture_output=True, text=True).stdout
    page = json.loads(out)["entries"]
    for i, e in enumerate(page):
        entries[start + i] = json.dumps(e)
    if len(page) < 1000:
        break
    start += 1000
bad = [l for l in open(acked) if l.split() and
       not re.search(r"\"account\": *%s\b" % l.split()[0], entries.get(int(l.split()[1]), ""))]
for l in bad[:5]:
    print("not in the log at its acknowledged index:", l.strip())
sys.exit(1 if bad else 0)' "$Q" "$1" "$T/op.key" "$2"
}

t0=$(date +%s)
ETCD=$(bash "$HERE/etcd_cluster.sh" start "$T/etcd") || { echo "FAIL - etcd did not start"; exit 1; }
NODE_FLAGS=(--etcd-endpoints "$ETCD" --witness-policy "$T/policy" --checkpoint-interval-ms 100 --witness-timeout-ms 1000)
echo "#      etcd cluster up in $(( $(date +%s) - t0 )) s: $ETCD"
ORIGIN=failover.quotad.example/cets
node_lib_keys "$ORIGIN"
start_witnesses "$ORIGIN" "$VK" || { echo "FAIL - witness set-up"; exit 1; }

CYCLES=10
[ "${QUOTAD_LONG:-0}" = 1 ] && CYCLES=30
# Every node runs with standby.sync and waits long for its standby (a standby slow under load
# must not turn into "going on alone", which could lose an acknowledgement by design).
SYNC=(--standby-sync --standby-timeout-ms 8000)
url_of() { local v="$1_URL"; echo "${!v}"; }
pid_of() { local v="$1_PID"; echo "${!v}"; }
dir_of() { echo "$T/$(echo "$1" | tr N n)"; }
start N1 "$T/n1" "${SYNC[@]}" || { echo "FAIL - the primary did not start"; cat "$T/N1.log"; exit 1; }
"$Q" --url "$N1_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$N1_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
start N2 "$T/n2" "${SYNC[@]}" --follow "$N1_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
check "the standby follows (2 entries)" wait_size "$N2_URL" 2
P=N1 S=N2
: >"$T/acked"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
tcycles=$(date +%s)
for c in $(seq 1 "$CYCLES"); do
  tc=$(date +%s) m0=$(ms)
  check "cycle $c: the standby $S confirmed all of the primary $P" wait_sync "$(url_of $P)" "$(url_of $S)"
  rm -f "$T/stop-load" "$T/acked1" "$T/acked2"
  load "$(url_of $P)" $((100000 * c + 10000)) "$T/acked1" & L1=$!
  load "$(url_of $P)" $((100000 * c + 20000)) "$T/acked2" & L2=$!
  m1=$(ms)
  sleep 3
  t0=$(date +%s%N)
  kill -KILL "$(pid_of $P)"
  expect 0 "cycle $c: quotactl promote on the standby $S" "promoted: primary" -- \
    "$Q" --url "$(url_of $S)" --key "$T/op.key" promote
  echo "#      cycle $c: kill to promoted: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  touch "$T/stop-load"; wait "$L1" "$L2"
  m2=$(ms)
  n=$(cat "$T/acked1" "$T/acked2" | tee -a "$T/acked" | wc -l)
  check "cycle $c: clients were acknowledged before the kill ($n)" test "$n" -gt 3
  check "cycle $c: every transaction ever acknowledged is in the new primary's log at its index" \
    all_acked_at_index "$(url_of $S)" "$T/acked"
  # the old primary rejoins as the standby of the new one, on its own data directory
  m3=$(ms)
  start "$P" "$(dir_of $P)" "${SYNC[@]}" --follow "$(url_of $S)" --follow-key "$T/auditor.key" ||
    { echo "FAIL - cycle $c: the old primary did not rejoin"; { grep -A25 "ERROR: AddressSanitizer" "$T/$P.log" || tail -5 "$T/$P.log"; } | head -40; exit 1; }
  check "cycle $c: the old primary $P rejoined and follows" wait_sync "$(url_of $S)" "$(url_of $P)"
  m4=$(ms)
  expect 0 "cycle $c: clients go on against the new primary" "^ok: account_open" -- \
    "$Q" --url "$(url_of $S)" --key "$T/op.key" account-open --account $((100000 * c + 30000)) --kind participant --name "after$c"
  check "cycle $c: the new primary $S publishes its whole tree, cosigned by the quorum" wait_published "$(url_of $S)"
  expect 0 "cycle $c: quota-audit --monitor --policy: the witnesses' sequence is consistent across primaries" "" -- \
    monitor "$(url_of $S)"
  m5=$(ms)
  echo "#      cycle $c phases (ms): sync $((m1 - m0)), load+kill+promote $((m2 - m1)), acknowledged check $((m3 - m2)), rejoin $((m4 - m3)), write+publish+monitor $((m5 - m4))"
  echo "#      cycle $c took $(( $(date +%s) - tc )) s; tails set aside by rejoining primaries so far: $(cat "$T"/N*.log | grep -c "REJOIN: entries")"
  t=$P P=$S S=$t
done
echo "#      $(wc -l <"$T/acked") transactions acknowledged over $CYCLES failovers"
tc=$(( $(date +%s) - tcycles ))
echo "#      $CYCLES failover cycles took $tc s (mean $((tc / CYCLES)) s per cycle)"
check "every acknowledged transaction is in the last primary's log at its index" all_acked_at_index "$(url_of $P)" "$T/acked"
check "the standby holds the same log" wait_sync "$(url_of $P)" "$(url_of $S)"
same_published() { [ "$(curl -s "$1/v1/checkpoint")" = "$(curl -s "$2/v1/checkpoint")" ]; }
wait_same_published() { for _ in $(seq 1 100); do same_published "$1" "$2" && return 0; sleep 0.1; done; return 1; }
check "the standby serves the primary's published (cosigned) checkpoint" wait_same_published "$(url_of $P)" "$(url_of $S)"
expect 0 "quota-audit passes over the last primary's whole log" "" -- \
  "$AUDIT" --url "$(url_of $P)" --key "$T/auditor.key" --verifier-key "$VK" --quiet
wait_published "$(url_of $P)"
check "the primary's high-water file follows it" \
  test "$(sed -n 2p "$(dir_of $P)-hw/checkpoint")" = "$(curl -s "$(url_of $P)/v1/checkpoint" | sed -n 2p)"

# ---- an old primary with a tail its standby never confirmed (standby.required: not acknowledged)
for n in "$S" "$P"; do kill -TERM "$(pid_of "$n")"; wait "$(pid_of "$n")" 2>/dev/null; done
start "$P" "$(dir_of $P)" --standby-sync --standby-required --standby-timeout-ms 1000 ||
  echo "FAIL - the primary did not restart"
start "$S" "$(dir_of $S)" "${SYNC[@]}" --follow "$(url_of $P)" --follow-key "$T/auditor.key" ||
  echo "FAIL - the standby did not restart"
check "the standby follows the restarted primary" wait_sync "$(url_of $P)" "$(url_of $S)"
check "the restarted primary published its whole tree" wait_published "$(url_of $P)"
published=$(curl -s "$(url_of $P)/v1/checkpoint" | sed -n 2p)
kill -STOP "$(pid_of $S)"
# The paused standby's last stream request waits on the primary for a commit (wait_ms 500): once
# it is answered (empty, within a second), nothing of the write below can reach the standby.
sleep 2
expect 1 "the standby away: the write is not acknowledged (standby_away)" "standby_away" -- \
  "$Q" --url "$(url_of $P)" --key "$T/op.key" account-open --account 90001 --kind participant --name tail
tail_size=$(size_of "$(url_of $P)")
check "it is committed on the old primary only, unsigned (tree $tail_size, checkpoint $published)" \
  test "$tail_size" = "$((published + 1))" -a "$(curl -s "$(url_of $P)/v1/checkpoint" | sed -n 2p)" = "$published"
kill -KILL "$(pid_of $P)"
kill -CONT "$(pid_of $S)"
expect 0 "promote the standby" "promoted: primary" -- "$Q" --url "$(url_of $S)" --key "$T/op.key" promote
start "$P" "$(dir_of $P)" "${SYNC[@]}" --follow "$(url_of $S)" --follow-key "$T/auditor.key" ||
  { echo "FAIL - the old primary did not rejoin"; { grep -A25 "ERROR: AddressSanitizer" "$T/$P.log" || tail -5 "$T/$P.log"; } | head -40; exit 1; }
expect 0 "the new primary writes where the tail was" "^ok: account_open" -- \
  "$Q" --url "$(url_of $S)" --key "$T/op.key" account-open --account 90002 --kind participant --name new
check "it says it set the tail aside, and where" \
  grep -q "REJOIN: entries $published\.\.$published .*set aside into .*set-aside-$published-$tail_size-" "$T/$P.log"
sed -n 's/.*\(REJOIN: .*\)/#      \1/p' "$T/$P.log" | tail -1
aside=$(ls "$(dir_of $P)-hw/set-aside-$published-$tail_size-"*.json 2>/dev/null | head -1)
check "the set-aside file holds the unacknowledged entry" python3 -c '
import base64,json,sys; d=json.load(open(sys.argv[1])); e=d["entries"]
sys.exit(not (d["from"]==int(sys.argv[2]) and len(e)==1 and b"tail" in base64.b64decode(e[0]["leaf"])))' "$aside" "$published"
check "the old primary follows the new one" wait_sync "$(url_of $S)" "$(url_of $P)"
expect 0 "its log has the new primary's entry at $published" "\"account\": *90002" -- \
  "$Q" --url "$(url_of $P)" --key "$T/op.key" --json entries --start "$published" --limit 1
expect 0 "quota-audit passes over the rejoined node" "" -- \
  "$AUDIT" --url "$(url_of $P)" --key "$T/auditor.key" --verifier-key "$VK" --quiet
t=$P P=$S S=$t
P_URL=$(url_of $P) P_PID=$(pid_of $P) S_URL=$(url_of $S)

# ---- zombie: the primary is paused, its standby promoted, then it wakes up
check "the standby confirmed all of the primary" wait_sync "$P_URL" "$S_URL"
kill -STOP "$P_PID"
expect 0 "promote the standby of the paused primary" "promoted: primary" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" promote
kill -CONT "$P_PID"
before=$(size_of "$S_URL")
t0=$(date +%s%N)
expect 1 "the woken old primary acknowledges nothing: its etcd swap fails (superseded)" "superseded" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 40000 --kind participant --name zombie
echo "#      the zombie's write waited $(( ($(date +%s%N) - t0) / 1000000 )) ms for its lost standby, then failed the swap"
check "it says it was superseded and stopped writing" grep -q "SUPERSEDED: the etcd" "$T/$P.log"
no_witness_after() { ! sed -n '/SUPERSEDED/,$p' "$1" | grep -q 'witness W'; }
check "nothing of it reached a witness: no witness answered it after it was superseded" \
  no_witness_after "$T/$P.log"
code=$(curl -s -o /dev/null -w '%{http_code}' "$P_URL/v1/checkpoint")
check "it serves no checkpoint past the promotion (503)" test "$code" = 503
expect 1 "later writes to it answer superseded" "superseded" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 40001 --kind participant --name zombie2
expect 0 "the promoted node writes" "^ok: account_open" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" account-open --account 40000 --kind participant --name real
check "the promoted node's log went on from its own size" test "$(size_of "$S_URL")" = "$((before + 1))"
check "the promoted node publishes that size, cosigned (the witnesses never saw the zombie's tree)" \
  wait_published "$S_URL"
expect 0 "quota-audit --monitor --policy: still one consistent sequence after the zombie" "" -- monitor "$S_URL"
expect 0 "quota-audit passes over the promoted node" "" -- \
  "$AUDIT" --url "$S_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet

echo "# failover test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
