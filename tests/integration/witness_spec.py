"""Independent implementations, written from the public specs, of what quota-witness speaks:
RFC 6962 / RFC 9162 Merkle trees and consistency proofs, C2SP signed notes and checkpoints
(Ed25519, key id over 0x01), C2SP tlog-cosignature cosignature/v1 (key id over 0x04, a big-endian
timestamp before the signature, the signed message "cosignature/v1\\ntime <t>\\n" + note text) and
the C2SP tlog-witness add-checkpoint body. Nothing here comes from the project's C code, so the
tests that use it check the C code against the specs rather than against itself."""
import base64
import hashlib
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives import serialization
from cryptography.exceptions import InvalidSignature

EM_DASH = "\u2014"


# ---- RFC 6962 / RFC 9162 -----------------------------------------------------------------------
def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list) -> bytes:
    """MTH(D[n]) over leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def consistency_proof(m: int, leaves: list) -> list:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1 (empty when m is 0 or n)."""
    def subproof(m, d, b):
        n = len(d)
        if m == n:
            return [] if b else [mth(d)]
        k = split(n)
        if m <= k:
            return subproof(m, d[:k], b) + [mth(d[k:])]
        return subproof(m - k, d[k:], False) + [mth(d[:k])]
    if m == 0 or m == len(leaves):
        return []
    return subproof(m, leaves, True)


# ---- C2SP signed-note and tlog-checkpoint --------------------------------------------------------
def raw_public(priv: Ed25519PrivateKey) -> bytes:
    return priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(name: str, alg: int, pub: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + pub).digest()[:4]


def vkey(name: str, alg: int, pub: bytes) -> str:
    return "%s+%s+%s" % (name, key_id(name, alg, pub).hex(), base64.b64encode(bytes([alg]) + pub).decode())


def checkpoint_text(origin: str, size: int, root: bytes, extensions=()) -> str:
    return "%s\n%d\n%s\n%s" % (origin, size, base64.b64encode(root).decode(), "".join(e + "\n" for e in extensions))


def note_sign(text: str, name: str, priv: Ed25519PrivateKey) -> str:
    """A signed note: text, blank line, one Ed25519 (0x01) signature line."""
    sig = priv.sign(text.encode())
    blob = key_id(name, 0x01, raw_public(priv)) + sig
    return "%s\n%s %s %s\n" % (text, EM_DASH, name, base64.b64encode(blob).decode())


def note_split(note: str):
    text, _, sigs = note.partition("\n\n")
    return text + "\n", [l for l in sigs.split("\n") if l]


# ---- C2SP tlog-cosignature, cosignature/v1 -------------------------------------------------------
def cosig_message(text: str, t: int) -> bytes:
    return b"cosignature/v1\ntime " + str(t).encode() + b"\n" + text.encode()


def cosign(text: str, name: str, priv: Ed25519PrivateKey, t: int) -> str:
    sig = priv.sign(cosig_message(text, t))
    blob = key_id(name, 0x04, raw_public(priv)) + struct.pack(">Q", t) + sig
    return "%s %s %s\n" % (EM_DASH, name, base64.b64encode(blob).decode())


def cosig_verify(line: str, text: str, name: str, pub: bytes):
    """The timestamp of a valid cosignature/v1 line by (name, pub), or None."""
    prefix = EM_DASH + " " + name + " "
    if not line.startswith(prefix):
        return None
    try:
        blob = base64.b64decode(line[len(prefix):].rstrip("\n"), validate=True)
    except ValueError:
        return None
    if len(blob) != 76 or blob[:4] != key_id(name, 0x04, pub):
        return None
    t = struct.unpack(">Q", blob[4:12])[0]
    if t >= 1 << 63:
        return None
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(blob[12:], cosig_message(text, t))
    except InvalidSignature:
        return None
    return t


# ---- C2SP tlog-witness ---------------------------------------------------------------------------
def add_checkpoint_body(old: int, proof: list, note: str) -> bytes:
    lines = ["old %d" % old] + [base64.b64encode(h).decode() for h in proof]
    return ("\n".join(lines) + "\n\n" + note).encode()


def seed_of(path: str) -> Ed25519PrivateKey:
    """The project's key files ("quotad-ed25519-seed <base64 seed>") as a cryptography key."""
    word, b64 = open(path).read().split()
    assert word == "quotad-ed25519-seed"
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(b64))
