/* The audit's rules about who exists: keys (register, revoke) and accounts (open, update,
 * close), re-implemented apart from ledger/rules_accounts.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

int audit__rule_key_register(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_KEY_REGISTER);
  const struct proto_key_register *k = &c->tx->u.key_register;
  int rc = audit__need_operators(c, "key register");
  if (rc) return rc;
  if (k->role == PROTO_ROLE_AUTHORITY) {
    if (!proto_province_valid((unsigned)k->scope))
      return audit__fail(c, PROTO_E_BAD_PROVINCE, "authority scope %llu is not a province", LLU(k->scope));
  } else if (k->role == PROTO_ROLE_REPRESENTATIVE) {
    struct audit_account_rec *a = NULL;
    if ((rc = audit__need_account(c, k->scope, "the represented", &a))) return rc;
  } else if (k->scope != 0) {
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s key has scope %llu, not 0",
                       proto_role_name(k->role) ? proto_role_name(k->role) : "?", LLU(k->scope));
  }
  if (proto_pubkey_check(k->public_key) != 0)
    return audit__fail(c, PROTO_E_BAD_KEY,
                       "the public key is not of prime order (identity, small or mixed order, "
                       "or not a canonical curve point)");
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

int audit__rule_key_revoke(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_KEY_REVOKE);
  int rc = audit__need_operators(c, "key revoke");
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
  PROTO_ASSERT(c && a);
  PROTO_ASSERT(a->kind != PROTO_ACCOUNT_NATIONAL); /* the national account keeps the genesis's shape */
  bool enterprise = a->kind == PROTO_ACCOUNT_ENTERPRISE;
  if (a->kind == PROTO_ACCOUNT_ENTERPRISE || a->kind == PROTO_ACCOUNT_PROVINCIAL) {
    if (!proto_province_valid(a->province))
      return audit__fail(c, PROTO_E_BAD_PROVINCE, "province %u is not a GB/T 2260 code", a->province);
  } else if (a->province != 0 && a->kind != PROTO_ACCOUNT_PARTICIPANT) {
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s account has province %u", audit__kind_text(a->kind),
                       a->province);
  }
  if (enterprise && a->uscc[0] == '\0')
    return audit__fail(c, PROTO_E_EMPTY_FIELD, "an enterprise account without a USCC");
  if (enterprise && proto_uscc_check(a->uscc, strlen(a->uscc), NULL) != 0)
    return audit__fail(c, PROTO_E_BAD_USCC, "USCC %s fails its check", a->uscc);
  if (!enterprise && a->uscc[0] != '\0')
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s account with a USCC", audit__kind_text(a->kind));
  if (!enterprise && a->sector != 0)
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "a %s account with a sector", audit__kind_text(a->kind));
  return 0;
}

/* USCC and province uniqueness against every account but `self`. */
static int account_unique(struct audit_ctx *c, const struct proto_account *a, uint64_t self) {
  PROTO_ASSERT(c && c->r && a);
  PROTO_ASSERT(a->kind != PROTO_ACCOUNT_PROVINCIAL || a->province < AUDIT_PROVINCES); /* account_shape ran */
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
  PROTO_ASSERT(c && c->r && rec && a);
  PROTO_ASSERT((rec->kind != PROTO_ACCOUNT_PROVINCIAL || rec->province < AUDIT_PROVINCES) &&
               (a->kind != PROTO_ACCOUNT_PROVINCIAL || a->province < AUDIT_PROVINCES));
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

int audit__rule_account_open(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_OPEN);
  const struct proto_account *a = &c->tx->u.account;
  int rc = audit__need_operators(c, "account open");
  if (rc) return rc;
  if (a->kind == PROTO_ACCOUNT_NATIONAL)
    return audit__fail(c, PROTO_E_ACCOUNT_KIND, "opens a second national account");
  if (audit__account_find(c, a->account))
    return audit__fail(c, PROTO_E_ACCOUNT_EXISTS, "account %llu already exists", LLU(a->account));
  if ((rc = account_shape(c, a)) || (rc = account_unique(c, a, a->account))) return rc;
  uint8_t key[8];
  audit__account_key(a->account, key);
  struct audit_account_rec *rec = audit_map_put(&c->r->accounts, key, NULL);
  if (!rec) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  rec->id = a->account;
  return account_store(c, rec, a);
}

