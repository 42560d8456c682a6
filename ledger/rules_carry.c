/* Carry-over between vintages: the carry-over rule entries (type 27), the running net sales of
 * every account that carry-overs are computed from, and the carry-over itself (docs/RULES.md
 * "Carry-over"). The ledger computes NS and the cap T from its own history; the entry must agree. */
#include <string.h>

#include "alloc/alloc.h"
#include "ledger/internal.h"

/* Version 1 entries recorded their own window and used the 2019-2024 vintages of the power
 * 2023-2024 scheme; their NS is checked over those. */
#define CARRY_V1_VINTAGE_MIN 2019u
#define CARRY_V1_VINTAGE_MAX 2024u

static int operator_acts(struct tx_ctx *c) {
  return auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
}

static uint64_t add_saturating(uint64_t a, uint64_t b) {
  uint64_t s;
  return __builtin_add_overflow(a, b, &s) ? UINT64_MAX : s;
}

/* One side of a leg: out or in of account's record for the vintage at the batch's time. */
static int sales_add(struct batch *b, uint64_t account, uint16_t vintage, uint64_t amount,
                     bool outgoing) {
  uint8_t key[REC_SALES_KEY_BYTES], val[REC_SALES_BYTES];
  rec_sales_key(account, vintage, b->time_ms, key);
  const uint8_t *v;
  size_t vlen;
  struct rec_sales s = {0, 0};
  int rc = overlay__get(b->ov, DB_CARRY, key, sizeof(key), &v, &vlen);
  if (rc == 0) rc = rec_sales_decode(v, vlen, &s);
  else if (rc == PROTO_E_NOT_FOUND) rc = 0;
  if (rc) return rc;
  if (outgoing) s.out = add_saturating(s.out, amount);
  else s.in = add_saturating(s.in, amount);
  rec_sales_encode(&s, val);
  return overlay__put(b->ov, DB_CARRY, key, sizeof(key), val, sizeof(val));
}

int carry__sales_record(struct batch *b, uint64_t from, uint64_t to, const char *code,
                        uint64_t amount) {
  PROTO_ASSERT(from != to && amount > 0);
  struct ledger_instrument in;
  int rc = st__instrument(b, code, &in);
  if (rc || in.kind != PROTO_INSTRUMENT_CEA) return rc;
  rc = sales_add(b, from, in.vintage, amount, true);
  return rc ? rc : sales_add(b, to, in.vintage, amount, false);
}

struct ns_scan {
  uint16_t vintage_min, vintage_max;
  uint64_t start_ms, end_ms, out, in;
};

static int ns_row(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
  struct ns_scan *n = arg;
  struct rec_sales s;
  if (klen != REC_SALES_KEY_BYTES) return PROTO_E_CORRUPT;
  int rc = rec_sales_decode(val, vlen, &s);
  if (rc) return rc;
  uint16_t vintage = be16_get(key + 9);
  uint64_t t = be64_get(key + 11);
  if (vintage < n->vintage_min || vintage > n->vintage_max) return 0;
  if (t < n->start_ms || t >= n->end_ms) return 0;
  n->out = add_saturating(n->out, s.out);
  n->in = add_saturating(n->in, s.in);
  return 0;
}

/* The records this batch created (not yet in LMDB); those it changed were read in the first
 * pass through the overlay. Sales records are never deleted. */
struct ns_new {
  struct batch *b;
  struct ns_scan *n;
};

static int ns_new_row(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                      size_t vlen) {
  struct ns_new *x = arg;
  MDB_val k = {klen, (void *)key}, v;
  int mrc = mdb_get(x->b->txn, x->b->l->dbi[DB_CARRY], &k, &v);
  if (mrc == 0) return 0;
  if (mrc != MDB_NOTFOUND) return store__mdb_err(mrc);
  return ns_row(x->n, key, klen, val, vlen);
}

/* Every record of account once, as the overlay has it: LMDB's through the overlay, then the
 * overlay's new ones (ledger__scan_prefix may show a record twice). */
static int sales_scan(struct batch *b, uint64_t account, struct ns_scan *n) {
  uint8_t prefix[9];
  prefix[0] = REC_SALES_TAG;
  be64_put(prefix + 1, account);
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(b->txn, b->l->dbi[DB_CARRY], &cur));
  if (rc) return rc;
  MDB_val k = {sizeof(prefix), prefix}, v;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (mrc == 0 && rc == 0 && k.mv_size == REC_SALES_KEY_BYTES &&
         memcmp(k.mv_data, prefix, sizeof(prefix)) == 0) {
    uint8_t key[REC_SALES_KEY_BYTES];
    memcpy(key, k.mv_data, sizeof(key));
    const uint8_t *ov;
    size_t ovlen;
    rc = overlay__get(b->ov, DB_CARRY, key, sizeof(key), &ov, &ovlen);
    if (rc == 0) rc = ns_row(n, key, sizeof(key), ov, ovlen);
    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_CORRUPT : rc;
  if (mrc != 0 && mrc != MDB_NOTFOUND) return store__mdb_err(mrc);
  struct ns_new x = {b, n};
  return overlay__each(b->ov, DB_CARRY, prefix, sizeof(prefix), ns_new_row, &x);
}

