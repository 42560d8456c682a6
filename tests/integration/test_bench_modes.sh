#!/usr/bin/env bash
# Smoke test of bench/run --witnesses --standby (bench/modes.py) with windows of one second: a
# single node, then three quota-witness processes (2 of 3), a synchronous standby, both, and the
# primary with the stand-in for a standby on its own machine (bench/echo_standby.py), which must
# have taken and confirmed the primary's batches as they were committed. The figures must be there (transfers/s, p99 at full and half load, checkpoints published, each
# process's CPU), the ratios to the single node computed from them, results.json keeps what it
# held, and BENCHMARKS.md gains a section with one row per configuration. Structure, never speed.
#   bash test_bench_modes.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
src=$2
for b in daemon/quotad bench/quota-bench witness/quota-witness tools/quotactl; do
  [ -x "$build/$b" ] || { echo "FAIL: $build/$b is not built"; exit 1; }
done
T=$(mktemp -d /tmp/bench-modes-it-XXXXXX)
trap 'rm -rf "$T"' EXIT
echo '{"signed_transfers_per_s": 1234.5}' >"$T/results.json"
printf '# Benchmarks\n' >"$T/BENCHMARKS.md"
started=$(date +%s)
python3 "$src/bench/modes.py" --build "$build" --work "$T" --witnesses --standby --seconds 1 \
  --connections 4 --pool 2000 --enterprises 40 --mode quick --results "$T/results.json" \
  --md "$T/BENCHMARKS.md" >"$T/out" 2>"$T/err"
rc=$?
echo "#      six configurations in $(($(date +%s) - started)) s"
passed=0 failed=0
check() { # name, python condition over the run r (results.json's witness_standby_run) and all d
  if python3 -c "
import json, sys
d = json.load(open('$T/results.json')); r = d.get('witness_standby_run', {}); c = r.get('configs', {})
num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
sys.exit(0 if ($2) else 1)"; then
    passed=$((passed + 1)); echo "ok: $1"
  else
    failed=$((failed + 1)); echo "FAIL: $1"
  fi
}
check "modes.py exits 0 (every configuration ran without errors)" "$rc == 0"
check "results.json keeps the figures it held" "d.get('signed_transfers_per_s') == 1234.5"
check "six configurations, single node first, the stand-in (journal on disk, then in memory) last" \
  "list(c) == ['single', 'witnesses', 'standby', 'standby_witnesses', 'standby_elsewhere', 'standby_elsewhere_memory'] and all(f['ok'] for f in c.values())"
check "transfers/s and both p99 figures in each" \
  "all(num(f['signed_transfers_per_s']) and f['signed_transfers_per_s'] > 0 and num(f['p99_ms_at_full_load']) and num(f['p99_ms_at_half_load']) for f in c.values())"
check "each ratio is its transfers/s over the single node's" \
  "all(abs(f['ratio_to_single_node'] - round(f['signed_transfers_per_s'] / c['single']['signed_transfers_per_s'], 3)) < 1e-9 for f in c.values()) and c['single']['ratio_to_single_node'] == 1.0"
check "checkpoints published counted in both windows" \
  "all(isinstance(f['checkpoints_published'], int) and isinstance(f['checkpoints_published_half_load'], int) for f in c.values())"
check "CPU of quotad and quota-bench in every configuration" \
  "all(num(f['cpu_cores_at_full_load']['quotad']) and num(f['cpu_cores_at_full_load']['quota_bench']) for f in c.values())"
check "the three witnesses' CPU where they ran, and only there" \
  "all({'w1', 'w2', 'w3'} <= set(c[n]['cpu_cores_at_full_load']) for n in ('witnesses', 'standby_witnesses')) and not any(k.startswith('w') for k in c['single']['cpu_cores_at_full_load'])"
check "the standby's CPU and the profile with the expected ratio on its own machine" \
  "all(num(c[n]['cpu_cores_at_full_load']['standby']) and num(c[n]['standby_profile']['expected_ratio_standby_on_own_machine']) and c[n]['standby_profile']['expected_ratio_standby_on_own_machine'] >= c[n]['ratio_to_single_node'] - 1e-9 for n in ('standby', 'standby_witnesses')) and 'standby_profile' not in c['witnesses'] and 'standby_profile' not in c['standby_elsewhere']"
