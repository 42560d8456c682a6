/* The audit's rules about making and distributing units: instrument create, issue, allocate and
 * claw back, re-implemented apart from ledger/rules_issuance.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

int audit__rule_instrument_create(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_INSTRUMENT_CREATE);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_instrument_create *in = &c->tx->u.instrument;
  int rc = audit__need_operators(c, "instrument create");
  if (rc) return rc;
  if (in->first_year > in->last_year)
    return audit__fail(c, PROTO_E_BAD_RANGE, "first year %u after last year %u", in->first_year,
                       in->last_year);
  uint8_t key[PROTO_INSTRUMENT_BYTES];
  audit__code_key(in->code, key);
  bool created = false;
  struct audit_instr_rec *rec = audit_map_put(&c->r->instruments, key, &created);
  if (!rec) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (!created) return audit__fail(c, PROTO_E_INSTRUMENT_EXISTS, "instrument %s already exists", in->code);
  memcpy(rec->code, in->code, sizeof(rec->code));
  rec->ordinal = c->r->instruments.count - 1;
  rec->kind = in->kind;
  rec->vintage = in->vintage;
  rec->first_year = in->first_year;
  rec->last_year = in->last_year;
  rec->cap = in->cap;
  return 0;
}

/* Version 2 issues a CCER batch to its project owner's holding account. */
static int issue_owner(struct audit_ctx *c, const struct audit_instr_rec *in, uint64_t *to) {
  const struct proto_movement *m = &c->tx->u.move;
  *to = c->r->national_account;
  if (c->tx->version < 2) return 0;
  if (in->kind != PROTO_INSTRUMENT_CCER)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "only CCER is issued to a project owner");
  struct audit_account_rec *owner = NULL;
  int rc = audit__need_account(c, m->to, "project owner", &owner);
  if (rc) return rc;
  if (owner->kind != PROTO_ACCOUNT_ENTERPRISE && owner->kind != PROTO_ACCOUNT_PARTICIPANT)
    return audit__fail(c, PROTO_E_ACCOUNT_KIND, "account %llu is not a holding account",
                       LLU(owner->id));
  *to = owner->id;
  return 0;
}

int audit__rule_issue(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ISSUE);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_instr_rec *in = NULL;
  uint64_t to = 0;
  int rc = audit__need_operators(c, "issue");
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (!rc) rc = issue_owner(c, in, &to);
  if (rc) return rc;
  if (m->amount > in->cap || in->issued > in->cap - m->amount)
    return audit__fail(c, PROTO_E_CAP_EXCEEDED,
                       "issuing %llu %s would bring issued to %llu over its cap %llu", LLU(m->amount),
                       in->code, LLU(in->issued + m->amount), LLU(in->cap));
  in->issued += m->amount;
  return audit__credit(c, to, in, PROTO_POSITION_REGISTRY, m->amount);
}

/* ---- allocation ------------------------------------------------------------------------------- */

/* The allocator's authority: national -> provincial by operators, provincial -> enterprise of
 * its province by that province's authorities. */
static int allocate_parties(struct audit_ctx *c, const struct audit_account_rec *from,
                            const struct audit_account_rec *to) {
  if (from->kind == PROTO_ACCOUNT_NATIONAL) {
    int rc = audit__need_kind(c, to, PROTO_ACCOUNT_PROVINCIAL, "destination");
    return rc ? rc : audit__need_operators(c, "allocate from the national account");
  }
  int rc = audit__need_kind(c, from, PROTO_ACCOUNT_PROVINCIAL, "source");
  if (!rc) rc = audit__need_kind(c, to, PROTO_ACCOUNT_ENTERPRISE, "destination");
  if (rc) return rc;
  if (to->province != from->province)
    return audit__fail(c, PROTO_E_PROVINCE_MISMATCH,
                       "provincial account %llu (province %u) allocates to enterprise %llu of "
                       "province %u", LLU(from->id), from->province, LLU(to->id), to->province);
  return audit__need_authority(c, from->province, "allocate to an enterprise");
}

