/* What every audit rule reads through: accounts, instruments and balances of the replay's state,
 * the role and threshold checks, and checked credits and debits. Written apart from ledger/ on
 * purpose: the same bug in both would go unseen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

struct audit_account_rec *audit__account_find(struct audit_ctx *c, uint64_t id) {
  uint8_t key[8];
  audit__account_key(id, key);
  return audit_map_get(&c->r->accounts, key);
}

/* An existing, open account; `what` names its part in the transaction for the message. */
int audit__need_account(struct audit_ctx *c, uint64_t id, const char *what,
                        struct audit_account_rec **out) {
  *out = audit__account_find(c, id);
  if (!*out) return audit__fail(c, PROTO_E_UNKNOWN_ACCOUNT, "%s account %llu does not exist", what, LLU(id));
  if ((*out)->closed) return audit__fail(c, PROTO_E_ACCOUNT_CLOSED, "%s account %llu is closed", what, LLU(id));
  return 0;
}

const char *audit__kind_text(uint8_t kind) {
  const char *s = proto_account_kind_name(kind);
  return s ? s : "unknown-kind";
}

/* Holding accounts that trade: enterprises and participants. */
int audit__need_holder(struct audit_ctx *c, const struct audit_account_rec *a, const char *what) {
  if (a->kind == PROTO_ACCOUNT_ENTERPRISE || a->kind == PROTO_ACCOUNT_PARTICIPANT) return 0;
  return audit__fail(c, PROTO_E_ACCOUNT_KIND, "%s account %llu is %s, not an enterprise or participant",
                     what, LLU(a->id), audit__kind_text(a->kind));
}

int audit__need_kind(struct audit_ctx *c, const struct audit_account_rec *a, uint8_t kind,
                     const char *what) {
  if (a->kind == kind) return 0;
  return audit__fail(c, PROTO_E_ACCOUNT_KIND, "%s account %llu is %s, not %s", what, LLU(a->id),
                     audit__kind_text(a->kind), audit__kind_text(kind));
}

int audit__need_instrument(struct audit_ctx *c, const char *code, struct audit_instr_rec **out) {
  uint8_t key[PROTO_INSTRUMENT_BYTES];
  audit__code_key(code, key);
  *out = audit_map_get(&c->r->instruments, key);
  if (!*out) return audit__fail(c, PROTO_E_UNKNOWN_INSTRUMENT, "instrument %s does not exist", code);
  return 0;
}

struct audit_bal_rec *audit__balance(struct audit_ctx *c, uint64_t account, const char *code,
                                     bool create) {
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(account, key);
  audit__code_key(code, key + 8);
  return create ? audit_map_put(&c->r->balances, key, NULL) : audit_map_get(&c->r->balances, key);
}

/* Threshold of the authority of a province: its provincial account's, 1 before it exists. */
unsigned audit__authority_threshold(struct audit_ctx *c, unsigned province) {
  if (province >= AUDIT_PROVINCES || c->r->province_account[province] == 0) return 1;
  const struct audit_account_rec *p = audit__account_find(c, c->r->province_account[province]);
  return p ? p->threshold : 1;
}

int audit__need_operators(struct audit_ctx *c, const char *act) {
  return audit__require(c, PROTO_ROLE_OPERATOR, 0, c->r->operator_threshold, act);
}

int audit__need_representatives(struct audit_ctx *c, const struct audit_account_rec *a,
                                const char *act) {
  return audit__require(c, PROTO_ROLE_REPRESENTATIVE, a->id, a->threshold, act);
}

int audit__need_authority(struct audit_ctx *c, unsigned province, const char *act) {
  return audit__require(c, PROTO_ROLE_AUTHORITY, province, audit__authority_threshold(c, province), act);
}

/* ---- checked unit movements -------------------------------------------------------------- */

int audit__add_checked(struct audit_ctx *c, uint64_t *v, uint64_t amount, const char *what) {
  uint64_t sum;
  if (__builtin_add_overflow(*v, amount, &sum) || sum > PROTO_AMOUNT_MAX)
    return audit__fail(c, PROTO_E_OVERFLOW, "%s %llu + %llu exceeds 2^53 - 1", what, LLU(*v),
                       LLU(amount));
  *v = sum;
  return 0;
}

void audit__holding_emptied(struct audit_ctx *c, uint64_t account, const struct audit_bal_rec *b) {
  if (b->registry != 0 || b->trading != 0) return;
  struct audit_account_rec *a = audit__account_find(c, account);
  a->holdings--;
}

/* ---- freeze orders ---------------------------------------------------------------------- */

