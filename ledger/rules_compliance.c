/* Rules about compliance and the end of units: compliance years, verified emissions, surrender
 * (with the CCER 5% limit), voluntary cancellation, carry-over between vintages and deductions. */
#include <assert.h>
#include <string.h>

#include "alloc/alloc.h"
#include "ledger/internal.h"

static int operator_acts(struct tx_ctx *c) {
  return auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
}

static int year_get(struct batch *b, uint16_t year, struct rec_year *y) {
  uint8_t key[2];
  be16_put(key, year);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_YEARS, key, 2, &v, &vlen);
  if (rc) return rc;
  return rec_year_decode(v, vlen, y);
}

static int compliance_get(struct batch *b, uint64_t account, uint16_t year,
                          struct rec_compliance *r) {
  uint8_t key[10];
  rec_compliance_key(account, year, key);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_COMPLIANCE, key, sizeof(key), &v, &vlen);
  if (rc) return rc;
  return rec_compliance_decode(v, vlen, r);
}

/* The record completes the first time what counts (alloc_counted) reaches the obligation and
 * stops being complete if a re-determination raises it. */
static int compliance_put(struct batch *b, uint64_t account, uint16_t year,
                          struct rec_compliance *r) {
  uint64_t counted = alloc_counted(r->cea, r->ccer, r->emissions);
  if (counted > PROTO_AMOUNT_MAX) return PROTO_E_OVERFLOW;
  if (counted < r->emissions) r->completed_ms = 0;
  else if (r->completed_ms == 0) r->completed_ms = b->time_ms ? b->time_ms : 1;
  uint8_t key[10], val[REC_COMPLIANCE_V2_BYTES];
  rec_compliance_key(account, year, key);
  size_t n = rec_compliance_encode(r, val);
  return overlay__put(b->ov, DB_COMPLIANCE, key, sizeof(key), val, n);
}

int rules__compliance_year(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_COMPLIANCE_YEAR);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_compliance_year *p = &c->tx->u.compliance_year;
  int rc = operator_acts(c);
  if (rc) return rc;
  struct rec_year y;
  rc = year_get(c->b, p->year, &y);
  if (rc == 0 && p->deadline_ms <= y.deadline_ms) return PROTO_E_DEADLINE_EARLIER;
  if (rc != 0 && rc != PROTO_E_NOT_FOUND) return rc;
  y.deadline_ms = p->deadline_ms;
  y.index = c->index;
  uint8_t key[2], val[REC_YEAR_BYTES];
  be16_put(key, p->year);
  rec_year_encode(&y, val);
  return overlay__put(c->b->ov, DB_YEARS, key, 2, val, sizeof(val));
}

/* The provincial account of a province (for its threshold). */
static int provincial_of(struct batch *b, uint8_t province, struct ledger_account *a) {
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_PROVINCE, &province, 1, &v, &vlen);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_ACCOUNT;
  if (rc) return rc;
  if (vlen != 8) return PROTO_E_CORRUPT;
  return st__open_account(b, be64_get(v), a);
}

static int enterprise(struct batch *b, uint64_t id, struct ledger_account *a) {
  int rc = st__open_account(b, id, a);
  if (rc) return rc;
  return a->kind == PROTO_ACCOUNT_ENTERPRISE ? 0 : PROTO_E_ACCOUNT_KIND;
}

int rules__verified_emissions(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_VERIFIED_EMISSIONS);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_verified_emissions *p = &c->tx->u.emissions;
  struct ledger_account ent, prov;
  int rc = enterprise(c->b, p->account, &ent);
  if (rc == 0) rc = provincial_of(c->b, ent.province, &prov);
  if (rc == 0) rc = auth__require(c, PROTO_ROLE_AUTHORITY, ent.province, prov.threshold);
  if (rc) return rc;
  struct rec_compliance r;
  rc = compliance_get(c->b, p->account, p->year, &r);
  bool existed = rc == 0;
  if (rc == PROTO_E_NOT_FOUND) memset(&r, 0, sizeof(r));
  else if (rc) return rc;
  struct rec_year y = {0};
  rc = year_get(c->b, p->year, &y);
  if (rc != 0 && rc != PROTO_E_NOT_FOUND) return rc;
  /* after the enterprise's deadline (its own, if a correction gave it one); no year, no deadline */
  uint64_t deadline = r.own_deadline_ms > y.deadline_ms ? r.own_deadline_ms : y.deadline_ms;
  bool late = deadline != 0 && c->b->time_ms > deadline;
  if (p->deadline_ms != 0) {
    if (!late || !existed || p->emissions <= r.emissions) return PROTO_E_OWN_DEADLINE;
    if (p->deadline_ms <= c->b->time_ms) return PROTO_E_DEADLINE_EARLIER;
    r.own_deadline_ms = p->deadline_ms;
  }
  if (existed && late && p->emissions != r.emissions) r.corrected = true;
  /* A later record supersedes the obligation; the earlier one stays in the log. */
  r.emissions = p->emissions;
  r.emissions_index = c->index;
  return compliance_put(c->b, p->account, p->year, &r);
}

