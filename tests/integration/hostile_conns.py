# hostile_conns.py: clients that attack quotad's connections rather than its data: a reset while
# answers are being written (SIGPIPE), pipelined large answers never read (unsent bytes), silent
# sockets holding every slot (header timeout), and one address taking every slot (per-peer
# limit, with a trusted proxy's forwarded address). Usage: python3 hostile_conns.py BUILD TMP
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib

build, tmp = sys.argv[1], sys.argv[2]
check = qlib.Checks()
ENTERPRISES = int(os.environ.get("HOSTILE_CONNS_ENTERPRISES", "1000"))
# Bounds this test asserts (ASan build, quarantine held at 16 MiB so RSS shows live memory):
# one or two connections that never read may make quotad hold at most conn_output_bytes_max
# (1 MiB, the default) and one answer each, far below this.
RSS_GROWTH_MAX_MIB = 64
HEALTHZ_WITHIN_S = 2.0
ASAN = {"ASAN_OPTIONS": "detect_leaks=0:quarantine_size_mb=16"}


def rss_anon_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


def healthz_s(q, timeout=10):
    t = time.time()
    try:
        st, _ = q.request("GET", "/healthz", timeout=timeout)
    except OSError:
        return None
    return time.time() - t if st == 200 else None


def deaf_socket(port, rcvbuf=4096):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window
    s.connect(("127.0.0.1", port))
    return s


def pipeline(s, path, n):
    """Sends n GETs of path in the background (quotad may stop reading: the send then blocks)."""
    req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode() * n
    def run():
        try:
            s.sendall(req)
        except OSError:
            pass
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
    s.close()


# ---- a registry with ENTERPRISES enterprises with verified emissions: large compliance pages ----
w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"), env=ASAN,
                extra=["--tx-per-request-max", "1000", "--connections-per-peer-max", "1000"])
q.start()
qlib.setup_world(q, w)
qlib.compliance_world(q, w, ENTERPRISES)
BIG = "/v1/compliance/2025?limit=1000"
st, page = q.request("GET", BIG)
check("a compliance page of 1,000 enterprises is large (%d KiB)" % (len(page) // 1024),
      st == 200 and len(page) > 150 * 1024)

# ---- 1. a reset while answers are written costs that connection, never the process ----------
# Here conn_output_bytes_max is far above the 40 answers (8 MiB, more than the socket takes), so
# quotad keeps reading: it reads the reset (ECONNRESET), then writes what it still holds (EPIPE,
# and without SIGPIPE ignored, the signal that ends the process).
q.stop()
q.extra += ["--conn-output-bytes-max", str(64 << 20)]
q.start()
RESET_AFTER_S = (0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.02, 0.02)
for delay in RESET_AFTER_S:
    s = deaf_socket(q.port)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % BIG).encode() * 200)
    time.sleep(delay)  # quotad is now reading, answering and writing what the client does not take
    reset(s)
    time.sleep(0.3)
    if q.proc.poll() is not None:
        break
alive = q.proc.poll() is None
check("%d resets (SO_LINGER 0) while answers are written: quotad survives" % len(RESET_AFTER_S),
      alive, "exit status %s" % (q.proc.returncode if not alive else None))
if not alive:
    check.finish()
check("and answers /healthz", healthz_s(q) is not None)
q.stop()
q.extra = q.extra[:-2]  # back to the default conn_output_bytes_max (1 MiB)
q.start()


# ---- 2. pipelined large answers never read: memory bounded, /healthz prompt ------------------
def deaf_run(conns, seconds):
    base = rss_anon_kib(q.proc.pid)
    socks = [deaf_socket(q.port) for _ in range(conns)]
    for s in socks:
        pipeline(s, BIG, 1000)
    peak, slow, worst, t_end = base, 0, 0.0, time.time() + seconds
    next_probe = 0.0
    while time.time() < t_end:
        peak = max(peak, rss_anon_kib(q.proc.pid))
        if time.time() >= next_probe:
            d = healthz_s(q, timeout=HEALTHZ_WITHIN_S * 5)
            if d is None or d > HEALTHZ_WITHIN_S:
                slow += 1
            worst = max(worst, d if d is not None else 99.0)
            next_probe = time.time() + 0.2
        time.sleep(0.05)
    for s in socks:
        reset(s)
    return base, peak, slow, worst


for conns in (1, 2):
    base, peak, slow, worst = deaf_run(conns, 6)
    growth = (peak - base) / 1024
    print("     %d connection(s) x 1,000 pipelined %s, 4 KiB receive window, never read: RssAnon %.1f -> %.1f MiB, "
          "/healthz worst %.3f s" % (conns, BIG, base / 1024, peak / 1024, worst))
    check("%d never-reading connection(s): RssAnon grows less than %d MiB (%.1f)" % (conns, RSS_GROWTH_MAX_MIB, growth),
          growth < RSS_GROWTH_MAX_MIB)
    check("%d never-reading connection(s): /healthz answered within %.0f s every time" % (conns, HEALTHZ_WITHIN_S),
          slow == 0, "worst %.3f s" % worst)
