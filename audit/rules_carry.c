/* The audit's carry-over rules, re-implemented apart from ledger/rules_carry.c: carry-over rule
 * entries and carry-overs, with NS recomputed from the replayed transfers and settlement legs
 * (docs/RULES.md "Carry-over"). */
#include <string.h>

#include "audit/internal.h"

int audit__rule_carry_over_rule(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CARRY_OVER_RULE);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_carry_over_rule *p = &c->tx->u.carry_over_rule;
  struct audit_instr_rec *to = NULL;
  int rc = audit__need_operators(c, "carry-over rule");
  if (!rc) rc = audit__need_instrument(c, p->to_instrument, &to);
  if (rc) return rc;
  if (to->kind != PROTO_INSTRUMENT_CEA)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "the rule's target %s is not CEA", to->code);
  if (to->vintage <= p->vintage_to)
    return audit__fail(c, PROTO_E_INELIGIBLE_VINTAGE, "the rule carries vintages up to %u into "
                       "the not later %u", p->vintage_to, to->vintage);
  struct audit_carry_rule *r = audit_map_put(&c->r->carry_rules, c->tx->id, NULL);
  if (!r) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  r->rule = *p;
  r->index = c->index;
  return 0;
}

/* Version 1: the recorded cap within 10,000 + 1.5 x the recorded NS, the recorded NS not above
 * the log's for the 2019-2024 vintages in the recorded window; none once a rule exists. */
static int carry_v1(struct audit_ctx *c, const struct proto_carry_over *co, uint64_t *limit) {
  if (c->r->carry_rules.count > 0)
    return audit__fail(c, PROTO_E_RULE_REQUIRED, "a version 1 carry-over after a carry-over rule");
  uint64_t t = 0;
  if (alloc_carryover_limit(co->net_sales, &t) != 0)
    return audit__fail(c, PROTO_E_AMOUNT_TOO_LARGE, "net sales %llu exceed 2^53 - 1", LLU(co->net_sales));
  if (co->cap > t)
    return audit__fail(c, PROTO_E_CARRYOVER_MISMATCH, "records cap %llu but 10,000 + 1.5 x net "
                       "sales %llu gives %llu", LLU(co->cap), LLU(co->net_sales), LLU(t));
  uint64_t ns = audit__ns_of(c, co->account, AUDIT_NS_V1_VINTAGE_MIN, AUDIT_NS_V1_VINTAGE_MAX,
                             co->window_start_ms, co->window_end_ms);
  if (co->net_sales > ns)
    return audit__fail(c, PROTO_E_CARRYOVER_MISMATCH, "records net sales %llu but the log gives "
                       "account %llu net sales of %llu of the %u-%u vintages in [%llu, %llu) ms",
                       LLU(co->net_sales), LLU(co->account), LLU(ns), AUDIT_NS_V1_VINTAGE_MIN,
                       AUDIT_NS_V1_VINTAGE_MAX, LLU(co->window_start_ms), LLU(co->window_end_ms));
  *limit = co->cap;
  return 0;
}

/* The cited rule covers the enterprise's sector, the source vintage and the target, and its
 * window has closed. */
static int carry_rule_fits(struct audit_ctx *c, const struct proto_carry_over_rule *q,
                           const struct audit_account_rec *a, const struct audit_instr_rec *from) {
  if (c->time_ms < q->window_end_ms)
    return audit__fail(c, PROTO_E_CARRYOVER_EARLY, "the rule's window closes at %llu ms, after "
                       "the entry's %llu ms", LLU(q->window_end_ms), LLU(c->time_ms));
  bool covered = a->sector < 8 && (q->sectors & (1u << a->sector)) != 0;
  bool eligible = from->vintage >= q->vintage_from && from->vintage <= q->vintage_to;
  if (!covered || !eligible || strcmp(c->tx->u.carry_over.to_instrument, q->to_instrument) != 0)
    return audit__fail(c, PROTO_E_CARRYOVER_RULE, "the rule carries vintages %u-%u of sectors "
                       "0x%02x into %s, not vintage %u of sector %u into %s", q->vintage_from,
                       q->vintage_to, q->sectors, q->to_instrument, from->vintage, a->sector,
                       c->tx->u.carry_over.to_instrument);
  return 0;
}

