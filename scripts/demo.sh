#!/usr/bin/env bash
# The registry demo: on a fresh registry, two compliance cycles of China's national ETS for iron
# and steel, cement and aluminium: 31 provinces, about 1,300 enterprises. 2024: verified emissions,
# the allocation (quota = emissions), exchange trading, transfers, surrenders with a few
# enterprises short, the compliance report. 2025, the intensity method through allocation tables
# on the ledger: the pre-allocation tables (from 2024 verified emissions alone) and the
# pre-allocations citing them, 2025 verified emissions, the final tables with their solved balance
# values, supplements and claw-backs against them, a refused over-allocation and a refused
# claw-back (the ledger unchanged), trading, surrenders and the report. Then a proof, an export
# and an independent audit of it. Surrender deadlines: the real ones while they are ahead, else
# the registry's own, said when it runs (scripts/demo_deadline.sh). Three quota-witness processes
# cosign the registry's checkpoints with a 2-of-3 policy; the demo ends by checking their
# cosignatures and a public monitor run.
# Usage: scripts/demo.sh [BUILD_DIR] [--serve]  (default: build)
# --serve leaves quotad running at the end, serving the public pages, until Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
serve=0
args=()
for a in "$@"; do if [ "$a" = --serve ]; then serve=1; else args+=("$a"); fi; done
build=$(cd "${args[0]:-$root/build}" && pwd)
Q="$build/tools/quotactl"
QUOTAD="$build/daemon/quotad"
AUDIT="$build/tools/quota-audit"
WITNESS="$build/witness/quota-witness"
for bin in "$Q" "$QUOTAD" "$WITNESS"; do
  [ -x "$bin" ] || { echo "demo: $bin is not built (cmake --build $build)" >&2; exit 2; }
done

