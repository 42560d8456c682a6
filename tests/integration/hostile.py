# hostile.py: the hostile input catalogue against a real quotad. Each class sends one bad input
# and checks the HTTP status, the specific error code, and that the ledger did not change (tree
# size, root, every instrument total and the balances of every account of the world).
# Usage: python3 hostile.py BUILD_DIR TMP_DIR
import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib
from qlib import Key, move, newid, b64

build, tmp = sys.argv[1], sys.argv[2]
w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"),
                extra=["--request-bytes-max", "262144", "--tx-per-request-max", "100",
                       "--header-bytes-max", "8192"])
q.start()
ENTS = (101, 102, 103, 104)
qlib.setup_world(q, w, enterprises=ENTS)
ACCOUNTS = (1, 4400, 1100, 900) + ENTS
# extra state the classes need: a threshold-2 account, a revoked key, a closed account,
# emissions for 101, a freeze on 103, a large outstanding deduction on 104
rep105a, rep105b, revoked, stranger = Key("rep105a"), Key("rep105b"), Key("revoked"), Key("stranger")
qlib.submit_all(q, [
    q.envelope(qlib.acct_tx(105, "enterprise", 44, "cement", qlib.uscc("91440000MA0000105"), "Two-person", 2), w.op),
    q.envelope(qlib.acct_tx(901, "participant", 0, "none", "", "Gone"), w.op),
    q.envelope(qlib.keyreg_tx(rep105a, "representative", 105), w.op),
    q.envelope(qlib.keyreg_tx(rep105b, "representative", 105), w.op),
    q.envelope(qlib.keyreg_tx(revoked, "representative", 102), w.op),
    q.envelope(move("verified_emissions", account=101, year=2025, emissions=1000, ref="v"), w.auth44),
    q.envelope(move("freeze", account=103, instrument="CEA-2025", amount=100000, legal_ref="court"), w.op),
    q.envelope(move("deduct", account=104, amount=(1 << 53) - 1, year=2025, reason="fraud"), w.op),
])
qlib.submit_all(q, [
    q.envelope({"type": "key_revoke", "id": newid(), "key_hash": base64.b64decode(revoked.hash).hex(),
                "reason": "lost"}, w.op),
    q.envelope({"type": "account_close", "id": newid(), "account": 901, "reason": "left"}, w.op),
    q.envelope(move("allocate", **{"from": 4400, "to": 105, "instrument": "CEA-2025", "amount": 1000,
                                   "year": 2025, "kind": "final"}), w.auth44),
])
ACCOUNTS += (105,)


def snapshot():
    snap = {"size": q.tree_size()}
    st, cp = q.request("GET", "/v1/checkpoint")
    snap["checkpoint"] = cp
    snap["instruments"] = q.jrequest("GET", "/v1/instruments")[1]
    for a in ACCOUNTS:
        snap[a] = q.read_as(w.aud, "/v1/accounts/%d/balances" % a)[1]
        snap["acct%d" % a] = q.read_as(w.aud, "/v1/accounts/%d" % a)[1]
    return snap


passed = failed = 0
classes = []


def case(name, status, code):
    def deco(fn):
        classes.append((name, status, code, fn))
        return fn
    return deco


def result_code(j):
    if isinstance(j, dict) and "results" in j and j["results"]:
        r = j["results"][0]
        return r.get("error", {}).get("code") if r.get("result") == "error" else r.get("result")
    if isinstance(j, dict) and "error" in j:
        return j["error"].get("code")
    return None


def post_env(env, ctype="application/json"):
    body = env if isinstance(env, (bytes, str)) else json.dumps(env)
    return q.jrequest("POST", "/v1/tx", body, {"Content-Type": ctype})


def raw_body(tx):
    body, msg = q.encode(tx)
    return bytearray(base64.b64decode(body)), msg


def signed_raw(body_bytes, key, msg=None):
    if msg is None:
        msg = b"quotad/tx/v1\n" + qlib.ORIGIN.encode() + b"\n" + bytes(body_bytes)
    return {"body": b64(bytes(body_bytes)), "signatures": [{"key": key.hash, "sig": b64(key.sign(msg))}]}


def transfer(frm=101, to=102, amount=1, instrument="CEA-2025", txid=None):
    return {"type": "transfer", "id": txid or newid(), "from": frm, "to": to, "instrument": instrument,
            "amount": amount}


