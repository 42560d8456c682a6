#!/usr/bin/env bash
# Where quotad's time goes, by thread: quotad runs under valgrind's callgrind (instruction counts;
# `perf record` takes no samples on some VMs, this one among them), quota-bench drives it, the
# counters are zeroed when the set-up is done, and for the loop, the writer and the verifiers
# this prints the instructions per transaction of the window and the functions with the most
# inclusive cost. Instruction counts are not time (SHA-NI and cache misses weigh differently),
# but they are repeatable, and they show what each thread does per transaction.
#   bench/profile.sh                    1,000 signed transfers, 1 per request
#   bench/profile.sh --mix settle       60 settlements of 1,000 legs
#   options: --count N --enterprises E --top K --keep DIR
# Needs valgrind (apt-get install -y valgrind) and a release build (bench/run makes one).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mix=transfer
count=""
enterprises=300
top=14
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mix) mix=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --enterprises) enterprises=$2; shift 2 ;;
    --top) top=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
done
case "$mix" in
  transfer) count=${count:-1000}; extra=() ;;
  settle) count=${count:-60}; extra=(--batch-legs 1000) ;;
  *) echo "profile.sh: --mix transfer or settle" >&2; exit 2 ;;
esac
command -v valgrind >/dev/null || { echo "profile.sh: valgrind is not installed (apt-get install -y valgrind)" >&2; exit 1; }
build=${QUOTAD_BENCH_BUILD:-$root/build-release}
if [ ! -x "$build/daemon/quotad" ] || [ ! -x "$build/bench/quota-bench" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DQUOTAD_TESTS=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target quotad quota-bench >/dev/null
fi
work=${keep:-$(mktemp -d /tmp/quotad-profile.XXXXXX)}
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
cat > "$work/quotad-callgrind" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=$work/cg.out.%p "$build/daemon/quotad" "\$@"
EOF
chmod +x "$work/quotad-callgrind"

echo "== quotad under callgrind: $enterprises enterprises, $count ${mix}s, 8 connections" >&2
"$build/bench/quota-bench" --quotad "$work/quotad-callgrind" --quotad-arg --log-level --quotad-arg warning \
  --enterprises "$enterprises" --mix "$mix" "${extra[@]}" --connections 8 --count "$count" --pool "$count" \
  > "$work/bench.out" 2>&1 &
qb=$!
# The set-up is done when quota-bench signs the window's pool: zero the counters then.
until grep -q "signing" "$work/bench.out" 2>/dev/null; do
  kill -0 $qb 2>/dev/null || { cat "$work/bench.out" >&2; exit 1; }
  sleep 0.5
done
pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$work/bench.out" | head -1)
callgrind_control -z "$pid" >/dev/null
wait $qb || { cat "$work/bench.out" >&2; exit 1; }
sed -n '/tx\/request/,$p' "$work/bench.out" >&2

# One file per thread: name each by the function it runs; the verifiers are summed, and the
# functions shown for a kind are those of its busiest thread.
declare -A total biggest biggest_n threads
for f in "$work"/cg.out.*-*; do
  n=$(grep -m1 '^summary:' "$f" | awk '{print $2}')
  [ -n "$n" ] && [ "$n" -gt 0 ] || continue
  ann=$(callgrind_annotate --inclusive=yes "$f" 2>/dev/null)
  if grep -q 'writer_main' <<<"$ann"; then kind=writer
  elif grep -q 'on_verify_work' <<<"$ann"; then kind=verify
  elif grep -q 'uv_run' <<<"$ann"; then kind=loop
  else kind=other; fi
  total[$kind]=$(( ${total[$kind]:-0} + n ))
  threads[$kind]=$(( ${threads[$kind]:-0} + 1 ))
  if [ "$n" -gt "${biggest_n[$kind]:-0}" ]; then biggest[$kind]=$f; biggest_n[$kind]=$n; fi
done
for kind in loop verify writer other; do
  [ -n "${total[$kind]:-}" ] || continue
  echo
  printf '== %s (%s thread%s): %s instructions per %s\n' "$kind" "${threads[$kind]}" \
    "$([ "${threads[$kind]}" = 1 ] || echo s)" "$(printf "%'d" $(( ${total[$kind]} / count )))" "$mix"
  callgrind_annotate --inclusive=yes "${biggest[$kind]}" 2>/dev/null | grep -v '???:0x' \
    | sed -n '/PROGRAM TOTALS/,$p' | sed -n '5,$p' \
    | grep -vE 'clone|start_thread|libc_start|below main|worker \[|uv__io_poll|uv_run|main \[|daemon_run' \
    | head -n "$top" | sed -E 's#\[/[^]]*/([^/]*)\]#[\1]#; s#\./[^ ]*/([^/:]*):#\1:#'
done