/* Who surrenders: the enterprise's representatives from its own account, or the authority of
 * its province from the provincial account (at-risk enterprises). */
static int surrender_allowed(struct tx_ctx *c, const struct proto_surrender *s,
                             const struct ledger_account *ent) {
  if (s->from == s->account)
    return auth__require(c, PROTO_ROLE_REPRESENTATIVE, ent->id, ent->threshold);
  struct ledger_account from;
  int rc = st__open_account(c->b, s->from, &from);
  if (rc) return rc;
  if (from.kind != PROTO_ACCOUNT_PROVINCIAL) return PROTO_E_ACCOUNT_KIND;
  rc = auth__require(c, PROTO_ROLE_AUTHORITY, from.province, from.threshold);
  if (rc) return rc;
  if (from.province != ent->province) return PROTO_E_PROVINCE_MISMATCH;
  /* Only an at-risk enterprise's obligations are answered from the provincial account. */
  return ent->at_risk ? 0 : PROTO_E_NOT_AT_RISK;
}

int rules__surrender(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_SURRENDER);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_surrender *s = &c->tx->u.surrender;
  struct batch *b = c->b;
  struct ledger_account ent;
  int rc = enterprise(b, s->account, &ent);
  if (rc == 0) rc = surrender_allowed(c, s, &ent);
  if (rc) return rc;
  struct rec_year y;
  rc = year_get(b, s->year, &y);
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_UNKNOWN_YEAR : rc;
  struct rec_compliance r;
  rc = compliance_get(b, s->account, s->year, &r);
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_NO_OBLIGATION : rc;
  struct ledger_instrument in;
  rc = st__instrument(b, s->instrument, &in);
  if (rc) return rc;
  if (s->year < in.first_year || s->year > in.last_year) return PROTO_E_INELIGIBLE_VINTAGE;
  uint64_t *sum = in.kind == PROTO_INSTRUMENT_CCER ? &r.ccer : &r.cea;
  rc = amount_add(*sum, s->amount, sum);
  if (rc) return rc;
  /* on time: by the enterprise's deadline as it stands at this entry's commit time */
  uint64_t deadline = r.own_deadline_ms > y.deadline_ms ? r.own_deadline_ms : y.deadline_ms;
  if (b->time_ms <= deadline) {
    uint64_t *on_time = in.kind == PROTO_INSTRUMENT_CCER ? &r.on_time_ccer : &r.on_time_cea;
    *on_time += s->amount; /* <= the sum just checked */
  }
  if (in.kind == PROTO_INSTRUMENT_CCER && r.ccer > alloc_ccer_counted_max(r.emissions))
    return PROTO_E_CCER_LIMIT;
  /* On behalf of an at-risk enterprise: only what the province holds for it. */
  bool for_it = s->from != s->account;
  if (for_it && (rc = st__held_take(b, s->account, s->instrument, s->amount, false))) return rc;
  struct ledger_balance bal;
  rc = st__balance(b, s->from, s->instrument, &bal);
  if (rc == 0) rc = st__take_available(c, s->from, &bal, s->amount);
  if (rc == 0) rc = amount_add(in.surrendered, s->amount, &in.surrendered);
  if (rc) return rc;
  if (for_it && (rc = st__held_take(b, s->account, s->instrument, s->amount, true))) return rc;
  rc = st__balance_put(b, s->from, &bal);
  if (rc == 0) rc = st__instrument_put(b, &in, 0);
  if (rc == 0) rc = compliance_put(b, s->account, s->year, &r);
  return rc;
}

int rules__cancel(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CANCEL);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  struct batch *b = c->b;
  struct ledger_account a;
  int rc = st__open_account(b, m->from, &a);
  if (rc) return rc;
  if (a.kind != PROTO_ACCOUNT_ENTERPRISE && a.kind != PROTO_ACCOUNT_PARTICIPANT)
    return PROTO_E_ACCOUNT_KIND;
  rc = auth__require(c, PROTO_ROLE_REPRESENTATIVE, a.id, a.threshold);
  if (rc) return rc;
  struct ledger_instrument in;
  struct ledger_balance bal;
  rc = st__instrument(b, m->instrument, &in);
  if (rc == 0) rc = st__balance(b, m->from, m->instrument, &bal);
  if (rc == 0) rc = st__take_available(c, m->from, &bal, m->amount);
  if (rc == 0) rc = amount_add(in.cancelled, m->amount, &in.cancelled);
  if (rc == 0) rc = st__balance_put(b, m->from, &bal);
  if (rc == 0) rc = st__instrument_put(b, &in, 0);
  return rc;
}

