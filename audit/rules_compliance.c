/* The audit's rules about compliance and the end of units: compliance years, verified
 * emissions, surrender, cancel, carry-over and deductions, re-implemented apart from
 * ledger/rules_compliance.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

int audit__rule_compliance_year(struct audit_ctx *c) {
  const struct proto_compliance_year *y = &c->tx->u.compliance_year;
  int rc = audit__need_operators(c, "compliance year");
  if (rc) return rc;
  uint64_t *d = &c->r->deadline_ms[y->year];
  if (*d != 0 && y->deadline_ms <= *d) /* "extend" means strictly later */
    return audit__fail(c, PROTO_E_DEADLINE_EARLIER, "moves the %u deadline from %llu ms back to %llu ms",
                       y->year, LLU(*d), LLU(y->deadline_ms));
  *d = y->deadline_ms;
  return 0;
}

static struct audit_comp_rec *compliance_rec(struct audit_ctx *c, uint64_t account, uint16_t year,
                                             bool create) {
  uint8_t key[10];
  audit__account_key(account, key);
  key[8] = (uint8_t)(year >> 8);
  key[9] = (uint8_t)year;
  return create ? audit_map_put(&c->r->compliance, key, NULL) : audit_map_get(&c->r->compliance, key);
}

/* Completion time follows the record: set by the entry that brings counted up to the
 * obligation, cleared when a re-determination makes it short again. */
static void compliance_settle(struct audit_ctx *c, struct audit_comp_rec *rec) {
  bool met = alloc_counted(rec->cea, rec->ccer, rec->emissions) >= rec->emissions;
  if (!met) rec->completed_ms = 0;
  else if (rec->completed_ms == 0) rec->completed_ms = c->time_ms ? c->time_ms : 1;
}