void audit__bound(struct audit_ctx *c, uint64_t account, const char *code,
                  const struct audit_bal_rec *b, uint64_t bound[4]) {
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(account, key);
  audit__code_key(code, key + 8);
  bound[0] = bound[PROTO_COVER_TRADING] = bound[PROTO_COVER_BOTH] = 0;
  bound[PROTO_COVER_REGISTRY] = b ? b->frozen : 0;
  const struct audit_order_list *l = audit_map_get(&c->r->order_lists, key);
  for (uint8_t i = 0; l && i < l->n; i++) {
    uint8_t okey[8 + PROTO_ID_BYTES];
    memcpy(okey, key, 8);
    memcpy(okey + 8, l->ids[i], PROTO_ID_BYTES);
    const struct audit_order_rec *o = audit_map_get(&c->r->orders, okey);
    PROTO_ASSERT(o != NULL); /* a list names only orders this replay recorded */
    bool expired = o->expiry_ms != 0 && c->time_ms >= o->expiry_ms;
    if (!expired) bound[o->positions] += o->quantity - o->lifted; /* each <= 2^53: no overflow */
  }
}

/* How much of a position may go: out of the account, or over to the other position. The position
 * keeps what binds it alone; the account keeps what binds both positions together. */
uint64_t audit__movable(const struct audit_bal_rec *b, const uint64_t bound[4], uint8_t position,
                        bool leaves) {
  uint64_t have = position == PROTO_POSITION_TRADING ? b->trading : b->registry;
  uint64_t own = position == PROTO_POSITION_TRADING ? bound[PROTO_COVER_TRADING]
                                                     : bound[PROTO_COVER_REGISTRY];
  uint64_t can = have > own ? have - own : 0;
  if (!leaves) return can;
  uint64_t all = bound[PROTO_COVER_REGISTRY] + bound[PROTO_COVER_TRADING] + bound[PROTO_COVER_BOTH];
  uint64_t spare = b->registry + b->trading > all ? b->registry + b->trading - all : 0;
  return can < spare ? can : spare;
}

int audit__debit_position(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                          uint8_t position, uint64_t amount, bool leaves) {
  struct audit_bal_rec *b = audit__balance(c, account, in->code, false);
  bool trading = position == PROTO_POSITION_TRADING;
  const char *name = trading ? "trading" : "registry";
  uint64_t have = !b ? 0 : trading ? b->trading : b->registry - b->frozen;
  /* Enough held in the registry but part of it under a version 1 freeze is `frozen`, as the
   * ledger says it. */
  if (!trading && b && amount > have && amount <= b->registry)
    return audit__fail(c, PROTO_E_FROZEN,
                       "account %llu %s: amount %llu exceeds the %llu available; %llu are frozen",
                       LLU(account), in->code, LLU(amount), LLU(have), LLU(b->frozen));
  if (!b || amount > have)
    return audit__fail(c, PROTO_E_INSUFFICIENT_BALANCE,
                       "balance of account %llu %s %s would be -%llu: amount %llu exceeds "
                       "available %llu%s",
                       LLU(account), in->code, name, LLU(amount - have), LLU(amount), LLU(have),
                       !trading && b && b->frozen ? " (frozen units never move)" : "");
  uint64_t bound[4];
  audit__bound(c, account, in->code, b, bound);
  uint64_t can = audit__movable(b, bound, position, leaves);
  if (amount > can)
    return audit__fail(c, PROTO_E_FROZEN,
                       "moves %llu %s from the %s position of account %llu but freeze orders in "
                       "force leave only %llu free", LLU(amount), in->code, name, LLU(account),
                       LLU(can));
  if (trading) b->trading -= amount;
  else b->registry -= amount;
  audit__holding_emptied(c, account, b);
  in->held -= amount;
  return 0;
}

int audit__debit_registry(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                          uint64_t amount) {
  return audit__debit_position(c, account, in, PROTO_POSITION_REGISTRY, amount, true);
}

int audit__debit_trading(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                         uint64_t amount) {
  return audit__debit_position(c, account, in, PROTO_POSITION_TRADING, amount, true);
}

int audit__credit(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                  uint8_t position, uint64_t amount) {
  struct audit_bal_rec *b = audit__balance(c, account, in->code, true);
  struct audit_account_rec *a = audit__account_find(c, account);
  if (!b) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  bool was_empty = b->registry == 0 && b->trading == 0;
  int rc = audit__add_checked(c, position == PROTO_POSITION_TRADING ? &b->trading : &b->registry, amount,
                       "holding");
  if (!rc) rc = audit__add_checked(c, &in->held, amount, "instrument holdings");
  if (!rc && was_empty) a->holdings++;
  return rc;
}

/* ---- net sales ------------------------------------------------------------------------------ */

