"""Integration: quotad with three quota-witness processes and a 2-of-3 policy. Published
checkpoints carry cosignatures that an independent cosignature/v1 verifier (witness_spec.py)
accepts; one witness down: still published; two down: commits acknowledged, nothing more
published (metric and log line), publication resumes when one returns; the published checkpoint
survives a restart; a policy whose quorum is not a majority refuses the start; a fork of the log
(same origin and key, other entries) is refused by the witnesses and never published, and the
kept checkpoint's consistency check against it fails, and so does quota-audit --monitor's. The
monitor checks the real witnesses' quorum with --policy; tiles never go past the published size.
Usage: python3 publish_it.py BUILD_DIR WORK_DIR SOURCE_DIR"""
import base64
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib  # noqa: E402
import witness_spec as ws  # noqa: E402

BUILD, WORK, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
WITNESS = os.path.join(BUILD, "witness", "quota-witness")
QUOTACTL = os.path.join(BUILD, "tools", "quotactl")
check = qlib.Checks()
w = qlib.World()
w.log.write_seed(os.path.join(WORK, "log.key"))
log_vkey = ws.vkey(qlib.ORIGIN, 0x01, w.log.pub)

# ---- three witnesses ----
wit = {}
for i in (1, 2, 3):
    key = os.path.join(WORK, "w%d.key" % i)
    subprocess.run([QUOTACTL, "keygen", key], check=True, stdout=subprocess.DEVNULL)
    port = qlib.free_port()
    name = "w%d.witness.test.example" % i
    conf = os.path.join(WORK, "w%d.conf" % i)
    with open(conf, "w") as f:
        f.write("[witness]\nname = %s\nkey_file = %s\ndata_dir = %s\n[listen]\ntcp = 127.0.0.1:%d\n"
                "[logs]\nlog = %s %s\n" % (name, key, os.path.join(WORK, "w%d.state" % i), port,
                                          qlib.ORIGIN, log_vkey))
    wit[i] = {"name": name, "port": port, "conf": conf, "pub": ws.raw_public(ws.seed_of(key)), "proc": None}


def wstart(i):
    p = subprocess.Popen([WITNESS, "--config", wit[i]["conf"]], stderr=open(os.path.join(WORK, "w%d.log" % i), "a"))
    wit[i]["proc"] = p
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", wit[i]["port"]), timeout=1).close()
            return True
        except OSError:
            if p.poll() is not None:
                return False
            time.sleep(0.05)
    return False


def wstop(i):
    wit[i]["proc"].send_signal(signal.SIGTERM)
    wit[i]["proc"].wait(timeout=20)


def write_policy(path, group="2"):
    with open(path, "w") as f:
        f.write("log %s\n" % log_vkey)
        for i in (1, 2, 3):
            f.write("witness W%d %s http://127.0.0.1:%d\n" % (i, ws.vkey(wit[i]["name"], 0x04, wit[i]["pub"]),
                                                               wit[i]["port"]))
        f.write("group G %s W1 W2 W3\nquorum G\n" % group)


POLICY = os.path.join(WORK, "policy")
write_policy(POLICY)
write_policy(os.path.join(WORK, "weak"), "any")
for i in (1, 2, 3):
    check("witness %d starts" % i, wstart(i))

MPORT = qlib.free_port()
FAST = ["--checkpoint-interval-ms", "100", "--witness-timeout-ms", "1000"]


TILES = os.path.join(WORK, "tiles")


def quotad(data, policy=POLICY, metrics=True, tiles=False):
    extra = (["--witness-policy", policy] if policy else []) + FAST
    extra += ["--tiles-dir", TILES] if tiles else []
    extra += ["--metrics-listen", "127.0.0.1:%d" % MPORT] if metrics else []
    return qlib.Quotad(BUILD, WORK, os.path.join(WORK, data), os.path.join(WORK, "log.key"), extra)


def published(q):
    st, body = q.request("GET", "/v1/checkpoint")
    return (body.decode(), int(body.decode().split("\n")[1])) if st == 200 else (None, -1)


def wait_published(q, size, timeout_s=20):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        note, n = published(q)
        if n >= size:
            return note
        time.sleep(0.1)
    return None


