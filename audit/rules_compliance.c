/* The audit's rules about compliance and the end of units: compliance years, verified
 * emissions, surrender, cancel, carry-over and deductions, re-implemented apart from
 * ledger/rules_compliance.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

int audit__rule_compliance_year(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_COMPLIANCE_YEAR);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
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
  PROTO_ASSERT(c->tx->type == PROTO_TX_VERIFIED_EMISSIONS);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_verified_emissions *e = &c->tx->u.emissions;
  struct audit_account_rec *a = NULL, *prov = NULL;
  int rc = audit__need_account(c, e->account, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = audit__need_account(c, c->r->province_account[a->province], "the provincial", &prov);
  if (!rc) rc = audit__need_authority(c, a->province, "verified emissions");
  if (rc) return rc;
  struct audit_comp_rec *rec = compliance_rec(c, a->id, e->year, true);
  if (!rec) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  uint64_t year_deadline = c->r->deadline_ms[e->year];
  uint64_t due = rec->own_deadline_ms > year_deadline ? rec->own_deadline_ms : year_deadline;
  bool after_due = due != 0 && c->time_ms > due;
  if (e->deadline_ms != 0) {
    if (!after_due || !rec->has_emissions || e->emissions <= rec->emissions)
      return audit__fail(c, PROTO_E_OWN_DEADLINE, "an own deadline for account %llu without a "
                         "raise of its %u obligation after its deadline", LLU(a->id), e->year);
    if (e->deadline_ms <= c->time_ms)
      return audit__fail(c, PROTO_E_DEADLINE_EARLIER, "the own deadline %llu is not after the "
                         "entry's commit time %llu", LLU(e->deadline_ms), LLU(c->time_ms));
    rec->own_deadline_ms = e->deadline_ms;
  }
  if (rec->has_emissions && after_due && rec->emissions != e->emissions) rec->corrected = true;
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
  PROTO_ASSERT(c->tx->type == PROTO_TX_SURRENDER);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
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
  /* in time: not after the later of the year's deadline and the enterprise's own, as they are now */
  uint64_t due = c->r->deadline_ms[s->year];
  if (rec->own_deadline_ms > due) due = rec->own_deadline_ms;
  if (!rc && c->time_ms <= due)
    rc = audit__add_checked(c, in->kind == PROTO_INSTRUMENT_CCER ? &rec->ccer_in_time : &rec->cea_in_time,
                            s->amount, "surrendered in time");
  if (!rc) compliance_settle(c, rec);
  return rc;
}

int audit__rule_cancel(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CANCEL);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
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

static void deduction_key(uint64_t account, uint16_t year, uint8_t kind, uint8_t key[11]) {
  audit__account_key(account, key);
  key[8] = (uint8_t)(year >> 8);
  key[9] = (uint8_t)year;
  key[10] = kind;
}

unsigned audit__fraud_percent(struct audit_ctx *c, uint64_t account, uint16_t year) {
  uint8_t key[11];
  deduction_key(account, year, PROTO_DEDUCT_FRAUD, key);
  const struct audit_deduction *d = audit_map_get(&c->r->deductions, key);
  return d ? d->percent : 0;
}

/* A shortfall deduction needs the year overdue at the entry's commit time (after the later of
 * the year's and the enterprise's own deadline, what counts below the obligation) and is at most
 * the shortfall. */
static int shortfall_overdue(struct audit_ctx *c, const struct proto_movement *m) {
  const struct audit_comp_rec *rec = compliance_rec(c, m->from, m->year, false);
  if (!rec || !rec->has_emissions)
    return audit__fail(c, PROTO_E_NO_OBLIGATION, "account %llu has no verified emissions for %u",
                       LLU(m->from), m->year);
  uint64_t due = c->r->deadline_ms[m->year];
  if (rec->own_deadline_ms > due) due = rec->own_deadline_ms;
  uint64_t counted = alloc_counted(rec->cea, rec->ccer, rec->emissions);
  if (due == 0 || c->time_ms <= due || counted >= rec->emissions)
    return audit__fail(c, PROTO_E_NOT_OVERDUE, "account %llu is not overdue for %u at %llu ms",
                       LLU(m->from), m->year, LLU(c->time_ms));
  if (m->amount > rec->emissions - counted)
    return audit__fail(c, PROTO_E_DEDUCTION_BOUND, "deducts %llu for %u, above the shortfall %llu",
                       LLU(m->amount), m->year, LLU(rec->emissions - counted));
  return 0;
}

/* Version 2: once per enterprise, year and kind. */
static int deduct_kind(struct audit_ctx *c, const struct proto_movement *m) {
  uint8_t key[11];
  deduction_key(m->from, m->year, m->kind, key);
  if (audit_map_get(&c->r->deductions, key))
    return audit__fail(c, PROTO_E_DEDUCTION_EXISTS, "a %s deduction for account %llu and %u exists",
                       proto_deduct_kind_name(m->kind), LLU(m->from), m->year);
  int rc = m->kind == PROTO_DEDUCT_SHORTFALL ? shortfall_overdue(c, m) : 0;
  if (rc) return rc;
  struct audit_deduction *d = audit_map_put(&c->r->deductions, key, NULL);
  if (!d) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  *d = (struct audit_deduction){m->amount, m->percent};
  return 0;
}

int audit__rule_deduct(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_DEDUCT);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  int rc = audit__need_operators(c, "deduct");
  if (!rc) rc = audit__need_account(c, m->from, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (rc) return rc;
  /* checked before anything changes: a refused entry leaves the replay as it was */
  if (m->amount > PROTO_AMOUNT_MAX - a->deduction)
    return audit__fail(c, PROTO_E_OVERFLOW, "the outstanding deduction would pass 2^53 - 1");
  if (proto_tx_version(c->tx) == 2 && (rc = deduct_kind(c, m))) return rc;
  return audit__add_checked(c, &a->deduction, m->amount, "outstanding deduction");
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