def encode_only(tx):
    return q.jrequest("POST", "/v1/tx/encode", tx)


def raw_http(data, read_max=65536):
    s = socket.create_connection(("127.0.0.1", q.port), timeout=10)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while len(out) < read_max:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else 0
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"raw": body[:200].decode(errors="replace")}


# ---------------------------------------------------------------- framing and encoding
@case("malformed JSON", 400, "bad_json")
def _(): return post_env('{"body": ')

@case("JSON that is neither an envelope nor an array", 400, "bad_json")
def _(): return post_env("42")

@case("invalid base64 body", 400, "bad_base64")
def _(): return post_env({"body": "@@@", "signatures": []})

@case("envelope without signatures field", 400, "json_missing_field")
def _(): return post_env({"body": q.encode(transfer())[0]})

@case("envelope with an unknown field", 400, "json_unknown_field")
def _():
    e = q.envelope(transfer(), w.rep(101)); e["extra"] = 1; return post_env(e)

@case("no signatures", 400, "no_signatures")
def _(): return post_env({"body": q.encode(transfer())[0], "signatures": []})

@case("nine signatures (more than 8)", 400, "too_many_signatures")
def _():
    e = q.envelope(transfer(), *[Key("s%d" % i) for i in range(9)]); return post_env(e)

@case("the same key signing twice", 400, "duplicate_signer")
def _(): return post_env(q.envelope(transfer(), w.rep(101), w.rep(101)))

@case("a signature of 63 bytes", 400, "bad_base64")
def _():
    e = q.envelope(transfer(), w.rep(101))
    e["signatures"][0]["sig"] = b64(base64.b64decode(e["signatures"][0]["sig"])[:63]); return post_env(e)

@case("a truncated body", 400, "truncated")
def _():
    b, _m = raw_body(transfer()); return post_env(signed_raw(b[:-1], w.rep(101)))

@case("trailing bytes after the body", 400, "trailing_bytes")
def _():
    b, _m = raw_body(transfer()); return post_env(signed_raw(b + b"\x00", w.rep(101)))

@case("an unsupported version byte", 400, "bad_version")
def _():
    b, _m = raw_body(transfer()); b[0] = 2; return post_env(signed_raw(b, w.rep(101)))

@case("an unknown type byte", 400, "unknown_type")
def _():
    b, _m = raw_body(transfer()); b[1] = 99; return post_env(signed_raw(b, w.rep(101)))

@case("a body over request_bytes_max", 413, "too_large")
def _(): return post_env('{"body":"' + "A" * 300000 + '","signatures":[]}')

@case("more envelopes than tx_per_request_max", 413, "too_large")
def _():
    e = q.envelope(transfer(), w.rep(101)); return post_env([e] * 101)

@case("a binary frame whose length runs past the body", 400, "truncated")
def _(): return post_env(struct.pack(">H", 500) + b"\x01" * 20, "application/octet-stream")

@case("an empty binary frame", 400, "truncated")
def _(): return post_env(struct.pack(">H", 0), "application/octet-stream")

