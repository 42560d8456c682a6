# load_deaf.py: 200 connections that pipeline large public answers and never read, while 50
# well-behaved clients go on reading and writing. Each well-behaved request must be answered
# within REQUEST_TIMEOUT_S (latency is reported, not asserted), and quotad's RssAnon must stay
# under RSS_GROWTH_MAX_MIB above its level before the load. Usage: python3 load_deaf.py BUILD TMP
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib
from qlib import move

build, tmp = sys.argv[1], sys.argv[2]
check = qlib.Checks()
DEAF, GOOD = 200, 50
SECONDS = float(os.environ.get("LOAD_DEAF_SECONDS", "20"))
REQUEST_TIMEOUT_S = 15.0
CONN_OUTPUT_BYTES_MAX = 256 << 10
# The bound: each deaf connection may make quotad hold conn_output_bytes_max (256 KiB) plus the
# answer that crossed it (one 211 KiB page): 200 x 467 KiB = 91 MiB; the answer cache holds at
# most 32 MiB; the rest is headroom for the well-behaved clients and the allocator (ASan build,
# quarantine held at 16 MiB so RSS shows live memory).
RSS_GROWTH_MAX_MIB = 192
BIG = "/v1/compliance/2025?limit=1000"

w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"),
                env={"ASAN_OPTIONS": "detect_leaks=0:quarantine_size_mb=16"},
                extra=["--tx-per-request-max", "1000", "--connections-max", "1000",
                       "--connections-per-peer-max", "1000", "--conn-output-bytes-max", str(CONN_OUTPUT_BYTES_MAX)])
q.start()
qlib.setup_world(q, w, enterprises=(101, 102, 103, 104, 105))
ids = qlib.compliance_world(q, w, 1000)
page = q.request("GET", BIG)[1]
print("     a deaf request's answer: %d KiB" % (len(page) // 1024))


def rss_anon_kib():
    with open("/proc/%d/status" % q.proc.pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


stop = threading.Event()
rss = {"base": rss_anon_kib(), "peak": 0}


def sample():
    while not stop.is_set():
        rss["peak"] = max(rss["peak"], rss_anon_kib())
        time.sleep(0.05)


deaf = []
for _ in range(DEAF):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", q.port))
    s.setblocking(False)
    try:  # what the socket takes now; quotad stops reading once it holds enough for this one
        s.send(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % BIG).encode() * 50)
    except BlockingIOError:
        pass
    deaf.append(s)

lat, errors, lock = [], [], threading.Lock()


def client(n):
    rng = random.Random(n)
    me = 101 + n % 5
    rep = w.rep(me)
    conn = q.conn(timeout=REQUEST_TIMEOUT_S)
    while not stop.is_set():
        kind = rng.randrange(4)
        t0 = time.time()
        try:
            if kind == 0:
                conn.request("GET", "/healthz")
            elif kind == 1:
                conn.request("GET", "/v1/compliance/2025?limit=100&after=%d" % rng.choice(ids))
            elif kind == 2:
                target = "/v1/accounts/%d/balances" % me
                conn.request("GET", target, headers=q.read_headers(rep, "GET", target))
            else:
                env = q.envelope(move("transfer", **{"from": me, "to": 101 + (n + 1) % 5, "instrument": "CEA-2025",
                                                     "amount": 1}), rep)
                conn.request("POST", "/v1/tx", body=qlib.json.dumps(env).encode(),
                             headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            ok = r.status == 200
        except OSError as e:
            ok, r = False, e
            conn.close()
            conn = q.conn(timeout=REQUEST_TIMEOUT_S)
        d = time.time() - t0
        with lock:
            lat.append(d)
            if not ok:
                errors.append("%s: %s" % (("healthz", "compliance", "balances", "transfer")[kind], getattr(r, "status", r)))
    conn.close()


threads = [threading.Thread(target=sample)] + [threading.Thread(target=client, args=(i,)) for i in range(GOOD)]
size0 = q.tree_size()
for t in threads:
    t.start()
time.sleep(SECONDS)
stop.set()
for t in threads:
    t.join()
alive = q.proc.poll() is None
growth = (rss["peak"] - rss["base"]) / 1024
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else -1
print("     %d deaf connections (50 x %s each, 4 KiB receive window) and %d clients for %.0f s:" % (DEAF, BIG, GOOD, SECONDS))
print("     %d requests answered, latency p50 %.3f s, p99 %.3f s, max %.3f s; %d errors" %
      (len(lat), pct(0.5), pct(0.99), lat[-1] if lat else -1, len(errors)))
print("     RssAnon %.1f MiB before, peak %.1f MiB (+%.1f MiB; bound +%d MiB)" %
      (rss["base"] / 1024, rss["peak"] / 1024, growth, RSS_GROWTH_MAX_MIB))
check("quotad survived", alive)
check("every well-behaved request was answered 200 within %.0f s" % REQUEST_TIMEOUT_S, not errors and len(lat) > GOOD,
      "; ".join(errors[:5]))
check("the well-behaved clients kept being served (%d requests)" % len(lat), len(lat) >= GOOD * 5)
check("RssAnon grew less than %d MiB (%.1f)" % (RSS_GROWTH_MAX_MIB, growth), growth < RSS_GROWTH_MAX_MIB)
check("transfers went through meanwhile", q.tree_size() > size0)
for s in deaf:
    s.close()
time.sleep(0.5)
check("after the load quotad answers /healthz", q.request("GET", "/healthz")[0] == 200)
check("and stops cleanly", q.stop() == 0)
check.finish()
