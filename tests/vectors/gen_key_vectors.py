#!/usr/bin/env python3
"""Writes tests/vectors/ed25519-keys.json: Ed25519 public key encodings that quotad must accept
or refuse (proto_pubkey_check), computed here with Python's integers from the curve's definition
(RFC 8032 section 5.1), independently of the C code and of libsodium.

  python3 gen_key_vectors.py [DIR]          writes DIR/ed25519-keys.json (DIR: this folder)
  python3 gen_key_vectors.py --check [DIR]  exits 1 when the file differs from what it computes
"""
import hashlib
import json
import os
import sys

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)
# RFC 8032 section 7.1, TEST 1: the key A whose multiples and sums the vectors use.
SEED_HEX = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
PUB_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"


def add(p1, p2):
    (x1, y1), (x2, y2) = p1, p2
    t = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, P - 2, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, P - 2, P) % P
    return (x3, y3)


def mul(k, pt):
    acc = IDENTITY
    while k:
        if k & 1:
            acc = add(acc, pt)
        pt = add(pt, pt)
        k >>= 1
    return acc


def x_of(y, sign):
    """The x with that sign bit for y, or None when y is not on the curve."""
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x2 = u * pow(v, P - 2, P) % P
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if x == 0 and sign:
        return None
    return x if (x & 1) == sign else P - x


def encode(pt):
    x, y = pt
    return (y | (x & 1) << 255).to_bytes(32, "little")