def cosigners(note):
    """The witnesses whose line verifies with the independent cosignature/v1 verifier."""
    text, lines = ws.note_split(note)
    return {i for i in (1, 2, 3) for line in lines
            if ws.cosig_verify(line, text, wit[i]["name"], wit[i]["pub"]) is not None}


def metric(name):
    c = socket.create_connection(("127.0.0.1", MPORT), timeout=10)
    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.close()
    for line in data.decode().split("\n"):
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None


def new_account(q, k):
    return qlib.must_ok(q, qlib.acct_tx(2000 + k, "participant", 0, "none", "", "Trader %d" % k), w.op)


def log_text():
    return open(os.path.join(WORK, "quotad.log"), errors="replace").read()


# ---- the policy must be a majority ----
try:
    quotad("weak-data", os.path.join(WORK, "weak")).start(wait_s=10)
    check("a 1-of-3 quorum refuses the start", False, "quotad started")
except RuntimeError as e:
    check("a 1-of-3 quorum refuses the start (weak_quorum)", "weak_quorum" in log_text(), str(e))

os.makedirs(os.path.join(WORK, "cc-data"), exist_ok=True)
for pol, want in ((os.path.join(WORK, "weak"), 2), (POLICY, 0)):
    r = subprocess.run([os.path.join(BUILD, "daemon", "quotad"), "--check-config", "--data-dir",
                        os.path.join(WORK, "cc-data"), "--log-key", os.path.join(WORK, "log.key"),
                        "--witness-policy", pol], capture_output=True, text=True)
    check("quotad --check-config with the %s policy: %s" % ("1-of-3" if want else "2-of-3",
                                                             "weak_quorum" if want else "OK"),
          (r.returncode != 0 and "weak_quorum" in r.stderr) if want else r.returncode == 0, r.stdout + r.stderr)

# ---- all three up: published with three cosignatures ----
q = quotad("data", tiles=True)
q.start()
qlib.setup_world(q, w)
size = q.tree_size()
note = wait_published(q, size)
check("published once cosigned (size %d)" % size, note is not None)
check("three cosignatures verify (independent cosignature/v1)", note and cosigners(note) == {1, 2, 3},
      note and cosigners(note))
check("the log's own signature verifies", note and qlib.parse_checkpoint(note, w.log.pub)[0] == size)
r = subprocess.run([QUOTACTL, "checkpoint", "--verify", "--policy", POLICY, "--file", "/dev/stdin"],
                   input=note or "", capture_output=True, text=True)
check("quotactl checkpoint --verify --policy accepts it", r.returncode == 0, r.stdout + r.stderr)

AUDIT = os.path.join(BUILD, "tools", "quota-audit")
w.op.write_seed(os.path.join(WORK, "op.key"))
write_policy(os.path.join(WORK, "all3"), "all")


def audit(policy, *extra):
    vk = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
    return subprocess.run([AUDIT, "--quiet", "--url", "http://127.0.0.1:%d" % q.port, "--key",
                           os.path.join(WORK, "op.key"), "--verifier-key", vk, "--policy", policy] + list(extra),
                          capture_output=True, text=True)


r = audit(POLICY)
check("quota-audit --policy: the quorum is met and commit times precede the cosignatures",
      r.returncode == 0 and "3 witness cosignatures meet the quorum" in r.stdout, r.stdout + r.stderr)


MONITOR_STATE = os.path.join(WORK, "monitor.state")


def monitor(port, *extra):
    return subprocess.run([AUDIT, "--monitor", "http://127.0.0.1:%d/log" % port, "--state", MONITOR_STATE,
                           "--verifier-key", VK_LOG] + list(extra), capture_output=True, text=True)


VK_LOG = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
r = monitor(q.port, "--policy", POLICY)
check("quota-audit --monitor --policy (no key): the real witnesses' quorum, trusted on first use",
      r.returncode == 0 and "first run" in r.stdout, r.stdout + r.stderr)

# ---- a receipt: quotactl proof --policy --receipt, then verify-receipt offline ----
tx = qlib.acct_tx(2900, "participant", 0, "none", "", "Receipt holder")
qlib.must_ok(q, tx, w.op)
wait_published(q, q.tree_size())
VK = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
RECEIPT = os.path.join(WORK, "entry.tlog-proof")
r = subprocess.run([QUOTACTL, "--url", "http://127.0.0.1:%d" % q.port, "--key", os.path.join(WORK, "op.key"),
                    "proof", "--id", tx["id"], "--verifier-key", VK, "--policy", POLICY, "--receipt", RECEIPT],
                   capture_output=True, text=True)
