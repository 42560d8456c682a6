"""Integration: a real quota-witness on a random loopback port, driven over HTTP with checkpoints
that an independent signer (witness_spec.py) makes, its cosignatures checked by an independent
cosignature/v1 verifier; every status of C2SP tlog-witness; hostile input (oversize, slowloris,
garbage, too many connections); state kept across a restart; and `quotactl checkpoint --verify
--policy` over cosignatures made by that independent signer.
Usage: python3 witness_it.py BUILD_DIR WORK_DIR SOURCE_DIR"""
import hashlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import witness_spec as ws  # noqa: E402

BUILD, WORK, SOURCE = sys.argv[1], sys.argv[2], sys.argv[3]
WITNESS = os.path.join(BUILD, "witness", "quota-witness")
QUOTACTL = os.path.join(BUILD, "tools", "quotactl")
ORIGIN = "registry.test.example/quotad"
WNAME = "witness.test.example/w1"
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   - " + name)
    else:
        failed += 1
        print("FAIL - " + name + ("\n       " + str(detail)[:400] if detail else ""))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


for binary in (WITNESS, QUOTACTL):
    if not os.access(binary, os.X_OK):
        print("FAIL - %s is not built" % binary)
        sys.exit(1)

# Keys: made by quotactl keygen, read back by the independent side.
for name in ("log.key", "other.key", "witness.key", "w2.key", "w3.key"):
    subprocess.run([QUOTACTL, "keygen", os.path.join(WORK, name)], check=True, stdout=subprocess.DEVNULL)
log_key, other_key = ws.seed_of(os.path.join(WORK, "log.key")), ws.seed_of(os.path.join(WORK, "other.key"))
w1_pub = ws.raw_public(ws.seed_of(os.path.join(WORK, "witness.key")))
log_vkey = ws.vkey(ORIGIN, 0x01, ws.raw_public(log_key))

PORT = free_port()
conf = os.path.join(WORK, "witness.conf")
with open(conf, "w") as f:
    f.write("; quota-witness for the integration test\n[witness]\nname = %s\nkey_file = %s\ndata_dir = %s\n"
            "[listen]\ntcp = 127.0.0.1:%d\n[limits]\nconnections_max = 8\nconnections_per_peer_max = 6\nheader_timeout_ms = 800\n"
            "request_timeout_ms = 800\nidle_timeout_ms = 3000\nrequest_bytes_max = 16384\n"
            "[logs]\nlog = %s %s\n" % (WNAME, os.path.join(WORK, "witness.key"), os.path.join(WORK, "state"),
                                      PORT, ORIGIN, log_vkey))

proc = None


def start(env=None):
    global proc
    proc = subprocess.Popen([WITNESS, "--config", conf], stderr=open(os.path.join(WORK, "witness.log"), "a"),
                            env=env)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None:
                return False
            time.sleep(0.05)
    return False


