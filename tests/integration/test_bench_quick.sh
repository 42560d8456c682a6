#!/usr/bin/env bash
# Smoke test of the benchmark harness: quota-bench builds a small registry in a real quotad,
# drives it for two seconds with signed transfers, surrenders and settlements, and must report
# a non-zero throughput, quotad's CPU by thread, and no refused transaction, HTTP error or lost
# answer; then a small sweep with --half-load must put the half-load window second.
#   bash test_bench_quick.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$1
qb=$build/bench/quota-bench
quotad=$build/daemon/quotad
if [ ! -x "$quotad" ]; then
  echo "FAIL: $quotad is not built"
  exit 1
fi
[ -x "$qb" ] || { echo "FAIL: $qb missing"; exit 1; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
passed=0 failed=0
check() { # name, python condition over the JSON d
  if python3 -c "import json,sys; d=json.load(open('$out')); r=d['runs'][0]; sys.exit(0 if ($2) else 1)"; then
    passed=$((passed + 1)); echo "ok: $1"
  else
    failed=$((failed + 1)); echo "FAIL: $1"
  fi
}
"$qb" --quotad "$quotad" --enterprises 120 --connections 4 --duration 2 --pool 3000 \
  --mix transfer:8,surrender:1,settle:1 --batch-legs 20 --json >"$out" 2>"$out.err"
rc=$?
if [ ! -s "$out" ]; then
  echo "FAIL: quota-bench printed no JSON (exit $rc)"; tail -20 "$out.err"; rm -f "$out.err"; exit 1
fi
check "quota-bench exits 0" "$rc == 0"
check "throughput is non-zero" "r['tx_per_s'] > 0 and r['tx_ok'] > 0"
check "no transaction refused" "r['tx_refused'] == 0 and r['tx_exists'] == 0"
check "no HTTP error" "r['http_errors'] == 0 and r['first_error'] == ''"
check "settlement legs were committed" "r['legs_per_s'] > 0"
check "latency percentiles are ordered" "0 < r['latency_ms']['p50'] <= r['latency_ms']['p99'] <= r['latency_ms']['p999']"
check "quotad's CPU is split by thread" "set(r['quotad_threads_cores']) >= {'loop', 'writer', 'verify', 'other', 'loop_sys'} and r['quotad_threads_cores']['writer'] > 0 and r['quotad_threads_cores']['loop'] > 0"

# A sweep of two windows with --half-load: the half-load window comes right after the first, in
# an open loop at half the first window's rate, before the rest of the sweep.
"$qb" --quotad "$quotad" --enterprises 120 --connections 4,2 --duration 2 --sweep-duration 1 \
  --pool 3000 --half-load --json >"$out" 2>>"$out.err"
rc=$?
check "sweep with --half-load exits 0" "$rc == 0"
check "three windows: first, half load, then the sweep" "len(d['runs']) == 3 and not d['runs'][0].get('half_load') and d['runs'][1].get('half_load') and not d['runs'][2].get('half_load') and d['runs'][2]['connections'] == 2"
check "half load runs at half the first window's rate" "abs(d['runs'][1]['rate_target_tx_per_s'] - r['tx_per_s'] / 2) < 1e-6 * r['tx_per_s'] + 1e-9 and d['runs'][1]['tx_ok'] > 0"
[ "$failed" = 0 ] || tail -20 "$out.err"
rm -f "$out.err"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