/* Version 2: NS and T = min(floor(base + factor x NS), registry position of the source) as the
 * log gives them; the entry must record both, and carry at most T. */
static int carry_v2(struct audit_ctx *c, const struct proto_carry_over *co,
                    const struct audit_account_rec *a, const struct audit_instr_rec *from,
                    uint64_t *limit) {
  const struct audit_carry_rule *r = audit_map_get(&c->r->carry_rules, co->rule);
  if (!r) return audit__fail(c, PROTO_E_UNKNOWN_RULE, "cites no carry-over rule entry");
  const struct proto_carry_over_rule *q = &r->rule;
  int rc = carry_rule_fits(c, q, a, from);
  if (rc) return rc;
  uint64_t ns = audit__ns_of(c, a->id, q->vintage_from, q->vintage_to, q->window_start_ms,
                             q->window_end_ms);
  if (alloc_carryover_rule_limit(q->base, q->factor_milli, ns, limit) != 0)
    return audit__fail(c, PROTO_E_AMOUNT_TOO_LARGE, "net sales %llu exceed 2^53 - 1", LLU(ns));
  const struct audit_bal_rec *b = audit__balance(c, a->id, from->code, false);
  uint64_t held = b ? b->registry : 0, t = *limit < held ? *limit : held;
  if (co->net_sales != ns || co->cap != t)
    return audit__fail(c, PROTO_E_CARRYOVER_MISMATCH, "records NS %llu and T %llu; the log gives "
                       "NS %llu and T %llu", LLU(co->net_sales), LLU(co->cap), LLU(ns), LLU(t));
  if (co->amount > t)
    return audit__fail(c, PROTO_E_CARRYOVER_CAP, "carries %llu, above T %llu", LLU(co->amount), LLU(t));
  return 0;
}

static int carry_instruments(struct audit_ctx *c, const struct proto_carry_over *co,
                             struct audit_instr_rec **from, struct audit_instr_rec **to) {
  int rc = audit__need_instrument(c, co->from_instrument, from);
  if (!rc) rc = audit__need_instrument(c, co->to_instrument, to);
  if (rc) return rc;
  if ((*from)->kind != PROTO_INSTRUMENT_CEA || (*to)->kind != PROTO_INSTRUMENT_CEA)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "carries %s into %s: both must be CEA",
                       (*from)->code, (*to)->code);
  if ((*to)->vintage <= (*from)->vintage)
    return audit__fail(c, PROTO_E_INELIGIBLE_VINTAGE, "carries vintage %u into the not later %u",
                       (*from)->vintage, (*to)->vintage);
  return 0;
}

int audit__rule_carry_over(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CARRY_OVER);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_carry_over *co = &c->tx->u.carry_over;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *from = NULL, *to = NULL;
  int rc = audit__need_operators(c, "carry over");
  if (!rc) rc = audit__need_account(c, co->account, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = carry_instruments(c, co, &from, &to);
  uint64_t limit = 0;
  if (!rc) rc = proto_tx_version(c->tx) == 2 ? carry_v2(c, co, a, from, &limit) : carry_v1(c, co, &limit);
  if (rc) return rc;
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(a->id, key);
  audit__code_key(to->code, key + 8);
  uint64_t *total = audit_map_put(&c->r->carried, key, NULL);
  if (!total) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (co->amount > limit || *total > limit - co->amount)
    return audit__fail(c, PROTO_E_CARRYOVER_CAP, "account %llu would carry %llu into %s in all, "
                       "above %llu", LLU(a->id), LLU(*total + co->amount), to->code, LLU(limit));
  if (co->amount > to->cap || to->issued > to->cap - co->amount)
    return audit__fail(c, PROTO_E_CAP_EXCEEDED, "carrying %llu into %s would pass its cap %llu",
                       LLU(co->amount), to->code, LLU(to->cap));
  if ((rc = audit__debit_registry(c, a->id, from, co->amount))) return rc;
  *total += co->amount;
  from->carried_over += co->amount;
  to->issued += co->amount;
  return audit__credit(c, a->id, to, PROTO_POSITION_REGISTRY, co->amount);
}
