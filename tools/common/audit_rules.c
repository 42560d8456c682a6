/* The registry's rules as quota-audit re-implements them (DOMAIN.md, briefs/ledger.md), one
 * function per transaction type over the in-memory state of audit_state.h. Written apart from
 * ledger/ on purpose: the same bug in both would go unseen. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/audit_state.h"

#define LLU(x) ((unsigned long long)(x))

/* ---- lookups ---------------------------------------------------------------------------- */

static struct audit_account_rec *account_find(struct audit_ctx *c, uint64_t id) {
  uint8_t key[8];
  audit__account_key(id, key);
  return audit_map_get(&c->r->accounts, key);
}

/* An existing, open account; `what` names its part in the transaction for the message. */
static int need_account(struct audit_ctx *c, uint64_t id, const char *what,
                        struct audit_account_rec **out) {
  *out = account_find(c, id);
  if (!*out) return audit__fail(c, PROTO_E_UNKNOWN_ACCOUNT, "%s account %llu does not exist", what, LLU(id));
  if ((*out)->closed) return audit__fail(c, PROTO_E_ACCOUNT_CLOSED, "%s account %llu is closed", what, LLU(id));
  return 0;
}

static const char *kind_text(uint8_t kind) {
  const char *s = proto_account_kind_name(kind);
  return s ? s : "unknown-kind";
}

/* Holding accounts that trade: enterprises and participants. */
static int need_holder(struct audit_ctx *c, const struct audit_account_rec *a, const char *what) {
  if (a->kind == PROTO_ACCOUNT_ENTERPRISE || a->kind == PROTO_ACCOUNT_PARTICIPANT) return 0;
  return audit__fail(c, PROTO_E_ACCOUNT_KIND, "%s account %llu is %s, not an enterprise or participant",
                     what, LLU(a->id), kind_text(a->kind));
}

static int need_kind(struct audit_ctx *c, const struct audit_account_rec *a, uint8_t kind,
                     const char *what) {
  if (a->kind == kind) return 0;
  return audit__fail(c, PROTO_E_ACCOUNT_KIND, "%s account %llu is %s, not %s", what, LLU(a->id),
                     kind_text(a->kind), kind_text(kind));
}

static int need_instrument(struct audit_ctx *c, const char *code, struct audit_instr_rec **out) {
  uint8_t key[PROTO_INSTRUMENT_BYTES];
  audit__code_key(code, key);
  *out = audit_map_get(&c->r->instruments, key);
  if (!*out) return audit__fail(c, PROTO_E_UNKNOWN_INSTRUMENT, "instrument %s does not exist", code);
  return 0;
}

static struct audit_bal_rec *balance(struct audit_ctx *c, uint64_t account, const char *code,
                                     bool create) {
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(account, key);
  audit__code_key(code, key + 8);
  return create ? audit_map_put(&c->r->balances, key, NULL) : audit_map_get(&c->r->balances, key);
}

/* Threshold of the authority of a province: its provincial account's, 1 before it exists. */
static unsigned authority_threshold(struct audit_ctx *c, unsigned province) {
  if (province >= AUDIT_PROVINCES || c->r->province_account[province] == 0) return 1;
  const struct audit_account_rec *p = account_find(c, c->r->province_account[province]);
  return p ? p->threshold : 1;
}

static int need_operators(struct audit_ctx *c, const char *act) {
  return audit__require(c, PROTO_ROLE_OPERATOR, 0, c->r->operator_threshold, act);
}

static int need_representatives(struct audit_ctx *c, const struct audit_account_rec *a,
                                const char *act) {
  return audit__require(c, PROTO_ROLE_REPRESENTATIVE, a->id, a->threshold, act);
}

static int need_authority(struct audit_ctx *c, unsigned province, const char *act) {
  return audit__require(c, PROTO_ROLE_AUTHORITY, province, authority_threshold(c, province), act);
}

/* ---- checked unit movements -------------------------------------------------------------- */

