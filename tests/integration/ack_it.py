"""Integration: every accepted transaction's answer carries its batch's signed acknowledgement
(proto/FORMAT.md "Acknowledgements"), checked here from the spec alone: the Ed25519 signature by
the log key over the acknowledgement message, the RFC 9162 path of the entry's leaf to the batch
root, the commit time in the entry. Refused and repeated transactions get none.
Usage: python3 ack_it.py BUILD_DIR WORK_DIR SOURCE_DIR"""
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

BUILD, WORK, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
QUOTACTL = os.path.join(BUILD, "tools", "quotactl")
AUDIT = os.path.join(BUILD, "tools", "quota-audit")
check = qlib.Checks()
w = qlib.World()
w.log.write_seed(os.path.join(WORK, "log.key"))


def node(l, r):
    return hashlib.sha256(b"\x01" + l + r).digest()


def root_from_path(index, size, leaf_hash, path):
    """RFC 9162 2.1.3.2: the root an inclusion path gives, or None when it cannot."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
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


def ack_message(a):
    return ("quotad/ack/v1\n%s\n%d\n%d\n%s\n%d\n" % (qlib.ORIGIN, a["first"], a["count"], a["root"],
                                                    a["time_ms"])).encode()


def leaf_of(q, index):
    st, j = q.read_as(w.op, "/v1/entries?start=%d&limit=1" % index)
    return base64.b64decode(j["entries"][0]["leaf"]) if st == 200 and j.get("entries") else None


def ack_ok(q, index, a):
    """Why an acknowledgement does not hold for the log's entry at index, or None when it does."""
    try:
        Ed25519PublicKey.from_public_bytes(w.log.pub).verify(base64.b64decode(a["signature"]), ack_message(a))
    except InvalidSignature:
        return "signature"
    leaf = leaf_of(q, index)
    if leaf is None:
        return "no entry"
    lh = hashlib.sha256(b"\x00" + leaf).digest()
    path = [base64.b64decode(h) for h in a["path"]]
    if root_from_path(index - a["first"], a["count"], lh, path) != base64.b64decode(a["root"]):
        return "path"
    if struct.unpack(">QQ", leaf[2:18]) != (index, a["time_ms"]):
        return "entry index or time"
    return None


q = qlib.Quotad(BUILD, WORK, os.path.join(WORK, "data"), os.path.join(WORK, "log.key"), ["--batch-delay-ms", "20"])
q.start()
qlib.setup_world(q, w, enterprises=(101, 102, 103))
envs = [q.envelope(qlib.acct_tx(3000 + i, "participant", 0, "none", "", "T%d" % i), w.op) for i in range(7)]
envs.append(envs[0])  # the same transaction again: exists
envs.append(q.envelope(qlib.acct_tx(3000, "participant", 0, "none", "", "taken"), w.op))  # refused
st, j = q.jrequest("POST", "/v1/tx", envs)
res = j.get("results", [])
check("a batch of 7 new, 1 repeated, 1 refused", st == 200 and [r["result"] for r in res] ==
      ["ok"] * 7 + ["exists", "error"], json.dumps(j)[:300])
acks = [r.get("ack") for r in res]
check("each accepted answer carries an acknowledgement", all(acks[:7]), acks[:7])
check("the repeated and the refused ones carry none", acks[7] is None and acks[8] is None)
one = acks[0] or {}
check("one signature per batch: the same first, count, root, time and signature",
      all({k: v for k, v in (a or {}).items() if k != "path"} == {k: v for k, v in one.items() if k != "path"}
          for a in acks[:7]))
check("the batch holds the accepted entries only (count 7, first = the first's index)",
      one.get("count") == 7 and one.get("first") == res[0]["index"], one)
for i in range(7):
    why = ack_ok(q, res[i]["index"], acks[i]) if acks[i] else "missing"
    check("acknowledgement %d verifies (signature, path to the batch root, entry time)" % i, why is None, why)