check "the synchronous standby (and the stand-in) held the primary's whole log at the end" \
  "all(c[n]['standby_holds_the_log'] and c[n]['tree_sizes']['primary'] > 1 for n in ('standby', 'standby_witnesses', 'standby_elsewhere', 'standby_elsewhere_memory'))"
e="c['standby_elsewhere']"; ep="$e['timing_profile']['primary']"; es="$e['timing_profile']['stand_in']"
check "the stand-in was sent batches while the primary committed them, and confirmed them" \
  "$ep['sent_ahead'] > 0 and isinstance($ep['confirmed_at_commit'], int) and $es['pages_sent_ahead'] > 0 and 0 < $es['pages_sent_ahead'] <= $ep['sent_ahead'] and $es['pages'] >= $es['pages_sent_ahead']"
check "the primary's view of its standby at the end: in step, its whole tree confirmed" \
  "all(c[n]['primary_standby_state'] == {'state': 'sync', 'confirmed': c[n]['tree_sizes']['primary']} for n in ('standby', 'standby_witnesses', 'standby_elsewhere', 'standby_elsewhere_memory'))"
check "the stand-in journaled each page before it confirmed it, and its CPU was watched as the standby's" \
  "num($es['journal_ms']) and $es['journal_ms'] > 0 and $es['errors'] is not None and num($e['cpu_cores_at_full_load']['standby'])"
check "the run's summary names the stand-in's ratio as the one expected on a machine of its own" \
  "r['expected_ratio_standby_elsewhere'] == $e['ratio_to_single_node'] and num(r['expected_ratio_standby_elsewhere']) and r['expected_ratio_standby_elsewhere'] > 0 and r['expected_ratio_standby_elsewhere_memory'] == c['standby_elsewhere_memory']['ratio_to_single_node'] and num(r['expected_ratio_standby_elsewhere_memory'])"
check "the in-memory stand-in journaled too, and its file is gone from /dev/shm" \
  "c['standby_elsewhere_memory']['timing_profile']['stand_in']['journal_ms'] > 0 and not __import__('glob').glob('/dev/shm/quotad-bench-*-stand-in.journal')"
check "each configuration's batch timing from the primary's metrics (commit, fence)" \
  "all(f['timing_profile']['primary']['batches'] > 0 and num(f['timing_profile']['primary']['commit_ms']) and num(f['timing_profile']['primary']['fence_ms']) for f in c.values())"
check "with a standby, its stream requests, journal appends, applier commits and verification from its metrics" \
  "all(c[n]['timing_profile']['standby']['appends'] > 0 and num(c[n]['timing_profile']['standby']['ask_ms']) and num(c[n]['timing_profile']['standby']['append_ms']) and num(c[n]['timing_profile']['standby']['verify_ms_off_path']) and c[n]['timing_profile']['standby']['applies'] > 0 and num(c[n]['timing_profile']['standby']['apply_ms']) for n in ('standby', 'standby_witnesses')) and 'standby' not in c['single']['timing_profile']"
md="open('$T/BENCHMARKS.md').read()"
check "BENCHMARKS.md gains a dated section" "'UTC: \`bench/run --witnesses --standby --quick\`' in $md"
check "with one row per configuration and the standby's profile" \
  "all(s in $md.split('bench/run --witnesses')[-1] for s in ('| single node |', '| witnesses (2 of 3) |', '| synchronous standby |', '| standby + witnesses (2 of 3) |', 'expected ratio', 'per batch over the run', 'off the confirmation'))"
check "with the stand-in's row, its profile and the model said plainly" \
  "all(s in $md.split('bench/run --witnesses')[-1] for s in ('| synchronous standby, its work elsewhere (model) |', '| synchronous standby, its work elsewhere, journal in memory (model) |', 'the stand-in: ', 'a model, not a standby', 'fdatasync', 'off the primary', 'Expected with the standby on its own machine (measured with the stand-in): ratio to the single node '))"
[ "$failed" = 0 ] || { tail -30 "$T/err"; cat "$T/out"; }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
