/* Rules about making and distributing units: instrument create, issue, allocate (with deduction
 * withholding) and claw back. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"
#include "ledger/internal.h"

static int operator_acts(struct tx_ctx *c) {
  return auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
}

int rules__instrument_create(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_INSTRUMENT_CREATE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_instrument_create *p = &c->tx->u.instrument;
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_instrument in;
  rc = st__instrument(c->b, p->code, &in);
  if (rc == 0) return PROTO_E_INSTRUMENT_EXISTS;
  if (rc != PROTO_E_UNKNOWN_INSTRUMENT) return rc;
  if (p->first_year > p->last_year) return PROTO_E_BAD_RANGE;
  memset(&in, 0, sizeof(in));
  snprintf(in.code, sizeof(in.code), "%s", p->code);
  in.kind = p->kind;
  in.vintage = p->vintage;
  in.first_year = p->first_year;
  in.last_year = p->last_year;
  in.cap = p->cap;
  return st__instrument_put(c->b, &in, c->index);
}

/* Issue version 2: a CCER batch goes to its project owner's holding account. */
static int issue_owner(struct tx_ctx *c, const struct ledger_instrument *in, uint64_t *to) {
  const struct proto_movement *m = &c->tx->u.move;
  *to = c->b->national;
  if (c->tx->version < 2) return 0;
  if (in->kind != PROTO_INSTRUMENT_CCER) return PROTO_E_INSTRUMENT_KIND;
  struct ledger_account owner;
  int rc = st__open_account(c->b, m->to, &owner);
  if (rc) return rc;
  if (owner.kind != PROTO_ACCOUNT_ENTERPRISE && owner.kind != PROTO_ACCOUNT_PARTICIPANT)
    return PROTO_E_ACCOUNT_KIND;
  *to = owner.id;
  return 0;
}

int rules__issue(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ISSUE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  struct batch *b = c->b;
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_instrument in;
  uint64_t to;
  rc = st__instrument(b, m->instrument, &in);
  if (rc == 0) rc = issue_owner(c, &in, &to);
  if (rc) return rc;
  uint64_t issued;
  rc = amount_add(in.issued, m->amount, &issued);
  if (rc) return rc;
  if (issued > in.cap) return PROTO_E_CAP_EXCEEDED;
  struct ledger_balance bal;
  rc = st__balance(b, to, m->instrument, &bal);
  if (rc == 0) rc = amount_add(bal.registry, m->amount, &bal.registry);
  if (rc) return rc;
  in.issued = issued;
  rc = st__instrument_put(b, &in, 0);
  if (rc == 0) rc = st__balance_put(b, to, &bal);
  return rc;
}

/* Moves amount from the available registry position of `from` to the registry position of `to`,
 * of which only `credit` arrives (the rest stays with `from`). */
static int move_registry(struct tx_ctx *c, uint64_t from, uint64_t to, const char *code,
                         uint64_t amount, uint64_t credit) {
  struct batch *b = c->b;
  struct ledger_balance src, dst;
  int rc = st__balance(b, from, code, &src);
  if (rc == 0) rc = st__balance(b, to, code, &dst);
  if (rc == 0) rc = st__take_available(c, from, &src, amount);
  if (rc) return rc;
  src.registry += amount - credit; /* what is withheld never left */
  rc = amount_add(dst.registry, credit, &dst.registry);
  if (rc == 0) rc = st__balance_put(b, from, &src);
  if (rc == 0) rc = st__balance_put(b, to, &dst);
  return rc;
}

/* Who may allocate from `from` to `to`: the operator national -> provincial; the province's
 * authority provincial -> an enterprise of the same province. */
