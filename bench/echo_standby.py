#!/usr/bin/env python3
"""bench/echo_standby.py: a stand-in for a synchronous standby on a machine of its own, for
bench/modes.py's "standby_elsewhere" configuration. It asks the primary's stream exactly as
`quotad --follow` does (GET /v1/stream?from=N&root=HEX&wait_ms=500&pending=1, a read signed with
the operator key) and does on each page what the standby does before it confirms (daemon/journal.c):
it decodes the entries, computes the root they give from its tree's right edge (RFC 9162) and
compares it with the page's, writes the page to its journal file (16 MiB written with zeros first,
then reused from its start, as the standby's) and fdatasyncs it; then it
confirms by asking again from the page's end with that root. What a standby does after the
confirmation (its applier's rules and ledger commit, its verifier's signature checks) runs on the
standby's own machine, off the primary's path: the stand-in leaves it out. A page whose root
differs ends it with an error (the model would be wrong). Before the genesis the stream answers an
error: it asks again every 20 ms. SIGTERM stops it; it then writes what it did (pages, entries,
time journaling and asking, the size it confirmed) to --stats.

usage: bench/echo_standby.py --url URL --key FILE --origin ORIGIN --journal FILE [--stats FILE]"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import signal
import struct
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

KEYFILE_PREFIX = "quotad-ed25519-seed "  # what `quotactl keygen` writes (proto/FORMAT.md)
READ_DOMAIN = "quotad/read/v1"  # the read-signature message's first line (proto/FORMAT.md)
WAIT_MS = 500  # the primary holds a request with nothing new this long (as quotad's standby asks)
RETRY_S = 0.02  # an error (before the genesis, a replaced pending batch): ask again after 20 ms
REQUEST_S_MAX = 2.0  # one stream request, whole (as quotad's standby: a paused primary cannot hold it)
HASH_BYTES = 32
JOURNAL_MAGIC = b"QSJ1"  # the record's head, as daemon/journal.c writes it (docs/STORAGE.md)
JOURNAL_FILE_BYTES = 16 << 20  # written with zeros at the start, as daemon/journal.c does


class Stop(Exception):
    """Raised by the SIGTERM handler, out of whatever request or sleep is under way."""


def on_term(signum, frame):
    raise Stop()


class Signer:
    """The operator key of the registry, signing reads as quotad's tools do."""

    def __init__(self, path, origin):
        line = open(path).read().strip()
        if not line.startswith(KEYFILE_PREFIX):
            sys.exit(f"echo_standby: {path} is not a key file written by quotactl keygen")
        seed = base64.b64decode(line[len(KEYFILE_PREFIX):])
        assert len(seed) == 32, "an Ed25519 seed is 32 bytes"
        self.priv = Ed25519PrivateKey.from_private_bytes(seed)
        pub = self.priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_hash = base64.b64encode(hashlib.sha256(pub).digest()).decode()
        self.origin = origin

    def headers(self, method, target):
        now = int(time.time())
        msg = f"{READ_DOMAIN}\n{self.origin}\n{method}\n{target}\n{now}".encode()
        sig = base64.b64encode(self.priv.sign(msg)).decode()
        return {"Authorization": f"Quotad-Ed25519 key={self.key_hash}, time={now}, sig={sig}"}


class Edge:
    """The right edge of a Merkle tree (RFC 9162): one complete subtree hash per bit of its size."""

    def __init__(self):
        self.stack, self.count = [], 0

    def copy(self):
        e = Edge()
        e.stack, e.count = list(self.stack), self.count
        return e

    def add(self, leaf):
        self.stack.append(hashlib.sha256(b"\x00" + leaf).digest())
        done = self.count
        while done & 1:
            right, left = self.stack.pop(), self.stack.pop()
            self.stack.append(hashlib.sha256(b"\x01" + left + right).digest())
            done >>= 1
        self.count += 1

    def root(self):
        if not self.stack:
            return hashlib.sha256(b"").digest()
        h = self.stack[-1]
        for left in reversed(self.stack[:-1]):
            h = hashlib.sha256(b"\x01" + left + h).digest()
        return h


