#!/usr/bin/env bash
# quotactl against a real quotad: every subcommand once accepted and once refused (with the
# refusal's code and exit status, and the ledger unchanged), bulk imports and their idempotent
# rerun, a settlement split above 1,000 legs, proofs, export, and backup + restore.
# Usage: bash test_quotactl_cli.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
Q="$BUILD_DIR/tools/quotactl"
QUOTAD="$BUILD_DIR/daemon/quotad"
AUDIT="$BUILD_DIR/tools/quota-audit"
if [ ! -x "$QUOTAD" ] || [ ! -x "$Q" ]; then
  echo "FAIL: quotad or quotactl is not built"
  exit 1
fi
T=$(mktemp -d /tmp/quotactl-it-XXXXXX)
PASSED=0
FAILED=0
QPID=""
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill -TERM "$QPID"; wait "$QPID" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT

# expect CODE NAME [PATTERN] -- COMMAND...: the command exits with CODE and, when PATTERN is not
# empty, its output (stdout and stderr) matches it.
expect() {
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
check() { # check NAME COMMAND...: a shell condition
  local name=$1; shift
  if "$@"; then PASSED=$((PASSED + 1)); echo "ok   - $name"; else FAILED=$((FAILED + 1)); echo "FAIL - $name"; fi
}
tree_size() { "$Q" --json log | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])'; }
jfield() { python3 -c 'import json,sys; print(json.load(sys.stdin)'"$1"')'; }