static int allocate_allowed(struct tx_ctx *c, const struct ledger_account *from,
                            const struct ledger_account *to) {
  if (from->kind == PROTO_ACCOUNT_NATIONAL) {
    if (to->kind != PROTO_ACCOUNT_PROVINCIAL) return PROTO_E_ACCOUNT_KIND;
    return operator_acts(c);
  }
  if (from->kind != PROTO_ACCOUNT_PROVINCIAL || to->kind != PROTO_ACCOUNT_ENTERPRISE)
    return PROTO_E_ACCOUNT_KIND;
  int rc = auth__require(c, PROTO_ROLE_AUTHORITY, from->province, from->threshold);
  if (rc) return rc;
  return to->province == from->province ? 0 : PROTO_E_PROVINCE_MISMATCH;
}

/* The row an allocation or claw-back cites, of a complete table of that instrument, for that
 * enterprise. PRE cites a pre-allocation table, FINAL and SUPPLEMENT (and claw-backs: kind 0)
 * a final one. */
static int cited_row(struct tx_ctx *c, const struct ledger_account *enterprise, unsigned kind,
                     struct proto_alloc_row *row) {
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_table t;
  int rc = tables__get(c->b, m->table, &t);
  if (rc) return rc;
  if (t.status != LEDGER_TABLE_COMPLETE) return PROTO_E_TABLE_INCOMPLETE;
  unsigned phase = kind == PROTO_ALLOC_PRE ? PROTO_PHASE_PRE : PROTO_PHASE_FINAL;
  if (strcmp(t.instrument, m->instrument) != 0 || t.phase != phase) return PROTO_E_ALLOC_MISMATCH;
  if (m->row >= t.rows_count) return PROTO_E_UNKNOWN_ROW;
  rc = tables__row(c->b, t.id, m->row, row);
  if (rc) return rc;
  bool same = strcmp(row->uscc, enterprise->uscc) == 0 && row->sector == enterprise->sector;
  return same ? 0 : PROTO_E_ALLOC_MISMATCH;
}

/* Holds an allocation to an enterprise to its table row (version 2), or, in version 1, allows
 * it only while no complete table of that vintage and sector exists. */
static int hold_to_row(struct tx_ctx *c, const struct ledger_account *to) {
  const struct proto_movement *m = &c->tx->u.move;
  if (c->tx->version < 2) {
    bool found;
    int rc = tables__any_complete(c->b, m->instrument, to->sector, &found);
    return rc ? rc : found ? PROTO_E_ALLOC_MISMATCH : 0;
  }
  struct proto_alloc_row row;
  struct unit_alloc u;
  int rc = cited_row(c, to, m->kind, &row);
  if (rc == 0) rc = tables__unit(c->b, m->instrument, &row, &u);
  if (rc) return rc;
  uint64_t bound = m->kind == PROTO_ALLOC_PRE ? row.pre : row.quota;
  uint64_t given = m->kind == PROTO_ALLOC_PRE ? u.pre : u.total;
  if (m->amount > bound || given > bound - m->amount) return PROTO_E_OVER_ALLOCATION;
  if (m->kind == PROTO_ALLOC_PRE) u.pre += m->amount;
  assert(u.pre <= row.pre || m->kind != PROTO_ALLOC_PRE);
  rc = amount_add(u.total, m->amount, &u.total);
  return rc ? rc : tables__unit_put(c->b, m->instrument, &row, &u);
}

/* Year and kind agree with the instrument: a CEA vintage allocated for its own year; national
 * -> provincial cites no table. */
static int allocation_fits(const struct tx_ctx *c, const struct ledger_instrument *in,
                           const struct ledger_account *to) {
  const struct proto_movement *m = &c->tx->u.move;
  if (in->kind != PROTO_INSTRUMENT_CEA) return PROTO_E_INSTRUMENT_KIND;
  if (m->year != in->vintage) return PROTO_E_ALLOC_MISMATCH;
  if (to->kind != PROTO_ACCOUNT_ENTERPRISE && (m->table != 0 || m->row != 0))
    return PROTO_E_ALLOC_MISMATCH;
  if (to->kind == PROTO_ACCOUNT_ENTERPRISE && c->tx->version >= 2 && m->table == 0)
    return PROTO_E_UNKNOWN_TABLE;
  return 0;
}