int audit__ns_record(struct audit_ctx *c, uint64_t account, const struct audit_instr_rec *in,
                     uint64_t amount, bool outgoing) {
  if (in->kind != PROTO_INSTRUMENT_CEA) return 0;
  uint8_t key[8];
  audit__account_key(account, key);
  struct audit_ns_list *l = audit_map_put(&c->r->ns, key, NULL);
  if (l && l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct audit_ns_event *ev = realloc(l->ev, cap * sizeof(*ev));
    if (ev) l->ev = ev, l->cap = cap;
  }
  if (!l || l->count == l->cap) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  l->ev[l->count++] = (struct audit_ns_event){c->time_ms, amount, in->vintage, outgoing};
  return 0;
}

/* A sale from one holder to another: both sides' net sales move. */
int audit__ns_sale(struct audit_ctx *c, uint64_t from, uint64_t to,
                   const struct audit_instr_rec *in, uint64_t amount) {
  int rc = audit__ns_record(c, from, in, amount, true);
  return rc ? rc : audit__ns_record(c, to, in, amount, false);
}

/* NS of account over [start, end): outgoing minus incoming, at least 0 (sums saturate: a sum
 * past 2^64 cannot be matched by a recorded amount anyway). */
uint64_t audit__ns_of(struct audit_ctx *c, uint64_t account, uint16_t vintage_min,
                      uint16_t vintage_max, uint64_t start, uint64_t end) {
  uint8_t key[8];
  audit__account_key(account, key);
  const struct audit_ns_list *l = audit_map_get(&c->r->ns, key);
  if (!l) return 0;
  size_t lo = 0, hi = l->count;
  while (lo < hi) { /* events are in time order: find the first at or after start */
    size_t mid = lo + (hi - lo) / 2;
    if (l->ev[mid].time_ms < start) lo = mid + 1;
    else hi = mid;
  }
  uint64_t out = 0, in = 0;
  for (size_t i = lo; i < l->count && l->ev[i].time_ms < end; i++) {
    if (l->ev[i].vintage < vintage_min || l->ev[i].vintage > vintage_max) continue;
    uint64_t *sum = l->ev[i].outgoing ? &out : &in;
    if (__builtin_add_overflow(*sum, l->ev[i].amount, sum)) *sum = UINT64_MAX;
  }
  return out > in ? out - in : 0;
}

/* ---- accounts and keys --------------------------------------------------------------------- */


int audit__rules(struct audit_ctx *c) {
  switch (c->tx->type) {
  case PROTO_TX_KEY_REGISTER: return audit__rule_key_register(c);
  case PROTO_TX_KEY_REVOKE: return audit__rule_key_revoke(c);
  case PROTO_TX_ACCOUNT_OPEN: return audit__rule_account_open(c);
  case PROTO_TX_ACCOUNT_UPDATE: return audit__rule_account_update(c);
  case PROTO_TX_ACCOUNT_CLOSE: return audit__rule_account_close(c);
  case PROTO_TX_INSTRUMENT_CREATE: return audit__rule_instrument_create(c);
  case PROTO_TX_COMPLIANCE_YEAR: return audit__rule_compliance_year(c);
  case PROTO_TX_ISSUE: return audit__rule_issue(c);
  case PROTO_TX_ALLOCATE: return audit__rule_allocate(c);
  case PROTO_TX_CLAWBACK: return audit__rule_clawback(c);
  case PROTO_TX_TRANSFER: return audit__rule_transfer(c);
  case PROTO_TX_POSITION_MOVE: return audit__rule_position_move(c);
  case PROTO_TX_SETTLE: return audit__rule_settle(c);
  case PROTO_TX_FREEZE: return audit__rule_freeze(c, true);
  case PROTO_TX_UNFREEZE: return audit__rule_freeze(c, false);
  case PROTO_TX_VERIFIED_EMISSIONS: return audit__rule_emissions(c);
  case PROTO_TX_SURRENDER: return audit__rule_surrender(c);
  case PROTO_TX_CANCEL: return audit__rule_cancel(c);
  case PROTO_TX_CARRY_OVER: return audit__rule_carry_over(c);
  case PROTO_TX_DEDUCT: return audit__rule_deduct(c);
  case PROTO_TX_CARRY_OVER_RULE: return audit__rule_carry_over_rule(c);
  case PROTO_TX_ACCOUNT_REOPEN: return audit__rule_account_reopen(c);
  case PROTO_TX_AT_RISK: return audit__rule_at_risk(c);
  case PROTO_TX_ALLOC_TABLE_OPEN: return audit__rule_table_open(c);
  case PROTO_TX_ALLOC_TABLE_ROWS: return audit__rule_table_rows(c);
  case PROTO_TX_ALLOC_TABLE_CLOSE: return audit__rule_table_close(c);
  default: return audit__fail(c, PROTO_E_UNKNOWN_TYPE, "type %u", c->tx->type);
  }
}