work=${QUOTAD_DEMO_DIR:-$(mktemp -d /tmp/quotad-demo-XXXXXX)}
mkdir -p "$work"
origin=demo.quotad.example/cets
seed=${QUOTAD_DEMO_SEED:-2024}
qpid=""
wpids=()
started=$(date +%s)
cleanup() {
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill -TERM "$qpid"; wait "$qpid" || true; fi
  for p in "${wpids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" || true; done
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ quotactl %s\n' "$(printf '%s ' "$@" | sed -e "s#$work/##g" -e "s#$root/##g")"; "$Q" "$@"; }

say "keys: the log key, two operator keys (every operator action needs both: four-eyes)"
"$Q" keygen "$work/log.key" --name "$origin" | tee "$work/log.keygen" | sed -n 's/^verifier key: */verifier key: /p'
log_vkey=$(sed -n 's/^verifier key: *//p' "$work/log.keygen")
"$Q" keygen "$work/operator-1.key" >/dev/null
"$Q" keygen "$work/operator-2.key" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export QUOTAD_URL="http://127.0.0.1:$port"
ops=(--key "$work/operator-1.key" --key "$work/operator-2.key")
reader=(--read-key "$work/operator-1.key") # rows that name their own signers still read as operator

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
say "three witnesses (an audit office, a province, the exchange) and a policy: 2 of 3 must cosign"
printf 'log %s\n' "$log_vkey" > "$work/witnesses.policy"
for w in 1 2 3; do
  wport=$(free_port)
  mkdir -p "$work/witness-$w"
  "$Q" keygen "$work/witness-$w/witness.key" >/dev/null
  "$WITNESS" --name "witness-$w.demo.example" --data-dir "$work/witness-$w" --listen "127.0.0.1:$wport" \
    --log "$origin=$log_vkey" 2>"$work/witness-$w.log" &
  wpids+=($!)
  wvkey=$("$WITNESS" --name "witness-$w.demo.example" --data-dir "$work/witness-$w" --verifier-key 2>/dev/null)  # it warns that no log is configured: only its key is asked
  printf 'witness W%s %s http://127.0.0.1:%s\n' "$w" "$wvkey" "$wport" >> "$work/witnesses.policy"
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$wport/healthz" && break; sleep 0.1; done
done
printf 'group G 2 W1 W2 W3\nquorum G\n' >> "$work/witnesses.policy"
sed "s#$work/##g" "$work/witnesses.policy"

say "start quotad on $QUOTAD_URL (data in $work/data), publishing only what 2 of 3 witnesses cosigned"
mkdir -p "$work/data"
"$QUOTAD" --data-dir "$work/data" --log-key "$work/log.key" --listen "127.0.0.1:$port" \
  --witness-policy "$work/witnesses.policy" --log-level warning 2>"$work/quotad.log" &
qpid=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "$QUOTAD_URL/healthz" && break; sleep 0.1; done

say "genesis of the registry $origin"
run init --origin "$origin" --log-key "$work/log.key" --operator-key "$work/operator-1.key" \
  --operator-key "$work/operator-2.key" --threshold 2

# The public's monitor (quota-audit --monitor, as from cron): it keeps this first checkpoint and
# checks at the end that the log it sees then extends it.
monitor_failed=0
monitor=(--monitor "$QUOTAD_URL/log" --state "$work/monitor.state" --verifier-key "$log_vkey" --policy "$work/witnesses.policy")
if [ -x "$AUDIT" ]; then
  for _ in $(seq 1 50); do curl -sf -o /dev/null "$QUOTAD_URL/log/checkpoint" && break; sleep 0.1; done
  say "the public's monitor: a first run trusts the published checkpoint and keeps it"
  "$AUDIT" "${monitor[@]}" || monitor_failed=1
fi

say "synthetic enterprise data (seed $seed)"
run demo-data --seed "$seed" --out "$work/data-in"
# shellcheck disable=SC1091
source "$work/data-in/totals.env"
in="$work/data-in"

say "open $PROVINCES provincial accounts, $PARTICIPANTS traders and $ENTERPRISES enterprises ($STEEL steel, $CEMENT cement, $ALUMINIUM aluminium)"
run "${ops[@]}" accounts import "$in/accounts.csv"
say "register $((PROVINCES + PARTICIPANTS + ENTERPRISES + 1)) keys: provincial authorities, the exchange, representatives"
run "${ops[@]}" keys import "$in/keys.csv"

# shellcheck source=scripts/demo_deadline.sh
source "$root/scripts/demo_deadline.sh"
now_s=$(date +%s)
say "instruments and compliance years"
deadline_2024=$(demo_deadline_ms 2025-12-31 "$now_s")
deadline_2025=$(demo_deadline_ms 2026-12-31 "$now_s")
run "${ops[@]}" instrument-create --code CEA-2024 --kind cea --vintage 2024 --cap "$TOTAL_2024" \
  --first-year 2019 --last-year 2024
run "${ops[@]}" instrument-create --code CEA-2025 --kind cea --vintage 2025 \
  --cap $((EMISSIONS_2025 * 11 / 10)) --first-year 2025 --last-year 2030
run "${ops[@]}" compliance-year --year 2024 --deadline-ms "$deadline_2024"
run "${ops[@]}" compliance-year --year 2025 --deadline-ms "$deadline_2025"

say "2024 verified emissions, recorded by each province's authority"
run "${reader[@]}" emissions import "$in/emissions-2024.csv"

say "2024 allocation: quota = verified emissions (allocator, 2024 schemes)"
run "${ops[@]}" issue --instrument CEA-2024 --amount "$TOTAL_2024"
for sector in steel cement aluminium; do
  run "${ops[@]}" alloc issue --scheme "$root/schemes/$sector-2024.ini" \
    --data "$in/units-2024-$sector.csv" --kind final --authority-keys "$in/keys/auth-{province}.key"
done

say "trading: $SELLERS enterprises sell part of their 2024 quota on the exchange"
run "${reader[@]}" position-moves import "$in/moves-to-trading.csv"
run --key "$in/keys/exchange.key" "${reader[@]}" settle import "$in/settle.csv"
run "${reader[@]}" position-moves import "$in/moves-to-registry.csv"
say "traders sell back to all sellers but $SHORT of them (bilateral transfers)"
run "${reader[@]}" transfers import "$in/transfers.csv"

say "a transfer above what is available is refused, and nothing changes"
seller=$(sed -n 2p "$in/moves-to-trading.csv" | cut -d, -f1)
seller_id=$("$Q" "${ops[@]}" --json account "$seller" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
run --key "$in/keys/rep-$seller_id.key" transfer --from "$seller" --to 900001 --instrument CEA-2024 \
  --amount 999999999 || echo "(exit $?: refused by the registry)"

say "surrenders for 2024"
run "${reader[@]}" surrenders import "$in/surrenders-2024.csv"
say "rerunning an import applies nothing twice"
run "${reader[@]}" emissions import "$in/emissions-2024.csv"

say "compliance report 2024 (the enterprises that are short)"
"$Q" compliance 2024 --csv > "$work/compliance-2024.csv"
head -1 "$work/compliance-2024.csv"
grep ',short$' "$work/compliance-2024.csv" || true
"$Q" compliance 2024 | tail -3

say "the 2025 cycle (intensity method) through allocation tables on the ledger"
echo "(April 2026: the pre-allocation tables, computed from the 2024 verified emissions alone,"
echo " are published first; the ledger recomputes every row and holds each allocation to its row)"
sectors=(steel cement aluminium)
run "${ops[@]}" issue --instrument CEA-2025 --amount "$PRE_2025"
for k in 0 1 2; do
  sector=${sectors[$k]}
  run "${ops[@]}" alloc publish --scheme "$root/schemes/$sector-2025.ini" \
    --data "$in/units-2025-pre-$sector.csv" --table $((2025010 + k))
  run "${ops[@]}" alloc issue --scheme "$root/schemes/$sector-2025.ini" --data "$in/units-2025-pre-$sector.csv" \
    --kind pre --table $((2025010 + k)) --authority-keys "$in/keys/auth-{province}.key"
done

say "2025 verified emissions, recorded by each province's authority"
run "${reader[@]}" emissions import "$in/emissions-2025.csv"

say "final determination: the 2025 tables, each with its sector's solved balance value"
for k in 0 1 2; do
  sector=${sectors[$k]}
  "$Q" alloc compute --scheme "$root/schemes/$sector-2025.ini" --data "$in/units-2025-$sector.csv" \
    | grep '^sector' | sed "s/^/$sector 2025: /"
  "$Q" alloc compute --scheme "$root/schemes/$sector-2025.ini" --data "$in/units-2025-$sector.csv" \
    --csv > "$work/compute-2025-$sector.csv"
  run "${ops[@]}" alloc publish --scheme "$root/schemes/$sector-2025.ini" \
    --data "$in/units-2025-$sector.csv" --table $((2025020 + k))
done
run "${ops[@]}" alloc show

say "supplements and claw-backs: final quota minus pre-allocation, each citing its table row"
python3 "$root/scripts/demo_2025.py" national "$in" "$work"/compute-2025-{steel,cement,aluminium}.csv
supplements=$(awk -F, 'NR > 1 { s += $4 } END { print s }' "$in/alloc-2025-supplements-national.csv")
run "${ops[@]}" issue --instrument CEA-2025 --amount "$supplements"
run "${ops[@]}" allocations import "$in/alloc-2025-supplements-national.csv"
for k in 0 1 2; do
  sector=${sectors[$k]}
  run "${ops[@]}" alloc issue --scheme "$root/schemes/$sector-2025.ini" --data "$in/units-2025-$sector.csv" \
    --kind true-up --table $((2025020 + k)) --authority-keys "$in/keys/auth-{province}.key"
done

say "the ledger holds every unit to its row: one tonne above the final quota, and a claw-back above the bound, are refused"
# the first steel unit whose true-up was a claw-back: its final quota is below its pre-allocation
IFS=, read -r row uscc prov < <(awk -F, '$1 == "unit" { n++; if ($13 < 0) { print n - 1 "," $2 "," $3; exit } }' \
  "$work/compute-2025-steel.csv")
auth="$in/keys/auth-$prov.key"
size_before=$(curl -s "$QUOTAD_URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
held_before=$("$Q" "${ops[@]}" --json balances "$uscc" | python3 -c 'import json,sys; print([b["registry"] for b in json.load(sys.stdin)["balances"] if b["instrument"] == "CEA-2025"][0])')
refused=0
run --key "$auth" allocate --from "CN-$prov" --to "$uscc" --instrument CEA-2025 --amount 1 --year 2025 \
  --kind supplement --table 2025020 --row "$row" || { echo "(exit $?: refused by the registry)"; refused=$((refused + 1)); }
run --key "$auth" clawback --from "$uscc" --to "CN-$prov" --instrument CEA-2025 --amount 1 \
  --reason "claw-back beyond the true-up" --table 2025020 --row "$row" || { echo "(exit $?: refused by the registry)"; refused=$((refused + 1)); }
size_after=$(curl -s "$QUOTAD_URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
held_after=$("$Q" "${ops[@]}" --json balances "$uscc" | python3 -c 'import json,sys; print([b["registry"] for b in json.load(sys.stdin)["balances"] if b["instrument"] == "CEA-2025"][0])')
if [ "$refused" = 2 ] && [ "$size_before" = "$size_after" ] && [ "$held_before" = "$held_after" ]; then
  echo "both refused; the ledger is unchanged: $size_after entries, $uscc holds $held_after t of CEA-2025"
else
  echo "the ledger CHANGED: $refused of 2 refused, entries $size_before -> $size_after, holding $held_before -> $held_after"
  ledger_changed=1
fi

say "trading 2025: enterprises above their verified emissions sell to those below (bilateral)"
python3 "$root/scripts/demo_2025.py" trades "$in" 7 "$work"/compute-2025-{steel,cement,aluminium}.csv
run "${reader[@]}" transfers import "$in/transfers-2025.csv"

say "surrenders for 2025 (each enterprise surrenders what it holds, up to its verified emissions)"
run "${reader[@]}" surrenders import "$in/surrenders-2025.csv"

say "compliance report 2025"
"$Q" compliance 2025 --csv > "$work/compliance-2025.csv"
grep ',short$' "$work/compliance-2025.csv" || true
"$Q" compliance 2025 | tail -3

say "proof: one verified-emissions record is in the log, checked here against the signed checkpoint"
txid=$("$Q" "${ops[@]}" --json entries --start 3000 --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][0]["tx"]["id"])')
vk=$("$Q" --json log | python3 -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])')
run "${ops[@]}" proof --id "$txid" --verifier-key "$vk"

say "export and independent audit"
run "${ops[@]}" export "$work/registry.jsonl"
verdict="quota-audit not built"
if [ -x "$AUDIT" ]; then
  printf '$ quota-audit --export registry.jsonl --verifier-key %s\n' "$vk"
  if "$AUDIT" --export "$work/registry.jsonl" --verifier-key "$vk"; then
    verdict="quota-audit: the export verifies"
  else
    verdict="quota-audit: VERIFICATION FAILED"
  fi
fi
run instruments

say "the published checkpoint and its witnesses' cosignatures, checked against the policy"
tree=$(curl -s "$QUOTAD_URL/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
for _ in $(seq 1 50); do
  [ "$(curl -s "$QUOTAD_URL/v1/checkpoint" | sed -n 2p)" = "$tree" ] && break; sleep 0.1
done
run checkpoint --verify --policy "$work/witnesses.policy" || verdict="witness quorum NOT met"

say "the public's monitor again: no key; the log's signature, the witness quorum, and consistency with what it kept"
if [ -x "$AUDIT" ]; then
  printf '$ quota-audit --monitor %s/log --state monitor.state --verifier-key ... --policy witnesses.policy\n' "$QUOTAD_URL"
  "$AUDIT" "${monitor[@]}" || monitor_failed=1
fi
[ "$monitor_failed" = 0 ] || verdict="quota-audit --monitor: FAILED"
[ -z "${ledger_changed:-}" ] || verdict="a refused allocation CHANGED the ledger: FAILED"
"$Q" "${ops[@]}" proof --id "$txid" --verifier-key "$vk" --receipt "$work/receipt.tlog-proof" >/dev/null
say "done in $(( $(date +%s) - started )) s: $verdict (files in $work)"
echo "public pages: $QUOTAD_URL/ (compliance: $QUOTAD_URL/compliance/2025, verify: $QUOTAD_URL/verify;"
echo "  a receipt to drop there: $work/receipt.tlog-proof)"
case "$verdict" in *FAILED*|*NOT*) exit 1 ;; esac
if [ "$serve" = 1 ]; then
  echo "quotad keeps running for the pages; Ctrl-C stops it"
  wait "$qpid" || true
fi
