/* The audit's rules about holdings: transfer, position move, settlement, freeze and unfreeze,
 * re-implemented apart from ledger/rules_holdings.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

int audit__rule_transfer(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_TRANSFER);
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
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_POSITION_MOVE);
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_holder(c, a, "the");
  if (!rc) rc = audit__need_representatives(c, a, "position move");
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  /* the units stay in the account: only what binds the position they leave holds them back */
  if (m->kind == PROTO_POSITION_TRADING) {
    rc = audit__debit_position(c, a->id, in, PROTO_POSITION_REGISTRY, m->amount, false);
  } else if (m->kind == PROTO_POSITION_REGISTRY) {
    rc = audit__debit_position(c, a->id, in, PROTO_POSITION_TRADING, m->amount, false);
  } else {
    return audit__fail(c, PROTO_E_BAD_ENUM, "position %u is neither registry nor trading", m->kind);
  }
  return rc ? rc : audit__credit(c, a->id, in, m->kind, m->amount);
}

/* The trading position of (account, code) after legs [0, upto) of s: its balance now, plus what
 * earlier legs bought, minus what they sold. */
static uint64_t trading_after(struct audit_ctx *c, const struct proto_settle *s, uint16_t upto,
                              uint64_t account, const char *code) {
  PROTO_ASSERT(c && s && code);
  PROTO_ASSERT(upto <= s->legs_count);
  const struct audit_bal_rec *b = audit__balance(c, account, code, false);
  uint64_t v = b ? b->trading : 0;
  for (uint16_t j = 0; j < upto; j++) {
    const struct proto_leg *l = &s->legs[j];
    if (strcmp(l->instrument, code) != 0) continue;
    if (l->to == account) v += l->amount; /* earlier legs were checked: no overflow */
    PROTO_ASSERT(l->from != account || v >= l->amount); /* nor a sale of more than was there */
    if (l->from == account) v -= l->amount;
  }
  return v;
}

/* Every leg checked before any applies, so that a refused settlement changes nothing (as the
 * ledger rolls it back). Legs count in order: a later leg may spend what an earlier one bought. */
static int settle_check(struct audit_ctx *c, const struct proto_settle *s) {
  PROTO_ASSERT(c && c->r && s);
  PROTO_ASSERT(s->legs_count <= PROTO_LEGS_MAX);
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
    /* Then the freeze orders on what the seller holds at that leg, as the ledger applies them. */
    struct audit_bal_rec sim = {0};
    const struct audit_bal_rec *held = audit__balance(c, from->id, in->code, false);
    if (held) sim = *held;
    sim.trading = have;
    uint64_t bound[4];
    audit__bound(c, from->id, in->code, &sim, bound);
    uint64_t can = audit__movable(&sim, bound, PROTO_POSITION_TRADING, true);
    if (leg->amount > can)
      return audit__fail(c, PROTO_E_FROZEN,
                         "account %llu sells %llu %s but freeze orders in force leave only %llu "
                         "free (leg %u)", LLU(from->id), LLU(leg->amount), in->code, LLU(can), i);
    uint64_t buyer = trading_after(c, s, i, to->id, in->code);
    if (buyer + leg->amount > PROTO_AMOUNT_MAX)
      return audit__fail(c, PROTO_E_OVERFLOW, "leg %u: account %llu's trading position would "
                         "exceed 2^53 - 1", i, LLU(to->id));
  }
  return 0;
}

int audit__rule_settle(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx && c->fail);
  PROTO_ASSERT(c->tx->type == PROTO_TX_SETTLE);
  const struct proto_settle *s = &c->tx->u.settle;
  int rc = audit__require(c, PROTO_ROLE_EXCHANGE, 0, 1, "settle");
  if (!rc) rc = settle_check(c, s);
  for (uint16_t i = 0; i < s->legs_count && !rc; i++) {
    const struct proto_leg *leg = &s->legs[i];
    struct audit_instr_rec *in = NULL;
    rc = audit__need_instrument(c, leg->instrument, &in);
    if (!rc) rc = audit__debit_trading(c, leg->from, in, leg->amount);
    if (rc && c->fail->code == PROTO_E_FROZEN) { /* the exchange learns which leg to leave out */
      size_t used = strlen(c->fail->text);
      snprintf(c->fail->text + used, sizeof(c->fail->text) - used, " (leg %u)", i);
    }
    if (!rc) rc = audit__credit(c, leg->to, in, PROTO_POSITION_TRADING, leg->amount);
    if (!rc) rc = audit__ns_sale(c, leg->from, leg->to, in, leg->amount);
  }
  return rc;
}

