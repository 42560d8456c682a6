/* Typed access to the batch's state for the rules: accounts, balances, instruments and keys read
 * through the overlay (decoded on every read, so a rule never holds a pointer into it). */
#include <stdio.h>
#include <string.h>

#include "ledger/internal.h"

int st__get(struct batch *b, unsigned db, const uint8_t *key, size_t klen, int missing,
            struct st_rec *out) {
  int rc = overlay__get(b->ov, db, key, klen, &out->p, &out->len);
  return rc == PROTO_E_NOT_FOUND ? missing : rc;
}

int st__account(struct batch *b, uint64_t id, struct ledger_account *a) {
  PROTO_ASSERT(b && b->ov && a);
  uint8_t key[8];
  be64_put(key, id);
  struct st_rec r;
  int rc = st__get(b, DB_ACCOUNTS, key, sizeof(key), PROTO_E_NOT_FOUND, &r);
  return rc ? rc : rec_account_decode(id, r.p, r.len, a);
}

int st__account_put(struct batch *b, const struct ledger_account *a) {
  PROTO_ASSERT(b && b->ov && a);
  uint8_t key[8], val[REC_ACCOUNT_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  be64_put(key, a->id);
  size_t n = rec_account_encode(a, val);
  PROTO_ASSERT(n >= REC_ACCOUNT_BYTES_MIN && n <= sizeof(val));
  return overlay__put(b->ov, DB_ACCOUNTS, key, sizeof(key), val, n);
}

int st__open_account(struct batch *b, uint64_t id, struct ledger_account *a) {
  PROTO_ASSERT(b && a);
  int rc = st__account(b, id, a);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_ACCOUNT;
  if (rc) return rc;
  return a->closed ? PROTO_E_ACCOUNT_CLOSED : 0;
}

/* A missing balance row reads as all zero positions. */
int st__balance(struct batch *b, uint64_t account, const char *code, struct ledger_balance *bal) {
  PROTO_ASSERT(b && b->ov && code && bal);
  uint8_t key[24];
  rec_balance_key(account, code, key);
  memset(bal, 0, sizeof(*bal));
  memcpy(bal->instrument, code, strnlen(code, PROTO_INSTRUMENT_BYTES)); /* NUL from the memset */
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_BALANCES, key, sizeof(key), &v, &vlen);
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  return rec_balance_decode(v, vlen, bal);
}

int st__balance_put(struct batch *b, uint64_t account, const struct ledger_balance *bal) {
  PROTO_ASSERT(b && b->ov && bal);
  PROTO_ASSERT(bal->instrument[0] != '\0'); /* the row's key names the instrument */
  uint8_t key[24], val[REC_BALANCE_BYTES];
  rec_balance_key(account, bal->instrument, key);
  rec_balance_encode(bal, val);
  return overlay__put(b->ov, DB_BALANCES, key, sizeof(key), val, sizeof(val));
}

int st__instrument(struct batch *b, const char *code, struct ledger_instrument *in) {
  PROTO_ASSERT(b && b->ov && code && in);
  uint8_t key[PROTO_INSTRUMENT_BYTES];
  rec_code_key(code, key);
  struct st_rec r;
  int rc = st__get(b, DB_INSTRUMENTS, key, sizeof(key), PROTO_E_UNKNOWN_INSTRUMENT, &r);
  return rc ? rc : rec_instrument_decode(key, r.p, r.len, in);
}

/* created: the creating entry's index (kept from the stored record on later updates). */
int st__instrument_put(struct batch *b, const struct ledger_instrument *in, uint64_t created) {
  PROTO_ASSERT(b && b->ov && in);
  PROTO_ASSERT(in->code[0] != '\0');
  uint8_t key[PROTO_INSTRUMENT_BYTES], val[REC_INSTRUMENT_BYTES];
  rec_code_key(in->code, key);
  const uint8_t *old;
  size_t oldlen;
  if (overlay__get(b->ov, DB_INSTRUMENTS, key, sizeof(key), &old, &oldlen) == 0 &&
      oldlen == REC_INSTRUMENT_BYTES)
    created = be64_get(old + 48);
  rec_instrument_encode(in, created, val);
  return overlay__put(b->ov, DB_INSTRUMENTS, key, sizeof(key), val, sizeof(val));
}