@case("a header block over header_bytes_max", 431, "too_large")
def _(): return raw_http(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n")

@case("a garbage request line", 400, "bad_request")
def _(): return raw_http(b"\x16\x03\x01 nonsense\r\n\r\n")

@case("an unknown path", 404, "not_found")
def _(): return q.jrequest("GET", "/v1/nothing-here")

@case("an unknown transaction type at encode", 400, "unknown_type")
def _(): return encode_only({"type": "teleport", "id": newid()})

# ---------------------------------------------------------------- amounts and overflow
@case("amount zero", 400, "zero_amount")
def _(): return encode_only(transfer(amount=0))

@case("amount 2^53 (one above the limit)", 400, "amount_too_large")
def _(): return encode_only(transfer(amount=1 << 53))

@case("negative amount", 400, "json_wrong_type")
def _(): return encode_only(transfer(amount=-5))

@case("fractional amount", 400, "json_wrong_type")
def _(): return encode_only(transfer(amount=1.5))

@case("amount 2^64 (integer overflow in JSON)", 400, "bad_json")
def _(): return q.jrequest("POST", "/v1/tx/encode", '{"type":"transfer","id":"%s","from":101,"to":102,"instrument":"CEA-2025","amount":18446744073709551616}' % newid())

@case("amount with a body byte set to 2^53 (bypassing JSON)", 400, "amount_too_large")
def _():
    b, _m = raw_body(transfer(amount=1))
    b[-8:] = struct.pack(">Q", 1 << 53); return post_env(signed_raw(b, w.rep(101)))

@case("a deduction that would overflow 2^53 - 1", 422, "overflow")
def _(): return q.submit(move("deduct", account=104, amount=1, year=2025, reason="more"), w.op)

@case("issue above the cap", 422, "cap_exceeded")
def _(): return q.submit(move("issue", instrument="CEA-2024", amount=10 ** 9), w.op)

@case("transfer above the available balance", 422, "insufficient_balance")
def _(): return q.submit(transfer(amount=10 ** 9), w.rep(101))

@case("transfer of frozen units (available excludes them)", 422, "frozen")
def _(): return q.submit(transfer(frm=103, amount=1), w.rep(103))

@case("transfer to the same account", 400, "same_account")
def _(): return encode_only(transfer(frm=101, to=101))

# ---------------------------------------------------------------- identifiers and text
@case("USCC with a wrong check character", 400, "bad_uscc")
def _(): return encode_only(qlib.acct_tx(120, "enterprise", 44, "steel", "91350100M000100Y44", "X"))

@case("USCC with a letter outside the alphabet", 400, "bad_uscc")
def _(): return encode_only(qlib.acct_tx(120, "enterprise", 44, "steel", "91350100MO00100Y43", "X"))

@case("USCC of 17 characters", 400, "bad_uscc")
def _(): return encode_only(qlib.acct_tx(120, "enterprise", 44, "steel", "91350100M000100Y4", "X"))

@case("a name over 256 bytes", 400, "field_too_long")
def _(): return encode_only(qlib.acct_tx(120, "participant", 0, "none", "", "n" * 257))

@case("a control character in a name", 400, "bad_text")
def _(): return encode_only(qlib.acct_tx(120, "participant", 0, "none", "", "bad\u0007name"))

@case("a bidi override in a name (U+202E)", 400, "text_control")
def _(): return encode_only(qlib.acct_tx(120, "participant", 0, "none", "", "Plant \u202eevil"))

@case("a C1 control in a note (U+0085)", 400, "text_control")
def _():
    tx = qlib.acct_tx(120, "participant", 0, "none", "", "Trader")
    tx["note"] = "next\u0085line"
    return encode_only(tx)

@case("a bidi isolate written into the body bytes (bypassing JSON)", 400, "text_control")
def _():
    body, _ = raw_body(qlib.acct_tx(120, "participant", 0, "none", "", "Trader XXX"))
    at = bytes(body).index(b"XXX")
    body[at:at + 3] = "\u2066".encode()
    return post_env(signed_raw(body, w.op))

@case("a lowercase instrument code", 400, "bad_instrument_code")
def _(): return encode_only(transfer(instrument="cea-2025"))

@case("a province code outside GB/T 2260", 400, "bad_province")
def _(): return encode_only(qlib.acct_tx(120, "provincial", 99, "none", "", "Nowhere"))

@case("a year before 2000", 400, "bad_year")
def _(): return encode_only(move("verified_emissions", account=101, year=1999, emissions=1, ref=""))

@case("a settle of 1,001 legs", 400, "too_many_legs")
def _():
    leg = {"from": 101, "to": 102, "instrument": "CEA-2025", "amount": 1}
    return encode_only({"type": "settle", "id": newid(), "ref": "r", "legs": [leg] * 1001})

@case("a transaction id of 15 bytes", 400, "bad_hex")
def _(): return encode_only(transfer(txid="00" * 15))

# ---------------------------------------------------------------- state and rules
@case("unknown account", 422, "unknown_account")
def _(): return q.submit(transfer(to=777777), w.rep(101))

@case("unknown instrument", 422, "unknown_instrument")
def _(): return q.submit(transfer(instrument="CEA-2099"), w.rep(101))

@case("transfer into a closed account", 422, "account_closed")
def _(): return q.submit(transfer(to=901), w.rep(101))

@case("allocate from a province to a provincial account", 422, "wrong_account_kind")
def _(): return q.submit(move("allocate", **{"from": 4400, "to": 1100, "instrument": "CEA-2025", "amount": 1,
                                             "year": 2025, "kind": "final"}), w.auth44)

@case("ineligible vintage (CEA-2024 for 2025)", 422, "ineligible_vintage")
def _(): return q.submit(move("surrender", account=101, **{"from": 101}, year=2025, instrument="CEA-2024", amount=1), w.rep(101))

@case("CCER above 5% of the obligation", 422, "ccer_limit")
def _(): return q.submit(move("surrender", account=101, **{"from": 101}, year=2025, instrument="CCER-2024", amount=51), w.rep(101))

@case("surrender for a year that is not open", 422, "unknown_year")
def _(): return q.submit(move("surrender", account=101, **{"from": 101}, year=2026, instrument="CEA-2025", amount=1), w.rep(101))

@case("surrender without verified emissions", 422, "no_obligation")
def _(): return q.submit(move("surrender", account=102, **{"from": 102}, year=2025, instrument="CEA-2025", amount=1), w.rep(102))

@case("unfreeze more than is frozen", 422, "not_frozen")
def _(): return q.submit(move("unfreeze", account=101, instrument="CEA-2025", amount=1, legal_ref="x"), w.op)

@case("a deadline moved earlier", 422, "deadline_earlier")
def _(): return q.submit({"type": "compliance_year", "id": newid(), "year": 2025, "deadline_ms": 1000}, w.op)

@case("an account id already taken", 422, "account_exists")
def _(): return q.submit(qlib.acct_tx(101, "participant", 0, "none", "", "Dup"), w.op)

@case("an instrument code already taken", 422, "instrument_exists")
def _(): return q.submit({"type": "instrument_create", "id": newid(), "code": "CEA-2025", "kind": "cea",
                          "vintage": 2025, "cap": 1, "first_year": 2025, "last_year": 2025}, w.op)

@case("a key registered twice", 422, "key_exists")
def _(): return q.submit(qlib.keyreg_tx(w.rep(101), "representative", 101), w.op)

@case("closing an account that holds units", 422, "account_not_empty")
def _(): return q.submit({"type": "account_close", "id": newid(), "account": 102, "reason": "x"}, w.op)

@case("a second genesis", 422, "genesis_exists")
def _(): return q.submit({"type": "genesis", "id": newid(), "origin": qlib.ORIGIN, "log_public_key": w.log.pubhex(),
                          "national_account": 2, "operator_threshold": 1, "operator_keys": [w.op.pubhex()]}, w.log)

# weak public keys (tests/vectors/ed25519-keys.json, computed from the curve's definition)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors",
                       "ed25519-keys.json")) as f:
    KEYV = json.load(f)


