/* The audit's rules about holdings: transfer, position move, settlement, freeze and unfreeze,
 * re-implemented apart from ledger/rules_holdings.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

int audit__rule_transfer(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *from = NULL, *to = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, m->from, "source", &from);
  if (!rc) rc = audit__need_account(c, m->to, "destination", &to);
  if (!rc) rc = audit__need_holder(c, from, "source");
  if (!rc) rc = audit__need_holder(c, to, "destination");
  if (!rc && from->id == to->id)
    rc = audit__fail(c, PROTO_E_SAME_ACCOUNT, "transfers from account %llu to itself", LLU(to->id));
  if (!rc) rc = audit__need_representatives(c, from, "transfer");
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (!rc) rc = audit__debit_registry(c, from->id, in, m->amount);
  if (!rc) rc = audit__credit(c, to->id, in, PROTO_POSITION_REGISTRY, m->amount);
  return rc ? rc : audit__ns_sale(c, from->id, to->id, in, m->amount);
}

int audit__rule_position_move(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_holder(c, a, "the");
  if (!rc) rc = audit__need_representatives(c, a, "position move");
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  if (m->kind == PROTO_POSITION_TRADING) {
    rc = audit__debit_registry(c, a->id, in, m->amount);
  } else if (m->kind == PROTO_POSITION_REGISTRY) {
    rc = audit__debit_trading(c, a->id, in, m->amount);
  } else {
    return audit__fail(c, PROTO_E_BAD_ENUM, "position %u is neither registry nor trading", m->kind);
  }
  return rc ? rc : audit__credit(c, a->id, in, m->kind, m->amount);
}

/* The trading position of (account, code) after legs [0, upto) of s: its balance now, plus what
 * earlier legs bought, minus what they sold. */
static uint64_t trading_after(struct audit_ctx *c, const struct proto_settle *s, uint16_t upto,
                              uint64_t account, const char *code) {
  const struct audit_bal_rec *b = audit__balance(c, account, code, false);
  uint64_t v = b ? b->trading : 0;
  for (uint16_t j = 0; j < upto; j++) {
    const struct proto_leg *l = &s->legs[j];
    if (strcmp(l->instrument, code) != 0) continue;
    if (l->to == account) v += l->amount; /* earlier legs were checked: no overflow */
    if (l->from == account) v -= l->amount;
  }
  return v;
}

/* Every leg checked before any applies, so that a refused settlement changes nothing (as the
 * ledger rolls it back). Legs count in order: a later leg may spend what an earlier one bought. */
static int settle_check(struct audit_ctx *c, const struct proto_settle *s) {
  for (uint16_t i = 0; i < s->legs_count; i++) {
    const struct proto_leg *leg = &s->legs[i];
    struct audit_account_rec *from = NULL, *to = NULL;
    struct audit_instr_rec *in = NULL;
    char what[48];
    snprintf(what, sizeof(what), "leg %u seller", i);
    int rc = audit__need_account(c, leg->from, what, &from);
    if (!rc) rc = audit__need_holder(c, from, what);
    snprintf(what, sizeof(what), "leg %u buyer", i);
    if (!rc) rc = audit__need_account(c, leg->to, what, &to);
    if (!rc) rc = audit__need_holder(c, to, what);
    if (!rc && from->id == to->id)
      rc = audit__fail(c, PROTO_E_SAME_ACCOUNT, "leg %u: account %llu sells to itself", i, LLU(to->id));
    if (!rc) rc = audit__need_instrument(c, leg->instrument, &in);
    if (rc) return rc;
    uint64_t have = trading_after(c, s, i, from->id, in->code);
    if (leg->amount > have)
      return audit__fail(c, PROTO_E_INSUFFICIENT_BALANCE,
                         "leg %u: account %llu sells %llu %s from a trading position of %llu", i,
                         LLU(from->id), LLU(leg->amount), in->code, LLU(have));
    uint64_t buyer = trading_after(c, s, i, to->id, in->code);
    if (buyer + leg->amount > PROTO_AMOUNT_MAX)
      return audit__fail(c, PROTO_E_OVERFLOW, "leg %u: account %llu's trading position would "
                         "exceed 2^53 - 1", i, LLU(to->id));
  }
  return 0;
}

int audit__rule_settle(struct audit_ctx *c) {
  const struct proto_settle *s = &c->tx->u.settle;
  int rc = audit__require(c, PROTO_ROLE_EXCHANGE, 0, 1, "settle");
  if (!rc) rc = settle_check(c, s);
  for (uint16_t i = 0; i < s->legs_count && !rc; i++) {
    const struct proto_leg *leg = &s->legs[i];
    struct audit_instr_rec *in = NULL;
    rc = audit__need_instrument(c, leg->instrument, &in);
    if (!rc) rc = audit__debit_trading(c, leg->from, in, leg->amount);
    if (!rc) rc = audit__credit(c, leg->to, in, PROTO_POSITION_TRADING, leg->amount);
    if (!rc) rc = audit__ns_sale(c, leg->from, leg->to, in, leg->amount);
  }
  return rc;
}

int audit__rule_freeze(struct audit_ctx *c, bool freeze) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_operators(c, freeze ? "freeze" : "unfreeze");
  if (!rc) rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  struct audit_bal_rec *b = audit__balance(c, a->id, in->code, false);
  uint64_t available = b ? b->registry - b->frozen : 0, frozen = b ? b->frozen : 0;
  if (freeze && (!b || m->amount > available))
    return audit__fail(c, PROTO_E_INSUFFICIENT_BALANCE,
                       "freezes %llu %s of account %llu but only %llu are available", LLU(m->amount),
                       in->code, LLU(a->id), LLU(available));
  if (!freeze && (!b || m->amount > frozen))
    return audit__fail(c, PROTO_E_NOT_FROZEN, "unfreezes %llu %s of account %llu but %llu are frozen",
                       LLU(m->amount), in->code, LLU(a->id), LLU(frozen));
  if (freeze) b->frozen += m->amount;
  else b->frozen -= m->amount;
  return 0;
}

/* ---- compliance -------------------------------------------------------------------------------- */
