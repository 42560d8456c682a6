#!/usr/bin/env bash
# A standby (quotad --follow URL): it follows every committed batch of its primary (the entries,
# settlement legs beside them, each root checked against the checkpoint the log key signed),
# serves reads and proofs with the primary's very checkpoint, refuses writes with 503 standby
# naming the primary, catches up after a gap of more than one page, and stops loudly (log,
# /healthz, metric) when it is fed a tampered batch, appending nothing of it; fed a changed
# signature under a root recomputed to match, it commits and confirms the batch, and its verifier
# stops it just after; it then refuses promotion, and the primary never counted its confirmation.
# Usage: bash test_standby.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
source "$(dirname "$0")/node_lib.sh"
node_lib_programs "$BUILD_DIR"
node_lib_init standby
stop() { kill -TERM "$1"; wait "$1"; }
wait_size() { # wait_size URL SIZE: up to 20 s
  for _ in $(seq 1 200); do [ "$(size_of "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}
# The standby signs its checkpoint once its verifier checked the entries' signatures, just after
# it appended them: same_checkpoint waits up to 5 s for the primary's checkpoint, byte for byte.
same_checkpoint() {
  for _ in $(seq 1 50); do
    cmp -s <(curl -s "$P_URL/v1/checkpoint") <(curl -s "$S_URL/v1/checkpoint") && return 0; sleep 0.1
  done
  return 1
}

ORIGIN=standby.quotad.example/cets
node_lib_keys "$ORIGIN"

start P "$T/primary" || { echo "FAIL - the primary did not start"; exit 1; }
"$Q" --url "$P_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
"$Q" --url "$P_URL" --key "$T/op.key" key-register --public-key "$T/auditor.key" --role auditor --scope 0 --name audit >/dev/null
for a in $(seq 1001 1010); do
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account "$a" --kind participant --name "t$a" >/dev/null
done
check "the primary holds 12 entries" test "$(size_of "$P_URL")" = 12

t0=$(date +%s%N)
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not start"
check "the standby follows the primary to 12 entries" wait_size "$S_URL" 12
echo "#      caught up 12 entries in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "the standby serves the primary's checkpoint, byte for byte" same_checkpoint
curl -s "$S_URL/healthz" >"$T/h.json"
check "/healthz says role standby and names the primary" python3 -c '
import json,sys; h=json.load(open(sys.argv[1])); sys.exit(not (h["role"]=="standby" and h["primary"]==sys.argv[2] and h["status"]=="ok"))' "$T/h.json" "$P_URL"
code=$(curl -s -o "$T/w.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{}' "$S_URL/v1/tx")
check "a write to the standby answers 503 standby naming the primary" \
  grep -q "\"standby\".*primary: $P_URL" "$T/w.json" && test "$code" = 503
expect 1 "quotactl against the standby is refused with standby" "standby" -- \
  "$Q" --url "$S_URL" --key "$T/op.key" account-open --account 2001 --kind participant --name x
check "the refused write left the standby unchanged" test "$(size_of "$S_URL")" = 12
expect 0 "the standby serves proofs: quota-audit over the standby passes" "" -- \
  "$AUDIT" --url "$S_URL" --key "$T/auditor.key" --verifier-key "$VK" --quiet
code=$(curl -s -o /dev/null -w '%{http_code}' "$P_URL/v1/stream?from=0")
check "the stream needs a registered key (401 without one)" test "$code" = 401

for a in $(seq 1011 1015); do
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account "$a" --kind participant --name "t$a" >/dev/null
done
check "new batches reach the standby (17)" wait_size "$S_URL" 17

# a gap of more than one stream page while the standby is away
stop "$S_PID"
{ echo "account,kind,province,sector,threshold,uscc,name,note"
  for a in $(seq 5000 6199); do echo "$a,participant,0,,1,,bulk $a,"; done; } >"$T/accounts.csv"
"$Q" --url "$P_URL" --key "$T/op.key" accounts import "$T/accounts.csv" >/dev/null 2>&1
check "the primary holds 1217 entries" test "$(size_of "$P_URL")" = 1217
t0=$(date +%s%N)
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart"
check "the standby catches up after a gap of 1200 entries (two pages)" wait_size "$S_URL" 1217
echo "#      caught up 1200 entries in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "same checkpoint after the gap" same_checkpoint
hw_at() { for _ in $(seq 1 50); do [ "$(sed -n 2p "$1")" = "$2" ] && return 0; sleep 0.1; done; return 1; }
check "the standby's high-water file follows it" hw_at "$T/standby-hw/checkpoint" 1217
stop "$S_PID"

# standby.sync: the primary acknowledges only what the standby confirmed
stop "$P_PID"
start P "$T/primary" --standby-sync --standby-timeout-ms 1500 || echo "FAIL - the primary did not restart"
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart"
wait_size "$S_URL" 1217
synced=0
for a in $(seq 7001 7010); do
  out=$("$Q" --url "$P_URL" --key "$T/op.key" account-open --account "$a" --kind participant --name "s$a")
  idx=$(echo "$out" | sed -n 's/.* at entry \([0-9]*\).*/\1/p')
  # at the moment of the acknowledgement the standby already holds the entry
  [ -n "$idx" ] && [ "$(size_of "$S_URL")" -gt "$idx" ] && synced=$((synced + 1))
done
check "standby.sync: every acknowledged entry was already on the standby (10 of 10)" test "$synced" = 10
# the writer commits the next batch while the last one waits for the standby (writer.c): with
# eight writers at once, every acknowledgement still finds its entry on the standby, and the
# checkpoint the primary serves is never ahead of what the standby holds (it signs each batch's
# own size once confirmed, not the latest committed one)
(while [ ! -e "$T/writers.done" ]; do
   cp=$(curl -s "$P_URL/v1/checkpoint" | sed -n 2p); held=$(size_of "$S_URL")
   [ -n "$cp" ] && [ -n "$held" ] && [ "$cp" -gt "$held" ] && echo "AHEAD $cp $held"
 done) >"$T/ahead.txt" &
SAMPLER=$!
WRITERS=()
for w in $(seq 1 8); do
  (for a in $(seq $((7300 + w * 20)) $((7300 + w * 20 + 9))); do
     out=$("$Q" --url "$P_URL" --key "$T/op.key" account-open --account "$a" --kind participant --name "p$a")
     idx=$(echo "$out" | sed -n 's/.* at entry \([0-9]*\).*/\1/p')
     if [ -n "$idx" ] && [ "$(size_of "$S_URL")" -gt "$idx" ]; then echo held; else echo "LATE $a $out"; fi
   done) >"$T/writer$w.txt" &
  WRITERS+=("$!")
done
wait "${WRITERS[@]}"
touch "$T/writers.done"
wait "$SAMPLER"
check "eight writers at once: every acknowledged entry was already on the standby (80 of 80)" \
  test "$(cat "$T"/writer*.txt | grep -c '^held$')" = 80
grep -h LATE "$T"/writer*.txt | head -3 | sed 's/^/#      /'
check "the primary never served a checkpoint ahead of the standby's tree" test ! -s "$T/ahead.txt"
head -3 "$T/ahead.txt" | sed 's/^/#      /'
stop "$S_PID"
t0=$(date +%s%N)
expect 0 "standby away, not required: the primary goes on alone after the timeout" "^ok: account_open" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 7101 --kind participant --name alone
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "#      the write waited $ms ms for the away standby"
check "it waited for the timeout first (>= 1500 ms)" test "$ms" -ge 1500
check "the primary says it goes on alone (log)" grep -q "going on ALONE" "$T/P.log"
check "and in /healthz" grep -q '"away, going on alone"' <(curl -s "$P_URL/healthz")
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart"
check "the standby returns and catches up" wait_size "$S_URL" "$(size_of "$P_URL")"
check "the primary says the standby is back" grep -q "standby back" "$T/P.log"
stop "$S_PID"
stop "$P_PID"
start P "$T/primary" --standby-sync --standby-required --standby-timeout-ms 1000 || echo "FAIL - the primary did not restart"
before=$(size_of "$P_URL")
expect 1 "standby.required and the standby away: the write is not acknowledged (standby_away)" "standby_away" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 7201 --kind participant --name stalled
expect 1 "later writes stall at once (503 standby_away)" "standby_away" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 7202 --kind participant --name stalled2
check "the stalled write left the ledger as it was (only the unacknowledged one committed)" \
  test "$(size_of "$P_URL")" = "$((before + 1))"
# the committed but unconfirmed entry is not signed: no checkpoint covers a tail only it holds
check "standby.sync: no checkpoint is signed over the unconfirmed entry (/v1/checkpoint at $before)" \
  test "$(curl -s "$P_URL/v1/checkpoint" | sed -n 2p)" = "$before"
check "nor written to the high-water file" test "$(sed -n 2p "$T/primary-hw/checkpoint")" = "$before"
start S "$T/standby" --follow "$P_URL" --follow-key "$T/auditor.key" || echo "FAIL - the standby did not restart"
wait_size "$S_URL" "$((before + 1))"
sleep 0.2
expect 0 "once the standby confirmed, writes go on" "^ok: account_open" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 7202 --kind participant --name stalled2
expect 0 "the unacknowledged (but committed and now confirmed) entry is in the log" "stalled" -- \
  "$Q" --url "$P_URL" --key "$T/op.key" account 7201
check "once confirmed, the checkpoint is signed over both ($((before + 2)))" \
  test "$(curl -s "$P_URL/v1/checkpoint" | sed -n 2p)" = "$((before + 2))"
stop "$S_PID"

# a standby fed a tampered batch: a proxy in front of the primary flips one byte of one entry
PPORT=$(free_port)
python3 "$(dirname "$0")/stream_proxy.py" "$PPORT" "$P_URL" leaf 2>>"$T/proxy.log" &
PIDS+=("$!")
sleep 0.5
MPORT=$(free_port)
start S2 "$T/standby2" --follow "http://127.0.0.1:$PPORT" --follow-key "$T/auditor.key" --metrics-listen "127.0.0.1:$MPORT" || echo "FAIL - standby 2 did not start"
for _ in $(seq 1 100); do grep -q "STANDBY STOPPED" "$T/S2.log" && break; sleep 0.1; done
check "the standby fed a tampered batch stops and says why" grep -q "STANDBY STOPPED: .*entry 5" "$T/S2.log"
sed -n 's/.*\(STANDBY STOPPED.*\)/#      \1/p' "$T/S2.log" | head -1
check "it appended nothing of that batch (size 0)" test "$(size_of "$S2_URL")" = 0
curl -s "$S2_URL/healthz" >"$T/h2.json"
check "/healthz says diverged with the reason" python3 -c '
import json,sys; h=json.load(open(sys.argv[1])); sys.exit(not (h["status"]=="diverged" and "entry 5" in h["detail"]))' "$T/h2.json"
check "the metric quotad_standby_diverged is 1" grep -q "^quotad_standby_diverged 1" <(curl -s "http://127.0.0.1:$MPORT/metrics")

# a standby fed a batch whose entry 5 carries a changed signature AND the root recomputed over the
# changed leaves: the root check passes, the batch commits and is confirmed; the verifier, just
# after, finds the signature and stops the standby. The proxy serves the genesis alone first (a
# batch before the genesis is verified inline), then the next page changed. The verifier waits
# 1 s (QUOTAD_TEST_VERIFY_DELAY_MS, a test hook) so that the confirmation surely reaches the
# primary first; the proxy holds the primary's answer to it (409: another root) for 2.5 s, past
# the standby's 2 s request limit (a primary that does not answer: it asks again), so that the
# verifier, not that answer, is what stops the standby.
VPORT=$(free_port)
python3 "$(dirname "$0")/stream_proxy.py" "$VPORT" "$P_URL" root 2>>"$T/proxy2.log" &
PIDS+=("$!")
sleep 0.5
VMPORT=$(free_port)
QUOTAD_TEST_VERIFY_DELAY_MS=1000 start S4 "$T/standby4" --follow "http://127.0.0.1:$VPORT" --follow-key "$T/auditor.key" --metrics-listen "127.0.0.1:$VMPORT" || echo "FAIL - standby 4 did not start"
for _ in $(seq 1 100); do grep -q "STANDBY STOPPED" "$T/S4.log" && break; sleep 0.1; done
check "a changed signature under a recomputed root: the verifier stops the standby naming entry 5" \
  grep -q "STANDBY STOPPED: entry 5: bad_signature" "$T/S4.log"
sed -n 's/.*\(STANDBY STOPPED.*\)/#      \1/p' "$T/S4.log" | head -1
check "the batch had been committed (size 1001: the genesis, then entries 1 to 1000)" test "$(size_of "$S4_URL")" = 1001
curl -s "$S4_URL/healthz" >"$T/h4.json"
check "/healthz says diverged, naming entry 5 and the signature" python3 -c '
import json,sys; h=json.load(open(sys.argv[1])); sys.exit(not (h["status"]=="diverged" and "entry 5: bad_signature" in h["detail"]))' "$T/h4.json"
curl -s "http://127.0.0.1:$VMPORT/metrics" >"$T/m4.txt"
check "the metric quotad_standby_diverged is 1" grep -q "^quotad_standby_diverged 1$" "$T/m4.txt"
check "quotad_standby_unverified counts the batch its verifier refused (1000)" grep -q "^quotad_standby_unverified 1000$" "$T/m4.txt"
check "the standby confirmed the batch before its verifier judged it (it asked from 1001)" \
  grep -q "^ask from=1001" "$T/proxy2.log"
check "the primary refused that confirmation (the roots differ): it never counted" \
  grep -q "standby's tree of size 1001 has another root than ours" "$T/P.log"
expect 1 "quotactl promote on the diverged standby is refused (diverged)" "diverged" -- \
  "$Q" --url "$S4_URL" --key "$T/op.key" promote
check "its log says why" grep -q "promote refused: this standby stopped on a divergence: entry 5" "$T/S4.log"
code=$(curl -s -o "$T/w4.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{}' "$S4_URL/v1/tx")
check "it stays read-only: a write answers 503 standby" test "$code" = 503
check "and /healthz still says diverged" grep -q '"diverged"' <(curl -s "$S4_URL/healthz")
# the store kept how far verification got: started again as a primary, it verifies the rest first
stop "$S4_PID"
started=0
start S5 "$T/standby4" && started=1
check "started without --follow, the diverged store verifies what was left and refuses to start" \
  test "$started" = 0
check "its log says why" grep -q "not starting: entry 5: bad_signature" "$T/S5.log"
# standby.required, its standby away: the diverged standby's confirmation never counted for it
expect 1 "the primary's next write is not acknowledged (standby_away): nothing the diverged standby said counted" \
  "standby_away" -- "$Q" --url "$P_URL" --key "$T/op.key" account-open --account 7301 --kind participant --name nocount

# a standby fed pages whose entry 5 has another commit time (no signature covers it) under a root
# recomputed over them: every signature verifies and every rule accepts the changed tree, and the
# standby's confirmations are refused (another root). It must never sign that tree with the log
# key: it signs only sizes whose checkpoint its primary signed over the same root, and stops when
# the primary's checkpoint tells the trees apart.
TPORT=$(free_port)
python3 "$(dirname "$0")/stream_proxy.py" "$TPORT" "$P_URL" time 2>>"$T/proxy3.log" &
PIDS+=("$!")
sleep 0.5
start S6 "$T/standby6" --follow "http://127.0.0.1:$TPORT" --follow-key "$T/auditor.key" || echo "FAIL - standby 6 did not start"
for _ in $(seq 1 150); do grep -q "STANDBY STOPPED" "$T/S6.log" && break; sleep 0.1; done
check "a changed commit time under a recomputed root: the standby stops (its root refused, or the primary's checkpoint)" \
  grep -qE "STANDBY STOPPED: (GET /v1/stream: HTTP 400 inconsistent|the primary's checkpoint at size [0-9]* has another root)" "$T/S6.log"
sed -n 's/.*\(STANDBY STOPPED.*\)/#      \1/p' "$T/S6.log" | head -1
check "it holds the changed entries (size above 5)" test "$(size_of "$S6_URL")" -gt 5
served6=$(curl -s "$S6_URL/v1/checkpoint" | sed -n 2p)
check "it never signed a checkpoint over them (serves ${served6:-none}, at most 5)" test "${served6:-0}" -le 5
hw6=$(sed -n 2p "$T/standby6-hw/checkpoint" 2>/dev/null)
check "nor wrote one to its high-water file (${hw6:-none})" test "${hw6:-0}" -le 5
stop "$S6_PID"

# a standby started before its primary's genesis (as bench/run --standby starts them): it waits
# for the origin (instead of signing its stream requests for an empty origin), takes the first
# page without a checkpoint (the primary signs its first one only once the standby confirmed the
# genesis; the standby verifies the genesis with the log key) and confirms it. So the genesis is
# acknowledged with the standby, also with standby.required, which used to stall for ever (no
# checkpoint before a confirmation, no confirmation before a checkpoint).
start P3 "$T/primary3" --standby-sync --standby-required --standby-timeout-ms 5000 || echo "FAIL - primary 3 did not start"
start S3 "$T/standby3" --follow "$P3_URL" --follow-key "$T/op.key" || echo "FAIL - standby 3 did not start"
expect 0 "the genesis of a primary whose standby started first is acknowledged (standby.required)" "" -- \
  "$Q" --url "$P3_URL" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key"
check "the primary never went on alone nor stalled for it" bash -c "! grep -q 'standby away' '$T/P3.log'"
check "that standby follows from the genesis on (size 1)" wait_size "$S3_URL" 1
cp3() { for _ in $(seq 1 50); do [ "$(curl -s "$S3_URL/v1/checkpoint" | sed -n 2p)" = 1 ] && return 0; sleep 0.1; done; return 1; }
check "and serves the checkpoint its primary signed after the confirmation (size 1)" cp3
expect 0 "the next write is acknowledged with the standby too" "" -- \
  "$Q" --url "$P3_URL" --key "$T/op.key" account-open --account 3001 --kind participant --name g
check "the standby holds it (size 2)" wait_size "$S3_URL" 2

echo "# standby test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