def stop():
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def request(method, path, body=b"", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Content-Type"), data


def leaves(n, fork_at=None):
    return [ws.leaf_hash(("%s %d" % ("fork" if fork_at is not None and i >= fork_at else "leaf", i)).encode())
            for i in range(n)]


def signed(tree, key=log_key, origin=ORIGIN, name=ORIGIN):
    return ws.note_sign(ws.checkpoint_text(origin, len(tree), ws.mth(tree)), name, key)


def add(old, tree, note=None, proof=None):
    note = note or signed(tree)
    proof = ws.consistency_proof(old, tree) if proof is None else proof
    return request("POST", "/add-checkpoint", ws.add_checkpoint_body(old, proof, note)) + (note,)


# ---- the command line ----
r = subprocess.run([WITNESS, "--help"], capture_output=True, text=True)
check("--help exits 0 and lists the limits with their INI names",
      r.returncode == 0 and "--header-timeout-ms" in r.stdout and "header_timeout_ms" in r.stdout, r.stderr)
r = subprocess.run([WITNESS, "--config", os.path.join(SOURCE, "witness", "quota-witness.example.conf"), "--help"],
                   capture_output=True, text=True)
check("the example configuration parses", r.returncode == 0, r.stderr)
with open(os.path.join(WORK, "bad.conf"), "w") as f:
    f.write("[witness]\nname = w\n[limits]\nconnections_max = 0\n")
r = subprocess.run([WITNESS, "--config", os.path.join(WORK, "bad.conf")], capture_output=True, text=True)
check("a bad value: exit 1 naming the file's line and the option",
      r.returncode == 1 and "bad.conf:4" in r.stderr and "connections_max" in r.stderr, r.stderr)
r = subprocess.run([WITNESS, "--listen"], capture_output=True, text=True)
check("a usage error: exit 2", r.returncode == 2, r.stderr)

check("quota-witness starts", start(), open(os.path.join(WORK, "witness.log")).read())
out = subprocess.run([WITNESS, "--config", conf, "--verifier-key"], capture_output=True, text=True)
check("--verifier-key prints the cosigner key (0x04) an independent encoder computes",
      out.returncode == 0 and out.stdout.strip() == ws.vkey(WNAME, 0x04, w1_pub), out.stdout + out.stderr)

# ---- the protocol ----
t5 = leaves(5)
st, ctype, body, note5 = add(0, t5)
text5, _ = ws.note_split(note5)
ts = ws.cosig_verify(body.decode(), text5, WNAME, w1_pub) if st == 200 else None
check("200: the first checkpoint is cosigned (independent cosignature/v1 verifier)", ts is not None, (st, body))
check("the cosignature's timestamp is now", ts is not None and abs(ts - time.time()) < 30, ts)

t12 = leaves(12)
st, _, body, note12 = add(5, t12)
check("200: growth 5 -> 12 with an RFC 6962 consistency proof",
      st == 200 and ws.cosig_verify(body.decode(), ws.note_split(note12)[0], WNAME, w1_pub) is not None, (st, body))

st, ctype, body, _ = add(5, leaves(20))
check("409 with text/x.tlog.size and the witness's size for a stale old size",
      st == 409 and ctype == "text/x.tlog.size" and body == b"12\n", (st, ctype, body))
st, ctype, body, _ = add(0, leaves(20))
check("409 for old 0 once the log is known (how a client learns the size)", st == 409 and body == b"12\n", (st, body))

t20 = leaves(20)
bad = ws.consistency_proof(12, t20)
bad[0] = bytes([bad[0][0] ^ 1]) + bad[0][1:]
st, _, body, _ = add(12, t20, proof=bad)
check("422 for a consistency proof that does not verify", st == 422, (st, body))

fork = leaves(20, fork_at=8)
st, _, body, _ = add(12, fork)
check("422 for a fork (same origin and key, other entries from 8 on)", st == 422, (st, body))
st, ctype, body, _ = add(12, leaves(12, fork_at=8))
check("409 for the same size with another root", st == 409 and body == b"12\n", (st, body))

st, _, body, _ = add(0, t5, note=signed(t5, origin="unknown.example/log", name="unknown.example/log"))
check("404 for an unknown origin", st == 404, (st, body))
st, _, body, _ = add(12, t20, note=signed(t20, key=other_key))
check("403 for a checkpoint no trusted key signed", st == 403, (st, body))
st, _, body, _ = add(30, t20, proof=[])
check("400 for an old size above the checkpoint's", st == 400, (st, body))
for label, raw in [("no blank line", b"old 12\n" + note12.encode()), ("bad old line", b"old 012\n\n" + note12.encode()),
                   ("proof line not base64", b"old 5\n!!!!\n\n" + note12.encode()), ("empty body", b""),
                   ("a note without signature", ("old 12\n\n" + ws.checkpoint_text(ORIGIN, 12, ws.mth(t12)) + "\n").encode())]:
    st, _, body, _ = request("POST", "/add-checkpoint", raw) + (None,)
    check("400 for a malformed body: " + label, st == 400, (st, body))

st, _, body, _ = request("GET", "/add-checkpoint") + (None,)
check("405 for GET /add-checkpoint", st == 405, st)
hexorigin = hashlib.sha256(ORIGIN.encode()).hexdigest()
st, ctype, body = request("GET", "/%s/checkpoint" % hexorigin)
text12, lines = ws.note_split(body.decode()) if st == 200 else ("", [])
check("GET /<hex sha256(origin)>/checkpoint: the latest cosigned checkpoint (12), cosignature verifies",
      st == 200 and text12 == ws.note_split(note12)[0] and
      any(ws.cosig_verify(l + "\n", text12, WNAME, w1_pub) for l in lines), (st, body))
check("it carries the log's own signature line", any(l.startswith(ws.EM_DASH + " " + ORIGIN + " ") for l in lines), lines)
st, _, _ = request("GET", "/%s/checkpoint" % hashlib.sha256(b"nobody").hexdigest())
check("404 for the checkpoint of an origin never cosigned", st == 404, st)


# ---- hostile input ----
def raw_exchange(data, wait=3.0, pieces=None, pause=0.0):
    s = socket.create_connection(("127.0.0.1", PORT), timeout=wait)
    got = b""
    try:
        for p in (pieces or [data]):
            s.sendall(p)
            if pause:
                time.sleep(pause)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        pass
    s.close()
    return got


big = b"old 0\n\n" + b"A" * 20000
got = raw_exchange(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
check("413 and a closed connection for a body over request_bytes_max", got.startswith(b"HTTP/1.1 413"), got[:80])
got = raw_exchange(b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   b"".join(b"1000\r\n" + b"B" * 4096 + b"\r\n" for _ in range(5)) + b"0\r\n\r\n")
check("413 for a chunked body that grows past request_bytes_max", got.startswith(b"HTTP/1.1 413"), got[:80])
t0 = time.monotonic()
got = raw_exchange(None, wait=5, pieces=[b"POST /add-checkpoint HTTP/1.1\r\n", b"Host: x\r\n", b"X-Slow: 1\r\n"], pause=0.2)
elapsed = time.monotonic() - t0
check("slowloris: headers not done within header_timeout_ms -> 408 and closed, in bounded time",
      got.startswith(b"HTTP/1.1 408") and elapsed < 4, (elapsed, got[:80]))
got = raw_exchange(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
check("garbage (a TLS hello) -> 400 and closed", got.startswith(b"HTTP/1.1 400"), got[:80])
got = raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"p" * 9000 + b"\r\n\r\n")
check("431 for headers over header_bytes_max", got.startswith(b"HTTP/1.1 431"), got[:80])
got = raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
check("pipelined requests on one connection are answered in order", got.count(b"HTTP/1.1 200") == 2, got[:200])

def served(sources):
    """Opens one connection from each source address at once; how many are answered."""
    socks = []
    for src in sources:
        s = socket.socket()
        s.bind((src, 0))
        s.connect(("127.0.0.1", PORT))
        socks.append(s)
    time.sleep(0.3)
    n = 0
    for s in socks:
        try:
            s.settimeout(1)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if s.recv(100).startswith(b"HTTP/1.1 200"):
                n += 1
        except OSError:
            pass
        s.close()
    time.sleep(0.3)
    return n


n = served(["127.0.0.1"] * 10)
check("one peer address holds at most connections_per_peer_max (6) connections", n == 6, n)
n = served(["127.0.0.1"] * 6 + ["127.0.0.2"] * 6)
check("all peers together hold at most connections_max (8); the rest are closed at once", n == 8, n)
time.sleep(0.3)
st, _, _ = request("GET", "/healthz")
check("the witness still answers after the hostile round", st == 200, st)

# ---- restart keeps the state ----
check("SIGTERM: a clean exit 0", stop() == 0)
notify_path = os.path.join(WORK, "notify.sock")
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(notify_path)
notify.settimeout(5)
check("quota-witness starts again on the same state", start(dict(os.environ, NOTIFY_SOCKET=notify_path)))
try:
    got = notify.recv(256)
except socket.timeout:
    got = b""
check("it tells systemd READY=1 once listening ($NOTIFY_SOCKET)", got == b"READY=1", got)
notify.close()
st, ctype, body, _ = add(0, t20)
check("after the restart the witness still knows size 12 (409 \"12\")", st == 409 and body == b"12\n", (st, body))
st, _, body, note20 = add(12, t20)
check("and cosigns the honest growth 12 -> 20", st == 200, (st, body))

# ---- two processes on one state: the old-size check and the update are atomic ----
PORT2 = free_port()
conf2 = os.path.join(WORK, "witness2.conf")
with open(conf2, "w") as f:
    f.write(open(conf).read().replace("127.0.0.1:%d" % PORT, "127.0.0.1:%d" % PORT2))
proc2 = subprocess.Popen([WITNESS, "--config", conf2], stderr=open(os.path.join(WORK, "witness2.log"), "a"))
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", PORT2), timeout=1).close()
        break
    except OSError:
        time.sleep(0.05)


def post_to(port, old, tree, out, i):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/add-checkpoint", ws.add_checkpoint_body(old, ws.consistency_proof(old, tree), signed(tree)))
    r = c.getresponse()
    out[i] = (r.status, r.read())
    c.close()


import threading  # noqa: E402
size, races_ok = 20, True
for _ in range(10):
    out = [None, None]
    a, b = leaves(size + 1), leaves(size + 2)
    ths = [threading.Thread(target=post_to, args=(PORT, size, a, out, 0)),
           threading.Thread(target=post_to, args=(PORT2, size, b, out, 1))]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    statuses = sorted(o[0] for o in out)
    winner = size + 1 if out[0][0] == 200 else size + 2
    loser_body = out[1][1] if out[0][0] == 200 else out[0][1]
    if statuses != [200, 409] or loser_body != b"%d\n" % winner:
        races_ok = False
        print("       race from %d: %r" % (size, out))
        break
    size = winner
check("racing requests from one old size to two witness processes on one state: one 200, one 409 "
      "naming the winner's size (10 rounds)", races_ok)
proc2.send_signal(signal.SIGTERM)
proc2.wait(timeout=10)
st, _, body = request("GET", "/%s/checkpoint" % hexorigin)
check("the state holds the last winner", st == 200 and body.decode().split("\n")[1] == str(size), body[:80])
t20 = leaves(size)
st, _, body, note20 = add(size, t20)

# ---- quotactl checkpoint --verify --policy, over cosignatures of an independent signer ----
w2, w3 = ws.seed_of(os.path.join(WORK, "w2.key")), ws.seed_of(os.path.join(WORK, "w3.key"))
text20, _ = ws.note_split(note20)
now = int(time.time())
line1 = body.decode()
line2 = ws.cosign(text20, "w2.test.example", w2, now)
line3 = ws.cosign(text20, "w3.test.example", w3, now)
policy = os.path.join(WORK, "policy")
with open(policy, "w") as f:
    f.write("log %s\nwitness W1 %s http://127.0.0.1:%d\nwitness W2 %s\nwitness W3 %s\ngroup G 2 W1 W2 W3\nquorum G\n" % (
        log_vkey, ws.vkey(WNAME, 0x04, w1_pub), PORT, ws.vkey("w2.test.example", 0x04, ws.raw_public(w2)),
        ws.vkey("w3.test.example", 0x04, ws.raw_public(w3))))


def verify_file(content, pol=policy):
    path = os.path.join(WORK, "cp.txt")
    with open(path, "w") as f:
        f.write(content)
    return subprocess.run([QUOTACTL, "checkpoint", "--verify", "--policy", pol, "--file", path],
                          capture_output=True, text=True)


r = verify_file(note20 + line2 + line3)
check("quotactl verifies a 2-of-3 quorum of cosignatures made by the independent signer",
      r.returncode == 0, r.stdout + r.stderr)
r = verify_file(note20 + line1 + line3)
check("and one made by quota-witness beside one of the independent signer", r.returncode == 0, r.stdout + r.stderr)
r = verify_file(note20 + line3)
check("one cosignature of three: no quorum, exit 4", r.returncode == 4 and "quorum" in r.stderr, r.stdout + r.stderr)
r = verify_file(note20 + ws.cosign(text20.replace("\n%d\n" % size, "\n%d\n" % (size + 1)), "w2.test.example", w2, now) + line3)
check("a cosignature over another checkpoint does not count (exit 4)", r.returncode == 4, r.stdout + r.stderr)
r = verify_file(note20.replace("%s\n%d\n" % (ORIGIN, size), "%s\n%d\n" % (ORIGIN, size + 1)) + line2 + line3)
check("a changed checkpoint: the log signature fails (exit 4)", r.returncode == 4, r.stdout + r.stderr)
weak = os.path.join(WORK, "weak-policy")
with open(weak, "w") as f:
    f.write(open(policy).read().replace("group G 2 ", "group G any "))
r = verify_file(note20 + line3, weak)
check("a 1-of-3 policy verifies but warns that it is not a majority",
      r.returncode == 0 and "more than half" in r.stderr, r.stdout + r.stderr)
with open(os.path.join(WORK, "broken-policy"), "w") as f:
    f.write("witness W1 %s\ngroup G 2 W1 W9\nquorum G\n" % ws.vkey(WNAME, 0x04, w1_pub))
r = verify_file(note20 + line2 + line3, os.path.join(WORK, "broken-policy"))
check("a broken policy: exit 2 naming its line", r.returncode == 2 and ":2:" in r.stderr, r.stdout + r.stderr)

stop()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