static int deduction_get(struct batch *b, uint64_t account, uint16_t year, uint8_t kind,
                         struct rec_deduction *d) {
  uint8_t key[REC_DEDUCTION_KEY_BYTES];
  rec_deduction_key(account, year, kind, key);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_DEDUCT, key, sizeof(key), &v, &vlen);
  return rc ? rc : rec_deduction_decode(v, vlen, kind, d);
}

int ledger__fraud_percent(struct batch *b, uint64_t account, uint16_t year, unsigned *percent) {
  struct rec_deduction d;
  int rc = deduction_get(b, account, year, PROTO_DEDUCT_FRAUD, &d);
  *percent = rc == 0 ? d.percent : 0;
  return rc == PROTO_E_NOT_FOUND ? 0 : rc;
}

/* A shortfall deduction answers an overdue year: after the enterprise's deadline, with what
 * counts below the obligation; it is at most that shortfall. */
static int shortfall_bound(struct batch *b, const struct proto_movement *m) {
  struct rec_compliance r;
  struct rec_year y = {0};
  int rc = compliance_get(b, m->from, m->year, &r);
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_NO_OBLIGATION : rc;
  rc = year_get(b, m->year, &y);
  if (rc != 0 && rc != PROTO_E_NOT_FOUND) return rc;
  uint64_t deadline = r.own_deadline_ms > y.deadline_ms ? r.own_deadline_ms : y.deadline_ms;
  uint64_t counted = alloc_counted(r.cea, r.ccer, r.emissions);
  if (deadline == 0 || b->time_ms <= deadline || counted >= r.emissions) return PROTO_E_NOT_OVERDUE;
  return m->amount > r.emissions - counted ? PROTO_E_DEDUCTION_BOUND : 0;
}

/* Version 2: one deduction of each kind per enterprise and year, recorded; a shortfall adds to
 * the outstanding deduction, a fraud withholds its percentage of the year's allocations. */
static int deduct_v2(struct tx_ctx *c, struct ledger_account *a) {
  const struct proto_movement *m = &c->tx->u.move;
  struct rec_deduction d;
  int rc = deduction_get(c->b, a->id, m->year, m->kind, &d);
  if (rc == 0) return PROTO_E_DEDUCTION_EXISTS;
  if (rc != PROTO_E_NOT_FOUND) return rc;
  if (m->kind == PROTO_DEDUCT_SHORTFALL && (rc = shortfall_bound(c->b, m))) return rc;
  d = (struct rec_deduction){.amount = m->amount, .percent = m->percent, .index = c->index};
  uint8_t key[REC_DEDUCTION_KEY_BYTES], val[REC_DEDUCTION_BYTES];
  rec_deduction_key(a->id, m->year, m->kind, key);
  rec_deduction_encode(&d, val);
  return overlay__put(c->b->ov, DB_DEDUCT, key, sizeof(key), val, sizeof(val));
}

int rules__deduct(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_DEDUCT);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  int rc = operator_acts(c);
  struct ledger_account a;
  if (rc == 0) rc = enterprise(c->b, m->from, &a);
  uint64_t total = 0;
  if (rc == 0) rc = amount_add(a.deduction_outstanding, m->amount, &total);
  if (rc == 0 && proto_tx_version(c->tx) == 2) rc = deduct_v2(c, &a);
  if (rc || m->amount == 0) return rc; /* a fraud deduction owes no tonnes */
  a.deduction_outstanding = total;
  return st__account_put(c->b, &a);
}

static int owing_row(void *arg, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen) {
  (void)key;
  assert(klen == 10);
  struct rec_compliance r;
  int rc = rec_compliance_decode(val, vlen, &r);
  if (rc) return rc;
  /* completed_ms is 0 exactly while what counts is below the obligation: short or overdue. */
  if (r.completed_ms == 0) *(bool *)arg = true;
  return 0;
}

int ledger__compliance_owing(struct batch *b, uint64_t account, bool *owing) {
  uint8_t prefix[8];
  be64_put(prefix, account);
  *owing = false;
  return ledger__scan_prefix(b, DB_COMPLIANCE, prefix, sizeof(prefix), owing_row, owing);
}