def raw_keyreg(pub_hex, scope=101):
    return {"type": "key_register", "id": newid(), "public_key": pub_hex, "role": "representative",
            "scope": scope, "name": "weak"}


@case("the identity point registered as a representative", 422, "bad_key")
def _(): return q.submit(raw_keyreg(KEYV["identity"]), w.op)

@case("A + T (T of order 2) registered as a representative", 422, "bad_key")
def _(): return q.submit(raw_keyreg(KEYV["a_plus_t2"]), w.op)

@case("a point of order 8 registered as a representative", 422, "bad_key")
def _():
    return q.submit(raw_keyreg(next(v["hex"] for v in KEYV["vectors"] if v["name"].startswith("small order 8"))), w.op)

@case("a transfer 'signed' R = identity, S = 0 under the identity key", 401, "unknown_key")
def _():
    body, _ = raw_body(transfer())
    ident = bytes.fromhex(KEYV["identity"])
    return post_env({"body": b64(bytes(body)), "signatures": [
        {"key": b64(hashlib.sha256(ident).digest()), "sig": b64(ident + bytes(32))}]})

# ---------------------------------------------------------------- signatures and roles
@case("wrong role: a representative issues", 403, "wrong_role")
def _(): return q.submit(move("issue", instrument="CEA-2025", amount=1), w.rep(101))

@case("a representative moves another account's units", 403, "wrong_role")
def _(): return q.submit(transfer(frm=102, to=101), w.rep(101))

@case("the auditor signs a transfer", 403, "wrong_role")
def _(): return q.submit(transfer(), w.aud)

@case("the other province's authority allocates", 403, "wrong_role")
def _(): return q.submit(move("allocate", **{"from": 4400, "to": 101, "instrument": "CEA-2025", "amount": 1,
                                             "year": 2025, "kind": "final"}), w.auth11)

@case("one signature where the account needs two", 403, "insufficient_signatures")
def _(): return q.submit(transfer(frm=105, to=101), rep105a)

