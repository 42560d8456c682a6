#!/usr/bin/env bash
# The public pages in a real browser: builds a small registry on a fresh quotad whose checkpoints
# three quota-witness processes cosign (a 2-of-3 policy), writes receipts
# with quotactl proof --receipt, installs playwright-core and axe-core (pinned) into the build
# tree, and runs pages.test.mjs in Debian's chromium. Usage: bash run.sh BUILD_DIR SOURCE_DIR
# A missing tool fails the test (never a silent pass).
set -u
BUILD_DIR=$(cd "$1" && pwd)
SOURCE_DIR=$(cd "$2" && pwd)
Q="$BUILD_DIR/tools/quotactl"
QUOTAD="$BUILD_DIR/daemon/quotad"
WITNESS="$BUILD_DIR/witness/quota-witness"
for need in "$Q" "$QUOTAD" "$WITNESS" /usr/bin/chromium "$(command -v node || echo node)" "$(command -v npm || echo npm)"; do
  [ -x "$need" ] || { echo "FAIL - $need is missing (scripts/deps.sh installs chromium, nodejs and npm)"; exit 1; }
done
T=$(mktemp -d /tmp/quotad-browser-XXXXXX)
QPID=""
WPIDS=()
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then kill -TERM "$QPID"; wait "$QPID" 2>/dev/null; fi
  for p in "${WPIDS[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "${QUOTAD_BROWSER_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
die() { echo "FAIL - $*"; tail -20 "$T/quotad.log" 2>/dev/null; exit 1; }

# npm ci only when the lock file changed: the modules live in the build tree, never in the source.
NODE_DIR="$BUILD_DIR/browser-node"
mkdir -p "$NODE_DIR"
if ! cmp -s "$SOURCE_DIR/tests/browser/package-lock.json" "$NODE_DIR/package-lock.json" || [ ! -d "$NODE_DIR/node_modules/playwright-core" ]; then
  cp "$SOURCE_DIR/tests/browser/package.json" "$SOURCE_DIR/tests/browser/package-lock.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund >"$T/npm.log" 2>&1) || { cat "$T/npm.log"; die "npm ci"; }
fi

ORIGIN=browser.quotad.example/cets
"$Q" keygen "$T/log.key" --name "$ORIGIN" >"$T/log.keygen" || die "keygen"
LOG_VK=$(sed -n 's/^verifier key: *//p' "$T/log.keygen")
"$Q" keygen "$T/op1.key" >/dev/null || die "keygen"
python3 "$SOURCE_DIR/tests/browser/registry.py" "$T/reg" >"$T/totals.env" || die "registry.py"
# shellcheck disable=SC1091
source "$T/totals.env"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export QUOTAD_URL="http://127.0.0.1:$PORT"
# Three quota-witness processes and a 2-of-3 policy: the receipts carry real cosignatures.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
printf 'log %s\n' "$LOG_VK" >"$T/witnesses.policy"
for w in 1 2 3; do
  WPORT=$(free_port)
  mkdir -p "$T/witness-$w"
  "$Q" keygen "$T/witness-$w/witness.key" >/dev/null || die "keygen"
  "$WITNESS" --name "w$w.browser.example" --data-dir "$T/witness-$w" --listen "127.0.0.1:$WPORT" \
    --log "$ORIGIN=$LOG_VK" 2>"$T/witness-$w.log" &
  WPIDS+=($!)
  WVK=$("$WITNESS" --name "w$w.browser.example" --data-dir "$T/witness-$w" --verifier-key) || die "witness $w key"
  printf 'witness W%s %s http://127.0.0.1:%s\n' "$w" "$WVK" "$WPORT" >>"$T/witnesses.policy"
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$WPORT/" && break; sleep 0.1; done
done
printf 'group G 2 W1 W2 W3\nquorum G\n' >>"$T/witnesses.policy"
# A public log, so that the verify page can also fetch a receipt by transaction id.
mkdir -p "$T/data"
"$QUOTAD" --data-dir "$T/data" --log-key "$T/log.key" --listen "127.0.0.1:$PORT" --public-log --log-level warning \
  --witness-policy "$T/witnesses.policy" --checkpoint-interval-ms 100 2>>"$T/quotad.log" &
QPID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$QUOTAD_URL/healthz" && break; sleep 0.1; done

OP=(--key "$T/op1.key")
R=(--read-key "$T/op1.key")
step() { "$@" >>"$T/setup.log" 2>&1 || { tail -20 "$T/setup.log"; die "setup: ${*: -3}"; }; }
step "$Q" init --origin "$ORIGIN" --log-key "$T/log.key" --operator-key "$T/op1.key"
step "$Q" "${OP[@]}" accounts import "$T/reg/accounts.csv"
step "$Q" "${OP[@]}" keys import "$T/reg/keys.csv"
step "$Q" "${OP[@]}" instrument-create --code CEA-2024 --kind cea --vintage 2024 --cap $((TOTAL_2024 * 2)) --first-year 2019 --last-year 2024
step "$Q" "${OP[@]}" instrument-create --code CEA-2025 --kind cea --vintage 2025 --cap $((TOTAL_2024 * 2)) --first-year 2025 --last-year 2030
step "$Q" "${OP[@]}" compliance-year --year 2024 --deadline-ms 4102444800000
step "$Q" "${R[@]}" emissions import "$T/reg/emissions.csv"
step "$Q" "${OP[@]}" issue --instrument CEA-2024 --amount "$TOTAL_2024"
step "$Q" "${OP[@]}" allocations import "$T/reg/alloc-national.csv"
step "$Q" "${R[@]}" allocations import "$T/reg/alloc.csv"
# An allocation table on the ledger (steel 2025, its balance value solved and checked by the
# ledger; outputs published as salted commitments) for the allocation page.
step "$Q" "${OP[@]}" alloc publish --scheme "$SOURCE_DIR/schemes/steel-2025.ini" --data "$T/reg/units-steel-2025.csv" \
  --table 202502 --confidential output
tree_last() { "$Q" --json log | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"] - 1)'; }
TABLE_CLOSE_INDEX=$(tree_last)
# The 2025 quotas of the steel units, allocated citing the table's rows (allocate version 2):
# the receipts of the table's closing entry and of the last allocation are verified in the browser.
step "$Q" "${OP[@]}" issue --instrument CEA-2025 --amount "$TOTAL_2024"
step "$Q" "${OP[@]}" alloc issue --scheme "$SOURCE_DIR/schemes/steel-2025.ini" --data "$T/reg/units-steel-2025.csv" \
  --kind final --table 202502 --instrument CEA-2025 --authority-keys "$T/reg/keys/auth-{province}.key"
ALLOC_V2_INDEX=$(tree_last)
step "$Q" "${R[@]}" surrenders import "$T/reg/surrenders.csv"
# The receipts are made once all three witnesses cosigned the last entry's checkpoint.
TREE=$(curl -s "$QUOTAD_URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
for _ in $(seq 1 200); do
  CP=$(curl -s "$QUOTAD_URL/v1/checkpoint")
  [ "$(printf '%s\n' "$CP" | sed -n 2p)" = "$TREE" ] && [ "$(printf '%s\n' "$CP" | grep -c '^— w[123]\.browser\.example ')" = 3 ] && break
  sleep 0.1
done
[ "$(printf '%s\n' "$CP" | sed -n 2p)" = "$TREE" ] || die "the last checkpoint was not published with the witnesses"
VK=$("$Q" --json log | python3 -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])')
LAST=$(( $("$Q" --json log | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])') - 1 ))
step "$Q" "${OP[@]}" proof --index "$LAST" --receipt "$T/receipt.tlog-proof" --verifier-key "$VK"
step "$Q" "${OP[@]}" proof --index 3 --receipt "$T/receipt-early.tlog-proof" --verifier-key "$VK"
step "$Q" "${OP[@]}" proof --index "$TABLE_CLOSE_INDEX" --receipt "$T/receipt-table.tlog-proof" --verifier-key "$VK"
step "$Q" "${OP[@]}" proof --index "$ALLOC_V2_INDEX" --receipt "$T/receipt-allocate-v2.tlog-proof" --verifier-key "$VK"

# quotactl proof --receipt itself: the file's lines, its leaf the API's exact bytes, refusals.
SHFAIL=0
shcheck() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; SHFAIL=1; fi; }
LEAF=$("$Q" "${OP[@]}" --json entries --start "$LAST" --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["leaf"])')
shcheck "the receipt is a c2sp.org/tlog-proof@v1 file with the leaf as extra and the index" \
  '[ "$(sed -n 1p "$T/receipt.tlog-proof")" = "c2sp.org/tlog-proof@v1" ] && [ "$(sed -n 2p "$T/receipt.tlog-proof")" = "extra $LEAF" ] && [ "$(sed -n 3p "$T/receipt.tlog-proof")" = "index $LAST" ]'
shcheck "the receipt ends with the checkpoint as served" '[ "$(sed -n "/^\$/,\$p" "$T/receipt.tlog-proof" | tail -n +2)" = "$(curl -s "$QUOTAD_URL/v1/checkpoint")" ]'
"$Q" "${OP[@]}" proof --index 3 --id 0123456789abcdef0123456789abcdef --receipt "$T/both" >/dev/null 2>&1
rc=$?
shcheck "proof with both --id and --index is a usage error (exit 2), no file" '[ $rc = 2 ] && [ ! -e "$T/both" ]'
"$Q" "${OP[@]}" proof --index 3 --receipt "$T/no/such/dir/r.tlog-proof" --verifier-key "$VK" >/dev/null 2>&1
rc=$?
shcheck "an unwritable receipt path is exit 3" '[ $rc = 3 ]'
[ "$SHFAIL" = 0 ] || die "quotactl proof --receipt"

export QUOTAD_STEEL_UNITS="$STEEL_UNITS"
export QUOTAD_BIN="$QUOTAD" QUOTAD_T="$T" QUOTAD_LOG_KEY="$T/log.key" QUOTAD_VK="$VK" QUOTAD_ORIGIN="$ORIGIN"
export QUOTAD_POLICY="$T/witnesses.policy"
export QUOTAD_SHOTS="${QUOTAD_SHOTS:-$T/img}" QUOTAD_NODE_DIR="$NODE_DIR"
timeout 300 node "$SOURCE_DIR/tests/browser/pages.test.mjs"
