#!/usr/bin/env bash
# Builds the proto libFuzzer targets with clang in build-fuzz, seeds their corpora from the test
# vectors and runs each for the given seconds (default 30). Usage: scripts/fuzz.sh [seconds]
set -euo pipefail

seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
vectors="$root/tests/vectors"

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DQUOTAD_FUZZ=ON -DQUOTAD_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target fuzz_decode fuzz_json

# Seeds: every binary vector (valid and invalid bodies, envelopes, entries) for fuzz_decode,
# every JSON form for fuzz_json. Files are named by content hash, so reseeding is idempotent.
mkdir -p "$build/corpus/fuzz_decode" "$build/corpus/fuzz_json"
python3 - "$vectors" "$build/corpus" <<'PY'
import hashlib, json, os, sys
vectors, corpus = sys.argv[1], sys.argv[2]

def put(target, data):
    name = hashlib.sha256(data).hexdigest()[:16]
    with open(os.path.join(corpus, target, name), "wb") as f:
        f.write(data)

valid = json.load(open(os.path.join(vectors, "proto-valid.json")))
for t in valid["transactions"]:
    put("fuzz_decode", bytes.fromhex(t["body"]))
    put("fuzz_json", json.dumps(t["json"]).encode())
for key in ("envelopes", "entries"):
    for v in valid[key]:
        put("fuzz_decode", bytes.fromhex(v["hex"]))
for v in json.load(open(os.path.join(vectors, "proto-invalid.json")))["vectors"]:
    put("fuzz_decode", bytes.fromhex(v["hex"]))
hand = json.load(open(os.path.join(vectors, "proto-handmade.json")))
for v in hand["vectors"]:
    put("fuzz_decode", bytes.fromhex("".join(f["hex"] for f in v["fields"])))
    put("fuzz_json", json.dumps(v["json"]).encode())
ex = hand["worked_example"]
put("fuzz_decode", bytes.fromhex(ex["envelope"]))
put("fuzz_decode", bytes.fromhex(ex["entry"]))
PY

# One summary line per target, starting "fuzz:" (scripts/test prints those).
status=0
for target in fuzz_decode fuzz_json; do
  log="$build/$target.log"
  if (cd "$build" && "./tests/fuzz/$target" -max_total_time="$seconds" -max_len=70000 \
      -print_final_stats=1 "corpus/$target" >"$log" 2>&1); then
    result="no crash"
    crashed=0
  else
    crashed=1
    result="FAILED, see $log (the crashing input is in $build)"
    status=1
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  echo "fuzz: $target: $runs executions in ${seconds}s, $result"
  [ $crashed = 0 ] || tail -30 "$log"
done
exit $status
