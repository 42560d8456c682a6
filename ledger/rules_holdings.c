/* Rules about holdings: transfer, position move (registry <-> trading), settlement of exchange
 * trades (all legs or none), freeze and unfreeze. Frozen units are part of the registry position
 * but never move: what can leave is registry - frozen. */
#include <string.h>

#include "ledger/internal.h"

static bool holder_kind(unsigned kind) {
  return kind == PROTO_ACCOUNT_ENTERPRISE || kind == PROTO_ACCOUNT_PARTICIPANT;
}

/* An open enterprise or participant account whose representatives sign. */
static int holder_acts(struct tx_ctx *c, uint64_t id, struct ledger_account *a) {
  int rc = st__open_account(c->b, id, a);
  if (rc) return rc;
  if (!holder_kind(a->kind)) return PROTO_E_ACCOUNT_KIND;
  return auth__require(c, PROTO_ROLE_REPRESENTATIVE, id, a->threshold);
}

static int open_holder(struct batch *b, uint64_t id) {
  struct ledger_account a;
  int rc = st__open_account(b, id, &a);
  if (rc) return rc;
  return holder_kind(a.kind) ? 0 : PROTO_E_ACCOUNT_KIND;
}

int rules__transfer(struct tx_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct batch *b = c->b;
  struct ledger_account from;
  int rc = holder_acts(c, m->from, &from);
  if (rc == 0) rc = open_holder(b, m->to);
  struct ledger_balance src, dst;
  if (rc == 0) rc = st__holding(b, m->from, m->instrument, &src);
  if (rc == 0) rc = st__balance(b, m->to, m->instrument, &dst);
  if (rc == 0) rc = st__take_available(c, &src, m->amount);
  if (rc == 0) rc = amount_add(dst.registry, m->amount, &dst.registry);
  if (rc == 0) rc = st__balance_put(b, m->from, &src);
  if (rc == 0) rc = st__balance_put(b, m->to, &dst);
  return rc;
}

int rules__position_move(struct tx_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_account a;
  int rc = holder_acts(c, m->from, &a);
  struct ledger_balance bal;
  if (rc == 0) rc = st__holding(c->b, m->from, m->instrument, &bal);
  if (rc) return rc;
  if (m->kind == PROTO_POSITION_TRADING) {
    rc = st__take_available(c, &bal, m->amount);
    if (rc == 0) rc = amount_add(bal.trading, m->amount, &bal.trading);
  } else {
    rc = st__take_trading(c, &bal, m->amount);
    if (rc == 0) rc = amount_add(bal.registry, m->amount, &bal.registry);
  }
  if (rc) return rc;
  return st__balance_put(c->b, m->from, &bal);
}

static int settle_leg(struct tx_ctx *c, const struct proto_leg *leg) {
  struct batch *b = c->b;
  int rc = open_holder(b, leg->from);
  if (rc == 0) rc = open_holder(b, leg->to);
  struct ledger_balance src, dst;
  if (rc == 0) rc = st__holding(b, leg->from, leg->instrument, &src);
  if (rc == 0) rc = st__take_trading(c, &src, leg->amount);
  if (rc == 0) rc = st__balance_put(b, leg->from, &src);
  /* Read the buyer after writing the seller: a leg may name an account twice in one entry. */
  if (rc == 0) rc = st__balance(b, leg->to, leg->instrument, &dst);
  if (rc == 0) rc = amount_add(dst.trading, leg->amount, &dst.trading);
  if (rc == 0) rc = st__balance_put(b, leg->to, &dst);
  return rc;
}

/* Legs apply in order over the overlay; the first failing leg's code refuses the whole entry and
 * the caller's rollback removes the legs already applied. */
int rules__settle(struct tx_ctx *c) {
  const struct proto_settle *s = &c->tx->u.settle;
  int rc = auth__require(c, PROTO_ROLE_EXCHANGE, 0, 1);
  for (uint16_t i = 0; i < s->legs_count && rc == 0; i++) rc = settle_leg(c, &s->legs[i]);
  return rc;
}

static int freeze_common(struct tx_ctx *c, bool freeze) {
  const struct proto_movement *m = &c->tx->u.move;
  int rc = auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
  if (rc) return rc;
  struct ledger_account a;
  rc = st__open_account(c->b, m->from, &a);
  struct ledger_balance bal;
  if (rc == 0) rc = st__holding(c->b, m->from, m->instrument, &bal);
  if (rc) return rc;
  if (freeze) {
    uint64_t available = bal.registry - bal.frozen;
    if (m->amount > available) {
      c->aux = available;
      return PROTO_E_INSUFFICIENT_BALANCE;
    }
    bal.frozen += m->amount;
  } else {
    if (m->amount > bal.frozen) return PROTO_E_NOT_FROZEN;
    bal.frozen -= m->amount;
  }
  return st__balance_put(c->b, m->from, &bal);
}

int rules__freeze(struct tx_ctx *c) { return freeze_common(c, true); }
int rules__unfreeze(struct tx_ctx *c) { return freeze_common(c, false); }