int audit__rule_emissions(struct audit_ctx *c) {
  const struct proto_verified_emissions *e = &c->tx->u.emissions;
  struct audit_account_rec *a = NULL, *prov = NULL;
  int rc = audit__need_account(c, e->account, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = audit__need_account(c, c->r->province_account[a->province], "the provincial", &prov);
  if (!rc) rc = audit__need_authority(c, a->province, "verified emissions");
  if (rc) return rc;
  struct audit_comp_rec *rec = compliance_rec(c, a->id, e->year, true);
  if (!rec) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  rec->has_emissions = true;
  rec->emissions = e->emissions;
  compliance_settle(c, rec);
  return 0;
}

/* Who may surrender from where: the enterprise's representatives from its own account, or its
 * province's authorities from the provincial account (at-risk enterprises). */
static int surrender_parties(struct audit_ctx *c, const struct audit_account_rec *ent,
                             const struct audit_account_rec *from) {
  if (from->id == ent->id) return audit__need_representatives(c, ent, "surrender");
  int rc = audit__need_kind(c, from, PROTO_ACCOUNT_PROVINCIAL, "source");
  if (rc) return rc;
  if (from->province != ent->province)
    return audit__fail(c, PROTO_E_PROVINCE_MISMATCH,
                       "provincial account %llu (province %u) surrenders for enterprise %llu of "
                       "province %u", LLU(from->id), from->province, LLU(ent->id), ent->province);
  rc = audit__need_authority(c, ent->province, "surrender for an at-risk enterprise");
  if (rc) return rc;
  if (!ent->at_risk)
    return audit__fail(c, PROTO_E_NOT_AT_RISK, "the province surrenders for enterprise %llu, "
                       "which is not at risk", LLU(ent->id));
  return 0;
}

int audit__rule_surrender(struct audit_ctx *c) {
  const struct proto_surrender *s = &c->tx->u.surrender;
  struct audit_account_rec *ent = NULL, *from = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, s->account, "the", &ent);
  if (!rc) rc = audit__need_kind(c, ent, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = audit__need_account(c, s->from, "source", &from);
  if (!rc) rc = surrender_parties(c, ent, from);
  if (!rc) rc = audit__need_instrument(c, s->instrument, &in);
  if (rc) return rc;
  if (c->r->deadline_ms[s->year] == 0)
    return audit__fail(c, PROTO_E_UNKNOWN_YEAR, "compliance year %u is not open", s->year);
  struct audit_comp_rec *rec = compliance_rec(c, ent->id, s->year, false);
  if (!rec || !rec->has_emissions)
    return audit__fail(c, PROTO_E_NO_OBLIGATION, "account %llu has no verified emissions for %u",
                       LLU(ent->id), s->year);
  if (s->year < in->first_year || s->year > in->last_year)
    return audit__fail(c, PROTO_E_INELIGIBLE_VINTAGE, "%s settles %u..%u, not %u", in->code,
                       in->first_year, in->last_year, s->year);
  if (in->kind == PROTO_INSTRUMENT_CCER &&
      (s->amount > alloc_ccer_counted_max(rec->emissions) || rec->ccer > alloc_ccer_counted_max(rec->emissions) - s->amount))
    return audit__fail(c, PROTO_E_CCER_LIMIT,
                       "CCER for %u would reach %llu, above 5%% of the obligation %llu (%llu)",
                       s->year, LLU(rec->ccer + s->amount), LLU(rec->emissions),
                       LLU(alloc_ccer_counted_max(rec->emissions)));
  bool for_it = from->id != ent->id; /* on behalf of an at-risk enterprise: what is held */
  if (for_it && (rc = audit__held_take(c, ent->id, in->code, s->amount, false))) return rc;
  rc = audit__debit_registry(c, from->id, in, s->amount);
  if (!rc && for_it) rc = audit__held_take(c, ent->id, in->code, s->amount, true);
  if (!rc) rc = audit__add_checked(c, &in->surrendered, s->amount, "surrendered");
  if (!rc) rc = audit__add_checked(c, in->kind == PROTO_INSTRUMENT_CCER ? &rec->ccer : &rec->cea, s->amount,
                            "surrendered for the year");
  if (!rc) compliance_settle(c, rec);
  return rc;
}

int audit__rule_cancel(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_holder(c, a, "the");
  if (!rc) rc = audit__need_representatives(c, a, "cancel");
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (!rc) rc = audit__debit_registry(c, a->id, in, m->amount);
  return rc ? rc : audit__add_checked(c, &in->cancelled, m->amount, "cancelled");
}

/* The recorded cap within the scheme's limit for the recorded net sales (alloc_carryover_limit). */
static int carry_over_cap(struct audit_ctx *c, const struct proto_carry_over *co) {
  uint64_t t = 0;
  if (alloc_carryover_limit(co->net_sales, &t) != 0)
    return audit__fail(c, PROTO_E_AMOUNT_TOO_LARGE, "net sales %llu exceed 2^53 - 1", LLU(co->net_sales));
  if (co->cap > t)
    return audit__fail(c, PROTO_E_CARRYOVER_MISMATCH,
                       "records cap %llu but 10,000 + 1.5 x net sales %llu gives %llu", LLU(co->cap),
                       LLU(co->net_sales), LLU(t));
  return 0;
}

int audit__rule_carry_over(struct audit_ctx *c) {
  const struct proto_carry_over *co = &c->tx->u.carry_over;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *from = NULL, *to = NULL;
  int rc = audit__need_operators(c, "carry over");
  if (!rc) rc = audit__need_account(c, co->account, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = audit__need_instrument(c, co->from_instrument, &from);
  if (!rc) rc = audit__need_instrument(c, co->to_instrument, &to);
  if (rc) return rc;
  if (from->kind != PROTO_INSTRUMENT_CEA || to->kind != PROTO_INSTRUMENT_CEA)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "carries %s into %s: both must be CEA", from->code, to->code);
  if (to->vintage <= from->vintage)
    return audit__fail(c, PROTO_E_INELIGIBLE_VINTAGE, "carries vintage %u into the not later %u",
                       from->vintage, to->vintage);
  if ((rc = carry_over_cap(c, co))) return rc;
  /* The ledger takes NS as recorded; the log itself says what it was. Only an overstated NS
   * (which raises the cap) is refused. */
  uint64_t ns = audit__ns_of(c, a->id, co->window_start_ms, co->window_end_ms);
  if (co->net_sales > ns)
    return audit__fail(c, PROTO_E_CARRYOVER_MISMATCH,
                       "records net sales %llu but the log's transfers and settlements of the "
                       "%u-%u vintages give account %llu net sales of %llu in [%llu, %llu) ms",
                       LLU(co->net_sales), AUDIT_NS_VINTAGE_MIN, AUDIT_NS_VINTAGE_MAX, LLU(a->id),
                       LLU(ns), LLU(co->window_start_ms), LLU(co->window_end_ms));
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(a->id, key);
  audit__code_key(to->code, key + 8);
  uint64_t *total = audit_map_put(&c->r->carried, key, NULL);
  if (!total) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (co->amount > co->cap || *total > co->cap - co->amount)
    return audit__fail(c, PROTO_E_CARRYOVER_CAP,
                       "account %llu would carry %llu into %s, above its cap %llu", LLU(a->id),
                       LLU(*total + co->amount), to->code, LLU(co->cap));
  if (co->amount > to->cap || to->issued > to->cap - co->amount)
    return audit__fail(c, PROTO_E_CAP_EXCEEDED, "carrying %llu into %s would pass its cap %llu",
                       LLU(co->amount), to->code, LLU(to->cap));
  if ((rc = audit__debit_registry(c, a->id, from, co->amount))) return rc;
  *total += co->amount;
  from->carried_over += co->amount;
  to->issued += co->amount;
  return audit__credit(c, a->id, to, PROTO_POSITION_REGISTRY, co->amount);
}

int audit__rule_deduct(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  int rc = audit__need_operators(c, "deduct");
  if (!rc) rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  return rc ? rc : audit__add_checked(c, &a->deduction, m->amount, "outstanding deduction");
}

/* Short or overdue: a record whose counted surrenders never reached (or no longer reach) its
 * obligation. A scan of every record: closing an account is rare. */
bool audit__owing(struct audit_ctx *c, uint64_t account) {
  uint8_t want[8];
  audit__account_key(account, want);
  for (size_t i = 0; i < c->r->compliance.count; i++) {
    const void *key = NULL;
    const struct audit_comp_rec *rec = audit_map_at(&c->r->compliance, i, &key);
    if (memcmp(key, want, 8) == 0 && rec->has_emissions && rec->completed_ms == 0) return true;
  }
  return false;
}