/* Version 1: a counter of frozen registry units. */
static int freeze_counter(struct audit_ctx *c, bool freeze) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(proto_tx_version(c->tx) == 1);
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  struct audit_bal_rec *b = audit__balance(c, a->id, in->code, false);
  uint64_t available = b ? b->registry - b->frozen : 0, frozen = b ? b->frozen : 0;
  if (freeze && b && m->amount <= available) {
    /* units a freeze order binds are not available to a second freeze */
    uint64_t bound[4];
    audit__bound(c, a->id, in->code, b, bound);
    uint64_t all = bound[PROTO_COVER_REGISTRY] + bound[PROTO_COVER_TRADING] + bound[PROTO_COVER_BOTH];
    uint64_t by_registry = b->registry - bound[PROTO_COVER_REGISTRY];
    uint64_t by_sum = b->registry + b->trading - all;
    available = by_registry < by_sum ? by_registry : by_sum;
  }
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

static bool order_binds(const struct audit_order_rec *o, uint64_t time_ms) {
  PROTO_ASSERT(o != NULL); /* an order named by a list is stored */
  PROTO_ASSERT(o->lifted <= o->quantity);
  return o->lifted < o->quantity && !(o->expiry_ms != 0 && time_ms >= o->expiry_ms);
}

/* The holding's list without the orders that no longer bind, then with the new one (sorted). */
static int list_add(struct audit_ctx *c, const uint8_t lkey[24], const uint8_t id[PROTO_ID_BYTES]) {
  PROTO_ASSERT(c && c->r && lkey && id);
  bool created = false;
  struct audit_order_list *l = audit_map_put(&c->r->order_lists, lkey, &created);
  if (!l) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (created) l->n = 0;
  uint8_t kept = 0, okey[8 + PROTO_ID_BYTES];
  memcpy(okey, lkey, 8);
  for (uint8_t i = 0; i < l->n; i++) {
    memcpy(okey + 8, l->ids[i], PROTO_ID_BYTES);
    if (order_binds(audit_map_get(&c->r->orders, okey), c->time_ms))
      memmove(l->ids[kept++], l->ids[i], PROTO_ID_BYTES);
  }
  l->n = kept;
  if (l->n >= PROTO_FREEZE_ORDERS_HELD_MAX)
    return audit__fail(c, PROTO_E_ORDERS_FULL, "a %uth freeze order in force on one holding",
                       PROTO_FREEZE_ORDERS_HELD_MAX + 1u);
  uint8_t at = 0;
  while (at < l->n && memcmp(l->ids[at], id, PROTO_ID_BYTES) < 0) at++;
  memmove(l->ids[at + 1], l->ids[at], (size_t)(l->n - at) * PROTO_ID_BYTES);
  memcpy(l->ids[at], id, PROTO_ID_BYTES);
  l->n++;
  return 0;
}