static int add_checked(struct audit_ctx *c, uint64_t *v, uint64_t amount, const char *what) {
  uint64_t sum;
  if (__builtin_add_overflow(*v, amount, &sum) || sum > PROTO_AMOUNT_MAX)
    return audit__fail(c, PROTO_E_OVERFLOW, "%s %llu + %llu exceeds 2^53 - 1", what, LLU(*v),
                       LLU(amount));
  *v = sum;
  return 0;
}

static void holding_emptied(struct audit_ctx *c, uint64_t account, const struct audit_bal_rec *b) {
  if (b->registry != 0 || b->trading != 0) return;
  struct audit_account_rec *a = account_find(c, account);
  a->holdings--;
}

/* Units leaving an account's registry position: only the available part (registry - frozen). */
static int debit_registry(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                          uint64_t amount) {
  struct audit_bal_rec *b = balance(c, account, in->code, false);
  uint64_t available = b ? b->registry - b->frozen : 0;
  if (!b || amount > available)
    return audit__fail(c, PROTO_E_INSUFFICIENT_BALANCE,
                       "balance of account %llu %s registry would be -%llu: amount %llu exceeds "
                       "available %llu%s",
                       LLU(account), in->code, LLU(amount - available), LLU(amount),
                       LLU(available), b && b->frozen ? " (frozen units never move)" : "");
  b->registry -= amount;
  holding_emptied(c, account, b);
  in->held -= amount;
  return 0;
}

static int debit_trading(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                         uint64_t amount) {
  struct audit_bal_rec *b = balance(c, account, in->code, false);
  uint64_t have = b ? b->trading : 0;
  if (!b || amount > have)
    return audit__fail(c, PROTO_E_INSUFFICIENT_BALANCE,
                       "balance of account %llu %s trading would be -%llu: amount %llu exceeds "
                       "available %llu",
                       LLU(account), in->code, LLU(amount - have), LLU(amount), LLU(have));
  b->trading -= amount;
  holding_emptied(c, account, b);
  in->held -= amount;
  return 0;
}

static int credit(struct audit_ctx *c, uint64_t account, struct audit_instr_rec *in,
                  uint8_t position, uint64_t amount) {
  struct audit_bal_rec *b = balance(c, account, in->code, true);
  struct audit_account_rec *a = account_find(c, account);
  if (!b) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  bool was_empty = b->registry == 0 && b->trading == 0;
  int rc = add_checked(c, position == PROTO_POSITION_TRADING ? &b->trading : &b->registry, amount,
                       "holding");
  if (!rc) rc = add_checked(c, &in->held, amount, "instrument holdings");
  if (!rc && was_empty) a->holdings++;
  return rc;
}

/* ---- net sales ------------------------------------------------------------------------------ */

static int ns_record(struct audit_ctx *c, uint64_t account, const struct audit_instr_rec *in,
                     uint64_t amount, bool outgoing) {
  if (in->kind != PROTO_INSTRUMENT_CEA || in->vintage < AUDIT_NS_VINTAGE_MIN ||
      in->vintage > AUDIT_NS_VINTAGE_MAX)
    return 0;
  uint8_t key[8];
  audit__account_key(account, key);
  struct audit_ns_list *l = audit_map_put(&c->r->ns, key, NULL);
  if (l && l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    struct audit_ns_event *ev = realloc(l->ev, cap * sizeof(*ev));
    if (ev) l->ev = ev, l->cap = cap;
  }
  if (!l || l->count == l->cap) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  l->ev[l->count++] = (struct audit_ns_event){c->time_ms, amount, outgoing};
  return 0;
}

/* A sale from one holder to another: both sides' net sales move. */
static int ns_sale(struct audit_ctx *c, uint64_t from, uint64_t to,
                   const struct audit_instr_rec *in, uint64_t amount) {
  int rc = ns_record(c, from, in, amount, true);
  return rc ? rc : ns_record(c, to, in, amount, false);
}

/* NS of account over [start, end): outgoing minus incoming, at least 0 (sums saturate: a sum
 * past 2^64 cannot be matched by a recorded amount anyway). */
