# settle_confidential.py: a party to one leg of a settlement reads that leg only. A real quotad,
# the exchange client (`quotactl settle import`) settling a 1,000-leg batch, then reads by the
# representative of the one enterprise named by one leg (history, the entry by id, its legs
# with their audit paths), by the operator and an auditor (all legs), an export that quota-audit
# verifies, and version-2 settlements whose legs do not match what was signed (refused, nothing
# changed). The leg hashing and the audit paths are checked here from the format's text, not
# with the C code.
# Usage: python3 settle_confidential.py BUILD_DIR TMP_DIR
import base64
import hashlib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib
from qlib import move

build, tmp = sys.argv[1], sys.argv[2]
for b in ("daemon/quotad", "tools/quotactl", "tools/quota-audit"):
    if not os.access(os.path.join(build, b), os.X_OK):
        qlib.fail("%s is not built" % b)
        sys.exit(1)
check = qlib.Checks()
w = qlib.World()
for k, name in ((w.log, "log"), (w.exch, "exch"), (w.aud, "aud"), (w.op, "op")):
    k.write_seed(os.path.join(tmp, name + ".key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"))
q.start()
OTHERS = list(range(2001, 2021))  # twenty trading firms, parties to the other 999 legs
try:
    qlib.setup_world(q, w)
    qlib.submit_all(q, [q.envelope(qlib.acct_tx(a, "participant", 0, "none", "", "Firm %d" % a), w.op)
                        for a in OTHERS])
    qlib.submit_all(q, [q.envelope(move("position_move", account=101, instrument="CEA-2025", amount=60000,
                                        to_position="trading"), w.rep(101))])
    quotactl = os.path.join(build, "tools", "quotactl")
    env = dict(os.environ, QUOTAD_URL="http://127.0.0.1:%d" % q.port, ASAN_OPTIONS="detect_leaks=0")

    def ctl(key, *args):
        return subprocess.run([quotactl, "--key", os.path.join(tmp, key + ".key")] + list(args), env=env,
                              capture_output=True, text=True)

    # ---- the exchange settles 1,000 legs; 102 is party to exactly one (index 500) ----
    csv = os.path.join(tmp, "settle.csv")
    with open(csv, "w") as f:
        f.write("ref,from,to,instrument,amount\n")
        for i in range(1000):
            to, amount = (102, 5) if i == 500 else (OTHERS[i % len(OTHERS)], 1 + i % 7)
            f.write("SEEE-BATCH-1,101,%d,CEA-2025,%d\n" % (to, amount))
    r = ctl("exch", "settle", "import", csv)
    check("the exchange client settles the 1,000-leg batch", r.returncode == 0, r.stdout + r.stderr)

    def find_settle(entries):
        return [e for e in entries if e and e.get("tx", {}).get("type") == "settle"]

    st, hist = q.read_as(w.rep(102), "/v1/accounts/102/history")
    settles = find_settle(hist.get("entries", [])) if st == 200 else []
    check("the representative of 102 sees the settlement in its history", len(settles) == 1, "%s %s" % (st, str(hist)[:300]))
    other_ids = [a.to_bytes(8, "big") for a in OTHERS]

    def leaks(obj):
        """Names of other parties anywhere in an answer: in JSON numbers next to from/to, or inside
        any base64 blob (the body, the leaf)."""
        found = []

        def walk(o):
            if isinstance(o, dict):
                for k, v in o.items():
                    if k in ("from", "to") and v in OTHERS:
                        found.append("%s=%s" % (k, v))
                    walk(v)
            elif isinstance(o, list):
                for v in o:
                    walk(v)
            elif isinstance(o, str) and len(o) >= 64:
                try:
                    raw = base64.b64decode(o, validate=True)
                except ValueError:
                    return
                found.extend("bytes of %d" % OTHERS[i] for i, b in enumerate(other_ids) if b in raw)
        walk(obj)
        return found

    check("the history shows no other party's leg to the representative of 102", settles and not leaks(hist),
          str(leaks(hist))[:300])
    tx_id = settles[0]["tx"]["id"] if settles else "00" * 16
    st, one = q.read_as(w.rep(102), "/v1/tx/" + tx_id)
    check("GET /v1/tx/{id} shows no other party's leg to the representative of 102",
          st == 200 and not leaks(one), "%s %s" % (st, str(leaks(one))[:300]))

    # ---- its own leg, with salt and audit path, proved against the signed root ----
    def leg_leaf(l):
        code = l["instrument"].encode().ljust(16, b"\0")
        return (b"quotad/leg/v1\n" + bytes.fromhex(l["salt"]) + l["from"].to_bytes(8, "big") +
                l["to"].to_bytes(8, "big") + code + l["amount"].to_bytes(8, "big"))

    def leaf_hash(data):
        return hashlib.sha256(b"\0" + data).digest()

    def node(a, b):
        return hashlib.sha256(b"\1" + a + b).digest()

    def root_from_path(index, size, lh, path):
        # RFC 9162 2.1.3.2
        fn, sn, r = index, size - 1, lh
        for p in path:
            if sn == 0:
                return None
            if fn & 1 or fn == sn:
                r = node(p, r)
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
            else:
                r = node(r, p)
            fn >>= 1
            sn >>= 1
        return r if sn == 0 else None

    def mth(hashes):
        if len(hashes) == 1:
            return hashes[0]
        k = 1
        while k * 2 < len(hashes):
            k *= 2
        return node(mth(hashes[:k]), mth(hashes[k:]))

    st, legs = q.read_as(w.rep(102), "/v1/tx/%s/legs" % tx_id)
    mine = legs.get("legs", []) if st == 200 else []
    check("the representative of 102 reads exactly its own leg", len(mine) == 1 and mine[0].get("to") == 102 and
          mine[0].get("amount") == 5 and mine[0].get("index") == 500, "%s %s" % (st, str(legs)[:400]))
    root = bytes.fromhex(one.get("entry", {}).get("tx", {}).get("legs_root", "00" * 32)) if st == 200 else b""
    ok_path = False
    if mine:
        path = [base64.b64decode(h) for h in mine[0].get("path", [])]
        ok_path = root_from_path(500, 1000, leaf_hash(leg_leaf(mine[0])), path) == root
    check("its salt and audit path prove its leg is in the signed legs_root", ok_path)
    check("the legs answer names no other party", st == 200 and not leaks(legs), str(leaks(legs))[:200])
    st, _ = q.read_as(w.rep(900), "/v1/tx/%s/legs" % tx_id)
    check("a representative with no leg gets 404, as for an unknown id", st == 404, str(st))
    st, _ = q.jrequest("GET", "/v1/tx/%s/legs" % tx_id)
    check("an anonymous reader gets no legs", st in (401, 404), str(st))
    for who in (w.op, w.aud):
        st, alll = q.read_as(who, "/v1/tx/%s/legs" % tx_id)
        ls = alll.get("legs", []) if st == 200 else []
        whole = len(ls) == 1000 and mth([leaf_hash(leg_leaf(l)) for l in ls]) == root
        check("the %s reads all 1,000 legs and they hash to the root" % who.name, whole, "%s %d" % (st, len(ls)))
    st, bal = q.read_as(w.rep(102), "/v1/accounts/102/balances")
    t102 = [b for b in bal.get("balances", []) if b["instrument"] == "CEA-2025"]
    check("the legs were applied (102 trading 5)", t102 and t102[0]["trading"] == 5, str(bal)[:200])

    # ---- legs that do not match what the exchange signed: refused, nothing changes ----
    def v2_settle(legs_in):
        hashes = [leaf_hash(leg_leaf(l)) for l in legs_in]
        tx = move("settle", version=2, ref="SEEE-HOSTILE", legs_count=len(legs_in), legs_root=mth(hashes).hex())
        return q.envelope(tx, w.exch)

    good = [{"salt": os.urandom(16).hex(), "from": 101, "to": 102, "instrument": "CEA-2025", "amount": 7},
            {"salt": os.urandom(16).hex(), "from": 101, "to": 2001, "instrument": "CEA-2025", "amount": 3}]
    size0 = q.tree_size()
    cases = [("legs_root_mismatch", good, [dict(good[0], amount=700), good[1]]),
             ("legs_count_mismatch", good, good[:1]),
             ("legs_missing", good, None),
             ("duplicate_salt", [good[0], dict(good[1], salt=good[0]["salt"])],
              [good[0], dict(good[1], salt=good[0]["salt"])])]
    for code, signed, sent in cases:
        env_ = v2_settle(signed)
        if sent is not None:
            env_["legs"] = sent
        st, ans = q.jrequest("POST", "/v1/tx", env_)
        res = ans.get("results", [{}])[0] if isinstance(ans, dict) else {}
        check("a settlement whose legs are wrong is refused: %s" % code,
              res.get("error", {}).get("code") == code, "%s %s" % (st, str(ans)[:300]))
    st, bal2 = q.read_as(w.rep(102), "/v1/accounts/102/balances")
    check("the refused settlements changed nothing", q.tree_size() == size0 and bal2 == bal, "%d %d" % (q.tree_size(), size0))
    env_ = v2_settle(good)
    env_["legs"] = good
    st, ans = q.jrequest("POST", "/v1/tx", env_)
    check("the same settlement with its legs is accepted",
          ans.get("results", [{}])[0].get("result") == "ok", str(ans)[:300])

    # ---- the binary form: the legs blob is the frame after the settlement's envelope ----
    def env_bytes(e):
        body = base64.b64decode(e["body"])
        out = bytes([1, len(e["signatures"])]) + len(body).to_bytes(2, "big") + body
        for sg in e["signatures"]:
            out += base64.b64decode(sg["key"]) + base64.b64decode(sg["sig"])
        return out

    def blob(legs_in):
        out = bytes([1, 0]) + len(legs_in).to_bytes(2, "big")
        return out + b"".join(leg_leaf(l)[14:] for l in legs_in)  # salt || leg, as in the leaf

    def frame(b):
        return len(b).to_bytes(2, "big") + b

    bin_legs = [dict(good[0], salt=os.urandom(16).hex()), dict(good[1], salt=os.urandom(16).hex())]
    e2 = v2_settle(bin_legs)
    hdr = {"Content-Type": "application/octet-stream"}
    st, ans = q.jrequest("POST", "/v1/tx", frame(env_bytes(e2)), hdr)
    check("binary: a settlement's envelope frame without its legs frame is refused whole (legs_missing)",
          st == 400 and ans.get("error", {}).get("code") == "legs_missing", "%s %s" % (st, str(ans)[:200]))
    st, ans = q.jrequest("POST", "/v1/tx", frame(env_bytes(e2)) + frame(blob(bin_legs)), hdr)
    check("binary: the envelope frame then the legs frame is accepted",
          st == 200 and ans.get("results", [{}])[0].get("result") == "ok", "%s %s" % (st, str(ans)[:300]))

    # ---- the export carries every leg; quota-audit checks them against the roots ----
    exp = os.path.join(tmp, "export.jsonl")
    r = ctl("aud", "export", exp)
    check("quotactl export (auditor) succeeds", r.returncode == 0, r.stderr[-300:])
    lines = open(exp).read().splitlines() if r.returncode == 0 else []
    with_legs = [json.loads(l) for l in lines[1:-1] if '"legs"' in l]
    check("the export carries the legs of the three version-2 settlements", len(with_legs) == 3, str(len(with_legs)))
    vk = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
    audit_bin = os.path.join(build, "tools", "quota-audit")
    r = subprocess.run([audit_bin, "--export", exp, "--verifier-key", vk, "--quiet"], env=env,
                       capture_output=True, text=True)
    check("quota-audit verifies the export with its legs", r.returncode == 0, (r.stdout + r.stderr)[-400:])
    if with_legs:
        # one leg's amount changed in the export: the audit must notice
        bad, flipped = [], False
        for l in lines:
            if '"legs"' in l and not flipped:
                o = json.loads(l)
                blob = bytearray(base64.b64decode(o["legs"]))
                blob[-1] ^= 1  # the last leg's amount
                o["legs"] = base64.b64encode(bytes(blob)).decode()
                l, flipped = json.dumps(o), True
            bad.append(l)
        badp = os.path.join(tmp, "bad.jsonl")
        open(badp, "w").write("\n".join(bad) + "\n")
        r = subprocess.run([audit_bin, "--export", badp, "--verifier-key", vk, "--quiet"], env=env,
                           capture_output=True, text=True)
        check("quota-audit refuses an export whose legs were changed", r.returncode == 1 and
              "legs_root_mismatch" in (r.stdout + r.stderr), (r.stdout + r.stderr)[-300:])
finally:
    q.stop()
check.finish()
