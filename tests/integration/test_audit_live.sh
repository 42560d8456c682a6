#!/usr/bin/env bash
# quota-audit against a real quotad: a registry built with quotactl (accounts, keys, issuance,
# allocation with a withheld deduction, transfer, emissions for an open and an unopened year,
# surrender) audits clean over the API with a signed read key, with a consistency proof from an
# older checkpoint and an inclusion proof; its export audits clean; a tampered export, another
# verifier key and a missing key file are each refused with the documented exit code.
# Usage: bash test_audit_live.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
Q="$BUILD_DIR/tools/quotactl"
QUOTAD="$BUILD_DIR/daemon/quotad"
AUDIT="$BUILD_DIR/tools/quota-audit"
if [ ! -x "$QUOTAD" ] || [ ! -x "$Q" ] || [ ! -x "$AUDIT" ]; then
  echo "FAIL: quotad, quotactl or quota-audit is not built"
  exit 1
fi
T=$(mktemp -d /tmp/quota-audit-it-XXXXXX)
PASSED=0
FAILED=0
QPID=""
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill -TERM "$QPID"; wait "$QPID" 2>/dev/null; fi
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
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

PORT=$(free_port)
export QUOTAD_URL="http://127.0.0.1:$PORT"
for k in log op1 auth35 rep101 other; do "$Q" keygen "$T/$k.key" >/dev/null || echo "keygen $k failed"; done
mkdir -p "$T/data"
"$QUOTAD" --data-dir "$T/data" --log-key "$T/log.key" --listen "127.0.0.1:$PORT" --log-level warning 2>>"$T/quotad.log" &
QPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$QUOTAD_URL/healthz" && break; sleep 0.1; done

ORIGIN=audit-it.quotad.example/cets
OP=(--key "$T/op1.key")
{
  "$Q" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key"
  "$Q" "${OP[@]}" key-register --public-key "$T/auth35.key" --role authority --scope 35 --name Fujian
  "$Q" "${OP[@]}" account-open --account 35 --kind provincial --province 35 --name "Fujian province"
  "$Q" "${OP[@]}" account-open --account 101 --kind enterprise --province 35 --sector steel --uscc 91350100M000100Y43 --name "Steel 101"
  "$Q" "${OP[@]}" account-open --account 900 --kind participant --name Trader
  "$Q" "${OP[@]}" key-register --public-key "$T/rep101.key" --role representative --scope 101 --name r101
  "$Q" "${OP[@]}" instrument-create --code CEA-2025 --kind cea --vintage 2025 --cap 100000 --first-year 2025 --last-year 2030
  "$Q" "${OP[@]}" compliance-year --year 2025 --deadline-ms 4102444800000
  "$Q" "${OP[@]}" issue --instrument CEA-2025 --amount 50000
  "$Q" "${OP[@]}" allocate --from 1 --to CN-35 --instrument CEA-2025 --amount 40000 --year 2025 --kind final
  "$Q" --key "$T/auth35.key" allocate --from CN-35 --to 101 --instrument CEA-2025 --amount 20000 --year 2025 --kind final
} >"$T/setup.log" 2>&1 || { echo "FAIL - building the registry"; cat "$T/setup.log"; echo "0 passed, 1 failed"; exit 1; }
curl -s "$QUOTAD_URL/v1/checkpoint" >"$T/old.note"
{
  "$Q" --key "$T/rep101.key" transfer --from 101 --to 900 --instrument CEA-2025 --amount 500
  "$Q" --key "$T/auth35.key" emissions --account 101 --year 2025 --emissions 15000 --ref r
  "$Q" --key "$T/auth35.key" emissions --account 101 --year 2026 --emissions 15000 --ref r
  "$Q" --key "$T/rep101.key" surrender --account 101 --from 101 --year 2025 --instrument CEA-2025 --amount 10000
  "$Q" "${OP[@]}" deduct --account 101 --amount 700 --year 2025 --reason late
  "$Q" --key "$T/auth35.key" allocate --from CN-35 --to 101 --instrument CEA-2025 --amount 1000 --year 2025 --kind supplement
} >>"$T/setup.log" 2>&1 || { echo "FAIL - transactions"; cat "$T/setup.log"; echo "0 passed, 1 failed"; exit 1; }
TXID=$("$Q" --key "$T/rep101.key" transfer --from 101 --to 900 --instrument CEA-2025 --amount 5 | sed -n 's/^ok: transfer \([0-9a-f]*\).*/\1/p')
VK=$(curl -s "$QUOTAD_URL/v1/log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])')
sleep 1.2 # a checkpoint covering the last transaction is published within a second

expect 0 "live audit with proofs" "consistent with the older .*inclusion proof .*verified" -- \
  "$AUDIT" --quiet --url "$QUOTAD_URL" --key "$T/op1.key" --verifier-key "$VK" \
  --since-checkpoint "$T/old.note" --tx "$TXID" --save-checkpoint "$T/new.note"
cp "$T/out" "$T/live.out"
expect 0 "the live state matches the replay" "reported state matches" -- cat "$T/live.out"
expect 0 "the saved checkpoint is the next run's anchor" "" -- \
  "$AUDIT" --quiet --url "$QUOTAD_URL" --key "$T/op1.key" --verifier-key "$VK" --since-checkpoint "$T/new.note"
OTHER_VK=$("$Q" keygen "$T/other2.key" --name "$ORIGIN" | sed -n 's/^verifier key: *//p')
expect 1 "another verifier key fails" "not signed by the verifier key" -- \
  "$AUDIT" --quiet --url "$QUOTAD_URL" --key "$T/op1.key" --verifier-key "$OTHER_VK"
expect 2 "an unreadable key file is exit 2" "" -- \
  "$AUDIT" --quiet --url "$QUOTAD_URL" --key "$T/missing.key" --verifier-key "$VK"

"$Q" "${OP[@]}" export "$T/export.jsonl" >/dev/null 2>&1
expect 0 "the export audits clean" "reported state matches" -- \
  "$AUDIT" --quiet --export "$T/export.jsonl" --verifier-key "$VK"
# swap the amounts' last digit of one leaf line: base64 changes, the signed root does not
"$(command -v /usr/bin/python3 || command -v python3)" - "$T/export.jsonl" "$T/tampered.jsonl" <<'PY'
import base64, json, sys
lines = open(sys.argv[1]).read().splitlines()
e = json.loads(lines[12]); leaf = bytearray(base64.b64decode(e["leaf"])); leaf[-100] ^= 1
e["leaf"] = base64.b64encode(bytes(leaf)).decode(); lines[12] = json.dumps(e)
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
expect 1 "a tampered export fails at that entry or the root" "FAILED \[" -- \
  "$AUDIT" --quiet --export "$T/tampered.jsonl" --verifier-key "$VK"

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