/* NS: outgoing minus incoming tonnes of the vintages whose commit time falls in [start, end),
 * at least 0. */
static int net_sales(struct batch *b, uint64_t account, struct ns_scan *n, uint64_t *ns) {
  int rc = sales_scan(b, account, n);
  if (rc) return rc;
  *ns = n->out > n->in ? n->out - n->in : 0;
  return 0;
}

static int rule_get(struct batch *b, const uint8_t id[PROTO_ID_BYTES], struct rec_carry_rule *r) {
  uint8_t key[REC_CARRY_RULE_KEY_BYTES];
  rec_carry_rule_key(id, key);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_CARRY, key, sizeof(key), &v, &vlen);
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_UNKNOWN_RULE : rc;
  return rec_carry_rule_decode(v, vlen, r);
}

static int any_rule(struct batch *b, bool *exists) {
  const uint8_t key[1] = {REC_CARRY_ANY_TAG};
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_CARRY, key, 1, &v, &vlen);
  *exists = rc == 0;
  return rc == PROTO_E_NOT_FOUND ? 0 : rc;
}

/* The target must be a CEA vintage later than every eligible one. */
int rules__carry_over_rule(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CARRY_OVER_RULE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_carry_over_rule *p = &c->tx->u.carry_over_rule;
  struct ledger_instrument to;
  int rc = operator_acts(c);
  if (rc == 0) rc = st__instrument(c->b, p->to_instrument, &to);
  if (rc) return rc;
  if (to.kind != PROTO_INSTRUMENT_CEA) return PROTO_E_INSTRUMENT_KIND;
  if (to.vintage <= p->vintage_to) return PROTO_E_INELIGIBLE_VINTAGE;
  struct rec_carry_rule r = {.index = c->index, .rule = *p};
  memset(r.rule.ref, 0, sizeof(r.rule.ref));
  uint8_t key[REC_CARRY_RULE_KEY_BYTES], val[REC_CARRY_RULE_BYTES];
  rec_carry_rule_key(c->tx->id, key);
  rec_carry_rule_encode(&r, val);
  rc = overlay__put(c->b->ov, DB_CARRY, key, sizeof(key), val, sizeof(val));
  bool exists = false;
  if (rc == 0) rc = any_rule(c->b, &exists);
  if (rc || exists) return rc;
  uint8_t any_key[1] = {REC_CARRY_ANY_TAG}, any_val[REC_CARRIED_BYTES] = {REC_VERSION};
  be64_put(any_val + 1, c->index);
  return overlay__put(c->b->ov, DB_CARRY, any_key, 1, any_val, sizeof(any_val));
}

static int carried_get(struct batch *b, uint64_t account, const char *code, uint64_t *total) {
  uint8_t key[24];
  rec_balance_key(account, code, key);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_CARRIED, key, sizeof(key), &v, &vlen);
  *total = 0;
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  if (vlen != REC_CARRIED_BYTES || v[0] != REC_VERSION) return PROTO_E_CORRUPT;
  *total = be64_get(v + 1);
  return 0;
}

static int carried_put(struct batch *b, uint64_t account, const char *code, uint64_t total) {
  uint8_t key[24], val[REC_CARRIED_BYTES];
  rec_balance_key(account, code, key);
  val[0] = REC_VERSION;
  be64_put(val + 1, total);
  return overlay__put(b->ov, DB_CARRIED, key, sizeof(key), val, sizeof(val));
}

/* Version 1: the recorded cap within 10,000 + 1.5 x the recorded NS, and the recorded NS not
 * above what the ledger's own history gives for the 2019-2024 vintages in the recorded window
 * (what quota-audit always checked). Refused once any carry-over rule exists. */
static int carry_v1_limit(struct tx_ctx *c, const struct proto_carry_over *p, uint64_t *limit) {
  bool exists = false;
  int rc = any_rule(c->b, &exists);
  if (rc) return rc;
  if (exists) return PROTO_E_RULE_REQUIRED;
  rc = alloc_carryover_limit(p->net_sales, limit);
  if (rc) return rc;
  if (p->cap > *limit) return PROTO_E_CARRYOVER_MISMATCH;
  struct ns_scan n = {CARRY_V1_VINTAGE_MIN, CARRY_V1_VINTAGE_MAX, p->window_start_ms,
                      p->window_end_ms, 0, 0};
  uint64_t ns = 0;
  rc = net_sales(c->b, p->account, &n, &ns);
  if (rc) return rc;
  *limit = p->cap; /* version 1 holds the carried total to the recorded cap */
  return p->net_sales > ns ? PROTO_E_CARRYOVER_MISMATCH : 0;
}