def decode(b):
    n = int.from_bytes(b, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P:
        return None
    x = x_of(y, sign)
    return None if x is None else (x, y)


def order(pt):
    for k in (1, 2, 4, 8):
        if mul(k, pt) == IDENTITY:
            return k
    return "L" if mul(L, pt) == IDENTITY else "8L"


def base_point():
    y = 4 * pow(5, P - 2, P) % P
    return (x_of(y, 0), y)


def public_from_seed(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    return mul(a, base_point())


def torsion_generator():
    """A point of order 8: [L] of a curve point whose torsion part has order 8."""
    for y in range(2, 1000):
        x = x_of(y, 0)
        if x is not None:
            t = mul(L, (x, y))
            if order(t) == 8:
                return t
    raise SystemExit("no point of order 8 found")


def vector(name, raw, valid, why):
    return {"name": name, "hex": raw.hex(), "valid": valid, "why": why}


def small_order_vectors(t8):
    out = []
    for k in range(8):
        t = mul(k, t8)
        out.append(vector("small order %s: [%d]T8" % (order(t), k), encode(t), False,
                          "a point of small order (the eight points of order 1, 2, 4, 8)"))
    return out


def mixed_vectors(a, t8):
    out = []
    for k in range(1, 8):
        t = mul(k, t8)
        name = "A + T, T of order 2" if order(t) == 2 else "A + [%d]T8 (T of order %s)" % (k, order(t))
        out.append(vector(name, encode(add(a, t)), False,
                          "mixed order: A of prime order plus a small-order component"))
    return out


def noncanonical_vectors():
    """Encodings with y >= p (the same points as y - p) and x = 0 marked negative."""
    out = []
    for t in range(0, 19):
        for sign in (0, 1):
            y = P + t
            x = x_of(t, sign)
            if x is None and not (t in (1, P - 1) and sign):
                continue
            raw = (y | sign << 255).to_bytes(32, "little")
            out.append(vector("non-canonical y = p + %d%s" % (t, ", sign bit set" if sign else ""),
                              raw, False, "y is not reduced below p"))
    for y, name in ((1, "identity"), (P - 1, "order 2 point")):
        raw = (y | 1 << 255).to_bytes(32, "little")
        out.append(vector("%s with x = 0 marked negative" % name, raw, False,
                          "x = 0 cannot be negative (and the point has small order)"))
    return out


def off_curve_vectors():
    out = []
    for y in range(2, 40):
        if x_of(y, 0) is None:
            out.append(vector("y = %d is not on the curve" % y, y.to_bytes(32, "little"), False,
                              "no x satisfies the curve equation"))
            if len(out) == 3:
                break
    return out


def valid_vectors(a, t8):
    b = base_point()
    out = [vector("A (RFC 8032 TEST 1)", encode(a), True, "prime order"),
           vector("B, the base point", encode(b), True, "prime order"),
           vector("[3]A", encode(mul(3, a)), True, "prime order"),
           vector("-A", encode(((P - a[0]) % P, a[1])), True, "prime order")]
    for v in out:
        assert order(decode(bytes.fromhex(v["hex"]))) == "L"
    return out


def sign(seed, msg):
    """RFC 8032 5.1.6 Ed25519 signing (deterministic)."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    pub = encode(mul(a, base_point()))
    r = int.from_bytes(hashlib.sha512(h[32:] + msg).digest(), "little") % L
    big_r = encode(mul(r, base_point()))
    k = int.from_bytes(hashlib.sha512(big_r + pub + msg).digest(), "little") % L
    return big_r + ((r + k * a) % L).to_bytes(32, "little")


def forge_as(seed, claimed, msg):
    """The holder of A's secret signs msg "as" the key claimed (A + T): S = r + k a with
    k = H(R || claimed || msg). It verifies under claimed exactly when k T is the identity."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little") & ((1 << 254) - 8) | (1 << 254)
    r = int.from_bytes(hashlib.sha512(h[32:] + msg).digest(), "little") % L
    big_r = encode(mul(r, base_point()))
    k = int.from_bytes(hashlib.sha512(big_r + claimed + msg).digest(), "little") % L
    return big_r + ((r + k * a) % L).to_bytes(32, "little"), k


def a_plus_t_forgery(claimed):
    """The first "operator act N" message whose forgery under A + T (T of order 2) verifies."""
    for n in range(64):
        msg = b"operator act %d" % n
        sig, k = forge_as(bytes.fromhex(SEED_HEX), claimed, msg)
        if k % 2 == 0:
            big_r = decode(sig[:32])
            s = int.from_bytes(sig[32:], "little")
            lhs = mul(s, base_point())
            rhs = add(big_r, mul(k, decode(claimed)))
            assert lhs == rhs, "the forgery verifies under A + T"
            return {"message": msg.hex(), "signature": sig.hex()}
    raise SystemExit("no even challenge in 64 tries")


def id_vector():
    """A derived transaction id (proto/FORMAT.md "Deriving ids") for a claw-back (type 11)."""
    origin, tx_type = "registry.cets.example/quotad", 11
    fields = ["steel-2025", "2025", "91350100M000100Y43", "BF1", "clawback"]
    seed_msg = b"quotad/id-seed/v1\n" + origin.encode() + b"\n" + bytes([tx_type])
    for f in fields:
        seed_msg += len(f.encode()).to_bytes(2, "big") + f.encode()
    sig = sign(bytes.fromhex(SEED_HEX), seed_msg)
    tx_id = hashlib.sha256(b"quotad/id/v1\n" + sig).digest()[:16]
    return {"id_key_seed": SEED_HEX, "origin": origin, "type": tx_type, "fields": fields,
            "seed_message": seed_msg.hex(), "signature": sig.hex(), "id": tx_id.hex()}


def build():
    a = public_from_seed(bytes.fromhex(SEED_HEX))
    assert encode(a).hex() == PUB_HEX, "the RFC 8032 public key"
    t8 = torsion_generator()
    t2 = mul(4, t8)
    vectors = (valid_vectors(a, t8) + small_order_vectors(t8) + mixed_vectors(a, t8) +
               noncanonical_vectors() + off_curve_vectors())
    for v in vectors:
        pt = decode(bytes.fromhex(v["hex"]))
        assert v["valid"] == (pt is not None and order(pt) == "L"), v["name"]
    return {
        "about": "Generated by tests/vectors/gen_key_vectors.py from the curve's definition "
                 "(RFC 8032 5.1). proto_pubkey_check must accept exactly the vectors marked "
                 "valid: canonical encodings of points of prime order L.",
        "seed_a": SEED_HEX,
        "a": encode(a).hex(),
        "a_plus_t2": encode(add(a, t2)).hex(),
        "a_plus_t2_forgery": a_plus_t_forgery(encode(add(a, t2))),
        "identity": encode(IDENTITY).hex(),
        "vectors": vectors,
        "derived_id": id_vector(),
    }


def main(argv):
    check = "--check" in argv
    args = [x for x in argv if x != "--check"]
    folder = args[0] if args else os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(folder, "ed25519-keys.json")
    text = json.dumps(build(), indent=1) + "\n"
    if check:
        with open(path) as f:
            if f.read() != text:
                print("%s differs from what gen_key_vectors.py computes" % path)
                return 1
        return 0
    with open(path, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
