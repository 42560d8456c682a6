/* Rules about who exists: the genesis, keys (register, revoke) and accounts (open, update,
 * close). Each checks everything first, then applies over the batch overlay. */
#include <stdio.h>
#include <string.h>

#include "ledger/internal.h"

static int operator_acts(struct tx_ctx *c) {
  PROTO_ASSERT(c && c->b && c->tx);
  return auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
}

int rules__genesis(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_GENESIS);
  PROTO_ASSERT(!c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_genesis *g = &c->tx->u.genesis;
  struct batch *b = c->b;
  int bad_key;
  int rc = proto_genesis_check(g, &bad_key); /* weak keys, a threshold that can never be met */
  if (rc) return rc;
  struct ledger_account nat = {.id = g->national_account,
                               .kind = PROTO_ACCOUNT_NATIONAL,
                               .threshold = g->operator_threshold,
                               .opened_index = c->index};
  snprintf(nat.name, sizeof(nat.name), "national");
  rc = st__account_put(b, &nat);
  for (unsigned i = 0; i < g->operator_keys_count && rc == 0; i++) {
    struct ledger_key k = {.role = PROTO_ROLE_OPERATOR, .registered_index = c->index};
    memcpy(k.public_key, g->operator_keys[i], PROTO_PUBKEY_BYTES);
    proto_sha256(k.public_key, PROTO_PUBKEY_BYTES, k.hash);
    snprintf(k.name, sizeof(k.name), "operator-%u", i + 1);
    rc = st__key_put(b, &k);
  }
  uint8_t v8[8];
  be64_put(v8, g->national_account);
  if (rc == 0) rc = st__meta_put(b, "origin", (const uint8_t *)g->origin, strlen(g->origin));
  if (rc == 0) rc = st__meta_put(b, "log_public_key", g->log_public_key, PROTO_PUBKEY_BYTES);
  if (rc == 0) rc = st__meta_put(b, "national_account", v8, 8);
  if (rc == 0) rc = st__meta_put(b, "operator_threshold", &g->operator_threshold, 1);
  if (rc) return rc;
  b->has_genesis = true;
  snprintf(b->origin, sizeof(b->origin), "%s", g->origin);
  memcpy(b->log_pub, g->log_public_key, PROTO_PUBKEY_BYTES);
  b->national = g->national_account;
  b->op_threshold = g->operator_threshold;
  return 0;
}

int rules__key_register(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_KEY_REGISTER);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_key_register *r = &c->tx->u.key_register;
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_key k = {.role = r->role, .scope = r->scope, .registered_index = c->index};
  memcpy(k.public_key, r->public_key, PROTO_PUBKEY_BYTES);
  proto_sha256(k.public_key, PROTO_PUBKEY_BYTES, k.hash);
  snprintf(k.name, sizeof(k.name), "%s", r->name);
  struct ledger_key old;
  rc = st__key(c->b, k.hash, &old);
  if (rc == 0) return PROTO_E_KEY_EXISTS;
  if (rc != PROTO_E_NOT_FOUND) return rc;
  if (r->role == PROTO_ROLE_AUTHORITY) {
    if (r->scope > 255 || !proto_province_valid((unsigned)r->scope)) return PROTO_E_BAD_PROVINCE;
  } else if (r->role == PROTO_ROLE_REPRESENTATIVE) {
    struct ledger_account a;
    rc = st__open_account(c->b, r->scope, &a);
    if (rc) return rc;
  } else if (r->scope != 0) {
    return PROTO_E_FIELD_NONZERO;
  }
  if (proto_pubkey_check(r->public_key) != 0) return PROTO_E_BAD_KEY;
  return st__key_put(c->b, &k);
}

int rules__key_revoke(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_KEY_REVOKE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_key k;
  rc = st__key(c->b, c->tx->u.key_revoke.key_hash, &k);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_KEY;
  if (rc) return rc;
  if (k.revoked) return PROTO_E_REVOKED_KEY;
  k.revoked = true;
  k.revoked_index = c->index;
  return st__key_put(c->b, &k);
}

/* Whether the USCC (enterprises) or province (provincial accounts) index already names another
 * account than self. */
static int index_taken(struct batch *b, const struct proto_account *p, uint64_t self) {
  PROTO_ASSERT(b && b->ov && p);
  const uint8_t *v;
  size_t vlen;
  int rc = 0;
  if (p->kind == PROTO_ACCOUNT_ENTERPRISE)
    rc = overlay__get(b->ov, DB_USCC, (const uint8_t *)p->uscc, PROTO_USCC_BYTES, &v, &vlen);
  else if (p->kind == PROTO_ACCOUNT_PROVINCIAL)
    rc = overlay__get(b->ov, DB_PROVINCE, &p->province, 1, &v, &vlen);
  else
    return 0;
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  if (vlen != 8) return PROTO_E_CORRUPT;
  return be64_get(v) == self ? 0 : PROTO_E_ACCOUNT_EXISTS;
}