static uint64_t ns_of(struct audit_ctx *c, uint64_t account, uint64_t start, uint64_t end) {
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
    uint64_t *sum = l->ev[i].outgoing ? &out : &in;
    if (__builtin_add_overflow(*sum, l->ev[i].amount, sum)) *sum = UINT64_MAX;
  }
  return out > in ? out - in : 0;
}

/* ---- accounts and keys --------------------------------------------------------------------- */

static int rule_key_register(struct audit_ctx *c) {
  const struct proto_key_register *k = &c->tx->u.key_register;
  int rc = need_operators(c, "key register");
  if (rc) return rc;
  if (k->role == PROTO_ROLE_AUTHORITY) {
    if (!proto_province_valid((unsigned)k->scope))
      return audit__fail(c, PROTO_E_BAD_PROVINCE, "authority scope %llu is not a province", LLU(k->scope));
  } else if (k->role == PROTO_ROLE_REPRESENTATIVE) {
    struct audit_account_rec *a = NULL;
    if ((rc = need_account(c, k->scope, "the represented", &a))) return rc;
  } else if (k->scope != 0) {
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s key has scope %llu, not 0",
                       proto_role_name(k->role) ? proto_role_name(k->role) : "?", LLU(k->scope));
  }
  struct proto_key *valid = proto_key_from_public(k->public_key);
  if (!valid) return audit__fail(c, PROTO_E_BAD_KEY, "the public key is not a valid Ed25519 key");
  proto_key_free(valid);
  uint8_t hash[PROTO_HASH_BYTES];
  proto_sha256(k->public_key, PROTO_PUBKEY_BYTES, hash);
  bool created = false;
  struct audit_key_rec *rec = audit_map_put(&c->r->keys, hash, &created);
  if (!rec) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (!created) return audit__fail(c, PROTO_E_KEY_EXISTS, "the key is already registered");
  memcpy(rec->pub, k->public_key, PROTO_PUBKEY_BYTES);
  rec->role = k->role;
  rec->scope = k->scope;
  rec->registered_index = c->index;
  return 0;
}

static int rule_key_revoke(struct audit_ctx *c) {
  int rc = need_operators(c, "key revoke");
  if (rc) return rc;
  struct audit_key_rec *k = audit_map_get(&c->r->keys, c->tx->u.key_revoke.key_hash);
  if (!k) return audit__fail(c, PROTO_E_UNKNOWN_KEY, "revokes a key that was never registered");
  if (k->revoked)
    return audit__fail(c, PROTO_E_REVOKED_KEY, "revokes a key already revoked at entry %llu",
                       LLU(k->revoked_index));
  k->revoked = true;
  k->revoked_index = c->index;
  return 0;
}

/* Fields that must agree with the account's kind. */
static int account_shape(struct audit_ctx *c, const struct proto_account *a) {
  bool enterprise = a->kind == PROTO_ACCOUNT_ENTERPRISE;
  if (a->kind == PROTO_ACCOUNT_ENTERPRISE || a->kind == PROTO_ACCOUNT_PROVINCIAL) {
    if (!proto_province_valid(a->province))
      return audit__fail(c, PROTO_E_BAD_PROVINCE, "province %u is not a GB/T 2260 code", a->province);
  } else if (a->province != 0 && a->kind != PROTO_ACCOUNT_PARTICIPANT) {
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s account has province %u", kind_text(a->kind),
                       a->province);
  }
  if (enterprise && a->uscc[0] == '\0')
    return audit__fail(c, PROTO_E_EMPTY_FIELD, "an enterprise account without a USCC");
  if (enterprise && proto_uscc_check(a->uscc, strlen(a->uscc), NULL) != 0)
    return audit__fail(c, PROTO_E_BAD_USCC, "USCC %s fails its check", a->uscc);
  if (!enterprise && a->uscc[0] != '\0')
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s account with a USCC", kind_text(a->kind));
  if (!enterprise && a->sector != 0)
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s account with a sector", kind_text(a->kind));
  return 0;
}