/* Version 2: an order binding units of the positions it covers, which must be there and free. */
static int freeze_order(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_FREEZE && proto_tx_version(c->tx) >= 2);
  const struct proto_freeze *f = &c->tx->u.freeze;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, f->account, "the", &a);
  if (!rc) rc = audit__need_instrument(c, f->instrument, &in);
  if (rc) return rc;
  if (f->expiry_ms != 0 && f->expiry_ms <= c->time_ms)
    return audit__fail(c, PROTO_E_EXPIRY_PAST, "the order expires at %llu, not after its entry's "
                       "commit time %llu", LLU(f->expiry_ms), LLU(c->time_ms));
  struct audit_bal_rec *b = audit__balance(c, a->id, in->code, false);
  struct audit_bal_rec zero = {0};
  uint64_t bound[4];
  audit__bound(c, a->id, in->code, b ? b : &zero, bound);
  if (!b) b = &zero;
  PROTO_ASSERT(f->positions <= PROTO_COVER_BOTH); /* the decoder checks the enum */
  bound[f->positions] += f->amount;
  uint64_t all = bound[PROTO_COVER_REGISTRY] + bound[PROTO_COVER_TRADING] + bound[PROTO_COVER_BOTH];
  if (b->registry < bound[PROTO_COVER_REGISTRY] || b->trading < bound[PROTO_COVER_TRADING] ||
      b->registry + b->trading < all)
    return audit__fail(c, PROTO_E_INSUFFICIENT_BALANCE, "an order binding %llu %s (%s) of account "
                       "%llu finds too few free units (registry %llu, trading %llu)", LLU(f->amount),
                       in->code, proto_cover_name(f->positions), LLU(a->id), LLU(b->registry),
                       LLU(b->trading));
  uint8_t key[8 + PROTO_ID_BYTES];
  audit__account_key(a->id, key);
  audit__code_key(in->code, key + 8);
  if ((rc = list_add(c, key, c->tx->id))) return rc;
  memcpy(key + 8, c->tx->id, PROTO_ID_BYTES);
  struct audit_order_rec *o = audit_map_put(&c->r->orders, key, NULL);
  if (!o) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  *o = (struct audit_order_rec){.positions = f->positions, .quantity = f->amount,
                                .expiry_ms = f->expiry_ms};
  memcpy(o->code, in->code, sizeof(o->code));
  return 0;
}

/* Version 2: lifts part or all of the one order it names. */
static int unfreeze_order(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_UNFREEZE && proto_tx_version(c->tx) >= 2);
  const struct proto_freeze *f = &c->tx->u.freeze;
  struct audit_account_rec *a = NULL;
  int rc = audit__need_account(c, f->account, "the", &a);
  if (rc) return rc;
  uint8_t key[8 + PROTO_ID_BYTES];
  audit__account_key(a->id, key);
  memcpy(key + 8, f->order, PROTO_ID_BYTES);
  struct audit_order_rec *o = audit_map_get(&c->r->orders, key);
  if (!o) return audit__fail(c, PROTO_E_UNKNOWN_ORDER, "account %llu has no such freeze order",
                             LLU(a->id));
  if (!order_binds(o, c->time_ms))
    return audit__fail(c, PROTO_E_ORDER_NOT_IN_FORCE, "the order was lifted or has expired");
  if (f->amount > o->quantity - o->lifted)
    return audit__fail(c, PROTO_E_NOT_FROZEN, "lifts %llu but the order binds %llu",
                       LLU(f->amount), LLU(o->quantity - o->lifted));
  o->lifted += f->amount;
  if (o->lifted < o->quantity) return 0;
  uint8_t lkey[8 + PROTO_INSTRUMENT_BYTES];
  memcpy(lkey, key, 8);
  audit__code_key(o->code, lkey + 8);
  struct audit_order_list *l = audit_map_get(&c->r->order_lists, lkey);
  PROTO_ASSERT(l != NULL); /* an order in force is on its holding's list */
  uint8_t kept = 0;
  for (uint8_t i = 0; i < l->n; i++)
    if (memcmp(l->ids[i], f->order, PROTO_ID_BYTES) != 0) memmove(l->ids[kept++], l->ids[i], PROTO_ID_BYTES);
  l->n = kept;
  return 0;
}

int audit__rule_freeze(struct audit_ctx *c, bool freeze) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == (freeze ? PROTO_TX_FREEZE : PROTO_TX_UNFREEZE));
  int rc = audit__need_operators(c, freeze ? "freeze" : "unfreeze");
  if (rc) return rc;
  if (proto_tx_version(c->tx) == 1) return freeze_counter(c, freeze);
  return freeze ? freeze_order(c) : unfreeze_order(c);
}

/* ---- compliance -------------------------------------------------------------------------------- */