@case("a revoked key", 403, "revoked_key")
def _(): return q.submit(transfer(frm=102, to=101), revoked)

@case("an unregistered key", 401, "unknown_key")
def _(): return q.submit(transfer(), stranger)

@case("a signature by another key under a registered key's name", 401, "bad_signature")
def _():
    body, msg = q.encode(transfer())
    return post_env({"body": body, "signatures": [{"key": w.rep(101).hash, "sig": b64(stranger.sign(msg))}]})

@case("a body altered after signing", 401, "bad_signature")
def _():
    b, msg = raw_body(transfer(amount=1))
    e = signed_raw(b, w.rep(101), msg)
    b[-1] ^= 0x02
    e["body"] = b64(bytes(b)); return post_env(e)

@case("a replay signed for another registry", 401, "bad_signature")
def _():
    b, _m = raw_body(transfer())
    return post_env(signed_raw(b, w.rep(101), b"quotad/tx/v1\nother.registry.example\n" + bytes(b)))

REPLAY = transfer(amount=7)
qlib.must_ok(q, REPLAY, w.rep(101))

@case("an altered replay (same id, another body)", 409, "id_conflict")
def _(): return q.submit(dict(REPLAY, amount=8), w.rep(101))

@case("an exact replay answers exists, and changes nothing", 200, "exists")
def _(): return q.submit(REPLAY, w.rep(101))

# ---------------------------------------------------------------- reads
@case("a read without a key", 401, "unauthorized")
def _(): return q.jrequest("GET", "/v1/accounts/101/balances")

@case("a representative reads another account (404 as if absent)", 404, "not_found")
def _(): return q.read_as(w.rep(101), "/v1/accounts/102/balances")

@case("a representative reads the entries", 403, "forbidden")
def _(): return q.read_as(w.rep(101), "/v1/entries?start=0&limit=10")

@case("an authority reads another province's enterprise (404 as if absent)", 404, "not_found")
def _(): return q.read_as(w.auth11, "/v1/accounts/101")

@case("a signed read 10 minutes old", 401, "stale_time")
def _(): return q.read_as(w.aud, "/v1/accounts/101", now=int(time.time()) - 600)

@case("a signed read for another path", 401, "bad_signature")
def _():
    h = q.read_headers(w.aud, "GET", "/v1/accounts/102")
    return q.jrequest("GET", "/v1/accounts/101", headers=h)

@case("a read signed by an unregistered key", 401, "unknown_key")
def _(): return q.read_as(stranger, "/v1/accounts/101")

@case("an inclusion proof beyond the tree", 400, "bad_argument")
def _(): return q.read_as(w.aud, "/v1/proof/inclusion?index=100000&tree_size=100001")

@case("a consistency proof with first > second", 400, "bad_argument")
def _(): return q.jrequest("GET", "/v1/proof/consistency?first=5&second=3")

@case("an unknown transaction id", 404, "not_found")
def _(): return q.read_as(w.aud, "/v1/tx/" + "ab" * 16)


only = os.environ.get("HOSTILE_ONLY")
for name, status, code, fn in classes:
    if only and only not in name:
        continue
    before = snapshot()
    try:
        st, j = fn()
    except Exception as e:  # a crash of the test itself is a failure, not a skip
        st, j = -1, {"exception": repr(e)}
    after = snapshot()
    got = result_code(j)
    problems = []
    if st != status or got != code:
        problems.append("HTTP %s %s, want HTTP %s %s: %s" % (st, got, status, code, json.dumps(j)[:300]))
    if before != after:
        diff = [k for k in before if before[k] != after.get(k)]
        problems.append("the ledger changed: %s" % diff)
    if code == "insufficient_balance" and isinstance(j, dict) and "results" in j:
        if not isinstance(j["results"][0].get("available"), int):
            problems.append("no 'available' in the insufficient_balance result")
    if problems:
        failed += 1
        print("FAIL - %s\n       %s" % (name, "\n       ".join(problems)))
    else:
        passed += 1
        print("ok   - %s (HTTP %d %s)" % (name, st, code))
    sys.stdout.flush()

alive = q.proc.poll() is None
print("quotad still running after the catalogue: %s" % alive)
if not alive:
    failed += 1
q.stop()
print("%d classes: %d passed, %d failed" % (passed + failed, passed, failed))
sys.exit(1 if failed else 0)
