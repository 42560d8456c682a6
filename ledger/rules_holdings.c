/* Rules about holdings: transfer, position move (registry <-> trading), settlement of exchange
 * trades (all legs or none), freeze and unfreeze. A version 1 freeze is a counter on the registry
 * position (what can leave is registry - frozen); a version 2 freeze is an order that binds units
 * of the positions it covers until it is lifted or expires (docs/RULES.md "Freeze orders"). */
#include <string.h>

#include "ledger/internal.h"

static bool holder_kind(unsigned kind) {
  PROTO_ASSERT(kind <= UINT8_MAX); /* an account kind is one byte on the wire */
  return kind == PROTO_ACCOUNT_ENTERPRISE || kind == PROTO_ACCOUNT_PARTICIPANT;
}

/* An open enterprise or participant account whose representatives sign. */
static int holder_acts(struct tx_ctx *c, uint64_t id, struct ledger_account *a) {
  PROTO_ASSERT(c && c->b && a);
  int rc = st__open_account(c->b, id, a);
  if (rc) return rc;
  if (!holder_kind(a->kind)) return PROTO_E_ACCOUNT_KIND;
  return auth__require(c, PROTO_ROLE_REPRESENTATIVE, id, a->threshold);
}

static int open_holder(struct batch *b, uint64_t id) {
  PROTO_ASSERT(b != NULL);
  struct ledger_account a;
  int rc = st__open_account(b, id, &a);
  if (rc) return rc;
  return holder_kind(a.kind) ? 0 : PROTO_E_ACCOUNT_KIND;
}

int rules__transfer(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_TRANSFER);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  struct batch *b = c->b;
  struct ledger_account from;
  int rc = holder_acts(c, m->from, &from);
  if (rc == 0) rc = open_holder(b, m->to);
  struct ledger_balance src, dst;
  if (rc == 0) rc = st__holding(b, m->from, m->instrument, &src);
  if (rc == 0) rc = st__balance(b, m->to, m->instrument, &dst);
  if (rc == 0) rc = st__take_available(c, m->from, &src, m->amount);
  if (rc == 0) rc = amount_add(dst.registry, m->amount, &dst.registry);
  if (rc == 0) rc = st__balance_put(b, m->from, &src);
  if (rc == 0) rc = st__balance_put(b, m->to, &dst);
  if (rc == 0) rc = carry__sales_record(b, m->from, m->to, m->instrument, m->amount);
  return rc;
}

int rules__position_move(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_POSITION_MOVE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_account a;
  int rc = holder_acts(c, m->from, &a);
  struct ledger_balance bal;
  if (rc == 0) rc = st__holding(c->b, m->from, m->instrument, &bal);
  if (rc) return rc;
  /* The freeze orders are checked once the units have arrived: an order covering both positions
   * lets its units move between them. */
  if (m->kind == PROTO_POSITION_TRADING) {
    rc = st__take_available(c, 0, &bal, m->amount);
    if (rc == 0) rc = amount_add(bal.trading, m->amount, &bal.trading);
  } else {
    rc = st__take_trading(c, 0, &bal, m->amount);
    if (rc == 0) rc = amount_add(bal.registry, m->amount, &bal.registry);
  }
  if (rc == 0) rc = st__freeze_check(c, m->from, &bal, m->amount);
  if (rc) return rc;
  return st__balance_put(c->b, m->from, &bal);
}