/* Version 2: the rule's vintages, target, sectors and closed window; NS and T as the ledger
 * computes them: T = min(floor(base + factor x NS), the registry position of from_instrument). */
static int carry_v2_limit(struct tx_ctx *c, const struct proto_carry_over *p,
                          const struct ledger_account *a, const struct ledger_instrument *from,
                          uint64_t *limit) {
  struct rec_carry_rule r;
  int rc = rule_get(c->b, p->rule, &r);
  if (rc) return rc;
  const struct proto_carry_over_rule *q = &r.rule;
  if (c->b->time_ms < q->window_end_ms) return PROTO_E_CARRYOVER_EARLY;
  bool covered = a->sector < 8 && (q->sectors & (1u << a->sector)) != 0;
  bool eligible = from->vintage >= q->vintage_from && from->vintage <= q->vintage_to;
  if (!covered || !eligible || strcmp(p->to_instrument, q->to_instrument) != 0)
    return PROTO_E_CARRYOVER_RULE;
  struct ns_scan n = {q->vintage_from, q->vintage_to, q->window_start_ms, q->window_end_ms, 0, 0};
  uint64_t ns = 0;
  struct ledger_balance bal;
  rc = net_sales(c->b, p->account, &n, &ns);
  if (rc == 0) rc = alloc_carryover_rule_limit(q->base, q->factor_milli, ns, limit);
  if (rc == 0) rc = st__balance(c->b, p->account, p->from_instrument, &bal);
  if (rc) return rc;
  uint64_t t = *limit < bal.registry ? *limit : bal.registry;
  if (p->net_sales != ns || p->cap != t) return PROTO_E_CARRYOVER_MISMATCH;
  return p->amount > t ? PROTO_E_CARRYOVER_CAP : 0;
}

/* Both instruments CEA, into a later vintage. */
static int carry_instruments(struct batch *b, const struct proto_carry_over *p,
                             struct ledger_instrument *from, struct ledger_instrument *to) {
  int rc = st__instrument(b, p->from_instrument, from);
  if (rc == 0) rc = st__instrument(b, p->to_instrument, to);
  if (rc) return rc;
  if (from->kind != PROTO_INSTRUMENT_CEA || to->kind != PROTO_INSTRUMENT_CEA)
    return PROTO_E_INSTRUMENT_KIND;
  return to->vintage <= from->vintage ? PROTO_E_INELIGIBLE_VINTAGE : 0;
}

/* Retires amount of the old vintage and creates it in the new one (within its cap). */
static int carry_apply(struct tx_ctx *c, const struct proto_carry_over *p,
                       struct ledger_instrument *from, struct ledger_instrument *to) {
  struct batch *b = c->b;
  struct ledger_balance src, dst;
  int rc = st__balance(b, p->account, p->from_instrument, &src);
  if (rc == 0) rc = st__take_available(c, p->account, &src, p->amount);
  if (rc == 0) rc = amount_add(to->issued, p->amount, &to->issued);
  if (rc == 0 && to->issued > to->cap) rc = PROTO_E_CAP_EXCEEDED;
  if (rc == 0) rc = amount_add(from->carried_over, p->amount, &from->carried_over);
  if (rc == 0) rc = st__balance_put(b, p->account, &src);
  if (rc == 0) rc = st__balance(b, p->account, p->to_instrument, &dst);
  if (rc == 0) rc = amount_add(dst.registry, p->amount, &dst.registry);
  if (rc == 0) rc = st__balance_put(b, p->account, &dst);
  if (rc == 0) rc = st__instrument_put(b, from, 0);
  if (rc == 0) rc = st__instrument_put(b, to, 0);
  return rc;
}

int rules__carry_over(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CARRY_OVER);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_carry_over *p = &c->tx->u.carry_over;
  struct batch *b = c->b;
  int rc = operator_acts(c);
  struct ledger_account a;
  if (rc == 0) rc = st__open_account(b, p->account, &a);
  if (rc == 0 && a.kind != PROTO_ACCOUNT_ENTERPRISE) rc = PROTO_E_ACCOUNT_KIND;
  struct ledger_instrument from, to;
  if (rc == 0) rc = carry_instruments(b, p, &from, &to);
  uint64_t limit = 0, carried = 0;
  if (rc == 0) {
    rc = proto_tx_version(c->tx) == 2 ? carry_v2_limit(c, p, &a, &from, &limit)
                                      : carry_v1_limit(c, p, &limit);
  }
  /* What was carried into the target under any entry counts against the limit. */
  if (rc == 0) rc = carried_get(b, p->account, p->to_instrument, &carried);
  if (rc == 0) rc = amount_add(carried, p->amount, &carried);
  if (rc) return rc;
  if (carried > limit) return PROTO_E_CARRYOVER_CAP;
  rc = carry_apply(c, p, &from, &to);
  return rc ? rc : carried_put(b, p->account, p->to_instrument, carried);
}
