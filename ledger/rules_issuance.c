/* Rules about making and distributing units: instrument create, issue, allocate (with deduction
 * withholding) and claw back. */
#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"
#include "ledger/internal.h"

static int operator_acts(struct tx_ctx *c) {
  return auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
}

int rules__instrument_create(struct tx_ctx *c) {
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

int rules__issue(struct tx_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct batch *b = c->b;
  int rc = operator_acts(c);
  if (rc) return rc;
  struct ledger_instrument in;
  rc = st__instrument(b, m->instrument, &in);
  if (rc) return rc;
  uint64_t issued;
  rc = amount_add(in.issued, m->amount, &issued);
  if (rc) return rc;
  if (issued > in.cap) return PROTO_E_CAP_EXCEEDED;
  struct ledger_balance bal;
  rc = st__balance(b, b->national, m->instrument, &bal);
  if (rc == 0) rc = amount_add(bal.registry, m->amount, &bal.registry);
  if (rc) return rc;
  in.issued = issued;
  rc = st__instrument_put(b, &in, 0);
  if (rc == 0) rc = st__balance_put(b, b->national, &bal);
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

int rules__allocate(struct tx_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_account from, to;
  int rc = st__open_account(c->b, m->from, &from);
  if (rc == 0) rc = st__open_account(c->b, m->to, &to);
  if (rc == 0) rc = allocate_allowed(c, &from, &to);
  if (rc) return rc;
  struct ledger_instrument in;
  rc = st__instrument(c->b, m->instrument, &in);
  if (rc) return rc;
  /* An outstanding deduction takes its part of every allocation first; that part stays in the
   * provincial account. The whole amount must be available there all the same. */
  uint64_t withheld = 0, credited = m->amount;
  alloc_deduct(m->amount, to.deduction_outstanding, &credited, &withheld, &to.deduction_outstanding);
  rc = move_registry(c, from.id, to.id, m->instrument, m->amount, credited);
  if (rc == 0 && withheld > 0) rc = st__account_put(c->b, &to);
  c->withheld = withheld;
  return rc;
}

int rules__clawback(struct tx_ctx *c) {
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
  if (rc) return rc;
  return move_registry(c, from.id, to.id, m->instrument, m->amount, m->amount);
}