int audit__rule_account_update(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_UPDATE);
  const struct proto_account *a = &c->tx->u.account;
  struct audit_account_rec *rec = NULL;
  int rc = audit__need_operators(c, "account update");
  if (!rc) rc = audit__need_account(c, a->account, "the", &rec);
  if (rc) return rc;
  if (a->kind != rec->kind)
    return audit__fail(c, PROTO_E_ACCOUNT_KIND, "changes account %llu from %s to %s",
                       LLU(a->account), audit__kind_text(rec->kind), audit__kind_text(a->kind));
  if (rec->kind != PROTO_ACCOUNT_NATIONAL && (rc = account_shape(c, a))) return rc;
  if ((rc = account_unique(c, a, a->account))) return rc;
  return account_store(c, rec, a);
}

/* Nothing held, nothing owed: a closed account could answer for neither. */
int audit__rule_account_close(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_CLOSE);
  struct audit_account_rec *rec = NULL;
  int rc = audit__need_operators(c, "account close");
  if (!rc) rc = audit__need_account(c, c->tx->u.account_close.account, "the", &rec);
  if (rc) return rc;
  if (rec->kind == PROTO_ACCOUNT_NATIONAL)
    return audit__fail(c, PROTO_E_ACCOUNT_KIND, "closes the national account");
  if (rec->holdings != 0)
    return audit__fail(c, PROTO_E_ACCOUNT_NOT_EMPTY, "account %llu still holds units of %llu "
                       "instrument(s)", LLU(rec->id), LLU(rec->holdings));
  if (rec->deduction > 0)
    return audit__fail(c, PROTO_E_ACCOUNT_OWES, "account %llu owes a deduction of %llu",
                       LLU(rec->id), LLU(rec->deduction));
  if (rec->kind == PROTO_ACCOUNT_ENTERPRISE && audit__owing(c, rec->id))
    return audit__fail(c, PROTO_E_ACCOUNT_OWES, "enterprise %llu is short or overdue in a "
                       "compliance year", LLU(rec->id));
  rec->closed = true;
  return 0;
}

int audit__rule_account_reopen(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_ACCOUNT_REOPEN);
  uint64_t id = c->tx->u.account_close.account;
  int rc = audit__need_operators(c, "account reopen");
  if (rc) return rc;
  struct audit_account_rec *rec = audit__account_find(c, id);
  if (!rec) return audit__fail(c, PROTO_E_UNKNOWN_ACCOUNT, "account %llu does not exist", LLU(id));
  if (!rec->closed) return audit__fail(c, PROTO_E_ACCOUNT_OPEN, "account %llu is open", LLU(id));
  rec->closed = false;
  return 0;
}

/* Whether any signer holds role (any scope): who the at-risk entry speaks for. */
static bool signed_as(struct audit_ctx *c, uint8_t role) {
  PROTO_ASSERT(c && c->r);
  PROTO_ASSERT(c->signers != NULL || c->signers_count == 0);
  for (size_t i = 0; i < c->signers_count; i++) {
    const struct audit_key_rec *k = audit_map_get(&c->r->keys, c->signers[i].key_hash);
    if (k && k->role == role) return true;
  }
  return false;
}

/* The operators, or else the authority of the enterprise's province, which needs its provincial
 * account (the threshold lives there). */
int audit__rule_at_risk(struct audit_ctx *c) {
  PROTO_ASSERT(c && c->r && c->tx);
  PROTO_ASSERT(c->tx->type == PROTO_TX_AT_RISK);
  const struct proto_at_risk *p = &c->tx->u.at_risk;
  struct audit_account_rec *a = NULL, *prov = NULL;
  int rc = audit__need_account(c, p->account, "the", &a);
  if (!rc) rc = audit__need_kind(c, a, PROTO_ACCOUNT_ENTERPRISE, "the");
  if (rc) return rc;
  if (signed_as(c, PROTO_ROLE_OPERATOR)) {
    rc = audit__need_operators(c, "at-risk status");
  } else {
    rc = audit__need_account(c, c->r->province_account[a->province], "the provincial", &prov);
    if (!rc) rc = audit__need_authority(c, a->province, "at-risk status");
  }
  if (rc) return rc;
  if (a->at_risk == (p->set != 0))
    return audit__fail(c, PROTO_E_AT_RISK_UNCHANGED, "enterprise %llu is already %s",
                       LLU(a->id), a->at_risk ? "at risk" : "not at risk");
  a->at_risk = p->set != 0;
  return 0;
}

/* ---- instruments, years, issuance -------------------------------------------------------------- */