/* USCC and province uniqueness against every account but `self`. */
static int account_unique(struct audit_ctx *c, const struct proto_account *a, uint64_t self) {
  if (a->uscc[0]) {
    uint64_t *owner = audit_map_get(&c->r->usccs, a->uscc);
    if (owner && *owner != self)
      return audit__fail(c, PROTO_E_ACCOUNT_EXISTS, "USCC %s already belongs to account %llu",
                         a->uscc, LLU(*owner));
  }
  if (a->kind == PROTO_ACCOUNT_PROVINCIAL) {
    uint64_t owner = c->r->province_account[a->province];
    if (owner && owner != self)
      return audit__fail(c, PROTO_E_ACCOUNT_EXISTS, "province %u already has account %llu",
                         a->province, LLU(owner));
  }
  return 0;
}

static int account_store(struct audit_ctx *c, struct audit_account_rec *rec,
                         const struct proto_account *a) {
  if (rec->uscc[0]) {
    uint64_t *old = audit_map_get(&c->r->usccs, rec->uscc);
    if (old && *old == rec->id) *old = 0; /* released: a merger may hand it on */
  }
  if (rec->kind == PROTO_ACCOUNT_PROVINCIAL && c->r->province_account[rec->province] == rec->id)
    c->r->province_account[rec->province] = 0;
  rec->kind = a->kind;
  rec->province = a->province;
  rec->sector = a->sector;
  rec->threshold = a->threshold;
  memcpy(rec->uscc, a->uscc, sizeof(rec->uscc));
  if (a->uscc[0]) {
    uint64_t *slot = audit_map_put(&c->r->usccs, a->uscc, NULL);
    if (!slot) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
    *slot = rec->id;
  }
  if (a->kind == PROTO_ACCOUNT_PROVINCIAL) c->r->province_account[a->province] = rec->id;
  return 0;
}

static int rule_account_open(struct audit_ctx *c) {
  const struct proto_account *a = &c->tx->u.account;
  int rc = need_operators(c, "account open");
  if (rc) return rc;
  if (a->kind == PROTO_ACCOUNT_NATIONAL)
    return audit__fail(c, PROTO_E_ACCOUNT_KIND, "opens a second national account");
  if (account_find(c, a->account))
    return audit__fail(c, PROTO_E_ACCOUNT_EXISTS, "account %llu already exists", LLU(a->account));
  if ((rc = account_shape(c, a)) || (rc = account_unique(c, a, a->account))) return rc;
  uint8_t key[8];
  audit__account_key(a->account, key);
  struct audit_account_rec *rec = audit_map_put(&c->r->accounts, key, NULL);
  if (!rec) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  rec->id = a->account;
  return account_store(c, rec, a);
}

static int rule_account_update(struct audit_ctx *c) {
  const struct proto_account *a = &c->tx->u.account;
  struct audit_account_rec *rec = NULL;
  int rc = need_operators(c, "account update");
  if (!rc) rc = need_account(c, a->account, "the", &rec);
  if (rc) return rc;
  if (a->kind != rec->kind)
    return audit__fail(c, PROTO_E_ACCOUNT_KIND, "changes account %llu from %s to %s",
                       LLU(a->account), kind_text(rec->kind), kind_text(a->kind));
  if (rec->kind != PROTO_ACCOUNT_NATIONAL && (rc = account_shape(c, a))) return rc;
  if ((rc = account_unique(c, a, a->account))) return rc;
  return account_store(c, rec, a);
}

static int rule_account_close(struct audit_ctx *c) {
  struct audit_account_rec *rec = NULL;
  int rc = need_operators(c, "account close");
  if (!rc) rc = need_account(c, c->tx->u.account_close.account, "the", &rec);
  if (rc) return rc;
  if (rec->holdings != 0)
    return audit__fail(c, PROTO_E_ACCOUNT_NOT_EMPTY, "account %llu still holds units of %llu "
                       "instrument(s)", LLU(rec->id), LLU(rec->holdings));
  rec->closed = true;
  return 0;
}

/* ---- instruments, years, issuance -------------------------------------------------------------- */

