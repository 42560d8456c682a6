#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/targets.txt (the one list) with clang in build-fuzz,
# seeds their corpora from the test vectors and data and runs each for the given seconds (default
# 30). docs/FUZZING.md says what each covers. Usage: scripts/fuzz.sh [seconds] [target...]
set -euo pipefail

seconds=${1:-30}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
all_targets=$(awk '/^fuzz_/ {print $1}' "$root/tests/fuzz/targets.txt" | tr '\n' ' ')
[ -n "$all_targets" ] || { echo "fuzz: no targets in tests/fuzz/targets.txt"; exit 1; }
targets=${*:-$all_targets}
build="$root/build-fuzz"
vectors="$root/tests/vectors"

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DQUOTAD_FUZZ=ON -DQUOTAD_TESTS=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets

# Seeds: every binary vector (valid and invalid bodies, envelopes, entries) for fuzz_decode,
# every JSON form for fuzz_json. Files are named by content hash, so reseeding is idempotent.
for t in $all_targets; do mkdir -p "$build/corpus/$t"; done
# Every crash once found stays a seed (tests/fuzz/regressions/<target>/), and a unit test.
for d in "$root"/tests/fuzz/regressions/*/; do
  [ -d "$d" ] && cp "$d"* "$build/corpus/$(basename "$d")/" 2>/dev/null
done
python3 - "$vectors" "$build/corpus" "$root" <<'PY'
import base64, hashlib, json, os, sys, glob
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
# Authorization headers: the signed read header and near misses
import base64
b64 = lambda b: base64.b64encode(b).decode()
for v in ["Quotad-Ed25519 key=%s, time=1767225600, sig=%s" % (b64(bytes(range(32))), b64(bytes(64))),
          "Quotad-Ed25519 key=%s,time=0,sig=%s" % (b64(b"k" * 32), b64(b"s" * 64)),
          "Quotad-Ed25519 key=, time=1, sig=", "Bearer abc"]:
    put("fuzz_auth", v.encode())
# query strings: name length, buffer size, name, query
for name, q in [(b"limit", b"after=1&limit=50"), (b"start", b"start=0&limit=1000"),
                (b"after", b"kind=participant&after=900001"), (b"x", b"x=%41%2b+y&x=2")]:
    for cap in (8, 39):
        put("fuzz_query", bytes([len(name), cap]) + name + q)
# entries (leaves) of the vectors: for the audit's replay and for the export reader
entries = [bytes.fromhex(v["hex"]) for v in valid["entries"]] + [bytes.fromhex(ex["entry"])]
put("fuzz_audit_leaf", b"".join(len(e).to_bytes(2, "big") + e for e in entries))
for e in entries:
    put("fuzz_audit_leaf", len(e).to_bytes(2, "big") + e)
lines = b"".join(b'{"index":%d,"leaf":"%s"}\n' % (i, b64(e).encode()) for i, e in enumerate(entries))
put("fuzz_export", lines)
put("fuzz_export", lines + b'{"instruments":[],"balances":[],"compliance":[]}\n')
# ledger records (ledger/records.c layouts): kind byte, then the record
u64 = lambda v: v.to_bytes(8, "big")
name = b"Plant 101"
put("fuzz_records", b"\x00" + bytes([1, 3, 44, 2, 1, 0]) + u64(7) + u64(0) + b"91350100M000100Y43" +
    len(name).to_bytes(2, "big") + name)
put("fuzz_records", b"\x01" + b"\x01" + bytes(range(32)) + b"\x04" + u64(101) + b"\x00" + u64(9) +
    u64(0) + len(name).to_bytes(2, "big") + name)
put("fuzz_records", b"\x02\x01" + u64(500) + u64(20) + u64(100))
put("fuzz_records", b"\x03\x01\x01" + (2025).to_bytes(2, "big") * 2 + (2030).to_bytes(2, "big") +
    u64(10**9) + u64(1000) + u64(10) + u64(5) + u64(1) + u64(3))
put("fuzz_records", b"\x04\x01" + u64(4102444800000) + u64(12))
put("fuzz_records", b"\x05\x01" + u64(100) + u64(90) + u64(5) + u64(0) + u64(33))
put("fuzz_records", b"\x06\x01" + bytes(range(32)) + u64(77))
# witness: the first byte picks the parser (0 add-checkpoint request, 1 the 409 size, 2 a policy)
note = cp["signed_note"].encode()
h = b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
for head in (b"old 0\n\n", b"old 1\n" + h + b"\n", b"old 2\n" + h + h + b"\n"):
    put("fuzz_witness", b"\x00" + head + note)
put("fuzz_witness", b"\x01" + b"1234\n")
pub = bytes.fromhex(cp["ed25519_public_hex"])
wid = hashlib.sha256(b"w1.example\n\x04" + pub).digest()[:4].hex()
wkey = "w1.example+%s+%s" % (wid, base64.b64encode(b"\x04" + pub).decode())
put("fuzz_witness", b"\x02" + ("# policy\nlog %s https://r.example/\nwitness A %s\ngroup G all A\nquorum G\n"
                                % (cp["verifier_key"], wkey)).encode())
# settlement legs: u16 body length, a version 2 settle body, its legs blob (valid and invalid)
legs = json.load(open(os.path.join(vectors, "settle-legs.json")))
for v in legs["valid"] + legs["invalid"]:
    body = bytes.fromhex(v["body"])
    put("fuzz_legs", len(body).to_bytes(2, "big") + body + bytes.fromhex(v["legs_blob"] or ""))
# tile paths (C2SP tlog-tiles), as quotad reads them after /log/
for p in (b"tile/0/000", b"tile/1/x001/x234/067.p/17", b"tile/entries/005.p/255", b"tile/7/x036/x028/999"):
    put("fuzz_tile_path", p)
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