int st__key(struct batch *b, const uint8_t hash[PROTO_HASH_BYTES], struct ledger_key *k) {
  PROTO_ASSERT(b && b->ov && hash && k);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_KEYS, hash, PROTO_HASH_BYTES, &v, &vlen);
  if (rc) return rc;
  return rec_key_decode(hash, v, vlen, k);
}

int st__key_put(struct batch *b, const struct ledger_key *k) {
  PROTO_ASSERT(b && b->ov && k);
  uint8_t val[REC_KEY_BYTES_MIN + PROTO_NAME_BYTES_MAX];
  size_t n = rec_key_encode(k, val);
  PROTO_ASSERT(n >= REC_KEY_BYTES_MIN && n <= sizeof(val));
  return overlay__put(b->ov, DB_KEYS, k->hash, PROTO_HASH_BYTES, val, n);
}

int st__meta_put(struct batch *b, const char *name, const uint8_t *val, size_t len) {
  PROTO_ASSERT(b && b->ov && name && name[0] != '\0');
  PROTO_ASSERT(val != NULL || len == 0);
  return overlay__put(b->ov, DB_META, (const uint8_t *)name, strlen(name), val, len);
}

int st__holding(struct batch *b, uint64_t account, const char *code, struct ledger_balance *bal) {
  PROTO_ASSERT(b && code && bal);
  struct ledger_instrument in;
  int rc = st__instrument(b, code, &in); /* the instrument must exist, even for a zero balance */
  return rc ? rc : st__balance(b, account, code, bal);
}

/* ---- freeze orders ---- */
int st__freeze_order(struct batch *b, uint64_t account, const uint8_t id[PROTO_ID_BYTES],
                     struct ledger_freeze_order *o) {
  PROTO_ASSERT(b && b->ov && id && o);
  uint8_t key[24];
  be64_put(key, account);
  memcpy(key + 8, id, PROTO_ID_BYTES);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_FREEZES, key, sizeof(key), &v, &vlen);
  return rc ? rc : rec_freeze_decode(key, v, vlen, o);
}

int st__freeze_order_put(struct batch *b, const struct ledger_freeze_order *o) {
  PROTO_ASSERT(b && b->ov && o);
  PROTO_ASSERT(o->lifted <= o->quantity);
  uint8_t key[24], val[REC_FREEZE_BYTES_MIN - 1 + PROTO_REF_BYTES_MAX];
  be64_put(key, o->account);
  memcpy(key + 8, o->id, PROTO_ID_BYTES);
  size_t n = rec_freeze_encode(o, val);
  PROTO_ASSERT(n <= sizeof(val));
  return overlay__put(b->ov, DB_FREEZES, key, sizeof(key), val, n);
}

/* A holding without orders in force reads as an empty list. */
int st__freeze_hold(struct batch *b, uint64_t account, const char *code, struct rec_freeze_hold *h) {
  PROTO_ASSERT(b && b->ov && code && h);
  uint8_t key[24];
  rec_balance_key(account, code, key);
  const uint8_t *v;
  size_t vlen;
  h->count = 0;
  int rc = overlay__get(b->ov, DB_FREEZE_HOLD, key, sizeof(key), &v, &vlen);
  if (rc == PROTO_E_NOT_FOUND) return 0;
  return rc ? rc : rec_freeze_hold_decode(v, vlen, h);
}

int st__freeze_hold_put(struct batch *b, uint64_t account, const char *code,
                        const struct rec_freeze_hold *h) {
  PROTO_ASSERT(b && b->ov && code && h);
  PROTO_ASSERT(h->count <= PROTO_FREEZE_ORDERS_HELD_MAX);
  uint8_t key[24], val[REC_FREEZE_HOLD_BYTES_MAX];
  rec_balance_key(account, code, key);
  if (h->count == 0) return overlay__del(b->ov, DB_FREEZE_HOLD, key, sizeof(key));
  size_t n = rec_freeze_hold_encode(h, val);
  return overlay__put(b->ov, DB_FREEZE_HOLD, key, sizeof(key), val, n);
}