/* A CEA vintage allocated for its own year; only allocations to enterprises cite a table. */
static int allocation_fits(struct audit_ctx *c, const struct audit_instr_rec *in,
                           const struct audit_account_rec *to) {
  const struct proto_movement *m = &c->tx->u.move;
  if (in->kind != PROTO_INSTRUMENT_CEA)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "%s is allocated: CCER never is", in->code);
  if (m->year != in->vintage)
    return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "%s allocated for year %u", in->code, m->year);
  bool enterprise = to->kind == PROTO_ACCOUNT_ENTERPRISE;
  if (!enterprise && (m->table != 0 || m->row != 0))
    return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "an allocation to a province cites no table");
  if (enterprise && c->tx->version >= 2 && m->table == 0)
    return audit__fail(c, PROTO_E_UNKNOWN_TABLE, "an allocation to an enterprise cites its table");
  return enterprise ? audit__hold_to_row(c, to, false) : 0;
}

/* The source and destination accounts of an allocation or claw-back, both of which must exist. */
static int need_ends(struct audit_ctx *c, struct audit_account_rec **from,
                     struct audit_account_rec **to) {
  const struct proto_movement *m = &c->tx->u.move;
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOCATE || c->tx->type == PROTO_TX_CLAWBACK);
  int rc = audit__need_account(c, m->from, "source", from);
  return rc ? rc : audit__need_account(c, m->to, "destination", to);
}

int audit__rule_allocate(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOCATE);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *from = NULL, *to = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_ends(c, &from, &to);
  if (!rc) rc = allocate_parties(c, from, to);
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (!rc) rc = allocation_fits(c, in, to);
  if (rc) return rc;
  /* An outstanding deduction keeps that part in the provincial account (docs/RULES.md
   * "Deductions"). */
  uint64_t withheld = 0, credited = m->amount, remaining = to->deduction;
  unsigned fraud = 0;
  if (to->kind == PROTO_ACCOUNT_ENTERPRISE) {
    fraud = audit__fraud_percent(c, to->id, m->year);
    alloc_withhold(m->amount, to->deduction, fraud, &credited, &withheld, &remaining);
  }
  if (c->withheld != withheld)
    return audit__fail(c, PROTO_E_BAD_ARGUMENT,
                       "the entry records withheld %llu but the outstanding deduction of account "
                       "%llu (%llu) and a fraud deduction of %u%% withhold %llu of %llu",
                       LLU(c->withheld), LLU(to->id), LLU(to->deduction), fraud, LLU(withheld),
                       LLU(m->amount));
  /* The whole amount must be available at the source even though the withheld part stays; an
   * at-risk enterprise's part stays too, held for it. */
  bool at_risk = to->kind == PROTO_ACCOUNT_ENTERPRISE && to->at_risk;
  uint64_t stays = at_risk ? m->amount : withheld;
  rc = audit__debit_registry(c, from->id, in, m->amount);
  if (!rc && to->kind == PROTO_ACCOUNT_ENTERPRISE) rc = audit__hold_to_row(c, to, true);
  if (!rc) rc = audit__credit(c, from->id, in, PROTO_POSITION_REGISTRY, stays);
  if (!rc && !at_risk) rc = audit__credit(c, to->id, in, PROTO_POSITION_REGISTRY, credited);
  if (!rc && at_risk && credited > 0) rc = audit__held_add(c, to->id, in->code, credited);
  if (!rc) to->deduction = remaining;
  return rc;
}

int audit__rule_clawback(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_CLAWBACK);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *from = NULL, *to = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_ends(c, &from, &to);
  if (!rc) rc = audit__need_kind(c, from, PROTO_ACCOUNT_ENTERPRISE, "source");
  if (!rc) rc = audit__need_kind(c, to, PROTO_ACCOUNT_PROVINCIAL, "destination");
  if (rc) return rc;
  if (to->province != from->province)
    return audit__fail(c, PROTO_E_PROVINCE_MISMATCH,
                       "claws back from enterprise %llu of province %u into provincial account "
                       "%llu of province %u", LLU(from->id), from->province, LLU(to->id), to->province);
  rc = audit__need_authority(c, to->province, "claw back");
  if (!rc) rc = audit__need_instrument(c, m->instrument, &in);
  if (!rc) rc = audit__clawback_bound(c, from, false);
  if (!rc) rc = audit__debit_registry(c, from->id, in, m->amount);
  if (!rc) rc = audit__clawback_bound(c, from, true); /* the bound held: only now is it taken */
  return rc ? rc : audit__credit(c, to->id, in, PROTO_POSITION_REGISTRY, m->amount);
}

/* ---- holdings ---------------------------------------------------------------------------------- */