static int settle_leg(struct tx_ctx *c, const struct proto_leg *leg) {
  PROTO_ASSERT(c && c->b && leg);
  PROTO_ASSERT(c->tx->type == PROTO_TX_SETTLE);
  struct batch *b = c->b;
  int rc = open_holder(b, leg->from);
  if (rc == 0) rc = open_holder(b, leg->to);
  struct ledger_balance src, dst;
  if (rc == 0) rc = st__holding(b, leg->from, leg->instrument, &src);
  if (rc == 0) rc = st__take_trading(c, leg->from, &src, leg->amount);
  if (rc == 0) rc = st__balance_put(b, leg->from, &src);
  /* Read the buyer after writing the seller: a leg may name an account twice in one entry. */
  if (rc == 0) rc = st__balance(b, leg->to, leg->instrument, &dst);
  if (rc == 0) rc = amount_add(dst.trading, leg->amount, &dst.trading);
  if (rc == 0) rc = st__balance_put(b, leg->to, &dst);
  if (rc == 0) rc = carry__sales_record(b, leg->from, leg->to, leg->instrument, leg->amount);
  return rc;
}

/* Legs apply in order over the overlay; the first failing leg's code refuses the whole entry,
 * naming that leg (c->leg) so that the exchange can settle the rest without it, and the caller's
 * rollback removes the legs already applied. */
int rules__settle(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_SETTLE);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_settle *s = &c->tx->u.settle;
  int rc = auth__require(c, PROTO_ROLE_EXCHANGE, 0, 1);
  for (uint16_t i = 0; i < s->legs_count && rc == 0; i++) {
    rc = settle_leg(c, &s->legs[i]);
    if (rc) c->leg = i;
  }
  return rc;
}

static int freeze_v1(struct tx_ctx *c, bool freeze) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_FREEZE || c->tx->type == PROTO_TX_UNFREEZE);
  PROTO_ASSERT(proto_tx_version(c->tx) == 1);
  const struct proto_movement *m = &c->tx->u.move;
  struct ledger_account a;
  int rc = st__open_account(c->b, m->from, &a);
  struct ledger_balance bal;
  if (rc == 0) rc = st__holding(c->b, m->from, m->instrument, &bal);
  if (rc) return rc;
  if (freeze) {
    PROTO_ASSERT(bal.frozen <= bal.registry); /* as stored: available cannot wrap */
    uint64_t available = bal.registry - bal.frozen;
    if (m->amount > available) {
      c->aux = available;
      return PROTO_E_INSUFFICIENT_BALANCE;
    }
    bal.frozen += m->amount;
    /* units an order already binds cannot be frozen a second time */
    rc = st__freeze_check(c, m->from, &bal, m->amount);
    if (rc == PROTO_E_FROZEN) return PROTO_E_INSUFFICIENT_BALANCE;
    if (rc) return rc;
  } else {
    if (m->amount > bal.frozen) return PROTO_E_NOT_FROZEN;
    bal.frozen -= m->amount;
  }
  return st__balance_put(c->b, m->from, &bal);
}

/* Inserts id into the holding's sorted list of orders in force, first dropping the orders that
 * no longer bind (expired at this commit time), which never bind again. */
static int hold_insert(struct tx_ctx *c, uint64_t account, const char *code,
                       const uint8_t id[PROTO_ID_BYTES]) {
  struct rec_freeze_hold h, kept = {0};
  int rc = st__freeze_hold(c->b, account, code, &h);
  for (uint8_t i = 0; i < h.count && rc == 0; i++) {
    struct ledger_freeze_order o;
    rc = st__freeze_order(c->b, account, h.ids[i], &o);
    if (rc == 0 && st__order_in_force(&o, c->b->time_ms))
      memcpy(kept.ids[kept.count++], h.ids[i], PROTO_ID_BYTES);
  }
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_CORRUPT : rc;
  if (kept.count == PROTO_FREEZE_ORDERS_HELD_MAX) return PROTO_E_ORDERS_FULL;
  uint8_t at = kept.count;
  while (at > 0 && memcmp(kept.ids[at - 1], id, PROTO_ID_BYTES) > 0) at--;
  memmove(kept.ids[at + 1], kept.ids[at], (size_t)(kept.count - at) * PROTO_ID_BYTES);
  memcpy(kept.ids[at], id, PROTO_ID_BYTES);
  kept.count++;
  PROTO_ASSERT(kept.count <= PROTO_FREEZE_ORDERS_HELD_MAX);
  return st__freeze_hold_put(c->b, account, code, &kept);
}

