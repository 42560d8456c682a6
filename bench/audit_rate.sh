#!/usr/bin/env bash
# bench/run --scale's audit step: fills a registry with quota-bench (kept on disk), restarts
# quotad on it, and runs quota-audit over the API, which prints its entries/s at the end.
#   bench/audit_rate.sh BUILD_DIR WORK_DIR   (QUOTAD_AUDIT_COUNT transfers, default 200000)
set -euo pipefail
build=$1 work=$2
dir=$work/audit
mkdir -p "$dir"
"$build/bench/quota-bench" --quotad "$build/daemon/quotad" --dir "$dir" --keep --count "${QUOTAD_AUDIT_COUNT:-200000}" \
  --per-request 256 --connections 8 --quotad-arg --log-level --quotad-arg warning >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/daemon/quotad" --data-dir "$dir/data" --log-key "$dir/log.key" --listen "127.0.0.1:$port" \
  --log-level warning 2>"$dir/quotad-audit.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
vk=$(curl -sf "http://127.0.0.1:$port/v1/log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["verifier_key"])')
size=$(curl -sf "http://127.0.0.1:$port/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tree_size"])')
echo "quota-audit over $size entries"
start=$(date +%s.%N)
"$build/tools/quota-audit" --url "http://127.0.0.1:$port" --key "$dir/operator.key" --verifier-key "$vk" 2>&1 | tail -5
end=$(date +%s.%N)
python3 -c "print('quota-audit wall time: %.2f s, %.0f entries/s' % ($end - $start, $size / ($end - $start)))"
