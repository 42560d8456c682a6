# mirror.py: `quotactl mirror --from URL DIR` end to end against real quotad processes and static
# copies: a first mirror, an interrupted run (a tile missing at the source) that leaves the old
# checkpoint and resumes, a tampered tile refused with nothing unverified kept, a mirror served by
# a static server that the monitor and a second mirror read, a fork refused, the wrong key refused.
# Usage: python3 mirror.py BUILD_DIR TMP_DIR
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib

build, tmp = sys.argv[1], sys.argv[2]
QUOTACTL = os.path.join(build, "tools", "quotactl")
AUDIT = os.path.join(build, "tools", "quota-audit")
for b in ("daemon/quotad", "tools/quotactl", "tools/quota-audit"):
    if not os.access(os.path.join(build, b), os.X_OK):
        qlib.fail("%s is not built" % b)
        sys.exit(1)
check = qlib.Checks()
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
M = os.path.join(tmp, "mirror")


def mirror(url, vkey, dest=M, read_key=None):
    glob = ["--read-key", read_key] if read_key else []
    r = subprocess.run([QUOTACTL] + glob + ["mirror", "--from", url, "--verifier-key", vkey, dest], env=env,
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def read(path):
    with open(path, "rb") as f:
        return f.read()


def tile_paths(size):
    out = []
    for lvl in range(8):
        nodes = size >> (8 * lvl)
        if not nodes:
            break
        for n in range((nodes + 255) // 256):
            w = min(256, nodes - 256 * n)
            out.append("tile/%d/%03d" % (lvl, n) + (".p/%d" % w if w < 256 else ""))
    return out


def site_copy(q, dest):
    """A static copy of what quotad serves under /log (its current checkpoint and tiles)."""
    st, note = q.request("GET", "/log/checkpoint")
    size = int(note.split(b"\n")[1])
    for p in tile_paths(size):
        st, body = q.request("GET", "/log/" + p)
        os.makedirs(os.path.dirname(os.path.join(dest, p)), exist_ok=True)
        with open(os.path.join(dest, p), "wb") as f:
            f.write(body)
    with open(os.path.join(dest, "checkpoint"), "wb") as f:
        f.write(note)
    return size


def serve(directory):
    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=directory, **kw)

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, "http://127.0.0.1:%d" % srv.server_address[1]


def accounts(q, w, first, n):
    for s in range(first, first + n, 200):
        qlib.submit_all(q, [q.envelope(qlib.acct_tx(a, "participant", 0, "none", "", "Firm %d" % a), w.op)
                            for a in range(s, min(first + n, s + 200))])


w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data-a"), os.path.join(tmp, "log.key"))
q.start()
servers = []
try:
    qlib.setup_world(q, w)
    vkey = q.jrequest("GET", "/v1/log")[1]["verifier_key"]
    url = "http://127.0.0.1:%d/log" % q.port
    rc, out = mirror(url, vkey)
    cp = q.request("GET", "/log/checkpoint")[1]
    check("a first mirror", rc == 0 and read(os.path.join(M, "checkpoint")) == cp and "checkpoint written" in out, out)
    same = all(read(os.path.join(M, p)) == q.request("GET", "/log/" + p)[1] for p in tile_paths(q.tree_size()))
    check("the mirror's tiles are the log's", same)
    check("entry bundles are skipped, and why, without a read key on a log that is not public",
          "entry bundles skipped: the log is not public" in out and not os.path.exists(os.path.join(M, "tile/entries")), out)
    aud_key = os.path.join(tmp, "auditor.key")
    w.aud.write_seed(aud_key)
    rep_key = os.path.join(tmp, "rep.key")
    w.rep(101).write_seed(rep_key)
    rc, out = mirror(url, vkey, os.path.join(tmp, "mirror-rep"), rep_key)
    check("a representative's read key may not read entry bundles: skipped, and why",
          rc == 0 and "entry bundles skipped: the read key may not read entries" in out, out)
    ME = os.path.join(tmp, "mirror-entries")
    rc, out = mirror(url, vkey, ME, aud_key)
    nb = (q.tree_size() + 255) // 256
    check("with an auditor's read key the entry bundles are copied and checked",
          rc == 0 and "entry bundles: %d fetched" % nb in out, out)
    bundles = [p.replace("tile/0/", "tile/entries/") for p in tile_paths(q.tree_size()) if p.startswith("tile/0/")]
    same = all(read(os.path.join(ME, p)) == q.request("GET", "/log/" + p, headers=q.read_headers(w.aud, "GET", "/log/" + p))[1]
               for p in bundles)
    check("the mirror's entry bundles are the log's", same and len(bundles) == nb)
    site_e = os.path.join(tmp, "site-entries")
    shutil.copytree(ME, site_e)
    b = bytearray(read(os.path.join(site_e, bundles[-1])))
    b[-1] ^= 1
    with open(os.path.join(site_e, bundles[-1]), "wb") as f:
        f.write(b)
    srv_e, surl_e = serve(site_e)
    servers.append(srv_e)
    rc, out = mirror(surl_e, vkey, os.path.join(tmp, "mirror-tampered"))
    check("a tampered entry bundle is refused (exit 4)", rc == 4 and "tampered entries" in out
          and not os.path.exists(os.path.join(tmp, "mirror-tampered", "checkpoint")), out)

    accounts(q, w, 3000, 600)
    site = os.path.join(tmp, "site1")
    size1 = site_copy(q, site)
    os.rename(os.path.join(site, "tile/0/001"), os.path.join(tmp, "held"))
    srv, surl = serve(site)
    servers.append(srv)
    rc, out = mirror(surl, vkey)
    check("an interrupted run stops with exit 3 and says it resumes", rc == 3 and "resume" in out, out)
    check("the mirror still holds its old checkpoint", read(os.path.join(M, "checkpoint")) == cp)
    check("nothing unverified is served from the mirror", not os.path.exists(os.path.join(M, "tile/0/000")))
    os.rename(os.path.join(tmp, "held"), os.path.join(site, "tile/0/001"))
    rc, out = mirror(surl, vkey)
    check("the rerun resumes (tiles reused) and completes", rc == 0 and "size %d" % size1 not in out and " 0 reused" not in out
          and read(os.path.join(M, "checkpoint")) == read(os.path.join(site, "checkpoint")), out)
    check("no .incoming left behind", not os.path.exists(os.path.join(M, ".incoming")))
    check("a static copy without bundles: skipped, and why", "the source serves no entry bundles" in out, out)

    accounts(q, w, 4000, 300)
    site2 = os.path.join(tmp, "site2")
    site_copy(q, site2)
    t = bytearray(read(os.path.join(site2, "tile/0/002")))
    t[100] ^= 1
    with open(os.path.join(site2, "tile/0/002"), "wb") as f:
        f.write(t)
    srv2, surl2 = serve(site2)
    servers.append(srv2)
    before = read(os.path.join(M, "checkpoint"))
    rc, out = mirror(surl2, vkey)
    check("a tampered tile is refused (exit 4)", rc == 4 and "does not" in out, out)
    check("after a refusal the checkpoint is unchanged and nothing is kept",
          read(os.path.join(M, "checkpoint")) == before and not os.path.exists(os.path.join(M, ".incoming")))
    rc, out = mirror(url, vkey)
    check("the mirror follows the log", rc == 0 and read(os.path.join(M, "checkpoint")) == q.request("GET", "/log/checkpoint")[1], out)
    rc, out = mirror(url, vkey)
    check("a rerun with nothing new is up to date", rc == 0 and "up to date" in out, out)

    other = qlib.Key("other")
    import base64
    oid = hashlib.sha256(qlib.ORIGIN.encode() + b"\n\x01" + other.pub).digest()[:4]
    rc, out = mirror(url, "%s+%s+%s" % (qlib.ORIGIN, oid.hex(), base64.b64encode(b"\x01" + other.pub).decode()))
    check("another log key is refused", rc == 4, out)

    msrv, murl = serve(M)
    servers.append(msrv)
    r = subprocess.run([AUDIT, "--monitor", murl, "--state", os.path.join(tmp, "state"), "--verifier-key", vkey],
                       env=env, capture_output=True, text=True)
    check("the monitor reads the mirror from a static server", r.returncode == 0, r.stdout + r.stderr)
    rc, out = mirror(murl, vkey, os.path.join(tmp, "mirror2"))
    check("a mirror of the mirror", rc == 0 and read(os.path.join(tmp, "mirror2", "checkpoint")) == read(os.path.join(M, "checkpoint")), out)
    size_a = q.tree_size()
finally:
    q.stop()

q = qlib.Quotad(build, tmp, os.path.join(tmp, "data-b"), os.path.join(tmp, "log.key"))
q.start()
try:
    qlib.setup_world(q, w)
    accounts(q, w, 7000, size_a + 10 - q.tree_size())
    before = read(os.path.join(M, "checkpoint"))
    rc, out = mirror("http://127.0.0.1:%d/log" % q.port, vkey)
    check("a fork (same key, other entries) is refused", rc == 4 and "fork" in out and read(os.path.join(M, "checkpoint")) == before, out)
finally:
    q.stop()
    for s in servers:
        s.shutdown()
check.finish()
