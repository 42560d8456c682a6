#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz (proto's decoders and JSON mapping,
# checkpoints and proofs, settlement legs against their root, the daemon's HTTP parser, the CSV readers of quotactl and the allocator),
# seeds their corpora from the test vectors and data and runs each for the given seconds (default
# 30). Usage: scripts/fuzz.sh [seconds] [target...]
set -euo pipefail

seconds=${1:-30}
shift || true
targets=${*:-fuzz_decode fuzz_json fuzz_checkpoint fuzz_http fuzz_csv fuzz_legs}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
vectors="$root/tests/vectors"

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DQUOTAD_FUZZ=ON -DQUOTAD_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets

# Seeds: every binary vector (valid and invalid bodies, envelopes, entries) for fuzz_decode,
# every JSON form for fuzz_json. Files are named by content hash, so reseeding is idempotent.
for t in fuzz_decode fuzz_json fuzz_checkpoint fuzz_http fuzz_csv fuzz_legs; do mkdir -p "$build/corpus/$t"; done
python3 - "$vectors" "$build/corpus" "$root" <<'PY'
import hashlib, json, os, sys, glob
vectors, corpus, root = sys.argv[1], sys.argv[2], sys.argv[3]

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
# checkpoints: the vectors' signed note and verifier key; a proof-shaped input
cp = json.load(open(os.path.join(vectors, "tlog-vectors.json")))["checkpoint"]
put("fuzz_checkpoint", cp["signed_note"].encode())
put("fuzz_checkpoint", cp["verifier_key"].encode())
put("fuzz_checkpoint", (3).to_bytes(8, "big") + (7).to_bytes(8, "big") + bytes(range(32)) * 3)
# HTTP: the first byte is the piece size the stream is fed in
for req in [b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"POST /v1/tx HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]",
            b"POST /v1/tx HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n",
            b"GET /v1/accounts/101?after=1&limit=5 HTTP/1.1\r\nAuthorization: Quotad-Ed25519 key=a, time=1, sig=b\r\n"
            b"Connection: keep-alive\r\n\r\nGET /v1/log HTTP/1.0\r\n\r\n"]:
    for piece in (0, 1, 7):
        put("fuzz_http", bytes([piece]) + req)
# CSV: the first byte picks the reader (odd: quotactl's import reader, even: the allocator's)
for path in glob.glob(os.path.join(root, "tests", "data", "alloc", "*.csv")):
    put("fuzz_csv", b"\x00" + open(path, "rb").read())
put("fuzz_csv", b"\x01from,to,instrument,amount\n101,102,CEA-2025,5\n\"1,01\",x,\"q\"\"\",9007199254740991\n")
# settlement legs: u16 body length, a version 2 settle body, its legs blob (valid and invalid)
legs = json.load(open(os.path.join(vectors, "settle-legs.json")))
for v in legs["valid"] + legs["invalid"]:
    body = bytes.fromhex(v["body"])
    put("fuzz_legs", len(body).to_bytes(2, "big") + body + bytes.fromhex(v["legs_blob"] or ""))
PY

# One summary line per target, starting "fuzz:" (scripts/test prints those).
status=0
for target in $targets; do
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
