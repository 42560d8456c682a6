/* Whether 32 bytes are a valid Ed25519 public key encoding (RFC 8032 section 5.1.3: y < p and
 * x^2 = (y^2 - 1) / (d y^2 + 1) has a root, with x = 0 not marked negative). OpenSSL accepts any
 * 32 bytes as a raw public key and fails only at verification, so registration checks here. */
#include <openssl/bn.h>

#include "ledger/internal.h"

/* Big-endian copy of the little-endian y coordinate, sign bit cleared. */
static void y_be(const uint8_t pub[PROTO_PUBKEY_BYTES], uint8_t out[PROTO_PUBKEY_BYTES]) {
  for (size_t i = 0; i < PROTO_PUBKEY_BYTES; i++) out[i] = pub[PROTO_PUBKEY_BYTES - 1 - i];
  out[0] &= 0x7f;
}

static bool on_curve(BN_CTX *ctx, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  BIGNUM *p = BN_CTX_get(ctx), *y = BN_CTX_get(ctx), *y2 = BN_CTX_get(ctx);
  BIGNUM *u = BN_CTX_get(ctx), *v = BN_CTX_get(ctx), *d = BN_CTX_get(ctx);
  BIGNUM *e = BN_CTX_get(ctx), *t = BN_CTX_get(ctx);
  if (!t) return false;
  uint8_t yb[PROTO_PUBKEY_BYTES];
  y_be(pub, yb);
  bool ok = BN_set_word(p, 1) && BN_lshift(p, p, 255) && BN_sub_word(p, 19) &&
            BN_bin2bn(yb, sizeof(yb), y) != NULL;
  if (!ok || BN_cmp(y, p) >= 0) return false;
  /* d = -121665 / 121666 mod p */
  ok = BN_set_word(t, 121666) && BN_mod_inverse(t, t, p, ctx) != NULL && BN_set_word(d, 121665) &&
       BN_mod_mul(d, d, t, p, ctx) && BN_sub(d, p, d);
  /* u = y^2 - 1, v = d y^2 + 1, x^2 = u / v */
  ok = ok && BN_mod_sqr(y2, y, p, ctx) && BN_copy(u, y2) && BN_sub_word(u, 1) &&
       BN_nnmod(u, u, p, ctx) && BN_mod_mul(v, d, y2, p, ctx) && BN_add_word(v, 1) &&
       BN_nnmod(v, v, p, ctx) && BN_mod_inverse(t, v, p, ctx) != NULL &&
       BN_mod_mul(t, u, t, p, ctx);
  if (!ok) return false;
  if (BN_is_zero(t)) return (pub[PROTO_PUBKEY_BYTES - 1] & 0x80) == 0;
  /* Euler's criterion: x^2 has a root iff t^((p-1)/2) = 1 */
  ok = BN_copy(e, p) && BN_sub_word(e, 1) && BN_rshift1(e, e) && BN_mod_exp(e, t, e, p, ctx);
  return ok && BN_is_one(e);
}

bool keycheck__ed25519_public(const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  BN_CTX *ctx = BN_CTX_new();
  if (!ctx) return false;
  BN_CTX_start(ctx);
  bool ok = on_curve(ctx, pub);
  BN_CTX_end(ctx);
  BN_CTX_free(ctx);
  return ok;
}
