# tiles.py: the log as C2SP tlog-tiles, read from a real quotad and checked against an independent
# reading of the spec written here (path encoding, tile contents, entry bundles): every hash
# tile and partial tile equals the Merkle nodes rebuilt from the /v1/entries leaves, the tiles'
# root equals the checkpoint's, entry bundles follow the read rules, nothing beyond the published
# checkpoint is served, full tiles are cacheable for ever and partial ones briefly.
# Usage: python3 tiles.py BUILD_DIR TMP_DIR
import base64
import hashlib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qlib

build, tmp = sys.argv[1], sys.argv[2]
if not os.access(os.path.join(build, "daemon/quotad"), os.X_OK):
    qlib.fail("daemon/quotad is not built")
    sys.exit(1)
check = qlib.Checks()


def h(b):
    return hashlib.sha256(b).digest()


def tile_path(level, n, width=256):
    """C2SP tlog-tiles: N in groups of three digits, all but the last prefixed with x."""
    groups = []
    while True:
        groups.insert(0, "%03d" % (n % 1000))
        n //= 1000
        if n == 0:
            break
    p = "tile/%s/%s" % (level, "/".join(["x" + g for g in groups[:-1]] + groups[-1:]))
    return p + (".p/%d" % width if width < 256 else "")


def parse_tile_path(p):
    """(level, N, W) of a tile path, or None: the spec's grammar read independently."""
    import re
    m = re.fullmatch(r"tile/(entries|[0-9]|[1-5][0-9]|6[0-3])/((?:x[0-9]{3}/)*)([0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?", p)
    if not m or (m.group(4) and int(m.group(4)) > 255):
        return None
    n = int("".join(g[1:] for g in m.group(2).split("/") if g) + m.group(3))
    return (m.group(1), n, int(m.group(4) or 256))