class Follower:
    """The standby's state as the primary sees it: a size, its root, and what was done so far."""

    def __init__(self, url, signer, journal):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 80
        self.signer = signer
        self.size, self.root, self.edge = 0, hashlib.sha256(b"").digest(), Edge()  # the empty tree
        self.journal = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        # as the standby: written with zeros first, so that a record's fdatasync flushes data alone,
        # and reused from its start when a record does not fit (the applier elsewhere is done)
        self.jcap, self.joff = JOURNAL_FILE_BYTES, 0
        for _ in range(self.jcap >> 20):
            os.write(self.journal, bytes(1 << 20))
        os.fsync(self.journal)
        self.conn = None
        self.stats = {"pages": 0, "entries": 0, "pending_pages": 0, "journal_s": 0.0, "ask_s": 0.0,
                      "errors": 0, "confirmed_size": 0}

    def ask(self):
        """One stream request from our size with our root (the confirmation): (status, answer)."""
        target = f"/v1/stream?from={self.size}&root={self.root.hex()}&wait_ms={WAIT_MS}&pending=1"
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_S_MAX)
        try:
            self.conn.request("GET", target, headers=self.signer.headers("GET", target))
            r = self.conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # a closed keep-alive connection or a timeout: a new one next time
            self.conn = None
            return 0, None
        try:
            return r.status, json.loads(body)
        except ValueError:
            return r.status, None

    def take(self, ans, asked_s):
        """A page: its root checked from the right edge, then into the journal, fdatasynced."""
        t0 = time.monotonic()
        end, entries = int(ans["end"]), ans.get("entries") or []
        n = len(entries)
        root = base64.b64decode(ans["root"])
        assert len(root) == HASH_BYTES and end == self.size + n, "a page runs from our size to its end"
        if n == 0:
            return
        edge, body = self.edge.copy(), []
        for e in entries:
            leaf = base64.b64decode(e["leaf"])
            legs = base64.b64decode(e["legs_blob"]) if e.get("legs_blob") else b""
            edge.add(leaf)
            body.append(struct.pack("<II", len(leaf), len(legs)) + leaf + legs)
        if edge.root() != root:
            sys.exit(f"echo_standby: the page from {self.size} gives another root than it names")
        body = b"".join(body)
        rec = JOURNAL_MAGIC + struct.pack("<QII", self.size, n, len(body)) + root + body
        rec += hashlib.sha256(rec).digest()
        if self.joff + len(rec) > self.jcap:
            self.joff = 0
        os.pwrite(self.journal, rec, self.joff)
        self.joff += len(rec)
        os.fdatasync(self.journal)
        self.size, self.root, self.edge = end, root, edge
        st = self.stats
        st["ask_s"] += asked_s
        st["journal_s"] += time.monotonic() - t0
        st["pages"] += 1
        st["entries"] += n
        st["pending_pages"] += 1 if ans.get("pending") else 0
        st["confirmed_size"] = end  # confirmed by the next ask

    def run(self):
        while True:
            t0 = time.monotonic()
            status, ans = self.ask()
            if status != 200 or not isinstance(ans, dict) or "end" not in ans or "root" not in ans:
                self.stats["errors"] += 1
                time.sleep(RETRY_S)
                continue
            self.take(ans, time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--origin", required=True)
    ap.add_argument("--journal", required=True)
    ap.add_argument("--stats")
    a = ap.parse_args()
    f = Follower(a.url, Signer(a.key, a.origin), a.journal)
    signal.signal(signal.SIGTERM, on_term)
    try:
        f.run()
    except (Stop, KeyboardInterrupt):
        pass
    if a.stats:
        with open(a.stats, "w") as out:
            json.dump(f.stats, out)


if __name__ == "__main__":
    main()