/* A freeze order: the units it binds must be held, in the positions it covers, and not bound
 * already by another order or a version 1 freeze. */
static int freeze_order(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_FREEZE && proto_tx_version(c->tx) >= 2);
  const struct proto_freeze *f = &c->tx->u.freeze;
  struct ledger_account a;
  struct ledger_balance bal;
  int rc = st__open_account(c->b, f->account, &a);
  if (rc == 0) rc = st__holding(c->b, f->account, f->instrument, &bal);
  if (rc) return rc;
  if (f->expiry_ms != 0 && f->expiry_ms <= c->b->time_ms) return PROTO_E_EXPIRY_PAST;
  struct ledger_freeze_order o = {.account = f->account, .positions = f->positions,
                                  .quantity = f->amount, .expiry_ms = f->expiry_ms,
                                  .index = c->index};
  memcpy(o.id, c->tx->id, PROTO_ID_BYTES);
  memcpy(o.instrument, bal.instrument, sizeof(o.instrument));
  memcpy(o.legal_ref, f->ref, sizeof(o.legal_ref));
  rc = hold_insert(c, f->account, f->instrument, o.id);
  if (rc == 0) rc = st__freeze_order_put(c->b, &o);
  if (rc == 0) rc = st__freeze_check(c, f->account, &bal, f->amount);
  /* the order would bind units that are not there, or are bound already */
  return rc == PROTO_E_FROZEN ? PROTO_E_INSUFFICIENT_BALANCE : rc;
}

/* Lifts part or all of one order; no other order is touched. */
static int unfreeze_order(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_UNFREEZE && proto_tx_version(c->tx) >= 2);
  const struct proto_freeze *f = &c->tx->u.freeze;
  struct ledger_account a;
  struct ledger_freeze_order o;
  int rc = st__open_account(c->b, f->account, &a);
  if (rc == 0) rc = st__freeze_order(c->b, f->account, f->order, &o);
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_UNKNOWN_ORDER;
  if (rc) return rc;
  if (!st__order_in_force(&o, c->b->time_ms)) return PROTO_E_ORDER_NOT_IN_FORCE;
  if (f->amount > o.quantity - o.lifted) {
    c->aux = o.quantity - o.lifted;
    return PROTO_E_NOT_FROZEN;
  }
  o.lifted += f->amount;
  PROTO_ASSERT(o.lifted <= o.quantity);
  rc = st__freeze_order_put(c->b, &o);
  if (rc || o.lifted < o.quantity) return rc;
  struct rec_freeze_hold h;
  rc = st__freeze_hold(c->b, f->account, o.instrument, &h);
  uint8_t kept = 0;
  for (uint8_t i = 0; i < h.count; i++)
    if (memcmp(h.ids[i], o.id, PROTO_ID_BYTES) != 0) memcpy(h.ids[kept++], h.ids[i], PROTO_ID_BYTES);
  if (rc == 0 && kept + 1u != h.count) return PROTO_E_CORRUPT; /* an order in force is listed */
  h.count = kept;
  return rc ? rc : st__freeze_hold_put(c->b, f->account, o.instrument, &h);
}

static int freeze_common(struct tx_ctx *c, bool freeze) {
  PROTO_ASSERT(c && c->b && c->tx);
  PROTO_ASSERT(c->tx->type == (freeze ? PROTO_TX_FREEZE : PROTO_TX_UNFREEZE));
  int rc = auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
  if (rc) return rc;
  if (proto_tx_version(c->tx) == 1) return freeze_v1(c, freeze);
  return freeze ? freeze_order(c) : unfreeze_order(c);
}

int rules__freeze(struct tx_ctx *c) { return freeze_common(c, true); }
int rules__unfreeze(struct tx_ctx *c) { return freeze_common(c, false); }
