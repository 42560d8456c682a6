#!/usr/bin/env bash
# Restoring a backup never forks the log (issue 16's operator story): backup at 26, more entries,
# a checkpoint kept at 32, restore, new writes. Without the high-water file the new write forks
# the log and quota-audit reports it; with it quotad starts read-only (log, /healthz, 503 on
# writes and on /v1/checkpoint) until quotactl catch-up brings the tree back to 32, then writes.
# Usage: bash test_restore_never_forks.sh BUILD_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
source "$(dirname "$0")/node_lib.sh"
node_lib_programs "$BUILD_DIR"
node_lib_init restore
start_quotad() { # start_quotad DATA_DIR [flags...]: one node, logging to $T/quotad.log
  start quotad "$@" || return 1
  QPID=$quotad_PID
  export QUOTAD_URL=$quotad_URL
}
stop_quotad() { kill -TERM "$QPID"; wait "$QPID"; QPID=""; }
tree_size() { curl -s "$QUOTAD_URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])'; }
open_accounts() { # open_accounts FIRST LAST: one entry each
  for a in $(seq "$1" "$2"); do
    "$Q" --key "$T/op.key" account-open --account "$a" --kind participant --name "trader $a" >/dev/null || echo "account $a failed"
  done
}
# the registry at 32 as it was published, with a backup taken at 26
setup() {
  rm -rf "$T/data" "$T/data-hw" "$T/backup"
  mkdir -p "$T/data"
  start_quotad "$T/data" || { echo "FAIL - quotad did not start"; cat "$T/quotad.log"; exit 1; }
  "$Q" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op.key" >/dev/null
  open_accounts 1001 1025
  check "the registry holds 26 entries" test "$(tree_size)" = 26
  "$Q" backup "$T/backup" --data-dir "$T/data" >/dev/null 2>&1
  open_accounts 1026 1031
  check "then 32" test "$(tree_size)" = 32
  "$Q" checkpoint >"$T/cp32"
  "$Q" --key "$T/op.key" export "$T/export32.jsonl" >/dev/null 2>&1
  stop_quotad
  mv "$T/data" "$T/data.lost"
  mkdir -m 700 "$T/data" && cp "$T/backup/data.mdb" "$T/data/"
}

ORIGIN=restore.quotad.example/cets
"$Q" keygen "$T/log.key" --name "$ORIGIN" >/dev/null
"$Q" keygen "$T/op.key" >/dev/null
VK=$(cat "$T/log.key.vkey")

# ---- what happened before: the restored node forgets 32 and signs another 27
setup
rm -rf "$T/data-hw" # the high-water file lost too: what every restore was before
start_quotad "$T/data"
expect 0 "without a high-water file the restored node writes" "^ok: account_open" -- \
  "$Q" --key "$T/op.key" account-open --account 2001 --kind participant --name "after restore"
open_accounts 2002 2007
check "and signs a checkpoint at 33 over another history" test "$(tree_size)" = 33
expect 1 "quota-audit reports the fork against the checkpoint kept at 32" \
  "the registry's consistency proof from size 32 to 33 does not verify" -- \
  "$AUDIT" --url "$QUOTAD_URL" --key "$T/op.key" --verifier-key "$VK" --since-checkpoint "$T/cp32" --quiet
stop_quotad

# ---- with the high-water file: read-only until caught up
setup
check "the high-water file lives beside the data directory and holds checkpoint 32" \
  test "$(sed -n 2p "$T/data-hw/checkpoint")" = 32
: >"$T/quotad.log"
start_quotad "$T/data"
check "the restored node says it is read-only in its log" grep -q "READ-ONLY: the tree (size 26) is behind the checkpoint in .*(size 32)" "$T/quotad.log"
curl -s "$QUOTAD_URL/healthz" >"$T/h.json"
check "/healthz says read_only with the reason" python3 -c '
import json,sys; h=json.load(open(sys.argv[1])); sys.exit(not (h["status"]=="read_only" and "behind" in h["detail"] and h["tree_size"]==26))' "$T/h.json"
expect 1 "a write answers read_only" "read_only" -- \
  "$Q" --key "$T/op.key" account-open --account 2001 --kind participant --name "after restore"
code=$(curl -s -o "$T/w.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data '{}' "$QUOTAD_URL/v1/tx")
check "POST /v1/tx answers 503 read_only, naming the reason" \
  grep -q '"read_only".*behind the checkpoint' "$T/w.json" && test "$code" = 503
check "the ledger is unchanged (26)" test "$(tree_size)" = 26
code=$(curl -s -o "$T/c.txt" -w '%{http_code}' "$QUOTAD_URL/v1/checkpoint")
check "no checkpoint smaller than 32 is served (503)" test "$code" = 503
expect 2 "quota-audit is shown no rolled-back checkpoint (read_only)" "read_only" -- \
  "$AUDIT" --url "$QUOTAD_URL" --key "$T/op.key" --verifier-key "$VK" --since-checkpoint "$T/cp32" --quiet
expect 3 "catch-up refuses while quotad holds the data directory" "stop quotad first" -- \
  "$Q" catch-up --data-dir "$T/data" --from "$T/export32.jsonl" --log-key "$T/log.key"
stop_quotad

# a tampered export: one entry changed, its root no longer the signed one; nothing is written
python3 - "$T/export32.jsonl" "$T/tampered.jsonl" <<'PY'
import base64, json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(lines[29]); leaf = bytearray(base64.b64decode(e["leaf"])); leaf[-1] ^= 1
e["leaf"] = base64.b64encode(bytes(leaf)).decode(); lines[29] = json.dumps(e)
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
expect 4 "catch-up refuses an export whose entries do not give the signed root" "do not give the checkpoint's root" -- \
  "$Q" catch-up --data-dir "$T/data" --from "$T/tampered.jsonl" --log-key "$T/log.key"
t0=$(date +%s%N)
expect 0 "catch-up from the export appends 26..31 with every root checked" "caught up: tree size 26 -> 32" -- \
  "$Q" catch-up --data-dir "$T/data" --from "$T/export32.jsonl" --log-key "$T/log.key"
echo "#      catch-up took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
expect 0 "catch-up again: up to date" "up to date" -- \
  "$Q" catch-up --data-dir "$T/data" --from "$T/export32.jsonl" --log-key "$T/log.key"
: >"$T/quotad.log"
start_quotad "$T/data" --known-checkpoint "$T/cp32"
check "caught up, quotad writes again" test "$(curl -s "$QUOTAD_URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = ok
check "it serves the published checkpoint 32, byte for byte" cmp -s <("$Q" checkpoint) "$T/cp32"
expect 0 "a new write is entry 32" "^ok: account_open .* at entry 32" -- \
  "$Q" --key "$T/op.key" account-open --account 2001 --kind participant --name "after restore"
expect 0 "quota-audit: the log extends the checkpoint kept at 32" "" -- \
  "$AUDIT" --url "$QUOTAD_URL" --key "$T/op.key" --verifier-key "$VK" --since-checkpoint "$T/cp32" --quiet
check "the high-water file follows the new checkpoint (33)" test "$(sed -n 2p "$T/data-hw/checkpoint")" = 33
stop_quotad

# an older node caught up from a live registry over the API
mkdir -m 700 "$T/old" && cp "$T/backup/data.mdb" "$T/old/"
start_quotad "$T/data"
expect 0 "catch-up --from URL (another quotad's entries, read as the operator)" "caught up: tree size 26 -> 33" -- \
  "$Q" --key "$T/op.key" catch-up --data-dir "$T/old" --from "$QUOTAD_URL" --log-key "$T/log.key"
stop_quotad
expect 0 "the caught-up copy checks" "" -- "$Q" check "$T/old"

# a tree that is not a prefix of a learned checkpoint starts read-only too
mv "$T/data-hw" "$T/data-hw.kept"
start_quotad "$T/data.lost"
"$Q" --key "$T/op.key" account-open --account 3001 --kind participant --name "other history" >/dev/null
stop_quotad
: >"$T/quotad.log"
start_quotad "$T/data.lost" --known-checkpoint "$T/data-hw.kept/checkpoint"
check "a tree with another history is read-only: inconsistent with the known checkpoint" \
  grep -q "READ-ONLY: the tree is not consistent with the checkpoint in" "$T/quotad.log"
stop_quotad

echo "# restore test took $(( $(date +%s) - STARTED )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
