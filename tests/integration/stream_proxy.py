# stream_proxy.py: a proxy in front of a primary that changes entry 5 in its GET /v1/stream
# answers, for test_standby.sh. Every other request and answer passes as it is.
#   leaf: flips the last byte of entry 5's leaf; the root stays the primary's (the standby's root
#         check refuses the page before anything is appended)
#   time: takes 1 ms off entry 5's commit time (no signature covers it; still after entry 4's)
#         and serves the root recomputed over the changed leaves: every signature verifies and
#         every rule accepts it, only the primary's signed checkpoint tells the trees apart
#   root: flips the last byte of entry 5's last signature and serves the root recomputed over the
#         changed leaves (RFC 6962), the first page one entry at a time (the genesis, verified
#         inline) and later pages only after 2.5 s (the standby appends the changed batch and
#         confirms it before its verifier judges it)
# Usage: python3 stream_proxy.py PORT UPSTREAM leaf|time|root
import base64
import hashlib
import http.server
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

port, upstream, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
leaves = {}  # index -> leaf bytes, as served


def leaf_hash(b):
    return hashlib.sha256(b"\x00" + b).digest()


def root(hs):  # RFC 6962: split at the largest power of two below n
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return hashlib.sha256(b"\x01" + root(hs[:k]) + root(hs[k:])).digest()


def change_leaf(j):
    for e in j["entries"]:
        if e["index"] == 5:
            leaf = bytearray(base64.b64decode(e["leaf"]))
            leaf[-1] ^= 1
            e["leaf"] = base64.b64encode(bytes(leaf)).decode()


def change_time(j):
    for e in j["entries"]:
        leaf = bytearray(base64.b64decode(e["leaf"]))
        if e["index"] == 5:  # the header: version, reserved, index (8), time (8, big-endian) ...
            t5, t4 = int.from_bytes(leaf[10:18], "big"), int.from_bytes(leaves[4][10:18], "big")
            assert t5 - 1 >= t4, "entry 5 shares entry 4's millisecond"
            leaf[10:18] = (t5 - 1).to_bytes(8, "big")
        leaves[e["index"]] = bytes(leaf)
        e["leaf"] = base64.b64encode(bytes(leaf)).decode()
    if j["end"] > 0:
        j["root"] = base64.b64encode(root([leaf_hash(leaves[i]) for i in range(j["end"])])).decode()


def change_signature(j, frm):
    if frm == 0:
        j["entries"] = j["entries"][:1]
        j["end"] = 1
    for e in j["entries"]:
        leaf = bytearray(base64.b64decode(e["leaf"]))
        if e["index"] == 5:
            leaf[-1] ^= 1  # the last byte of its last signature
        leaves[e["index"]] = bytes(leaf)
        e["leaf"] = base64.b64encode(bytes(leaf)).decode()
    j["root"] = base64.b64encode(root([leaf_hash(leaves[i]) for i in range(j["end"])])).decode()


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        frm = int(q.get("from", ["0"])[0])
        stream = self.path.startswith("/v1/stream")
        if stream:
            print(f"ask from={frm}", file=sys.stderr, flush=True)
        req = urllib.request.Request(upstream + self.path,
                                     headers={k: v for k, v in self.headers.items() if k.lower() == "authorization"})
        try:
            r = urllib.request.urlopen(req)
            status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        if stream and mode == "root" and frm > 1:
            time.sleep(2.5)
        if stream and status == 200 and (mode != "root" or frm <= 1):
            j = json.loads(body)
            if mode == "leaf":
                change_leaf(j)
            elif mode == "time":
                change_time(j)
            else:
                change_signature(j, frm)
            body = json.dumps(j).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