static int index_put(struct batch *b, const struct ledger_account *a) {
  PROTO_ASSERT(b && b->ov && a);
  PROTO_ASSERT(a->kind != PROTO_ACCOUNT_ENTERPRISE || a->uscc[0] != '\0'); /* account_open checked it */
  uint8_t id[8];
  be64_put(id, a->id);
  if (a->kind == PROTO_ACCOUNT_ENTERPRISE)
    return overlay__put(b->ov, DB_USCC, (const uint8_t *)a->uscc, PROTO_USCC_BYTES, id, 8);
  if (a->kind == PROTO_ACCOUNT_PROVINCIAL)
    return overlay__put(b->ov, DB_PROVINCE, &a->province, 1, id, 8);
  return 0;
}

static int index_del(struct batch *b, const struct ledger_account *a) {
  PROTO_ASSERT(b && b->ov && a);
  if (a->kind == PROTO_ACCOUNT_ENTERPRISE)
    return overlay__del(b->ov, DB_USCC, (const uint8_t *)a->uscc, PROTO_USCC_BYTES);
  if (a->kind == PROTO_ACCOUNT_PROVINCIAL)
    return overlay__del(b->ov, DB_PROVINCE, &a->province, 1);
  return 0;
}

static void account_fields(struct ledger_account *a, const struct proto_account *p) {
  PROTO_ASSERT(a && p);
  a->kind = p->kind;
  a->province = p->province;
  a->sector = p->sector;
  a->threshold = p->threshold;
  snprintf(a->uscc, sizeof(a->uscc), "%s", p->uscc);
  snprintf(a->name, sizeof(a->name), "%s", p->name);
}

int rules__account_open(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_OPEN);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_account *p = &c->tx->u.account;
  int rc = operator_acts(c);
  if (rc) return rc;
  if (p->kind == PROTO_ACCOUNT_NATIONAL) return PROTO_E_ACCOUNT_KIND;
  struct ledger_account a;
  rc = st__account(c->b, p->account, &a);
  if (rc == 0) {
    c->aux = LEDGER_TAKEN_ID;
    return PROTO_E_ACCOUNT_EXISTS;
  }
  if (rc != PROTO_E_NOT_FOUND) return rc;
  rc = index_taken(c->b, p, p->account);
  if (rc == PROTO_E_ACCOUNT_EXISTS)
    c->aux = p->kind == PROTO_ACCOUNT_ENTERPRISE ? LEDGER_TAKEN_USCC : LEDGER_TAKEN_PROVINCE;
  if (rc) return rc;
  memset(&a, 0, sizeof(a));
  a.id = p->account;
  a.opened_index = c->index;
  account_fields(&a, p);
  rc = st__account_put(c->b, &a);
  if (rc == 0) rc = index_put(c->b, &a);
  return rc;
}

int rules__account_update(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_UPDATE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_account *p = &c->tx->u.account;
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_account a;
  rc = st__open_account(c->b, p->account, &a);
  if (rc) return rc;
  if (a.kind != p->kind) return PROTO_E_ACCOUNT_KIND;
  rc = index_taken(c->b, p, p->account);
  if (rc == PROTO_E_ACCOUNT_EXISTS)
    c->aux = p->kind == PROTO_ACCOUNT_ENTERPRISE ? LEDGER_TAKEN_USCC : LEDGER_TAKEN_PROVINCE;
  if (rc) return rc;
  rc = index_del(c->b, &a);
  account_fields(&a, p);
  if (rc == 0) rc = index_put(c->b, &a);
  if (rc == 0) rc = st__account_put(c->b, &a);
  return rc;
}

struct empty_check {
  struct batch *b;
  bool empty;
};

static int check_row_empty(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                           size_t vlen) {
  PROTO_ASSERT(arg != NULL && val != NULL);
  (void)key;
  (void)klen;
  struct empty_check *e = arg;
  struct ledger_balance bal;
  int rc = rec_balance_decode(val, vlen, &bal);
  if (rc) return rc;
  if (bal.registry || bal.trading || bal.frozen) e->empty = false;
  return 0;
}

/* Records of db under prefix: those committed in LMDB (read through the overlay, which may have
 * changed or removed them) and those in the overlay (this batch's). A record may be seen twice:
 * callers only test a property of every record. */