def tiles_dir_check(q, tdir, size, want_entries, get):
    files = []
    for root_, dirs, names in os.walk(os.path.join(tdir, "tile")):
        files += [os.path.relpath(os.path.join(root_, n), tdir) for n in names]
    parsed = {f: parse_tile_path(f) for f in files}
    check("tiles_dir holds only tile files (no temporary files)", all(parsed.values()), str([f for f, v in parsed.items() if not v][:5]))
    within = all(v[2] <= max(0, min(256, (size >> (0 if v[0] == "entries" else 8 * int(v[0]))) - 256 * v[1]))
                 for v in parsed.values() if v)
    check("no tile in tiles_dir goes beyond the published checkpoint", within)
    same = [f for f in files if parsed[f] and (open(os.path.join(tdir, f), "rb").read() == get("/log/" + f, w.aud)[1])]
    check("every file equals what /log serves (%d files)" % len(files), len(same) == len(files) and files)
    need = ["tile/0/%03d" % n for n in range(size // 256)] + ["tile/0/%03d.p/%d" % (size // 256, size % 256)]
    if size >= 256:
        need.append("tile/1/000.p/%d" % (size // 256))
    check("the full tiles and the current partial tiles are there", all(f in files for f in need), str(need))
    check("full tiles have no partial versions left", not any(os.path.isdir(os.path.join(tdir, "tile/0/%03d.p" % n)) for n in range(size // 256)))
    has_entries = any(v and v[0] == "entries" for v in parsed.values())
    check("entry bundles in tiles_dir %s" % ("with public_log" if want_entries else "only with public_log"), has_entries == want_entries)


def wait_tiles_dir(q, tdir):
    want = q.request("GET", "/log/checkpoint")[1]
    for _ in range(200):
        try:
            if open(os.path.join(tdir, "checkpoint"), "rb").read() == want:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def level_up(row):
    return [h(b"\x01" + row[2 * i] + row[2 * i + 1]) for i in range(len(row) // 2)]


def mth(leaves):  # RFC 9162 2.1.1
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m, leaves):  # RFC 9162 2.1.3.1 PATH(m, D[n])
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, b):  # RFC 9162 2.1.4.1
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


check("path of 1234067 is x001/x234/067", tile_path(0, 1234067) == "tile/0/x001/x234/067")
check("path of 5 at level 1, width 7", tile_path(1, 5, 7) == "tile/1/005.p/7")

w = qlib.World()
w.log.write_seed(os.path.join(tmp, "log.key"))
TILES_DIR = os.path.join(tmp, "tiles")
q = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"), extra=["--tiles-dir", TILES_DIR])
q.start()
try:
    qlib.setup_world(q, w)
    for start in range(3000, 3600, 200):  # enough entries for two full level-0 tiles
        qlib.submit_all(q, [q.envelope(qlib.acct_tx(a, "participant", 0, "none", "", "Firm %d" % a), w.op)
                            for a in range(start, start + 200)])
    st, cp = q.request("GET", "/log/checkpoint")
    size, root = qlib.parse_checkpoint(cp.decode(), w.log.pub)
    check("/log/checkpoint is the signed checkpoint", st == 200 and size == q.tree_size() and size > 512)
    leaves = []
    while len(leaves) < size:
        st, j = q.read_as(w.aud, "/v1/entries?start=%d&limit=1000" % len(leaves))
        leaves += [base64.b64decode(e["leaf"]) for e in j["entries"]]
    rows = [[h(b"\x00" + leaf) for leaf in leaves]]
    for _ in range(8):
        rows.append(level_up(rows[-1]))
    check("the leaves rebuild the checkpoint's root", mth(rows[0]) == root)

    def get(path, key=None):
        c = q.conn()
        hdr = q.read_headers(key, "GET", path) if key else {}
        c.request("GET", path, headers=hdr)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body, r.getheader("Cache-Control") or ""

    full0, part0 = size // 256, size % 256
    for n in range(full0):
        st, body, cc = get("/log/" + tile_path(0, n))
        check("full level-0 tile %d is 256 leaf hashes" % n, st == 200 and body == b"".join(rows[0][256 * n:256 * n + 256]))
        check("full tile %d is immutable for a year" % n, cc == "public, max-age=31536000, immutable", cc)
    st, body, cc = get("/log/" + tile_path(0, full0, part0))
    check("the partial level-0 tile .p/%d" % part0, st == 200 and body == b"".join(rows[0][256 * full0:]))
    check("a partial tile is cached briefly", cc.startswith("public, max-age=") and "immutable" not in cc, cc)
    st, body, _ = get("/log/" + tile_path(0, full0, part0 - 1))
    check("a narrower partial tile is its prefix", st == 200 and body == b"".join(rows[0][256 * full0:size - 1]))
    st, body, _ = get("/log/" + tile_path(1, 0, full0))
    check("the level-1 tile holds the 256-leaf subtree hashes", st == 200 and body == b"".join(rows[8][:full0]))
    # the root from the tiles alone: full subtrees of the level-1 tile, then the partial tile
    right = mth(rows[0][256 * full0:])
    check("tiles give the checkpoint's root", mth(rows[8][:full0] + [right]) == root if full0 > 1 else True)
    for bad, why in [(tile_path(0, full0, part0 + 1), "wider than the tree"), (tile_path(0, full0), "full tile not yet full"),
                     (tile_path(0, full0 + 1, 1), "past the end"), (tile_path(1, 0), "full level-1 tile"),
                     ("tile/0/x000", "x on the last group"), ("tile/0/x000/000", "a leading zero group"), ("tile/0/01", "two digits"),
                     ("tile/0/000.p/256", "width 256"), ("tile/0/000.p/0", "width 0"),
                     ("tile/0/000.p/007", "leading zeros in W"), ("tile/8/000", "level 8"),
                     ("tile/00/000", "leading zero in L"), ("tile/0/000/", "trailing slash"),
                     ("tile/data/000", "not the entries name")]:
        st, body, _ = get("/log/" + bad)
        check("404 for %s (%s)" % (bad, why), st == 404, "%s" % st)

    # ---- entry bundles: the operator and auditors only (public_log off) ----
    def bundle(body):
        out, i = [], 0
        while i < len(body):
            n = int.from_bytes(body[i:i + 2], "big")
            out.append(body[i + 2:i + 2 + n])
            i += 2 + n
        return out if i == len(body) else None

    st, body, cc = get("/log/tile/entries/000", w.aud)
    check("the auditor reads entry bundle 0", st == 200 and bundle(body) == leaves[:256], "%s" % st)
    check("a full bundle of a private log is not for shared caches", cc.startswith("private,"), cc)
    st, body, _ = get("/log/" + tile_path("entries", full0, part0), w.op)
    check("the operator reads the partial bundle", st == 200 and bundle(body) == leaves[256 * full0:], "%s" % st)
    st, _, _ = get("/log/tile/entries/000")
    check("an anonymous reader gets 401 for entries", st == 401, "%s" % st)
    st, _, _ = get("/log/tile/entries/000", w.rep(101))
    check("a representative gets 403 for entries", st == 403, "%s" % st)
    st, body, _ = get("/log/tile/0/000")
    check("hash tiles need no key", st == 200 and len(body) == 256 * 32)
    # ---- proofs: /v1/proof answers equal the RFC's, computed here from the level-0 tiles ----
    tiles0 = b"".join(get("/log/" + tile_path(0, n))[1] for n in range(full0)) + get("/log/" + tile_path(0, full0, part0))[1]
    hashes0 = [tiles0[32 * i:32 * i + 32] for i in range(size)]
    bad = []
    pairs = [(i, n) for n in (1, 2, 3, 7, 8, 255, 256, 257, 300, 511, 512, 513, size) for i in range(0, n, max(1, n // 9))]
    for i, n in pairs:
        st, j = q.read_as(w.aud, "/v1/proof/inclusion?index=%d&tree_size=%d" % (i, n))
        if st != 200 or [base64.b64decode(x) for x in j["hashes"]] != path(i, hashes0[:n]):
            bad.append(("inclusion", i, n))
        if 0 < i < n:
            st, j = q.jrequest("GET", "/v1/proof/consistency?first=%d&second=%d" % (i, n))
            if st != 200 or [base64.b64decode(x) for x in j["hashes"]] != subproof(i, hashes0[:n], True):
                bad.append(("consistency", i, n))
    check("%d /v1/proof answers equal the proofs from tiles" % (2 * len(pairs)), not bad and len(pairs) >= 100, str(bad[:5]))
    quotactl = os.path.join(build, "tools", "quotactl")
    w.aud.write_seed(os.path.join(tmp, "aud.key"))
    st, j = q.read_as(w.aud, "/v1/entries?start=%d&limit=1" % (size - 3))
    txid = j["entries"][0]["tx"]["id"]
    r = subprocess.run([quotactl, "--key", os.path.join(tmp, "aud.key"), "proof", "--id", txid,
                        "--from-tiles", "http://127.0.0.1:%d/log" % q.port],
                       env=dict(os.environ, QUOTAD_URL="http://127.0.0.1:%d" % q.port, ASAN_OPTIONS="detect_leaks=0"),
                       capture_output=True, text=True)
    check("quotactl proof --from-tiles verifies an entry", r.returncode == 0 and "built from tiles" in r.stdout, r.stdout + r.stderr)
    r = subprocess.run([quotactl, "--key", os.path.join(tmp, "aud.key"), "proof", "--id", txid,
                        "--from-tiles", "http://127.0.0.1:%d/nothing" % q.port],
                       env=dict(os.environ, QUOTAD_URL="http://127.0.0.1:%d" % q.port, ASAN_OPTIONS="detect_leaks=0"),
                       capture_output=True, text=True)
    check("quotactl proof --from-tiles without tiles fails", r.returncode != 0 and "cannot build the proof" in r.stderr, r.stdout + r.stderr)
    check("reads changed nothing", q.tree_size() == size)
    check("tiles_dir gets the published checkpoint, written last", wait_tiles_dir(q, TILES_DIR))
    tiles_dir_check(q, TILES_DIR, size, False, get)
finally:
    q.stop()

# ---- public_log: bundles are public and shared caches may keep them ----
TILES_PUB = os.path.join(tmp, "tiles-public")
q2 = qlib.Quotad(build, tmp, os.path.join(tmp, "data"), os.path.join(tmp, "log.key"), extra=["--public-log", "--tiles-dir", TILES_PUB])
q2.start()
try:
    st, body = q2.request("GET", "/log/tile/entries/000")
    check("with public_log an anonymous reader gets entry bundles", st == 200 and body[:2] != b"")

    def get2(path, key=None):
        st, body = q2.request("GET", path)
        return st, body, ""
    check("a restarted quotad writes tiles_dir for its current checkpoint", wait_tiles_dir(q2, TILES_PUB))
    tiles_dir_check(q2, TILES_PUB, q2.tree_size(), True, get2)
finally:
    q2.stop()
check.finish()