static int rule_instrument_create(struct audit_ctx *c) {
  const struct proto_instrument_create *in = &c->tx->u.instrument;
  int rc = need_operators(c, "instrument create");
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

static int rule_compliance_year(struct audit_ctx *c) {
  const struct proto_compliance_year *y = &c->tx->u.compliance_year;
  int rc = need_operators(c, "compliance year");
  if (rc) return rc;
  uint64_t *d = &c->r->deadline_ms[y->year];
  if (*d != 0 && y->deadline_ms <= *d) /* "extend" means strictly later */
    return audit__fail(c, PROTO_E_DEADLINE_EARLIER, "moves the %u deadline from %llu ms back to %llu ms",
                       y->year, LLU(*d), LLU(y->deadline_ms));
  *d = y->deadline_ms;
  return 0;
}

static int rule_issue(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_instr_rec *in = NULL;
  int rc = need_operators(c, "issue");
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  if (m->amount > in->cap || in->issued > in->cap - m->amount)
    return audit__fail(c, PROTO_E_CAP_EXCEEDED,
                       "issuing %llu %s would bring issued to %llu over its cap %llu", LLU(m->amount),
                       in->code, LLU(in->issued + m->amount), LLU(in->cap));
  in->issued += m->amount;
  return credit(c, c->r->national_account, in, PROTO_POSITION_REGISTRY, m->amount);
}

/* ---- allocation ------------------------------------------------------------------------------- */

/* The allocator's authority: national -> provincial by operators, provincial -> enterprise of
 * its province by that province's authorities. */
static int allocate_parties(struct audit_ctx *c, const struct audit_account_rec *from,
                            const struct audit_account_rec *to) {
  if (from->kind == PROTO_ACCOUNT_NATIONAL) {
    int rc = need_kind(c, to, PROTO_ACCOUNT_PROVINCIAL, "destination");
    return rc ? rc : need_operators(c, "allocate from the national account");
  }
  int rc = need_kind(c, from, PROTO_ACCOUNT_PROVINCIAL, "source");
  if (!rc) rc = need_kind(c, to, PROTO_ACCOUNT_ENTERPRISE, "destination");
  if (rc) return rc;
  if (to->province != from->province)
    return audit__fail(c, PROTO_E_PROVINCE_MISMATCH,
                       "provincial account %llu (province %u) allocates to enterprise %llu of "
                       "province %u", LLU(from->id), from->province, LLU(to->id), to->province);
  return need_authority(c, from->province, "allocate to an enterprise");
}

static int rule_allocate(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *from = NULL, *to = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_account(c, m->from, "source", &from);
  if (!rc) rc = need_account(c, m->to, "destination", &to);
  if (!rc) rc = allocate_parties(c, from, to);
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  /* An outstanding deduction keeps that part in the provincial account (DOMAIN.md "deduct"). */
  uint64_t withheld = 0;
  if (to->kind == PROTO_ACCOUNT_ENTERPRISE)
    withheld = to->deduction < m->amount ? to->deduction : m->amount;
  if (c->withheld != withheld)
    return audit__fail(c, PROTO_E_BAD_ARGUMENT,
                       "the entry records withheld %llu but the outstanding deduction of account "
                       "%llu (%llu) withholds %llu of %llu",
                       LLU(c->withheld), LLU(to->id), LLU(to->deduction), LLU(withheld),
                       LLU(m->amount));
  /* The whole amount must be available at the source even though the withheld part stays. */
  uint64_t credited = m->amount - withheld;
  rc = debit_registry(c, from->id, in, m->amount);
  if (!rc) rc = credit(c, from->id, in, PROTO_POSITION_REGISTRY, withheld);
  if (!rc) rc = credit(c, to->id, in, PROTO_POSITION_REGISTRY, credited);
  if (!rc) to->deduction -= withheld;
  return rc;
}

static int rule_clawback(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *from = NULL, *to = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_account(c, m->from, "source", &from);
  if (!rc) rc = need_account(c, m->to, "destination", &to);
  if (!rc) rc = need_kind(c, from, PROTO_ACCOUNT_ENTERPRISE, "source");
  if (!rc) rc = need_kind(c, to, PROTO_ACCOUNT_PROVINCIAL, "destination");
  if (rc) return rc;
  if (to->province != from->province)
    return audit__fail(c, PROTO_E_PROVINCE_MISMATCH,
                       "claws back from enterprise %llu of province %u into provincial account "
                       "%llu of province %u", LLU(from->id), from->province, LLU(to->id), to->province);
  rc = need_authority(c, to->province, "claw back");
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (!rc) rc = debit_registry(c, from->id, in, m->amount);
  return rc ? rc : credit(c, to->id, in, PROTO_POSITION_REGISTRY, m->amount);
}

/* ---- holdings ---------------------------------------------------------------------------------- */

static int rule_transfer(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *from = NULL, *to = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_account(c, m->from, "source", &from);
  if (!rc) rc = need_account(c, m->to, "destination", &to);
  if (!rc) rc = need_holder(c, from, "source");
  if (!rc) rc = need_holder(c, to, "destination");
  if (!rc && from->id == to->id)
    rc = audit__fail(c, PROTO_E_SAME_ACCOUNT, "transfers from account %llu to itself", LLU(to->id));
  if (!rc) rc = need_representatives(c, from, "transfer");
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (!rc) rc = debit_registry(c, from->id, in, m->amount);
  if (!rc) rc = credit(c, to->id, in, PROTO_POSITION_REGISTRY, m->amount);
  return rc ? rc : ns_sale(c, from->id, to->id, in, m->amount);
}

static int rule_position_move(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_account(c, m->from, "the", &a);
  if (!rc) rc = need_holder(c, a, "the");
  if (!rc) rc = need_representatives(c, a, "position move");
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  if (m->kind == PROTO_POSITION_TRADING) {
    rc = debit_registry(c, a->id, in, m->amount);
  } else if (m->kind == PROTO_POSITION_REGISTRY) {
    rc = debit_trading(c, a->id, in, m->amount);
  } else {
    return audit__fail(c, PROTO_E_BAD_ENUM, "position %u is neither registry nor trading", m->kind);
  }
  return rc ? rc : credit(c, a->id, in, m->kind, m->amount);
}

static int rule_settle(struct audit_ctx *c) {
  const struct proto_settle *s = &c->tx->u.settle;
  int rc = audit__require(c, PROTO_ROLE_EXCHANGE, 0, 1, "settle");
  for (uint16_t i = 0; i < s->legs_count && !rc; i++) {
    const struct proto_leg *leg = &s->legs[i];
    struct audit_account_rec *from = NULL, *to = NULL;
    struct audit_instr_rec *in = NULL;
    char what[48];
    snprintf(what, sizeof(what), "leg %u seller", i);
    rc = need_account(c, leg->from, what, &from);
    if (!rc) rc = need_holder(c, from, what);
    snprintf(what, sizeof(what), "leg %u buyer", i);
    if (!rc) rc = need_account(c, leg->to, what, &to);
    if (!rc) rc = need_holder(c, to, what);
    if (!rc && from->id == to->id)
      rc = audit__fail(c, PROTO_E_SAME_ACCOUNT, "leg %u: account %llu sells to itself", i, LLU(to->id));
    if (!rc) rc = need_instrument(c, leg->instrument, &in);
    /* Legs apply in order: a later leg may spend what an earlier one bought. */
    if (!rc) rc = debit_trading(c, from->id, in, leg->amount);
    if (!rc) rc = credit(c, to->id, in, PROTO_POSITION_TRADING, leg->amount);
    if (!rc) rc = ns_sale(c, from->id, to->id, in, leg->amount);
  }
  return rc;
}

static int rule_freeze(struct audit_ctx *c, bool freeze) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_operators(c, freeze ? "freeze" : "unfreeze");
  if (!rc) rc = need_account(c, m->from, "the", &a);
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (rc) return rc;
  struct audit_bal_rec *b = balance(c, a->id, in->code, false);
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

static struct audit_comp_rec *compliance_rec(struct audit_ctx *c, uint64_t account, uint16_t year,
                                             bool create) {
  uint8_t key[10];
  audit__account_key(account, key);
  key[8] = (uint8_t)(year >> 8);
  key[9] = (uint8_t)year;
  return create ? audit_map_put(&c->r->compliance, key, NULL) : audit_map_get(&c->r->compliance, key);
}

static uint64_t ccer_limit(uint64_t obligation) { return obligation / 20; } /* floor(5%) */

/* Completion time follows the record: set by the entry that brings counted up to the
 * obligation, cleared when a re-determination makes it short again. */
static void compliance_settle(struct audit_ctx *c, struct audit_comp_rec *rec) {
  uint64_t ccer = rec->ccer < ccer_limit(rec->emissions) ? rec->ccer : ccer_limit(rec->emissions);
  bool met = rec->cea + ccer >= rec->emissions;
  if (!met) rec->completed_ms = 0;
  else if (rec->completed_ms == 0) rec->completed_ms = c->time_ms ? c->time_ms : 1;
}

static int rule_emissions(struct audit_ctx *c) {
  const struct proto_verified_emissions *e = &c->tx->u.emissions;
  struct audit_account_rec *a = NULL, *prov = NULL;
  int rc = need_account(c, e->account, "the", &a);
  if (!rc) rc = need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = need_account(c, c->r->province_account[a->province], "the provincial", &prov);
  if (!rc) rc = need_authority(c, a->province, "verified emissions");
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
  if (from->id == ent->id) return need_representatives(c, ent, "surrender");
  int rc = need_kind(c, from, PROTO_ACCOUNT_PROVINCIAL, "source");
  if (rc) return rc;
  if (from->province != ent->province)
    return audit__fail(c, PROTO_E_PROVINCE_MISMATCH,
                       "provincial account %llu (province %u) surrenders for enterprise %llu of "
                       "province %u", LLU(from->id), from->province, LLU(ent->id), ent->province);
  return need_authority(c, ent->province, "surrender for an at-risk enterprise");
}

static int rule_surrender(struct audit_ctx *c) {
  const struct proto_surrender *s = &c->tx->u.surrender;
  struct audit_account_rec *ent = NULL, *from = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_account(c, s->account, "the", &ent);
  if (!rc) rc = need_kind(c, ent, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = need_account(c, s->from, "source", &from);
  if (!rc) rc = surrender_parties(c, ent, from);
  if (!rc) rc = need_instrument(c, s->instrument, &in);
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
      (s->amount > ccer_limit(rec->emissions) || rec->ccer > ccer_limit(rec->emissions) - s->amount))
    return audit__fail(c, PROTO_E_CCER_LIMIT,
                       "CCER for %u would reach %llu, above 5%% of the obligation %llu (%llu)",
                       s->year, LLU(rec->ccer + s->amount), LLU(rec->emissions),
                       LLU(ccer_limit(rec->emissions)));
  rc = debit_registry(c, from->id, in, s->amount);
  if (!rc) rc = add_checked(c, &in->surrendered, s->amount, "surrendered");
  if (!rc) rc = add_checked(c, in->kind == PROTO_INSTRUMENT_CCER ? &rec->ccer : &rec->cea, s->amount,
                            "surrendered for the year");
  if (!rc) compliance_settle(c, rec);
  return rc;
}

static int rule_cancel(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *in = NULL;
  int rc = need_account(c, m->from, "the", &a);
  if (!rc) rc = need_holder(c, a, "the");
  if (!rc) rc = need_representatives(c, a, "cancel");
  if (!rc) rc = need_instrument(c, m->instrument, &in);
  if (!rc) rc = debit_registry(c, a->id, in, m->amount);
  return rc ? rc : add_checked(c, &in->cancelled, m->amount, "cancelled");
}

/* T = floor(10,000 + 1.5 * NS), in integers: 10,000 + NS + floor(NS / 2). */
static int carry_over_cap(struct audit_ctx *c, const struct proto_carry_over *co) {
  uint64_t t = 10000;
  if (__builtin_add_overflow(t, co->net_sales, &t) || __builtin_add_overflow(t, co->net_sales / 2, &t))
    return audit__fail(c, PROTO_E_OVERFLOW, "the carry-over cap overflows");
  if (co->cap > t)
    return audit__fail(c, PROTO_E_CARRYOVER_MISMATCH,
                       "records cap %llu but 10,000 + 1.5 x net sales %llu gives %llu", LLU(co->cap),
                       LLU(co->net_sales), LLU(t));
  return 0;
}

static int rule_carry_over(struct audit_ctx *c) {
  const struct proto_carry_over *co = &c->tx->u.carry_over;
  struct audit_account_rec *a = NULL;
  struct audit_instr_rec *from = NULL, *to = NULL;
  int rc = need_operators(c, "carry over");
  if (!rc) rc = need_account(c, co->account, "the", &a);
  if (!rc) rc = need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (!rc) rc = need_instrument(c, co->from_instrument, &from);
  if (!rc) rc = need_instrument(c, co->to_instrument, &to);
  if (rc) return rc;
  if (from->kind != PROTO_INSTRUMENT_CEA || to->kind != PROTO_INSTRUMENT_CEA)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "carries %s into %s: both must be CEA", from->code, to->code);
  if (to->vintage <= from->vintage)
    return audit__fail(c, PROTO_E_INELIGIBLE_VINTAGE, "carries vintage %u into the not later %u",
                       from->vintage, to->vintage);
  if ((rc = carry_over_cap(c, co))) return rc;
  /* The ledger takes NS as recorded; the log itself says what it was. Only an overstated NS
   * (which raises the cap) is refused. */
  uint64_t ns = ns_of(c, a->id, co->window_start_ms, co->window_end_ms);
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
  if ((rc = debit_registry(c, a->id, from, co->amount))) return rc;
  *total += co->amount;
  from->carried_over += co->amount;
  to->issued += co->amount;
  return credit(c, a->id, to, PROTO_POSITION_REGISTRY, co->amount);
}