int ledger__scan_prefix(struct batch *b, unsigned db, const uint8_t *prefix, size_t plen,
                        int (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                                  size_t vlen),
                        void *arg) {
  PROTO_ASSERT(db < DB_COUNT && plen > 0 && plen <= OV_KEY_BYTES_MAX);
  PROTO_ASSERT(b && b->txn && prefix && fn);
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(b->txn, b->l->dbi[db], &cur));
  if (rc) return rc;
  MDB_val k = {plen, (void *)prefix}, v;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (mrc == 0 && rc == 0 && k.mv_size >= plen && k.mv_size <= OV_KEY_BYTES_MAX &&
         memcmp(k.mv_data, prefix, plen) == 0) {
    uint8_t key[OV_KEY_BYTES_MAX];
    size_t klen = k.mv_size;
    memcpy(key, k.mv_data, klen);
    const uint8_t *ov;
    size_t ovlen;
    rc = overlay__get(b->ov, db, key, klen, &ov, &ovlen);
    if (rc == 0) rc = fn(arg, key, klen, ov, ovlen);
    else if (rc == PROTO_E_NOT_FOUND) rc = 0;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc) return rc;
  if (mrc != 0 && mrc != MDB_NOTFOUND) return store__mdb_err(mrc);
  return overlay__each(b->ov, db, prefix, plen, fn, arg);
}

static int holdings_empty(struct batch *b, uint64_t account, bool *empty) {
  PROTO_ASSERT(b && empty);
  struct empty_check e = {.b = b, .empty = true};
  uint8_t prefix[8];
  be64_put(prefix, account);
  int rc = ledger__scan_prefix(b, DB_BALANCES, prefix, 8, check_row_empty, &e);
  *empty = e.empty;
  return rc;
}

/* Closing is refused while the enterprise holds units, owes a deduction or is short or overdue
 * in a compliance year: a closed account could no longer answer for any of them. */
int rules__account_close(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_CLOSE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_account a;
  rc = st__open_account(c->b, c->tx->u.account_close.account, &a);
  if (rc) return rc;
  if (a.kind == PROTO_ACCOUNT_NATIONAL) return PROTO_E_ACCOUNT_KIND;
  bool empty = false, owing = false;
  rc = holdings_empty(c->b, a.id, &empty);
  if (rc) return rc;
  if (!empty) return PROTO_E_ACCOUNT_NOT_EMPTY;
  if (a.kind == PROTO_ACCOUNT_ENTERPRISE) rc = ledger__compliance_owing(c->b, a.id, &owing);
  if (rc) return rc;
  if (owing || a.deduction_outstanding > 0) return PROTO_E_ACCOUNT_OWES;
  a.closed = true;
  return st__account_put(c->b, &a);
}

/* A closed account kept its id, USCC and history: reopening only clears the flag. */
int rules__account_reopen(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_REOPEN);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_account a;
  rc = st__account(c->b, c->tx->u.account_close.account, &a);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_ACCOUNT;
  if (rc) return rc;
  if (!a.closed) return PROTO_E_ACCOUNT_OPEN;
  PROTO_ASSERT(a.kind != PROTO_ACCOUNT_NATIONAL);
  a.closed = false;
  return st__account_put(c->b, &a);
}

int ledger__account_at_risk(struct batch *b, uint64_t account, bool *at_risk) {
  PROTO_ASSERT(b && at_risk);
  struct ledger_account a;
  int rc = st__account(b, account, &a);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_ACCOUNT;
  *at_risk = rc == 0 && a.at_risk;
  return rc;
}

/* The authority of the enterprise's province, with its provincial account's threshold (an
 * enterprise of a province without one has no authority yet: UNKNOWN_ACCOUNT). */
static int authority_acts(struct tx_ctx *c, const struct ledger_account *ent) {
  PROTO_ASSERT(c && c->b && ent);
  PROTO_ASSERT(ent->kind == PROTO_ACCOUNT_ENTERPRISE);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(c->b->ov, DB_PROVINCE, &ent->province, 1, &v, &vlen);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_ACCOUNT;
  if (rc == 0 && vlen != 8) rc = PROTO_E_CORRUPT;
  struct ledger_account prov;
  if (rc == 0) rc = st__open_account(c->b, be64_get(v), &prov);
  if (rc) return rc;
  return auth__require(c, PROTO_ROLE_AUTHORITY, ent->province, prov.threshold);
}

/* Set by the operators or by the authority of the enterprise's province; setting the value it
 * already has is refused, so that every at_risk entry changes the status. */
int rules__at_risk(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_AT_RISK);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_at_risk *p = &c->tx->u.at_risk;
  struct ledger_account a;
  int rc = st__open_account(c->b, p->account, &a);
  if (rc) return rc;
  if (a.kind != PROTO_ACCOUNT_ENTERPRISE) return PROTO_E_ACCOUNT_KIND;
  rc = operator_acts(c);
  if (rc == PROTO_E_WRONG_ROLE) rc = authority_acts(c, &a); /* no operator signed */
  if (rc) return rc;
  if (a.at_risk == (p->set != 0)) return PROTO_E_AT_RISK_UNCHANGED;
  a.at_risk = p->set != 0;
  return st__account_put(c->b, &a);
}
