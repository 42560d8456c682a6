# monitor.py: `quota-audit --monitor URL --state FILE` against real quotad processes. No key: the
# first run trusts on first use and says so; a grown log is proven consistent from hash tiles;
# then the log is swapped for a fork (same origin, same log key, different entries): smaller,
# of the same size, and larger than the kept checkpoint, each reported with exit 1 and the state
# left as it was; another verifier key fails; a policy whose quorum is not met fails, and one
# whose witness cosigned (a cosignature/v1 line made here from the spec) passes.
# Usage: python3 monitor.py BUILD_DIR TMP_DIR
import base64
import hashlib
import http.server
import os
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib

build, tmp = sys.argv[1], sys.argv[2]
AUDIT = os.path.join(build, "tools", "quota-audit")
for b in ("daemon/quotad", "tools/quota-audit"):
    if not os.access(os.path.join(build, b), os.X_OK):
        qlib.fail("%s is not built" % b)
        sys.exit(1)
check = qlib.Checks()
state = os.path.join(tmp, "monitor.state")
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")


def monitor(q_or_url, vkey, *extra):
    url = q_or_url if isinstance(q_or_url, str) else "http://127.0.0.1:%d/log" % q_or_url.port
    r = subprocess.run([AUDIT, "--monitor", url, "--state", state, "--verifier-key", vkey] + list(extra),
                       env=env, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def kept():
    with open(state) as f:
        return f.read()


def accounts(q, w, first, n):
    qlib.submit_all(q, [q.envelope(qlib.acct_tx(a, "participant", 0, "none", "", "Firm %d" % a), w.op)
                        for a in range(first, first + n)])


w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data-a"), os.path.join(tmp, "log.key"))
q.start()
try:
    qlib.setup_world(q, w)
    vkey = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
    rc, out = monitor(q, vkey)
    check("first run trusts on first use and says so", rc == 0 and "trusting on first use" in out, out)
    first_size = q.tree_size()
    accounts(q, w, 3000, 300)
    rc, out = monitor(q, vkey)
    check("a grown log is proven consistent from tiles", rc == 0 and "OK: size %d -> %d, consistent" % (first_size, q.tree_size()) in out, out)
    rc, out = monitor(q, vkey)
    check("an unchanged log is fine", rc == 0 and "consistent" in out, out)
    other = qlib.Key("other")
    oid = hashlib.sha256(qlib.ORIGIN.encode() + b"\n\x01" + other.pub).digest()[:4]
    other_vkey = "%s+%s+%s" % (qlib.ORIGIN, oid.hex(), base64.b64encode(b"\x01" + other.pub).decode())
    rc, out = monitor(q, other_vkey)
    check("another verifier key fails the check", rc == 1 and "not signed by the verifier key" in out, out)
    rc, out = monitor(q, "not-a-key")
    check("a malformed verifier key is a usage error", rc == 2, out)
    size_a = q.tree_size()
finally:
    q.stop()
state_a = kept()

# ---- the fork: same origin, same log key, different entries ----
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data-b"), os.path.join(tmp, "log.key"))
q.start()
try:
    qlib.setup_world(q, w)
    rc, out = monitor(q, vkey)
    check("a smaller fork is reported (the log shrank)", rc == 1 and "shrank" in out, out)
    while q.tree_size() < size_a:  # grow the fork to exactly the kept size
        n = min(200, size_a - q.tree_size())
        accounts(q, w, 5000 + q.tree_size(), n)
    rc, out = monitor(q, vkey)
    check("a fork of the same size is reported", q.tree_size() == size_a and rc == 1 and "different roots" in out, out)
    accounts(q, w, 9000, 50)
    rc, out = monitor(q, vkey)
    check("a larger fork is reported as inconsistent", rc == 1 and "not consistent" in out and "fork" in out, out)
    check("the state still holds the original checkpoint", kept() == state_a)
finally:
    q.stop()

# ---- witnesses: a static copy of the original log whose checkpoint a witness cosigned ----
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data-a"), os.path.join(tmp, "log.key"))
q.start()
site = os.path.join(tmp, "site")
try:
    st, note = q.request("GET", "/log/checkpoint")
    size = int(note.decode().split("\n")[1])
    for lvl in (0, 1):
        nodes = size >> (8 * lvl)
        for n in range((nodes + 255) // 256):
            wd = min(256, nodes - 256 * n)
            p = "tile/%d/%03d" % (lvl, n) + (".p/%d" % wd if wd < 256 else "")
            st, body = q.request("GET", "/log/" + p)
            os.makedirs(os.path.dirname(os.path.join(site, p)), exist_ok=True)
            with open(os.path.join(site, p), "wb") as f:
                f.write(body)
finally:
    q.stop()

wit = qlib.Key("witness-1")
wname = "witness.example/w1"
kid = hashlib.sha256(wname.encode() + b"\n\x04" + wit.pub).digest()[:4]
text = note.decode().split("\n\n")[0] + "\n"
t = int(time.time())
sig = wit.sign(b"cosignature/v1\ntime %d\n" % t + text.encode())
cosigned = note.decode() + "\u2014 %s %s\n" % (wname, base64.b64encode(kid + struct.pack(">Q", t) + sig).decode())
with open(os.path.join(site, "checkpoint"), "w") as f:
    f.write(cosigned)
wvkey = "%s+%s+%s" % (wname, kid.hex(), base64.b64encode(b"\x04" + wit.pub).decode())
policy = os.path.join(tmp, "policy")
with open(policy, "w") as f:
    f.write("log %s\nwitness w1 %s\nquorum w1\n" % (vkey, wvkey))


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=site, **kw)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % srv.server_address[1]
try:
    rc, out = monitor(url, vkey, "--policy", policy)
    check("a static copy with the witness's cosignature meets the quorum", rc == 0 and "quorum met (1" in out, out)
    with open(os.path.join(site, "checkpoint"), "w") as f:
        f.write(note.decode())
    rc, out = monitor(url, vkey, "--policy", policy)
    check("without the cosignature the quorum is not met", rc == 1 and "no_quorum" in out, out)
finally:
    srv.shutdown()
check.finish()
