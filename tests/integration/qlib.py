# qlib.py: what the reliability tests need to drive a real quotad from python3: Ed25519 keys
# (python3-cryptography), start / SIGKILL / restart, encode + sign + submit through the API,
# signed reads, a small world, RFC 9162 proof checks and signed-note checkpoint checks.
import base64
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization

ORIGIN = "reliability.quotad.example/registry"
b64 = lambda b: base64.b64encode(b).decode()


class Key:
    def __init__(self, name, seed=None):
        self.name = name
        self.seed = seed if seed is not None else hashlib.sha256(b"qlib key " + name.encode()).digest()
        self.priv = Ed25519PrivateKey.from_private_bytes(self.seed)
        self.pub = self.priv.public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw)
        self.hash = b64(hashlib.sha256(self.pub).digest())

    def pubhex(self):
        return self.pub.hex()

    def sign(self, msg):
        return self.priv.sign(msg)

    def write_seed(self, path):
        with open(path, "w") as f:
            f.write("quotad-ed25519-seed %s\n" % b64(self.seed))
        os.chmod(path, 0o600)


_seq = [0]


def newid():
    # time-ordered like the recommended form, plus a process-local counter so ids never repeat
    _seq[0] += 1
    ms = int(time.time() * 1000)
    return ms.to_bytes(6, "big").hex() + os.getpid().to_bytes(4, "big").hex() + _seq[0].to_bytes(6, "big").hex()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Quotad:
    def __init__(self, build, tmp, data, log_key_path, extra=None, env=None):
        self.bin = os.path.join(build, "daemon", "quotad")
        self.tmp, self.data, self.log_key_path = tmp, data, log_key_path
        self.extra = extra or []
        self.env = env
        self.proc = None
        self.port = None

    def start(self, wait_s=30):
        self.port = free_port()
        os.makedirs(self.data, exist_ok=True)  # quotad refuses a missing data directory
        self.logf = open(os.path.join(self.tmp, "quotad.log"), "ab")
        args = [self.bin, "--data-dir", self.data, "--log-key", self.log_key_path,
                "--listen", "127.0.0.1:%d" % self.port, "--unix", "",
                "--log-level", "warning"] + self.extra
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=self.logf, env=env)
        deadline = time.time() + wait_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("quotad exited with %s" % self.proc.returncode)
            try:
                st, _ = self.request("GET", "/healthz", timeout=2)
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("quotad did not answer /healthz")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout=60)
            self.proc = None
            return rc
        self.proc = None
        return None

    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = self.conn(timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, data
        finally:
            c.close()

    def jrequest(self, method, path, body=None, headers=None):
        st, data = self.request(method, path, body, headers)
        try:
            return st, json.loads(data)
        except ValueError:
            return st, {"raw": data.decode(errors="replace")}

    def tree_size(self):
        return self.jrequest("GET", "/healthz")[1]["tree_size"]

    def encode(self, tx):
        st, j = self.jrequest("POST", "/v1/tx/encode", tx)
        if st != 200:
            raise RuntimeError("encode %s: %s %s" % (tx.get("type"), st, j))
        return j["body"], base64.b64decode(j["signing_message"])

    def envelope(self, tx, *signers):
        body, msg = self.encode(tx)
        return {"body": body, "signatures": [{"key": k.hash, "sig": b64(k.sign(msg))} for k in signers]}

    def submit(self, tx, *signers):
        return self.jrequest("POST", "/v1/tx", self.envelope(tx, *signers))

    def read_headers(self, key, method, target, now=None):
        now = int(time.time()) if now is None else now
        msg = ("quotad/read/v1\n%s\n%s\n%s\n%d" % (ORIGIN, method, target, now)).encode()
        return {"Authorization": "Quotad-Ed25519 key=%s, time=%d, sig=%s" % (key.hash, now, b64(key.sign(msg)))}

    def read_as(self, key, target, now=None):
        return self.jrequest("GET", target, headers=self.read_headers(key, "GET", target, now))


# ---- the world: genesis, provinces 44 and 11, enterprises, keys for every role, instruments ----
USCC_A = "91350100M000100Y43"
USCC_B = "91110000802100433B"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(stem17):
    return stem17 + ALPHABET[(31 - sum(ALPHABET.index(c) * w for c, w in zip(stem17, WEIGHTS)) % 31) % 31]


class World:
    """Keys and accounts; set up through the API."""

    def __init__(self):
        self.log = Key("log")
        self.op = Key("op")
        self.auth44, self.auth11 = Key("auth44"), Key("auth11")
        self.exch, self.aud = Key("exch"), Key("aud")
        self.reps = {}

    def rep(self, account):
        if account not in self.reps:
            self.reps[account] = Key("rep%d" % account)
        return self.reps[account]


def must_ok(q, tx, *signers):
    st, j = q.submit(tx, *signers)
    r = j.get("results", [{}])[0] if isinstance(j, dict) else {}
    if st != 200 or r.get("result") not in ("ok", "exists"):
        raise RuntimeError("setup %s refused: %s %s" % (tx["type"], st, j))
    return r


def acct_tx(account, kind, province, sector, usc, name, threshold=1):
    return {"type": "account_open", "id": newid(), "account": account, "kind": kind, "province": province,
            "sector": sector, "threshold": threshold, "uscc": usc, "name": name, "note": ""}


def keyreg_tx(key, role, scope):
    return {"type": "key_register", "id": newid(), "public_key": key.pubhex(), "role": role,
            "scope": scope, "name": key.name}


def move(type_, **kw):
    tx = {"type": type_, "id": newid()}
    tx.update(kw)
    return tx


def setup_world(q, w, enterprises=(101, 102), per_enterprise=100000):
    """Genesis, provinces 44 and 11, enterprises (province 44) and a participant 900, keys for
    every role, CEA-2025 (2025-2030), CEA-2024 (2019-2024), CCER-2024, year 2025, issuance and
    allocation of per_enterprise CEA-2025 to each enterprise, 10,000 CEA-2024 and 1,000 CCER to
    the first."""
    must_ok(q, {"type": "genesis", "id": newid(), "origin": ORIGIN, "log_public_key": w.log.pubhex(),
                "national_account": 1, "operator_threshold": 1, "operator_keys": [w.op.pubhex()]}, w.log)
    envs = [q.envelope(acct_tx(4400, "provincial", 44, "none", "", "Guangdong"), w.op),
            q.envelope(acct_tx(1100, "provincial", 11, "none", "", "Beijing"), w.op),
            q.envelope(acct_tx(900, "participant", 0, "none", "", "Trader"), w.op)]
    for i, e in enumerate(enterprises):
        u = USCC_A if i == 0 else USCC_B if i == 1 else uscc("914400007%08d" % e)
        envs.append(q.envelope(acct_tx(e, "enterprise", 44, "steel", u, "Plant %d" % e), w.op))
    for k, role, scope in [(w.auth44, "authority", 44), (w.auth11, "authority", 11), (w.exch, "exchange", 0),
                           (w.aud, "auditor", 0), (w.rep(900), "representative", 900)] + \
                          [(w.rep(e), "representative", e) for e in enterprises]:
        envs.append(q.envelope(keyreg_tx(k, role, scope), w.op))
    for code, kind, v, first, last, cap in [("CEA-2025", "cea", 2025, 2025, 2030, 10 ** 12),
                                             ("CEA-2024", "cea", 2024, 2019, 2024, 10 ** 9),
                                             ("CCER-2024", "ccer", 2024, 2024, 2030, 10 ** 9)]:
        envs.append(q.envelope({"type": "instrument_create", "id": newid(), "code": code, "kind": kind,
                                "vintage": v, "cap": cap, "first_year": first, "last_year": last}, w.op))
    envs.append(q.envelope({"type": "compliance_year", "id": newid(), "year": 2025,
                            "deadline_ms": 4102444800000}, w.op))
    total = per_enterprise * len(enterprises)
    envs += [q.envelope(move("issue", instrument="CEA-2025", amount=total + 100000), w.op),
             q.envelope(move("issue", instrument="CEA-2024", amount=100000), w.op),

             q.envelope(move("allocate", **{"from": 1, "to": 4400, "instrument": "CEA-2025",
                                            "amount": total + 50000, "year": 2025, "kind": "final"}), w.op),
             q.envelope(move("allocate", **{"from": 1, "to": 4400, "instrument": "CEA-2024",
                                            "amount": 50000, "year": 2024, "kind": "final"}), w.op)]
    submit_all(q, envs)
    envs = [q.envelope(move("allocate", **{"from": 4400, "to": e, "instrument": "CEA-2025",
                                           "amount": per_enterprise, "year": 2025, "kind": "final"}), w.auth44)
            for e in enterprises]
    envs.append(q.envelope(move("allocate", **{"from": 4400, "to": enterprises[0], "instrument": "CEA-2024",
                                               "amount": 10000, "year": 2024, "kind": "final"}), w.auth44))
    # CCER is issued to its project owner (issue version 2), never allocated
    envs.append(q.envelope(move("issue", version=2, instrument="CCER-2024", amount=1000,
                                to=enterprises[0]), w.op))
    submit_all(q, envs)


def compliance_world(q, w, count, first=200000):
    """count more enterprises of province 44 (ids from first), each with verified emissions for
    2025, so that /v1/compliance/2025 pages are large. Returns their ids."""
    ids = list(range(first, first + count))
    for lo in range(0, len(ids), 500):
        part = ids[lo:lo + 500]
        submit_all(q, [q.envelope(acct_tx(a, "enterprise", 44, "power", uscc("914400008%08d" % a),
                                          "Power plant number %d of the province" % a), w.op) for a in part])
        submit_all(q, [q.envelope(move("verified_emissions", account=a, year=2025, emissions=1000 + a % 977,
                                       ref="verification report %d" % a), w.auth44) for a in part])
    return ids


def submit_all(q, envs):
    st, j = q.jrequest("POST", "/v1/tx", envs)
    bad = [r for r in j.get("results", []) if r.get("result") not in ("ok", "exists")]
    if st != 200 or bad or len(j.get("results", [])) != len(envs):
        raise RuntimeError("batch refused: %s %s" % (st, json.dumps(j)[:600]))
    return j


# ---- RFC 9162 proofs and signed notes, written from the RFC, independent of the C code ----
def _h(b):
    return hashlib.sha256(b).digest()


def verify_consistency(first, second, root1, root2, proof):
    if first == second:
        return not proof and root1 == root2
    if first == 0:
        return not proof
    if first > second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is on the path
        path.insert(0, root1)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = _h(b"\x01" + c + fr)
            sr = _h(b"\x01" + c + sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = _h(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def parse_checkpoint(text, log_pub):
    """(size, root) of a signed note, after checking its Ed25519 signature by the log key."""
    body, sep, sigs = text.partition("\n\n")
    if not sep:
        raise ValueError("no signature block")
    lines = body.split("\n")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
    pk = Ed25519PublicKey.from_public_bytes(log_pub)
    for line in sigs.strip("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[1] != origin:
            continue
        raw = base64.b64decode(parts[2])
        pk.verify(raw[4:], (body + "\n").encode())
        return size, root
    raise ValueError("no signature by the log key")


class Checks:
    """Named checks of a test script: each prints ok or FAIL as it is made; finish() prints the
    count and exits non-zero when one failed."""

    def __init__(self):
        self.passed, self.failures = 0, []

    def __call__(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   - " + name)
        else:
            self.failures.append(name)
            print("FAIL - %s %s" % (name, detail))
        sys.stdout.flush()

    def finish(self):
        print("%d passed, %d failed" % (self.passed, len(self.failures)))
        sys.exit(1 if self.failures else 0)


def fail(msg):
    print("FAIL - " + msg)
    sys.stdout.flush()