int rules__allocate(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOCATE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_account from, to;
  int rc = st__open_account(c->b, m->from, &from);
  if (rc == 0) rc = st__open_account(c->b, m->to, &to);
  if (rc == 0) rc = allocate_allowed(c, &from, &to);
  if (rc) return rc;
  struct ledger_instrument in;
  rc = st__instrument(c->b, m->instrument, &in);
  if (rc == 0) rc = allocation_fits(c, &in, &to);
  if (rc == 0 && to.kind == PROTO_ACCOUNT_ENTERPRISE) rc = hold_to_row(c, &to);
  if (rc) return rc;
  /* An outstanding deduction takes its part of every allocation first; that part stays in the
   * provincial account. The whole amount must be available there all the same. */
  uint64_t withheld = 0, credited = m->amount;
  unsigned fraud = 0;
  if (to.kind == PROTO_ACCOUNT_ENTERPRISE) rc = ledger__fraud_percent(c->b, to.id, m->year, &fraud);
  if (rc) return rc;
  alloc_withhold(m->amount, to.deduction_outstanding, fraud, &credited, &withheld,
                 &to.deduction_outstanding);
  /* An at-risk enterprise's part stays in the provincial account too, held for it. */
  bool at_risk = false;
  if (to.kind == PROTO_ACCOUNT_ENTERPRISE) rc = ledger__account_at_risk(c->b, to.id, &at_risk);
  if (rc == 0) rc = move_registry(c, from.id, to.id, m->instrument, m->amount, at_risk ? 0 : credited);
  if (rc == 0 && at_risk && credited > 0) rc = st__held_add(c->b, to.id, m->instrument, credited);
  if (rc == 0 && withheld > 0) rc = st__account_put(c->b, &to);
  c->withheld = withheld;
  return rc;
}

/* A claw-back takes back only what the unit was allocated above its final quota (version 2);
 * version 1 is allowed only while no complete table of that vintage and sector exists. */
static int clawback_bound(struct tx_ctx *c, const struct ledger_account *from) {
  const struct proto_movement *m = &c->tx->u.move;
  if (c->tx->version < 2) {
    bool found;
    int rc = tables__any_complete(c->b, m->instrument, from->sector, &found);
    return rc ? rc : found ? PROTO_E_ALLOC_MISMATCH : 0;
  }
  struct proto_alloc_row row;
  struct unit_alloc u;
  int rc = cited_row(c, from, PROTO_ALLOC_FINAL, &row);
  if (rc == 0) rc = tables__unit(c->b, m->instrument, &row, &u);
  if (rc) return rc;
  if (u.total <= row.quota || m->amount > u.total - row.quota) return PROTO_E_CLAWBACK_BOUND;
  u.total -= m->amount;
  assert(u.total >= row.quota); /* a claw-back never takes the unit below its quota */
  return tables__unit_put(c->b, m->instrument, &row, &u);
}

int rules__clawback(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CLAWBACK);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_account from, to;
  int rc = st__open_account(c->b, m->from, &from);
  if (rc == 0) rc = st__open_account(c->b, m->to, &to);
  if (rc) return rc;
  if (from.kind != PROTO_ACCOUNT_ENTERPRISE || to.kind != PROTO_ACCOUNT_PROVINCIAL)
    return PROTO_E_ACCOUNT_KIND;
  rc = auth__require(c, PROTO_ROLE_AUTHORITY, to.province, to.threshold);
  if (rc) return rc;
  if (from.province != to.province) return PROTO_E_PROVINCE_MISMATCH;
  struct ledger_instrument in;
  rc = st__instrument(c->b, m->instrument, &in);
  if (rc == 0) rc = clawback_bound(c, &from);
  if (rc) return rc;
  return move_registry(c, from.id, to.id, m->instrument, m->amount, m->amount);
}
