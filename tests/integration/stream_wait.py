# stream_wait.py: GET /v1/stream with wait_ms against a real quotad. With nothing new after from,
# the request waits until a batch is committed (and then answers with it) or until wait_ms passed
# (then answers with no entries); other connections are served meanwhile; wait_ms above 1000 is
# refused; at most 8 wait at once; a server that stops answers a waiting request at once and exits.
# Usage: python3 stream_wait.py BUILD_DIR TMP_DIR
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib

build, tmp = sys.argv[1], sys.argv[2]
w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"))
q.start()
qlib.setup_world(q, w)
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok   - " if ok else "FAIL - ") + name + ("" if ok else " " + str(detail)))
    failed += 0 if ok else 1


def stream(frm, wait_ms, out):
    t0 = time.time()
    st, j = q.read_as(w.op, "/v1/stream?from=%d&wait_ms=%d" % (frm, wait_ms))
    out.update(status=st, body=j, seconds=time.time() - t0)


size = q.tree_size()
got = {}
stream(size, 800, got)
check("nothing new: the request waits out wait_ms (800 ms) and answers no entries",
      got["status"] == 200 and got["body"]["entries"] == [] and got["body"]["end"] == size
      and got["seconds"] >= 0.75, got)

# a commit during the wait: the waiting request answers with the new entry
got = {}
t = threading.Thread(target=stream, args=(size, 1000, got))
t.start()
time.sleep(0.3)
st, h = q.jrequest("GET", "/healthz")
check("another connection is served while the stream waits", st == 200 and h.get("tree_size") == size, h)
qlib.must_ok(q, qlib.acct_tx(5101, "participant", 0, "none", "", "waiter"), w.op)
t.join(10)
check("a batch committed during the wait: the stream answers with its entry",
      got.get("status") == 200 and [e["index"] for e in got["body"]["entries"]] == [size], got)

st, j = q.read_as(w.op, "/v1/stream?from=%d&wait_ms=1001" % (size + 1))
check("wait_ms above 1000 is refused (bad_argument)", st == 400 and j.get("error", {}).get("code") == "bad_argument", (st, j))
size_now = q.tree_size()
st, j = q.read_as(w.op, "/v1/stream?from=%d&pending=2" % size_now)
check("pending other than 0 or 1 is refused (bad_argument)", st == 400 and j.get("error", {}).get("code") == "bad_argument", (st, j))
st, j = q.read_as(w.op, "/v1/stream?from=%d&pending=1" % (size_now + 5))
check("from past the tree (nothing pending) is refused (bad_argument), naming the size",
      st == 400 and j.get("error", {}).get("code") == "bad_argument" and str(size_now) in j["error"].get("message", ""), (st, j))
check("refused stream requests left the ledger unchanged", q.tree_size() == size_now)

# at most 8 stream requests wait at once (each is handled again at every commit): a ninth answers
# at once, while the eight still wait
size = q.tree_size()
waiting = [{} for _ in range(8)]
threads = [threading.Thread(target=stream, args=(size, 1000, g)) for g in waiting]
for th in threads:
    th.start()
time.sleep(0.3)
ninth = {}
stream(size, 1000, ninth)
for th in threads:
    th.join(10)
check("a ninth waiting stream request is answered at once (no entries), the eight waited",
      ninth["status"] == 200 and ninth["body"]["entries"] == [] and ninth["seconds"] < 0.5
      and all(g.get("status") == 200 and g["seconds"] >= 0.95 for g in waiting),
      (ninth, [round(g.get("seconds", 0), 2) for g in waiting]))

# a server that stops does not keep a waiting request
got = {}
t = threading.Thread(target=stream, args=(q.tree_size(), 1000, got))
t.start()
time.sleep(0.3)
t0 = time.time()
rc = q.stop()
t.join(10)
check("stopping: the waiting request is answered (no entries) and quotad exits 0",
      rc == 0 and got.get("status") == 200 and got["body"]["entries"] == [], (rc, got))
print("#      quotad stopped %.2f s after SIGTERM" % (time.time() - t0))
sys.exit(1 if failed else 0)