static int rule_deduct(struct audit_ctx *c) {
  const struct proto_movement *m = &c->tx->u.move;
  struct audit_account_rec *a = NULL;
  int rc = need_operators(c, "deduct");
  if (!rc) rc = need_account(c, m->from, "the", &a);
  if (!rc) rc = need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  return rc ? rc : add_checked(c, &a->deduction, m->amount, "outstanding deduction");
}

int audit__rules(struct audit_ctx *c) {
  switch (c->tx->type) {
  case PROTO_TX_KEY_REGISTER: return rule_key_register(c);
  case PROTO_TX_KEY_REVOKE: return rule_key_revoke(c);
  case PROTO_TX_ACCOUNT_OPEN: return rule_account_open(c);
  case PROTO_TX_ACCOUNT_UPDATE: return rule_account_update(c);
  case PROTO_TX_ACCOUNT_CLOSE: return rule_account_close(c);
  case PROTO_TX_INSTRUMENT_CREATE: return rule_instrument_create(c);
  case PROTO_TX_COMPLIANCE_YEAR: return rule_compliance_year(c);
  case PROTO_TX_ISSUE: return rule_issue(c);
  case PROTO_TX_ALLOCATE: return rule_allocate(c);
  case PROTO_TX_CLAWBACK: return rule_clawback(c);
  case PROTO_TX_TRANSFER: return rule_transfer(c);
  case PROTO_TX_POSITION_MOVE: return rule_position_move(c);
  case PROTO_TX_SETTLE: return rule_settle(c);
  case PROTO_TX_FREEZE: return rule_freeze(c, true);
  case PROTO_TX_UNFREEZE: return rule_freeze(c, false);
  case PROTO_TX_VERIFIED_EMISSIONS: return rule_emissions(c);
  case PROTO_TX_SURRENDER: return rule_surrender(c);
  case PROTO_TX_CANCEL: return rule_cancel(c);
  case PROTO_TX_CARRY_OVER: return rule_carry_over(c);
  case PROTO_TX_DEDUCT: return rule_deduct(c);
  default: return audit__fail(c, PROTO_E_UNKNOWN_TYPE, "type %u", c->tx->type);
  }
}