start_quotad() { # start_quotad DATA_DIR
  PORT=$(free_port)
  export QUOTAD_URL="http://127.0.0.1:$PORT"
  mkdir -p "$1"
  "$QUOTAD" --data-dir "$1" --log-key "$T/log.key" --listen "127.0.0.1:$PORT" --unix "$T/q.sock" \
    --log-level warning 2>>"$T/quotad.log" &
  QPID=$!
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "$QUOTAD_URL/healthz" && return 0
    kill -0 "$QPID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
stop_quotad() { kill -TERM "$QPID"; wait "$QPID"; QPID=""; }

ORIGIN=it.quotad.example/cets
E1=91350100M000100Y43   # enterprise 101, province 35
E2=91110000802100433B   # enterprise 102, province 11 (enterprise of another province)
E3=$(python3 -c "
a='0123456789ABCDEFGHJKLMNPQRTUWXY'; w=[1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28]
b='91350100MA2XY8123'; print(b+a[(31-sum(a.index(c)*k for c,k in zip(b,w))%31)%31])")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# ---- keys
for k in log op1 op2 auth35 auth11 exch rep101 rep102 rep103a rep103b other; do
  "$Q" keygen "$T/$k.key" >/dev/null || echo "keygen $k failed"
done
expect 0 "keygen prints the verifier key with --name" "^verifier key: +$ORIGIN\+[0-9a-f]{8}\+" -- \
  "$Q" keygen "$T/named.key" --name "$ORIGIN"
check "keygen writes the key file with mode 0600" test "$(stat -c %a "$T/named.key")" = 600
expect 3 "keygen refuses to overwrite a key file (exit 3: I/O)" "never overwritten" -- "$Q" keygen "$T/named.key"
check "keygen --name keeps the verifier key beside the key (FILE.vkey)" grep -q "^$ORIGIN+" "$T/named.key.vkey"
expect 2 "init refuses a threshold above the distinct operator keys" "threshold 2 needs at least 2 distinct operator keys; 1 given" -- \
  "$Q" --url "http://127.0.0.1:1" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key" --operator-key "$T/op1.key" --threshold 2
expect 2 "init refuses an origin other than the log key's name" "was made for origin '$ORIGIN'" -- \
  "$Q" --url "http://127.0.0.1:1" init --origin other.example/x --log-key "$T/named.key" --operator-key "$T/op1.key"
expect 2 "an unknown trailing flag says unknown option, not needs a value" "unknown option --dry-runn" -- \
  "$Q" accounts --dry-runn
expect 2 "a known flag without its value says needs a value" "--kind needs a value" -- "$Q" accounts --kind
expect 2 "a transaction's unknown trailing flag says unknown option" "unknown option --bogus" -- \
  "$Q" --key "$T/op1.key" transfer --from 1 --to 2 --bogus
expect 0 "--deadline takes an ISO 8601 date: the end of that day, Beijing time" '"deadline_ms": 1798732799999' -- \
  "$Q" --key "$T/op1.key" compliance-year --year 2099 --deadline 2026-12-31 --dry-run
expect 2 "--deadline refuses what is not a date" "is not a time" -- \
  "$Q" --key "$T/op1.key" compliance-year --year 2099 --deadline 2026-02-30 --dry-run
expect 0 "--version" "^quotactl [0-9]+\.[0-9]+\.[0-9]+$" -- "$Q" --version
expect 3 "an unreachable registry is exit 3" "cannot reach the registry" -- \
  "$Q" --url "http://127.0.0.1:$(free_port)" instruments

start_quotad "$T/data" || { echo "FAIL - quotad did not start"; cat "$T/quotad.log"; echo "0 passed, 1 failed"; exit 1; }
OP=(--key "$T/op1.key")

# ---- genesis and operator acts
expect 0 "init submits the genesis" "^ok: genesis .* at entry 0" -- \
  "$Q" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key" --operator-key "$T/op2.key"
expect 1 "a second init is refused: genesis_exists" "genesis_exists" -- \
  "$Q" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key"
expect 0 "key-register (authority of 35)" "^ok: key_register" -- \
  "$Q" "${OP[@]}" key-register --public-key "$T/auth35.key" --role authority --scope 35 --name "Fujian"
expect 1 "key-register twice: key_exists" "key_exists" -- \
  "$Q" "${OP[@]}" key-register --public-key "$T/auth35.key" --role authority --scope 35 --name "Fujian"
expect 0 "key-register: an authority's scope as CN-xx" "^ok: key_register" -- \
  "$Q" "${OP[@]}" key-register --public-key "$T/auth11.key" --role authority --scope CN-11 --name "Beijing"
expect 0 "key-register: an exchange key needs no --scope" "^ok: key_register" -- \
  "$Q" "${OP[@]}" key-register --public-key "$T/exch.key" --role exchange --name "exchange"
expect 2 "key-register: an auditor key with a scope is refused before sending" "has no scope" -- \
  "$Q" "${OP[@]}" key-register --public-key "$T/other.key" --role auditor --scope 5 --name "auditor"
expect 2 "account-open: the new account's id is a number, not CN-35" "the new account's id is a number" -- \
  "$Q" "${OP[@]}" account-open --account CN-36 --kind provincial --province 36 --name "Jiangxi"
expect 0 "account-open provincial" "^ok: account_open" -- \
  "$Q" "${OP[@]}" account-open --account 35 --kind provincial --province 35 --name "Fujian province"
"$Q" "${OP[@]}" account-open --account 11 --kind provincial --province 11 --name "Beijing province" >/dev/null
expect 0 "account-open enterprise" "^ok: account_open" -- \
  "$Q" "${OP[@]}" account-open --account 101 --kind enterprise --province 35 --sector steel --uscc "$E1" --name "Steel 101"
expect 2 "account-open with a bad USCC names the check character" "position 18" -- \
  "$Q" "${OP[@]}" account-open --account 109 --kind enterprise --province 35 --sector steel --uscc 91350100M000100Y44 --name X
expect 1 "account-open with a taken id: account_exists, saying the id is taken" "account_exists.*the account id is taken" -- \
  "$Q" "${OP[@]}" account-open --account 101 --kind participant --name "dup"
expect 1 "account-open with a taken USCC says the USCC has an account" "account_exists.*the USCC has an account already" -- \
  "$Q" "${OP[@]}" account-open --account 108 --kind enterprise --province 35 --sector steel --uscc "$E1" --name "dup uscc"
"$Q" "${OP[@]}" account-open --account 102 --kind enterprise --province 11 --sector cement --uscc "$E2" --name "Cement 102" >/dev/null
"$Q" "${OP[@]}" account-open --account 103 --kind enterprise --province 35 --sector aluminium --uscc "$E3" --threshold 2 --name "Aluminium 103" >/dev/null
"$Q" "${OP[@]}" account-open --account 900 --kind participant --name "Trader" >/dev/null
for r in 101 102; do "$Q" "${OP[@]}" key-register --public-key "$T/rep$r.key" --role representative --scope $r --name "rep $r" >/dev/null; done
expect 0 "key-register: a representative's scope as the account's USCC" "^ok: key_register" -- \
  "$Q" "${OP[@]}" key-register --public-key "$T/rep103a.key" --role representative --scope "$E3" --name "rep 103 a"
"$Q" "${OP[@]}" key-register --public-key "$T/rep103b.key" --role representative --scope 103 --name "rep 103 b" >/dev/null
expect 0 "account-update" "^ok: account_update" -- \
  "$Q" "${OP[@]}" account-update --account 900 --kind participant --name "Trader Ltd" --note "renamed"
expect 1 "account-update cannot change the kind" "refused: account_update" -- \
  "$Q" "${OP[@]}" account-update --account 900 --kind enterprise --province 35 --sector steel --uscc 91350100M000100Y43 --name "x"
expect 0 "instrument-create" "^ok: instrument_create" -- \
  "$Q" "${OP[@]}" instrument-create --code CEA-2024 --kind cea --vintage 2024 --cap 100000 --first-year 2019 --last-year 2024
expect 1 "instrument-create twice: instrument_exists" "instrument_exists" -- \
  "$Q" "${OP[@]}" instrument-create --code CEA-2024 --kind cea --vintage 2024 --cap 100000 --first-year 2019 --last-year 2024
"$Q" "${OP[@]}" instrument-create --code CEA-2025 --kind cea --vintage 2025 --cap 100000 --first-year 2025 --last-year 2030 >/dev/null
expect 0 "compliance-year" "^ok: compliance_year" -- "$Q" "${OP[@]}" compliance-year --year 2024 --deadline-ms 4102444800000
expect 1 "compliance-year cannot move a deadline earlier" "deadline_earlier" -- \
  "$Q" "${OP[@]}" compliance-year --year 2024 --deadline-ms 4102444700000
expect 0 "issue" "^ok: issue" -- "$Q" "${OP[@]}" issue --instrument CEA-2024 --amount 60000
size=$(tree_size)
expect 1 "issue beyond the cap: cap_exceeded, tree unchanged" "cap_exceeded" -- \
  "$Q" "${OP[@]}" issue --instrument CEA-2024 --amount 40001
check "a refused issue leaves the tree size unchanged" test "$(tree_size)" = "$size"
"$Q" "${OP[@]}" issue --instrument CEA-2025 --amount 50000 >/dev/null

# ---- allocation, holdings
expect 0 "allocate national -> provincial (account given as CN-35)" "^ok: allocate" -- \
  "$Q" "${OP[@]}" allocate --from 1 --to CN-35 --instrument CEA-2024 --amount 50000 --year 2024 --kind final
expect 0 "allocate provincial -> enterprise (by USCC), signed by the authority" "^ok: allocate" -- \
  "$Q" --key "$T/auth35.key" allocate --from CN-35 --to "$E1" --instrument CEA-2024 --amount 20000 --year 2024 --kind final
expect 1 "allocate to an enterprise of another province: province_mismatch" "province_mismatch" -- \
  "$Q" --key "$T/auth35.key" allocate --from CN-35 --to 102 --instrument CEA-2024 --amount 1 --year 2024 --kind final
expect 1 "an authority may not read another province's enterprise: not_found, as if absent" "not_found" -- \
  "$Q" --key "$T/auth35.key" account "$E2"
"$Q" --key "$T/auth35.key" allocate --from CN-35 --to "$E3" --instrument CEA-2024 --amount 5000 --year 2024 --kind final >/dev/null
expect 0 "clawback" "^ok: clawback" -- \
  "$Q" --key "$T/auth35.key" clawback --from "$E3" --to CN-35 --instrument CEA-2024 --amount 100 --reason "re-determination"
expect 1 "clawback above the holding: insufficient_balance" "insufficient_balance" -- \
  "$Q" --key "$T/auth35.key" clawback --from "$E3" --to CN-35 --instrument CEA-2024 --amount 99999 --reason "x"
expect 0 "transfer" "^ok: transfer" -- \
  "$Q" --key "$T/rep101.key" transfer --from 101 --to 900 --instrument CEA-2024 --amount 1000
size=$(tree_size)
expect 1 "transfer above available shows the available amount and balances" "available: 19000 t" -- \
  "$Q" --key "$T/rep101.key" transfer --from 101 --to 900 --instrument CEA-2024 --amount 19001
grep -q "registry 19000" "$T/out" && PASSED=$((PASSED + 1)) && echo "ok   - the refusal lists the account's balances" \
  || { FAILED=$((FAILED + 1)); echo "FAIL - balances not shown"; }
check "a refused transfer leaves the tree size unchanged" test "$(tree_size)" = "$size"
expect 1 "transfer signed by another account's key: wrong_role" "wrong_role" -- \
  "$Q" --key "$T/rep102.key" transfer --from 101 --to 900 --instrument CEA-2024 --amount 1
expect 1 "two-person account with one signature: insufficient_signatures, 1 of 2" "insufficient_signatures.*1 of 2" -- \
  "$Q" --key "$T/rep103a.key" transfer --from 103 --to 900 --instrument CEA-2024 --amount 10
expect 0 "two-person account with two signatures (repeated --key)" "^ok: transfer" -- \
  "$Q" --key "$T/rep103a.key" --key "$T/rep103b.key" transfer --from 103 --to 900 --instrument CEA-2024 --amount 10
expect 0 "position-move to trading" "^ok: position_move" -- \
  "$Q" --key "$T/rep101.key" position-move --account 101 --instrument CEA-2024 --amount 3000 --to-position trading
expect 1 "position-move above available: insufficient_balance" "insufficient_balance" -- \
  "$Q" --key "$T/rep101.key" position-move --account 101 --instrument CEA-2024 --amount 999999 --to-position trading
expect 0 "settle by the exchange" "^ok: settle" -- \
  "$Q" --key "$T/exch.key" --read-key "$T/op1.key" settle --ref "SHEX-1" --leg "101:900:CEA-2024:100" --leg "$E1:900:CEA-2024:50"
expect 1 "settle signed by a representative: wrong_role" "wrong_role" -- \
  "$Q" --key "$T/rep101.key" settle --ref "SHEX-2" --leg "101:900:CEA-2024:1"
ORDER=0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f01
expect 0 "freeze order" "^ok: freeze" -- \
  "$Q" "${OP[@]}" freeze --id $ORDER --account 101 --instrument CEA-2024 --amount 500 --positions registry --legal-ref "court order 1"
expect 1 "a frozen amount cannot move" "insufficient_balance|frozen" -- \
  "$Q" --key "$T/rep101.key" transfer --from 101 --to 900 --instrument CEA-2024 --amount 15800
expect 0 "unfreeze part of the order" "^ok: unfreeze" -- \
  "$Q" "${OP[@]}" unfreeze --account 101 --order $ORDER --amount 200 --legal-ref "partial release"
expect 1 "unfreeze more than the order binds: not_frozen" "not_frozen" -- \
  "$Q" "${OP[@]}" unfreeze --account 101 --order $ORDER --amount 301 --legal-ref "x"
expect 2 "freeze without --positions: usage" "positions" -- \
  "$Q" "${OP[@]}" freeze --account 101 --instrument CEA-2024 --amount 1 --legal-ref "x"

# ---- compliance
expect 0 "emissions by the province's authority" "^ok: verified_emissions" -- \
  "$Q" --key "$T/auth35.key" emissions --account "$E1" --year 2024 --emissions 12000 --ref "report 1"
expect 1 "emissions by another province's authority: wrong_role" "wrong_role|province_mismatch" -- \
  "$Q" --key "$T/auth11.key" emissions --account 101 --year 2024 --emissions 12000
expect 0 "surrender" "^ok: surrender" -- \
  "$Q" --key "$T/rep101.key" surrender --account 101 --from 101 --year 2024 --instrument CEA-2024 --amount 11000
expect 1 "surrender of an ineligible vintage: ineligible_vintage" "ineligible_vintage|insufficient_balance" -- \
  "$Q" --key "$T/rep101.key" surrender --account 101 --from 101 --year 2024 --instrument CEA-2025 --amount 1
expect 1 "surrender without verified emissions: no_obligation" "no_obligation" -- \
  "$Q" --key "$T/rep102.key" surrender --account 102 --from 102 --year 2024 --instrument CEA-2024 --amount 1
expect 0 "cancel" "^ok: cancel" -- \
  "$Q" --key "$T/rep101.key" cancel --account 101 --instrument CEA-2024 --amount 100 --reason "voluntary"
expect 1 "cancel above available: insufficient_balance" "insufficient_balance" -- \
  "$Q" --key "$T/rep101.key" cancel --account 101 --instrument CEA-2024 --amount 999999
expect 0 "deduct" "^ok: deduct" -- \
  "$Q" "${OP[@]}" deduct --account 103 --amount 300 --year 2024 --reason "2023 shortfall"
expect 0 "an allocation after a deduction reports what was withheld" "300 t withheld" -- \
  "$Q" --key "$T/auth35.key" allocate --from CN-35 --to 103 --instrument CEA-2024 --amount 1000 --year 2024 --kind supplement
expect 1 "deduct on an unknown account: unknown_account" "unknown_account" -- \
  "$Q" "${OP[@]}" deduct --account 4242 --amount 1 --year 2024 --reason "x"
expect 0 "alloc carryover computes the cap and carries over" "cap T = " -- \
  "$Q" "${OP[@]}" alloc carryover --account 103 --from CEA-2024 --to CEA-2025 --amount 100
expect 1 "carry-over above the cap is refused" "carryover" -- \
  "$Q" "${OP[@]}" carry-over --account 103 --from-instrument CEA-2024 --to-instrument CEA-2025 \
  --amount 20000 --cap 20000 --net-sales 0 --window-start-ms 1704038400000 --window-end-ms 1767196800000
# a carry-over rule whose window closed now: carry-overs cite it, the ledger computes NS and T
RULE=c0000000000000000000000000000027
expect 0 "carry-over-rule" "^ok: carry_over_rule" -- \
  "$Q" "${OP[@]}" carry-over-rule --id "$RULE" --vintage-from 2019 --vintage-to 2024 --to-instrument CEA-2025 \
  --window-start-ms 0 --window-end-ms "$(($(date +%s) * 1000))" --base 10000 --factor-milli 1500 --sectors 30 --ref "scheme"
expect 1 "carry-over citing the rule with invented net sales: carryover_mismatch" "carryover_mismatch" -- \
  "$Q" "${OP[@]}" carry-over --account 103 --rule "$RULE" --from-instrument CEA-2024 --to-instrument CEA-2025 \
  --amount 1 --cap 1 --net-sales 200000000
expect 0 "alloc carryover --rule computes NS and T as the ledger does" "cap T = " -- \
  "$Q" "${OP[@]}" alloc carryover --account 103 --from CEA-2024 --rule "$RULE" --amount 50
expect 1 "a version 1 carry-over once a rule exists: carryover_rule_required" "carryover_rule_required" -- \
  "$Q" "${OP[@]}" carry-over --account 103 --from-instrument CEA-2024 --to-instrument CEA-2025 \
  --amount 1 --cap 10000 --net-sales 0 --window-start-ms 0 --window-end-ms 0
expect 1 "deduct --kind shortfall of a year not overdue: not_overdue" "not_overdue|no_obligation" -- \
  "$Q" "${OP[@]}" deduct --account 101 --kind shortfall --year 2024 --amount 1 --legal-ref "x"
expect 0 "deduct --kind fraud" "^ok: deduct" -- \
  "$Q" "${OP[@]}" deduct --account 103 --kind fraud --year 2024 --percent 60 --legal-ref "ruling 7"
expect 2 "deduct --kind fraud of 40%: bad_argument before signing" "bad_argument" -- \
  "$Q" "${OP[@]}" deduct --account 102 --kind fraud --year 2024 --percent 40 --legal-ref "ruling 8"
expect 0 "key-revoke" "^ok: key_revoke" -- "$Q" "${OP[@]}" key-revoke --key-hash "$T/rep102.key" --reason "left"
expect 1 "a revoked key signs nothing: revoked_key" "revoked_key" -- \
  "$Q" --key "$T/rep102.key" transfer --from 102 --to 900 --instrument CEA-2024 --amount 1
expect 0 "account-close of an empty account" "^ok: account_close" -- \
  "$Q" "${OP[@]}" account-close --account 102 --reason "merged"
expect 1 "account-close of an account holding units: account_not_empty" "account_not_empty" -- \
  "$Q" "${OP[@]}" account-close --account 900 --reason "x"
size=$(tree_size)
expect 0 "--dry-run prints the validated transaction" '"amount": 7' -- \
  "$Q" transfer --from 101 --to 900 --instrument CEA-2024 --amount 7 --dry-run
check "--dry-run sends nothing" test "$(tree_size)" = "$size"
expect 2 "--dry-run still validates (an enterprise needs a USCC)" "empty_field in --uscc" -- \
  "$Q" account-open --account 5 --kind enterprise --province 35 --name x --dry-run
expect 2 "a transaction without --key is a usage error" "at least one --key" -- \
  "$Q" transfer --from 101 --to 900 --instrument CEA-2024 --amount 1

# ---- queries
expect 0 "account by USCC" "Steel 101" -- "$Q" "${OP[@]}" account "$E1"
expect 1 "account without a read key: unauthorized" "unauthorized" -- "$Q" account "$E1"
expect 0 "balances" "CEA-2024 +[0-9]+ +2850 +300" -- "$Q" "${OP[@]}" balances 101
expect 0 "history" "surrender" -- "$Q" "${OP[@]}" history 101
expect 0 "keys" "representative" -- "$Q" "${OP[@]}" keys
expect 0 "accounts filtered by kind" "Steel 101" -- "$Q" "${OP[@]}" accounts --kind enterprise
expect 0 "accounts prints a header row" "^id +kind +prov +sector +uscc +name" -- "$Q" "${OP[@]}" accounts --kind enterprise
expect 0 "instruments (public)" "CEA-2024" -- "$Q" instruments
expect 0 "entries" "genesis" -- "$Q" "${OP[@]}" entries --start 0 --limit 3
expect 0 "checkpoint (public)" "^$ORIGIN" -- "$Q" checkpoint
expect 0 "checkpoint --verify with the key the registry serves" "log signature valid" -- "$Q" checkpoint --verify
other_vk=$("$Q" --json keygen "$T/other-log.key" --name "$ORIGIN" | jfield '["verifier_key"]')
expect 4 "checkpoint --verify with another log key" "does not verify" -- "$Q" checkpoint --verify \
  --log-key "$other_vk"
expect 0 "compliance table with status and shortfall" "short" -- "$Q" compliance 2024
expect 0 "compliance --csv" "^101,$E1,\"Steel 101\",35,12000,11000,0,11000,1000,short$" -- "$Q" compliance 2024 --csv
expect 0 "compliance --json" '"shortfall": 1000' -- "$Q" --json compliance 2024
expect 1 "compliance of a year never opened" "" -- "$Q" compliance 2031

# ---- proofs
txid=$("$Q" "${OP[@]}" --json issue --instrument CEA-2025 --amount 5 | jfield '["id"]')
vk=$("$Q" --json log | jfield '["verifier_key"]')
expect 0 "proof verifies against the pinned log key" "^verified: issue $txid" -- \
  "$Q" "${OP[@]}" proof --id "$txid" --verifier-key "$vk"
wrong=$("$Q" keygen "$T/wrong-log.key" --name "$ORIGIN" | sed -n 's/^verifier key: *//p')
expect 4 "proof against another log key fails verification (exit 4)" "does not verify" -- \
  "$Q" "${OP[@]}" proof --id "$txid" --verifier-key "$wrong"
expect 1 "proof of an unknown id" "not_found" -- "$Q" "${OP[@]}" proof --id 0123456789abcdef0123456789abcdef
expect 0 "reads work over the Unix socket" "CEA-2024" -- "$Q" --unix "$T/q.sock" instruments

# ---- bulk imports
cat >"$T/accounts.csv" <<EOF
account,kind,province,sector,threshold,uscc,name,note
201,participant,0,,1,,"Bulk, Trader A",
202,participant,0,,1,,Bulk Trader B,
203,provincial,44,,1,,Guangdong province,
EOF
size=$(tree_size)
expect 0 "accounts import --dry-run builds and signs every row and submits nothing" "dry run: 3 rows read, 3 transactions built and signed" -- \
  "$Q" "${OP[@]}" --dry-run accounts import "$T/accounts.csv"
check "the dry run leaves the tree size unchanged" test "$(tree_size)" = "$size"
expect 0 "accounts import" "3 transactions: 3 ok, 0 exists, 0 refused" -- "$Q" "${OP[@]}" accounts import "$T/accounts.csv"
size=$(tree_size)
expect 0 "accounts import rerun applies nothing twice" "3 transactions: 0 ok, 3 exists, 0 refused" -- \
  "$Q" "${OP[@]}" accounts import "$T/accounts.csv"
check "the rerun leaves the tree size unchanged" test "$(tree_size)" = "$size"
printf 'account,year,emissions,ref,key\n%s,2024,5000,r,auth35.key\n91350100M000100Y44,2024,1,r,auth35.key\n' "$E3" >"$T/emissions.csv"
cp "$T/auth35.key" "$T/auth35.key.copy" 2>/dev/null
expect 2 "emissions import names the line of a bad USCC" "emissions.csv:3: column account" -- \
  "$Q" --read-key "$T/op1.key" emissions import "$T/emissions.csv"
printf 'account,year,emissions,ref,key\n%s,2024,5000,r,auth35.key\n' "$E3" >"$T/emissions.csv"
expect 0 "emissions import signs each row with its 'key' column" "1 ok" -- \
  "$Q" --read-key "$T/op1.key" emissions import "$T/emissions.csv"
printf 'from,to,instrument,amount,year,kind,key\nCN-35,%s,CEA-2024,100,2024,supplement,auth35.key\nCN-35,%s,CEA-2024,999999,2024,supplement,auth35.key\n' "$E1" "$E1" >"$T/alloc.csv"
expect 1 "allocations import reports refusals by code and line" "alloc.csv:3: refused: insufficient_balance" -- \
  "$Q" --read-key "$T/op1.key" allocations import "$T/alloc.csv"
grep -q "refused insufficient_balance: 1" "$T/out" && PASSED=$((PASSED + 1)) && echo "ok   - the summary counts refusals by code" \
  || { FAILED=$((FAILED + 1)); echo "FAIL - summary by code"; }
expect 1 "allocations import --json lists every refused row with its line and code" '"refusals": ?\[\{"line": ?3, ?"code": ?"insufficient_balance"' -- \
  "$Q" --json --read-key "$T/op1.key" allocations import "$T/alloc.csv"
"$Q" --key "$T/rep101.key" position-move --account 101 --instrument CEA-2024 --amount 1500 --to-position trading >/dev/null
"$(command -v /usr/bin/python3 || command -v python3)" -c "
print('ref,from,to,instrument,amount')
for i in range(1200): print('SHEX-BULK,101,900,CEA-2024,1')" >"$T/settle.csv"
size=$(tree_size)
expect 0 "settle import splits 1,200 legs into entries of at most 1,000" "2 transactions: 2 ok" -- \
  "$Q" --key "$T/exch.key" --read-key "$T/op1.key" settle import "$T/settle.csv"
check "the settlement became two entries" test "$(tree_size)" = "$((size + 2))"
expect 0 "settle import rerun: exists" "2 transactions: 0 ok, 2 exists" -- \
  "$Q" --key "$T/exch.key" --read-key "$T/op1.key" settle import "$T/settle.csv"
printf 'ref,from,to,instrument,amount\nX,101,900,CEA-2024,1.5\n' >"$T/bad-settle.csv"
expect 2 "settle import names line and column of a bad amount" "bad-settle.csv:2: column 5 \(amount\)" -- \
  "$Q" --key "$T/exch.key" --read-key "$T/op1.key" settle import "$T/bad-settle.csv"

# ---- allocator
SRC=$(cd "$2" && pwd)
printf 'uscc,province,sector,unit,emissions,output\n%s,35,steel,BF1,500.7,250\n' "$E1" >"$T/units.csv"
expect 0 "alloc compute" "quota 500" -- "$Q" alloc compute --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units.csv"
expect 0 "alloc issue: national -> CN-35 -> enterprise, authority-signed" "2 transactions: 2 ok" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units.csv" --kind final \
  --authority-keys "$T/auth{province}.key"
expect 0 "alloc issue rerun: the allocator's ids answer exists" "2 transactions: 0 ok, 2 exists" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units.csv" --kind final \
  --authority-keys "$T/auth{province}.key"
printf 'uscc,province,sector,unit,emissions,output,pre_allocated\n%s,35,steel,BF1,500.7,250,600\n' "$E1" >"$T/units-trueup.csv"
# The attack on predictable ids: enterprise 101 knows its scheme, year, USCC, unit and kind,
# computes the id tools once gave its future claw-back (a public hash of those fields) and takes
# it first with a 1 t position move. The claw-back's id is now the authority's signature: another.
oldid=$(python3 -c '
import hashlib, sys
m = b"quotad/alloc/v1"
for f in ["steel-2024", "2024", sys.argv[1], "BF1", "clawback"]:
    m += len(f).to_bytes(2, "big") + f.encode()
print(hashlib.sha256(m).hexdigest()[:32])' "$E1")
expect 0 "the enterprise takes the public-formula id of its future claw-back" "^ok: position_move" -- \
  "$Q" --key "$T/rep101.key" position-move --id "$oldid" --account 101 --instrument CEA-2024 \
  --amount 1 --to-position trading
expect 0 "alloc issue --kind true-up claws back an over-allocation" "1 transactions: 1 ok" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units-trueup.csv" \
  --kind true-up --authority-keys "$T/auth{province}.key"
expect 0 "alloc issue --kind true-up rerun: the derived ids answer exists" "1 transactions: 0 ok, 1 exists" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units-trueup.csv" \
  --kind true-up --authority-keys "$T/auth{province}.key"
printf 'ref,from,to,instrument,amount\nSHEX-IDKEY,101,900,CEA-2024,1\n' >"$T/settle-idkey.csv"
expect 0 "settle import with --id-key" "1 transactions: 1 ok" -- \
  "$Q" --key "$T/exch.key" --id-key "$T/other.key" --read-key "$T/op1.key" settle import "$T/settle-idkey.csv"
expect 0 "settle import rerun with the same --id-key: exists" "1 transactions: 0 ok, 1 exists" -- \
  "$Q" --key "$T/exch.key" --id-key "$T/other.key" --read-key "$T/op1.key" settle import "$T/settle-idkey.csv"
expect 2 "an --id-key that is no key file" "cannot load --id-key" -- \
  "$Q" --key "$T/exch.key" --id-key "$T/settle-idkey.csv" --read-key "$T/op1.key" settle import "$T/settle-idkey.csv"
expect 0 "the claw-back is in the enterprise's history" "clawback .*\"amount\":100" -- "$Q" "${OP[@]}" history 101
expect 2 "alloc issue with an unknown kind" "final, pre or true-up" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units.csv" --kind later
# allocation tables: published, recomputed by the ledger, cited by allocations (unit BF9: the
# allocator's ids of BF1 are taken by the version-1 issue above)
printf 'uscc,province,sector,unit,emissions,output\n%s,35,steel,BF9,500.7,250\n' "$E1" >"$T/units-table.csv"
printf 'uscc,province,sector,unit,emissions,output,pre_allocated\n%s,35,steel,BF9,500.7,250,600\n' "$E1" >"$T/units-table-trueup.csv"
expect 1 "alloc publish of a draft scheme: draft_scheme" "draft_scheme" -- \
  "$Q" "${OP[@]}" alloc publish --scheme "$SRC/schemes/steel-2026-draft.ini" --data "$T/units.csv" \
  --table 9 --instrument CEA-2024
expect 0 "alloc publish: header, rows and closing entry" "3 transactions: 3 ok" -- \
  "$Q" "${OP[@]}" alloc publish --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units-table.csv" \
  --table 24 --confidential emissions
expect 0 "alloc show (public): a confidential input is a commitment" '"commitment": "[0-9a-f]{64}"' -- \
  "$Q" alloc show --table 24
check "the public table does not show the confidential value" sh -c "! grep -q '500.7' '$T/out'"
expect 0 "alloc show signed by an operator: the value and its salt" '"emissions": "500.7"' -- \
  "$Q" --key "$T/op1.key" alloc show --table 24
expect 0 "alloc issue --table: allocations cite their row" "1 transactions: 1 ok" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units-table.csv" --kind final \
  --table 24 --no-national --authority-keys "$T/auth{province}.key"
expect 1 "a claw-back below the final quota: clawback_bound" "clawback_bound" -- \
  "$Q" "${OP[@]}" alloc issue --scheme "$SRC/schemes/steel-2024.ini" --data "$T/units-table-trueup.csv" \
  --kind true-up --table 24 --authority-keys "$T/auth{province}.key"
expect 1 "an allocation citing no table once the vintage has one: alloc_mismatch" "alloc_mismatch" -- \
  "$Q" --key "$T/auth35.key" allocate --from CN-35 --to "$E1" --instrument CEA-2024 --amount 1 --year 2024 --kind supplement
expect 0 "demo-data writes a registry year" "1291 enterprises" -- "$Q" demo-data --seed 3 --out "$T/demo"
check "demo-data: 31 provinces, 5 traders and 1,291 enterprises" test "$(($(wc -l <"$T/demo/accounts.csv") - 1))" = 1327
expect 2 "demo-data never overwrites key files" "File exists" -- "$Q" demo-data --seed 3 --out "$T/demo"

# ---- export, backup and restore
size=$(tree_size)
expect 0 "export" "exported $size entries" -- "$Q" "${OP[@]}" export "$T/export.jsonl"
check "the export has a header, every entry and the reported line" test "$(wc -l <"$T/export.jsonl")" = "$((size + 2))"
check "the export's last line is what the registry reports" grep -q '^{"reported"' <(tail -1 "$T/export.jsonl")
if [ -x "$AUDIT" ]; then
  expect 0 "quota-audit verifies the export" "" -- "$AUDIT" --export "$T/export.jsonl" --verifier-key "$vk"
  expect 0 "quota-audit --json: one object with the verdict and the counts" '^\{"verdict":"ok","log":"'"$ORIGIN"'","entries":[0-9]+' -- "$AUDIT" --export "$T/export.jsonl" --verifier-key "$vk" --json
fi
expect 0 "backup while quotad runs" "invariants hold" -- "$Q" backup "$T/backup" --data-dir "$T/data"
root_before=$(sed -n 3p <("$Q" checkpoint))
expect 2 "backup refuses a directory that holds a ledger" "already holds" -- "$Q" backup "$T/backup" --data-dir "$T/data"
expect 3 "backup into a missing parent directory names that directory, not the data" "parent directory $T/no/such does not exist" -- "$Q" backup "$T/no/such/backup" --data-dir "$T/data"
stop_quotad
mv "$T/data" "$T/data.old"
mkdir "$T/data" && cp "$T/backup/data.mdb" "$T/data/"
start_quotad "$T/data" || echo "FAIL - quotad did not restart"
check "the restored registry has the same tree size" test "$(tree_size)" = "$size"
check "the restored registry serves the same root" test "$(sed -n 3p <("$Q" checkpoint))" = "$root_before"
if [ -x "$AUDIT" ]; then
  expect 0 "quota-audit verifies the restored registry live" "" -- \
    "$AUDIT" --url "$QUOTAD_URL" --key "$T/op1.key" --verifier-key "$vk" --quiet
fi
expect 0 "the restored registry accepts transactions" "^ok: transfer" -- \
  "$Q" --key "$T/rep101.key" transfer --from 101 --to 900 --instrument CEA-2024 --amount 1
expect 0 "the restored registry still knows every id (rerun: exists)" "3 exists" -- \
  "$Q" "${OP[@]}" accounts import "$T/accounts.csv"

# ---- https with a private CA
stop_quotad
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/tls.key" \
  -out "$T/tls.crt" -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
TPORT=$(free_port)
"$QUOTAD" --data-dir "$T/data" --log-key "$T/log.key" --listen "" --tls-listen "127.0.0.1:$TPORT" \
  --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" --log-level warning 2>>"$T/quotad.log" &
QPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null --cacert "$T/tls.crt" "https://127.0.0.1:$TPORT/healthz" && break; sleep 0.1; done
expect 0 "https with --cacert" "CEA-2024" -- "$Q" --url "https://127.0.0.1:$TPORT" --cacert "$T/tls.crt" instruments
expect 3 "https with an untrusted certificate says to pass --cacert" "--cacert" -- \
  "$Q" --url "https://127.0.0.1:$TPORT" instruments

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