check("quotactl proof --policy: verified with the witness quorum", r.returncode == 0 and "quorum met" in r.stdout,
      r.stdout + r.stderr)
receipt = open(RECEIPT).read() if os.path.exists(RECEIPT) else ""
check("the receipt is a C2SP tlog-proof with the leaf as extra data and the cosigned checkpoint",
      receipt.startswith("c2sp.org/tlog-proof@v1\nextra ") and len(cosigners(receipt.split("\n\n", 1)[1])) == 3,
      receipt[:300])


def verify_receipt(path, policy=POLICY):
    return subprocess.run([QUOTACTL, "verify-receipt", path, "--verifier-key", VK, "--policy", policy],
                          capture_output=True, text=True)


r = verify_receipt(RECEIPT)
check("quotactl verify-receipt: verified offline", r.returncode == 0 and "verified: entry" in r.stdout, r.stdout + r.stderr)
lines = receipt.split("\n")
lines[3] = base64.b64encode(bytes(32)).decode()  # the first proof hash
with open(os.path.join(WORK, "bad.tlog-proof"), "w") as f:
    f.write("\n".join(lines))
r = verify_receipt(os.path.join(WORK, "bad.tlog-proof"))
check("a receipt with a changed proof hash: exit 4", r.returncode == 4 and "NOT VERIFIED" in r.stderr, r.stdout + r.stderr)

# ---- one witness down: still published ----
wstop(3)
new_account(q, 1)
size = q.tree_size()
note = wait_published(q, size)
check("one witness down: still published", note is not None)
check("with the two live witnesses' cosignatures", note and cosigners(note) == {1, 2}, note and cosigners(note))
r = audit(os.path.join(WORK, "all3"))
check("quota-audit --policy with a quorum of all three: no_quorum", r.returncode == 1 and "no_quorum" in r.stderr,
      r.stdout + r.stderr)
r = monitor(q.port, "--policy", os.path.join(WORK, "all3"))
check("quota-audit --monitor --policy with a quorum of all three fails too, and keeps its state",
      r.returncode == 1, r.stdout + r.stderr)
r = monitor(q.port, "--policy", POLICY)
check("quota-audit --monitor --policy (2 of 3): consistent with what it kept",
      r.returncode == 0 and "consistent" in r.stdout, r.stdout + r.stderr)

# ---- two down: acknowledged, not published ----
wstop(2)
kept_note, kept_size = published(q)
t0 = time.time()
r = new_account(q, 2)
check("two witnesses down: the commit is still acknowledged at once", r.get("result") == "ok" and time.time() - t0 < 3,
      time.time() - t0)
time.sleep(2.5)
check("two witnesses down: nothing newer is published", published(q)[1] == kept_size, published(q)[1])
check("quotad_unpublished_entries counts the entry", metric("quotad_unpublished_entries") == 1,
      metric("quotad_unpublished_entries"))
check("quotad_published_tree_size is the published size", metric("quotad_published_tree_size") == kept_size,
      metric("quotad_published_tree_size"))
check("a log line says what is committed but not published", "1 entries committed but not published" in log_text())


# tiles are for the published tree only (C2SP tlog-tiles; a CDN caches them for ever): with two
# witnesses down nothing beyond the published size is served or written to tiles_dir.
def tile_status(width):
    return q.request("GET", "/log/tile/0/000" + ("" if width == 256 else ".p/%d" % width))[0]


unpub = q.tree_size()
check("the log is small enough for one level-0 tile", kept_size < unpub < 256, (kept_size, unpub))
check("/log/checkpoint is the published note", q.request("GET", "/log/checkpoint") == (200, kept_note.encode()))
check("the hash tile of the published size is served", tile_status(kept_size) == 200, tile_status(kept_size))
check("the hash tile of the committed but unpublished size is not (404)", tile_status(unpub) == 404,
      tile_status(unpub))