check("quotad still serves after them", healthz_s(q) is not None and q.proc.poll() is None)
q.stop()


# ---- 3. silent sockets do not hold the slots for long (header_timeout_ms) --------------------
q3 = qlib.Quotad(build, tmp, os.path.join(tmp, "data3"), os.path.join(tmp, "log.key"), env=ASAN,
                 extra=["--connections-max", "50", "--header-timeout-ms", "1000",
                        "--connections-per-peer-max", "100", "--idle-timeout-ms", "60000"])
q3.start()
time.sleep(0.5)  # start()'s own probe connections are gone, so all 50 slots are free
silent = [socket.create_connection(("127.0.0.1", q3.port)) for _ in range(50)]
time.sleep(0.2)
st, body = q3.request("GET", "/healthz")
check("50 silent sockets fill connections_max 50: /healthz is refused 503 busy at first",
      st == 503 and b"busy" in body, "%s %s" % (st, body[:100]))
t0 = time.time()
back = None
while time.time() - t0 < 10:
    try:
        if q3.request("GET", "/healthz", timeout=2)[0] == 200:
            back = time.time() - t0
            break
    except OSError:
        pass
    time.sleep(0.05)
print("     /healthz answered again %.2f s after 50 silent sockets took every slot" % (back or -1))
check("and answers 200 within 3 s (header_timeout_ms 1000)", back is not None and back < 3.0)
closed = 0
for s in silent:
    s.settimeout(0.5)
    try:
        closed += s.recv(1) == b""
    except OSError:
        closed += 1
check("every silent socket was closed by quotad", closed == 50, "%d of 50" % closed)
half = socket.create_connection(("127.0.0.1", q3.port))
half.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # a header that never ends
half.settimeout(4)
try:
    got = half.recv(100)
except OSError:
    got = b""
check("a header that never completes: closed after header_timeout_ms", got == b"")
q3.stop()


# ---- 4. one address holds at most connections_per_peer_max; a trusted proxy forwards peers ---
q4 = qlib.Quotad(build, tmp, os.path.join(tmp, "data4"), os.path.join(tmp, "log.key"), env=ASAN,
                 extra=["--connections-per-peer-max", "3", "--trusted-proxies", "127.0.0.3"])
q4.start()


def held(src, n, forwarded=None):
    out = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", q4.port), source_address=(src, 0))
        s.settimeout(5)
        xff = "X-Forwarded-For: %s\r\n" % forwarded if forwarded else ""
        s.sendall(("GET /healthz HTTP/1.1\r\nHost: x\r\n%s\r\n" % xff).encode())
        data = b""
        while len(data) < 12:
            b = s.recv(4096)
            if not b:
                break
            data += b
        out.append((s, data[:12].decode(errors="replace")))
    return out


first = held("127.0.0.1", 3)
check("three connections from one address are served", all(st == "HTTP/1.1 200" for _, st in first))
extra = held("127.0.0.1", 1)
check("the fourth from that address: 503 busy (connections_per_peer_max 3)", extra[0][1] == "HTTP/1.1 503")
other = held("127.0.0.2", 1)
check("another address is served meanwhile", other[0][1] == "HTTP/1.1 200")
proxied = held("127.0.0.3", 3, forwarded="198.51.100.7, 10.0.0.1")
check("a trusted proxy: three connections forwarded for one client are served",
      all(st == "HTTP/1.1 200" for _, st in proxied))
more = held("127.0.0.3", 1, forwarded="10.0.0.1")
check("a fourth forwarded for that client (its last hop): 503 busy", more[0][1] == "HTTP/1.1 503")
another = held("127.0.0.3", 1, forwarded="10.0.0.2")
check("the proxy itself is not limited: another forwarded client is served", another[0][1] == "HTTP/1.1 200")
spoof = held("127.0.0.2", 3, forwarded="10.0.0.9")
check("X-Forwarded-For from an untrusted address is ignored (its own address counts)",
      [st for _, st in spoof] == ["HTTP/1.1 200", "HTTP/1.1 200", "HTTP/1.1 503"])
for s, _ in first + extra + other + proxied + more + another + spoof:
    s.close()
time.sleep(0.3)
again = held("127.0.0.1", 3)
check("closed connections give their slots back", all(st == "HTTP/1.1 200" for _, st in again))
for s, _ in again:
    s.close()
check("quotad stops cleanly", q4.stop() == 0)
log = open(os.path.join(tmp, "quotad.log"), errors="replace").read()
check("no ASan/UBSan report in the log", "ERROR: AddressSanitizer" not in log and "runtime error:" not in log)
check.finish()