single = q.submit(qlib.acct_tx(3100, "participant", 0, "none", "", "single"), w.op)[1]
sr = single.get("results", [{}])[0] if "results" in single else single
a1 = sr.get("ack")
check("a batch of one: count 1, empty path, root = the leaf hash",
      a1 and a1["count"] == 1 and a1["path"] == [] and ack_ok(q, sr["index"], a1) is None, single)
# A forged or altered acknowledgement is told apart.
bad = dict(acks[1], time_ms=acks[1]["time_ms"] + 1)
check("an altered time fails the signature", ack_ok(q, res[1]["index"], bad) == "signature")
check("another entry's index fails the path", ack_ok(q, res[2]["index"], acks[1]) == "path")

# ---- quotactl keeps it; quota-audit --acks checks it against the log ----
w.op.write_seed(os.path.join(WORK, "op.key"))
ACKS = os.path.join(WORK, "acks.jsonl")
base = "http://127.0.0.1:%d" % q.port
for i in range(3):
    r = subprocess.run([QUOTACTL, "--url", base, "--key", os.path.join(WORK, "op.key"), "--ack-file", ACKS,
                        "account-open", "--account", str(3200 + i), "--kind", "participant", "--name", "Q%d" % i],
                       capture_output=True, text=True)
    check("quotactl account-open %d prints the acknowledgement" % i,
          r.returncode == 0 and "acknowledged: batch of" in r.stdout, r.stdout + r.stderr)
kept = [json.loads(line) for line in open(ACKS)] if os.path.exists(ACKS) else []
check("quotactl --ack-file kept one line per transaction", len(kept) == 3, kept)
check("each kept acknowledgement verifies independently", all(ack_ok(q, k["index"], k["ack"]) is None for k in kept))
st, log = q.jrequest("GET", "/v1/log")
VK = log.get("verifier_key")


def audit(q_, acks_file):
    return subprocess.run([AUDIT, "--quiet", "--url", "http://127.0.0.1:%d" % q_.port, "--key",
                           os.path.join(WORK, "op.key"), "--verifier-key", VK, "--acks", acks_file],
                          capture_output=True, text=True)


r = audit(q, ACKS)
check("quota-audit --acks: the kept acknowledgements hold", r.returncode == 0 and "3 acknowledgements hold" in r.stdout,
      r.stdout + r.stderr)


def write_acks(name, lines):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    return path


forged = dict(kept[1], ack=dict(kept[1]["ack"], time_ms=kept[1]["ack"]["time_ms"] - 1000))
r = audit(q, write_acks("forged.jsonl", [kept[0], forged]))
check("quota-audit --acks flags an altered acknowledgement (line 2, not signed by the log key)",
      r.returncode == 1 and "line 2" in r.stderr and "not signed by the log key" in r.stderr, r.stdout + r.stderr)
moved = dict(kept[2], index=kept[0]["index"], ack=dict(kept[2]["ack"], first=kept[0]["index"]))
r = audit(q, write_acks("moved.jsonl", [moved]))
check("quota-audit --acks flags an acknowledgement moved to another entry",
      r.returncode == 1 and ("differs" in r.stderr or "not signed" in r.stderr), r.stdout + r.stderr)
q.stop()

# Another registry under the same key that lacks or changed the acknowledged entries.
q2 = qlib.Quotad(BUILD, WORK, os.path.join(WORK, "data2"), os.path.join(WORK, "log.key"))
q2.start()
qlib.setup_world(q2, w, enterprises=(101, 102, 103))
r = audit(q2, ACKS)
check("quota-audit --acks: an acknowledged entry missing from the log is flagged",
      r.returncode == 1 and "missing from the log" in r.stderr, r.stdout + r.stderr)
for i in range(12):
    qlib.must_ok(q2, qlib.acct_tx(5000 + i, "participant", 0, "none", "", "other %d" % i), w.op)
r = audit(q2, ACKS)
check("quota-audit --acks: an acknowledged entry changed in the log is flagged",
      r.returncode == 1 and "differs from the one acknowledged" in r.stderr, r.stdout + r.stderr)
q2.stop()
check.finish()