ebundle = "/log/tile/entries/000.p/%d"
check("an auditor reads the entry bundle of the published size",
      q.request("GET", ebundle % kept_size, headers=q.read_headers(w.aud, "GET", ebundle % kept_size))[0] == 200)
check("but not that of the unpublished size (404)",
      q.request("GET", ebundle % unpub, headers=q.read_headers(w.aud, "GET", ebundle % unpub))[0] == 404)
with open(os.path.join(TILES, "checkpoint")) as f:
    check("tiles_dir's checkpoint is the published one", f.read() == kept_note)
written = sorted(os.listdir(os.path.join(TILES, "tile", "0", "000.p")))
check("tiles_dir holds no tile beyond the published size", written and max(int(x) for x in written) == kept_size,
      written)

# ---- one returns: publication resumes ----
check("witness 2 restarts", wstart(2))
size = q.tree_size()
note = wait_published(q, size)
check("a witness back: publication resumes", note is not None and cosigners(note) == {1, 2},
      note and cosigners(note))
check("quotad_unpublished_entries back to 0", metric("quotad_unpublished_entries") == 0)
check("witness 3 restarts", wstart(3))
time.sleep(0.5)

# ---- restart: the published checkpoint is served at once ----
q.stop()
wstop(1)
wstop(2)
q.start()
check("after a restart (witnesses 1, 2 down) the kept published checkpoint is served", published(q)[0] == note)
orig_note, orig_size = note, size
q.stop()
check("witnesses 1, 2 restart", wstart(1) and wstart(2))

# ---- split view: a fork of the log (same origin and key, other entries) ----
fork = quotad("fork", policy=None, metrics=False)
fork.start()
qlib.setup_world(fork, w)
k = 10
while fork.tree_size() < orig_size + 3:
    new_account(fork, k)
    k += 1
fork_note, fork_size = published(fork)  # without a policy: published as signed
r = monitor(fork.port)
check("quota-audit --monitor reports the fork (bigger, same key) as inconsistent with what it kept",
      r.returncode == 1 and "not consistent" in r.stdout + r.stderr, r.stdout + r.stderr)
fork.stop()
check("the fork is a bigger tree under the same key", fork_size > orig_size and
      qlib.parse_checkpoint(fork_note, w.log.pub)[0] == fork_size)
before = len(log_text())
fork = quotad("fork")
fork.start()
time.sleep(3)
fork_log = log_text()[before:]
check("the fork's checkpoint is never published (404)", published(fork)[1] == -1, published(fork))
check("nor kept for a restart", not os.path.exists(os.path.join(WORK, "fork", "checkpoint.published")))
check("the witnesses refuse it (422 after the 409 that named the cosigned size)",
      "answered 422" in fork_log, fork_log[-600:])
# The kept (cosigned) checkpoint against the fork's: no consistency proof from the fork verifies.
_, orig_root = qlib.parse_checkpoint(orig_note, w.log.pub)
_, fork_root = qlib.parse_checkpoint(fork_note, w.log.pub)
st, j = fork.jrequest("GET", "/v1/proof/consistency?first=%d&second=%d" % (orig_size, fork_size))
proof = [base64.b64decode(h) for h in j.get("hashes", [])] if st == 200 else []
check("the kept checkpoint's consistency check reports the fork",
      st == 200 and not qlib.verify_consistency(orig_size, fork_size, orig_root, fork_root, proof), (st, j))
fork.stop()

# A smaller fork: the witnesses' 409 names a size beyond its tree; quotad says so and never publishes.
small = quotad("fork-small", policy=None, metrics=False)
small.start()
qlib.setup_world(small, w)
small_size = small.tree_size()
small.stop()
before = len(log_text())
small = quotad("fork-small")
small.start()
time.sleep(2)
small_log = log_text()[before:]
check("a smaller fork (size %d < %d) is never published" % (small_size, orig_size),
      small_size < orig_size and published(small)[1] == -1, published(small))
check("quotad logs that a witness cosigned beyond this tree", "beyond this tree" in small_log, small_log[-600:])
small.stop()

# ---- the original still goes on ----
q.start()
new_account(q, 3)
size = q.tree_size()
note = wait_published(q, size)
check("the original log still publishes with the witnesses", note is not None and len(cosigners(note)) >= 2)
q.stop()
for i in (1, 2, 3):
    wstop(i)
check.finish()