bool st__order_in_force(const struct ledger_freeze_order *o, uint64_t now_ms) {
  PROTO_ASSERT(o != NULL && o->lifted <= o->quantity);
  return ledger_freeze_order_in_force(o, now_ms);
}

/* What the orders in force bind, by the positions they cover, at the batch's commit time (the
 * entry's own time, so that the audit and a replay reach the same answer). */
static int frozen_sums(struct batch *b, uint64_t account, const char *code, uint64_t sum[4]) {
  PROTO_ASSERT(b && code && sum);
  struct rec_freeze_hold h;
  memset(sum, 0, 4 * sizeof(uint64_t));
  int rc = st__freeze_hold(b, account, code, &h);
  for (uint8_t i = 0; i < h.count && rc == 0; i++) {
    struct ledger_freeze_order o;
    rc = st__freeze_order(b, account, h.ids[i], &o);
    if (rc == PROTO_E_NOT_FOUND) rc = PROTO_E_CORRUPT; /* the list names only stored orders */
    PROTO_ASSERT(rc != 0 || o.positions <= PROTO_COVER_BOTH); /* its decoder checks it */
    if (rc == 0 && st__order_in_force(&o, b->time_ms))
      rc = amount_add(sum[o.positions], o.quantity - o.lifted, &sum[o.positions]);
  }
  return rc;
}

static uint64_t deficit(uint64_t have, uint64_t bound) {
  uint64_t d = have < bound ? bound - have : 0;
  PROTO_ASSERT(d <= bound);
  return d;
}

int st__freeze_check(struct tx_ctx *c, uint64_t account, const struct ledger_balance *bal,
                     uint64_t amount) {
  PROTO_ASSERT(c && c->b && bal);
  uint64_t sum[4];
  int rc = frozen_sums(c->b, account, bal->instrument, sum);
  if (rc) return rc;
  /* The version 1 counter binds registry units as an order covering the registry does. */
  uint64_t reg = bal->frozen + sum[PROTO_COVER_REGISTRY], trd = sum[PROTO_COVER_TRADING];
  uint64_t bound = reg + trd + sum[PROTO_COVER_BOTH], held = bal->registry + bal->trading;
  uint64_t d = deficit(bal->registry, reg);
  if (deficit(bal->trading, trd) > d) d = deficit(bal->trading, trd);
  if (deficit(held, bound) > d) d = deficit(held, bound);
  if (d == 0) return 0;
  c->aux = amount > d ? amount - d : 0;
  return PROTO_E_FROZEN;
}

int st__take_trading(struct tx_ctx *c, uint64_t account, struct ledger_balance *bal,
                     uint64_t amount) {
  PROTO_ASSERT(c && bal);
  if (amount > bal->trading) {
    c->aux = bal->trading;
    return PROTO_E_INSUFFICIENT_BALANCE;
  }
  bal->trading -= amount;
  return account ? st__freeze_check(c, account, bal, amount) : 0;
}

int st__take_available(struct tx_ctx *c, uint64_t account, struct ledger_balance *bal,
                       uint64_t amount) {
  PROTO_ASSERT(c && bal);
  PROTO_ASSERT(bal->frozen <= bal->registry); /* as stored: the subtraction below cannot wrap */
  uint64_t available = bal->registry - bal->frozen;
  if (amount > available) {
    c->aux = available;
    /* Enough units are held, but part of them is frozen: say so, rather than "insufficient". */
    return amount <= bal->registry ? PROTO_E_FROZEN : PROTO_E_INSUFFICIENT_BALANCE;
  }
  bal->registry -= amount;
  return account ? st__freeze_check(c, account, bal, amount) : 0;
}
