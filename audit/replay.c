/* audit_replay: the replay's state, the per-entry sequence and authorization checks, the genesis,
 * the final supply invariants and the read-out of what was recomputed. Rules by type are in
 * rules_*.c; decoding of whole leaves in leaf.c. */
#include "audit/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/internal.h"

void audit__account_key(uint64_t id, uint8_t out[8]) {
  for (unsigned i = 0; i < 8; i++) out[i] = (uint8_t)(id >> (56 - 8 * i));
}

void audit__code_key(const char *code, uint8_t out[PROTO_INSTRUMENT_BYTES]) {
  memset(out, 0, PROTO_INSTRUMENT_BYTES);
  memcpy(out, code, strnlen(code, PROTO_INSTRUMENT_BYTES));
}

struct audit_replay *audit_replay_new(void) {
  struct audit_replay *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  audit_map_init(&r->keys, PROTO_HASH_BYTES, sizeof(struct audit_key_rec));
  audit_map_init(&r->accounts, 8, sizeof(struct audit_account_rec));
  audit_map_init(&r->usccs, PROTO_USCC_BYTES, sizeof(uint64_t));
  audit_map_init(&r->instruments, PROTO_INSTRUMENT_BYTES, sizeof(struct audit_instr_rec));
  audit_map_init(&r->balances, 8 + PROTO_INSTRUMENT_BYTES, sizeof(struct audit_bal_rec));
  audit_map_init(&r->compliance, 10, sizeof(struct audit_comp_rec));
  audit_map_init(&r->carried, 8 + PROTO_INSTRUMENT_BYTES, sizeof(uint64_t));
  audit_map_init(&r->tx_ids, PROTO_ID_BYTES, sizeof(uint64_t));
  audit_map_init(&r->ns, 8, sizeof(struct audit_ns_list));
  audit_map_init(&r->orders, 8 + PROTO_ID_BYTES, sizeof(struct audit_order_rec));
  audit_map_init(&r->order_lists, 8 + PROTO_INSTRUMENT_BYTES, sizeof(struct audit_order_list));
  audit_map_init(&r->carry_rules, PROTO_ID_BYTES, sizeof(struct audit_carry_rule));
  audit_map_init(&r->deductions, 11, sizeof(struct audit_deduction));
  return r;
}

void audit_replay_free(struct audit_replay *r) {
  if (!r) return;
  for (size_t i = 0; i < r->keys.count; i++) {
    struct audit_key_rec *k = audit_map_at(&r->keys, i, NULL);
    proto_key_free(k->evp);
  }
  audit_map_free(&r->keys);
  audit_map_free(&r->accounts);
  audit_map_free(&r->usccs);
  audit_map_free(&r->instruments);
  audit_map_free(&r->balances);
  audit_map_free(&r->compliance);
  audit_map_free(&r->carried);
  audit_map_free(&r->tx_ids);
  for (size_t i = 0; i < r->ns.count; i++) {
    struct audit_ns_list *l = audit_map_at(&r->ns, i, NULL);
    free(l->ev);
  }
  audit_map_free(&r->ns);
  audit__tables_free(r);
  audit_map_free(&r->orders);
  audit_map_free(&r->order_lists);
  audit_map_free(&r->carry_rules);
  audit_map_free(&r->deductions);
  free(r->scratch);
  free(r->failures);
  free(r);
}

void audit_replay_set_log_key(struct audit_replay *r, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  r->expect_log_pub = true;
  memcpy(r->expected_log_pub, pub, PROTO_PUBKEY_BYTES);
}

int audit__fail(struct audit_ctx *c, int code, const char *fmt, ...) {
  char id[PROTO_ID_BYTES * 2 + 1];
  (void)proto_hex_encode(c->tx->id, PROTO_ID_BYTES, id, sizeof(id));
  const char *type = proto_tx_type_name(c->tx->type);
  struct audit_failure *f = c->fail;
  f->index = c->index;
  f->code = code;
  int n = snprintf(f->text, sizeof(f->text), "entry %llu (%s %s): ", (unsigned long long)c->index,
                   type ? type : "unknown", id);
  if (n > 0 && (size_t)n < sizeof(f->text)) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text + n, sizeof(f->text) - (size_t)n, fmt, ap);
    va_end(ap);
  }
  c->r->failed = true;
  c->r->failure = *f;
  return code;
}

static const char *role_text(uint8_t role) {
  const char *s = proto_role_name(role);
  return s ? s : "unknown-role";
}

int audit__require(struct audit_ctx *c, uint8_t role, uint64_t scope, unsigned threshold,
                   const char *act) {
  unsigned have = 0;
  for (size_t i = 0; i < c->signers_count; i++) {
    const struct audit_key_rec *k = audit_map_get(&c->r->keys, c->signers[i].key_hash);
    PROTO_ASSERT(k != NULL); /* check_signers ran first */
    if (k->role == role && k->scope == scope) have++;
  }
  if (threshold == 0) threshold = 1;
  if (have == 0)
    return audit__fail(c, PROTO_E_WRONG_ROLE,
                       "%s needs %u %s signature(s) of scope %llu; no signer holds that role",
                       act, threshold, role_text(role), (unsigned long long)scope);
  if (have < threshold)
    return audit__fail(c, PROTO_E_INSUFFICIENT_SIGNATURES,
                       "%s needs %u %s signatures of scope %llu; only %u signed", act, threshold,
                       role_text(role), (unsigned long long)scope, have);
  return 0;
}

/* A signer's signature, verified here unless the caller did. */
static int signer_verified(struct audit_ctx *c, size_t i, struct audit_key_rec *k,
                           const uint8_t *msg, size_t msg_len, const uint8_t *sig) {
  if (!msg) return c->signers[i].status; /* the caller verified */
  if (!k->evp) k->evp = proto_key_from_public(k->pub);
  if (!k->evp) return PROTO_E_BAD_KEY;
  return proto_verify(k->evp, msg, msg_len, sig);
}

static void hash_prefix(const uint8_t *hash, char out[17]) {
  (void)proto_hex_encode(hash, 8, out, 17);
}

/* Every signer distinct, registered by an earlier entry, valid and not revoked. msg/sigs: when
 * not NULL, the signing message and the raw signatures to verify here. */
static int check_signers(struct audit_ctx *c, const uint8_t *msg, size_t msg_len,
                         const struct proto_sig *sigs) {
  if (c->signers_count == 0)
    return audit__fail(c, PROTO_E_NO_SIGNATURES, "the envelope carries no signature");
  for (size_t i = 0; i < c->signers_count; i++) {
    char hp[17];
    hash_prefix(c->signers[i].key_hash, hp);
    for (size_t j = 0; j < i; j++)
      if (memcmp(c->signers[i].key_hash, c->signers[j].key_hash, PROTO_HASH_BYTES) == 0)
        return audit__fail(c, PROTO_E_DUPLICATE_SIGNER, "key %s... signs twice", hp);
    struct audit_key_rec *k = audit_map_get(&c->r->keys, c->signers[i].key_hash);
    if (!k)
      return audit__fail(c, PROTO_E_UNKNOWN_KEY,
                         "signature %zu: key %s... is not registered by any earlier entry", i, hp);
    int v = signer_verified(c, i, k, msg, msg_len, sigs ? sigs[i].sig : NULL);
    if (v != 0)
      return audit__fail(c, PROTO_E_BAD_SIGNATURE,
                         "signature %zu by key %s... (%s) does not verify", i, hp,
                         role_text(k->role));
    if (k->revoked)
      return audit__fail(c, PROTO_E_REVOKED_KEY,
                         "signature %zu: key %s... (%s) was revoked at entry %llu", i, hp,
                         role_text(k->role), (unsigned long long)k->revoked_index);
  }
  return 0;
}

static int add_key(struct audit_ctx *c, const uint8_t pub[PROTO_PUBKEY_BYTES], uint8_t role,
                   uint64_t scope) {
  uint8_t hash[PROTO_HASH_BYTES];
  proto_sha256(pub, PROTO_PUBKEY_BYTES, hash);
  bool created = false;
  struct audit_key_rec *k = audit_map_put(&c->r->keys, hash, &created);
  if (!k) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (!created) {
    char hp[17];
    hash_prefix(hash, hp);
    return audit__fail(c, PROTO_E_KEY_EXISTS, "key %s... is already registered (%s)", hp,
                       role_text(k->role));
  }
  memcpy(k->pub, pub, PROTO_PUBKEY_BYTES);
  k->role = role;
  k->scope = scope;
  k->registered_index = c->index;
  return 0;
}

/* The genesis's own authorization: it must be signed by its log key; its operator keys may
 * co-sign. The log key must be the verifier key's when the caller gave one. */
static int genesis_signers(struct audit_ctx *c, const uint8_t *msg, size_t msg_len,
                           const struct proto_sig *sigs) {
  const struct proto_genesis *g = &c->tx->u.genesis;
  char want[65], got[65];
  if (c->r->expect_log_pub && memcmp(g->log_public_key, c->r->expected_log_pub, 32) != 0) {
    (void)proto_hex_encode(c->r->expected_log_pub, 32, want, sizeof(want));
    (void)proto_hex_encode(g->log_public_key, 32, got, sizeof(got));
    return audit__fail(c, PROTO_E_UNKNOWN_LOG_KEY,
                       "the genesis names log key %s but the verifier key is %s", got, want);
  }
  uint8_t log_hash[PROTO_HASH_BYTES];
  proto_sha256(g->log_public_key, PROTO_PUBKEY_BYTES, log_hash);
  bool log_signed = false;
  for (size_t i = 0; i < c->signers_count; i++) {
    const uint8_t *pub = NULL;
    if (memcmp(c->signers[i].key_hash, log_hash, PROTO_HASH_BYTES) == 0) pub = g->log_public_key;
    for (unsigned k = 0; k < g->operator_keys_count && !pub; k++) {
      uint8_t h[PROTO_HASH_BYTES];
      proto_sha256(g->operator_keys[k], PROTO_PUBKEY_BYTES, h);
      if (memcmp(h, c->signers[i].key_hash, PROTO_HASH_BYTES) == 0) pub = g->operator_keys[k];
    }
    if (!pub)
      return audit__fail(c, PROTO_E_UNKNOWN_KEY,
                         "signature %zu is by a key that is neither the log key nor an operator", i);
    int v = c->signers[i].status;
    if (msg) {
      struct proto_key *key = proto_key_from_public(pub);
      v = key ? proto_verify(key, msg, msg_len, sigs[i].sig) : PROTO_E_BAD_KEY;
      proto_key_free(key);
    }
    if (v != 0) return audit__fail(c, PROTO_E_BAD_SIGNATURE, "signature %zu does not verify", i);
    if (pub == g->log_public_key) log_signed = true;
  }
  if (!log_signed)
    return audit__fail(c, PROTO_E_UNKNOWN_LOG_KEY, "the genesis is not signed by its log key");
  return 0;
}

/* The genesis's keys and threshold, as proto_genesis_check (the ledger's own test) says. */
static int check_genesis_keys(struct audit_ctx *c, const struct proto_genesis *g) {
  int bad_key = -2;
  int rc = proto_genesis_check(g, &bad_key);
  if (rc == PROTO_E_BAD_KEY && bad_key < 0)
    return audit__fail(c, rc, "the log public key is not an Ed25519 key of prime order");
  if (rc == PROTO_E_BAD_KEY)
    return audit__fail(c, rc, "operator key %d is not an Ed25519 key of prime order", bad_key);
  if (rc)
    return audit__fail(c, rc, "operator threshold %u with %u operator keys can never be met",
                       g->operator_threshold, g->operator_keys_count);
  return 0;
}

static int apply_genesis(struct audit_ctx *c) {
  struct audit_replay *r = c->r;
  const struct proto_genesis *g = &c->tx->u.genesis;
  int rc = check_genesis_keys(c, g);
  if (rc) return rc;
  for (unsigned k = 0; k < g->operator_keys_count && !rc; k++)
    rc = add_key(c, g->operator_keys[k], PROTO_ROLE_OPERATOR, 0);
  if (rc) return rc;
  uint8_t key[8];
  audit__account_key(g->national_account, key);
  struct audit_account_rec *a = audit_map_put(&r->accounts, key, NULL);
  if (!a) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  a->id = g->national_account;
  a->kind = PROTO_ACCOUNT_NATIONAL;
  a->threshold = g->operator_threshold;
  r->national_account = g->national_account;
  r->operator_threshold = g->operator_threshold;
  snprintf(r->origin, sizeof(r->origin), "%s", g->origin);
  memcpy(r->log_pub, g->log_public_key, PROTO_PUBKEY_BYTES);
  r->genesis_done = true;
  return 0;
}

/* Index, time, id uniqueness and the genesis's place. */
static int check_sequence(struct audit_ctx *c) {
  struct audit_replay *r = c->r;
  if (c->index != r->entries)
    return audit__fail(c, PROTO_E_BAD_ARGUMENT, "index %llu where entry %llu was expected",
                       (unsigned long long)c->index, (unsigned long long)r->entries);
  if (c->time_ms < r->last_time_ms)
    return audit__fail(c, PROTO_E_BAD_ARGUMENT,
                       "time %llu ms goes back before the previous entry's %llu ms",
                       (unsigned long long)c->time_ms, (unsigned long long)r->last_time_ms);
  if (c->tx->type == PROTO_TX_GENESIS && r->genesis_done)
    return audit__fail(c, PROTO_E_GENESIS_EXISTS, "a second genesis");
  if (c->tx->type != PROTO_TX_GENESIS && !r->genesis_done)
    return audit__fail(c, PROTO_E_GENESIS_REQUIRED, "the log does not start with a genesis");
  if (c->withheld != 0 && c->tx->type != PROTO_TX_ALLOCATE)
    return audit__fail(c, PROTO_E_FIELD_NONZERO, "withheld %llu on an entry that is no allocate",
                       (unsigned long long)c->withheld);
  uint64_t *seen = audit_map_get(&r->tx_ids, c->tx->id);
  if (seen)
    return audit__fail(c, PROTO_E_ID_CONFLICT, "the id was already used by entry %llu",
                       (unsigned long long)*seen);
  return 0;
}

/* Keep-going mode: the failed entry is kept in the list, counts as replayed with no effect, and
 * the replay is not stopped. Rules check before they apply, so a refused entry changed nothing
 * (but for a sum that overflows 2^53 - 1 midway, which the report names as such). */
static int record_failure(struct audit_replay *r, struct audit_ctx *c, int rc) {
  PROTO_ASSERT(r->failed && rc != 0);
  if (r->failures_count < AUDIT_FAILURES_KEPT_MAX) {
    if (!r->failures) r->failures = calloc(AUDIT_FAILURES_KEPT_MAX, sizeof(*r->failures));
    if (!r->failures) return rc; /* out of memory: stays stopped */
    r->failures[r->failures_count] = r->failure;
  }
  r->failures_count++;
  r->failed = false;
  uint64_t *slot = audit_map_put(&r->tx_ids, c->tx->id, NULL);
  if (slot) *slot = c->index;
  r->entries++;
  r->last_time_ms = c->time_ms;
  return rc;
}

int audit__replay(struct audit_replay *r, struct audit_ctx *c, const uint8_t *msg, size_t msg_len,
                  const struct proto_sig *sigs) {
  if (r->failed) {
    *c->fail = r->failure;
    return r->failure.code;
  }
  int rc = check_sequence(c);
  if (rc) return rc; /* the log's structure: stops the replay in every mode */
  if (c->tx->type == PROTO_TX_GENESIS) {
    rc = genesis_signers(c, msg, msg_len, sigs);
    if (!rc) rc = apply_genesis(c);
    if (rc) return rc; /* without its genesis nothing after it can be judged */
  } else {
    rc = check_signers(c, msg, msg_len, sigs);
    if (!rc) rc = audit__rules(c);
    if (rc && r->keep_going && rc != PROTO_E_NO_MEMORY) return record_failure(r, c, rc);
    if (rc) return rc;
  }
  uint64_t *slot = audit_map_put(&r->tx_ids, c->tx->id, NULL);
  if (!slot) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  *slot = c->index;
  r->entries++;
  r->last_time_ms = c->time_ms;
  return 0;
}

void audit_replay_keep_going(struct audit_replay *r, bool on) { r->keep_going = on; }

uint64_t audit_replay_failures_count(const struct audit_replay *r) { return r->failures_count; }

bool audit_replay_failure_at(const struct audit_replay *r, size_t i, struct audit_failure *out) {
  if (i >= r->failures_count || i >= AUDIT_FAILURES_KEPT_MAX || !r->failures) return false;
  *out = r->failures[i];
  return true;
}

bool audit_replay_stopped(const struct audit_replay *r) { return r->failed; }

int audit_replay_tx(struct audit_replay *r, const struct proto_tx *tx, uint64_t index,
                    uint64_t time_ms, uint64_t withheld, const struct audit_signer *signers,
                    size_t n, struct audit_failure *fail) {
  struct audit_ctx c = {r, tx, index, time_ms, withheld, signers, n, fail};
  return audit__replay(r, &c, NULL, 0, NULL);
}

/* ---- the end state ------------------------------------------------------------------------- */

int audit_replay_finish(struct audit_replay *r, struct audit_failure *fail) {
  if (r->failed) {
    *fail = r->failure;
    return r->failure.code;
  }
  /* Recount holdings from the balances rather than trusting the running totals. */
  size_t n = r->instruments.count;
  uint64_t *held = calloc(n ? n : 1, sizeof(*held));
  if (!held) return PROTO_E_NO_MEMORY;
  int rc = 0;
  for (size_t i = 0; i < r->balances.count && !rc; i++) {
    const uint8_t *key;
    const struct audit_bal_rec *b = audit_map_at(&r->balances, i, (const void **)&key);
    const struct audit_instr_rec *in = audit_map_get(&r->instruments, key + 8);
    if (!in || b->frozen > b->registry) {
      rc = PROTO_E_CORRUPT;
      break;
    }
    if (__builtin_add_overflow(held[in->ordinal], b->registry, &held[in->ordinal]) ||
        __builtin_add_overflow(held[in->ordinal], b->trading, &held[in->ordinal]))
      rc = PROTO_E_OVERFLOW;
  }
  for (size_t j = 0; j < n && !rc; j++) {
    const struct audit_instr_rec *in = audit_map_at(&r->instruments, j, NULL);
    uint64_t out = held[j];
    bool over = __builtin_add_overflow(out, in->surrendered, &out) ||
                __builtin_add_overflow(out, in->cancelled, &out) ||
                __builtin_add_overflow(out, in->carried_over, &out);
    if (over || out != in->issued || held[j] != in->held) {
      fail->index = UINT64_MAX;
      fail->code = PROTO_E_CORRUPT;
      snprintf(fail->text, sizeof(fail->text),
               "instrument %s: issued %llu but holdings %llu + surrendered %llu + cancelled %llu "
               "+ carried over %llu = %llu",
               in->code, (unsigned long long)in->issued, (unsigned long long)held[j],
               (unsigned long long)in->surrendered, (unsigned long long)in->cancelled,
               (unsigned long long)in->carried_over, (unsigned long long)out);
      free(held);
      return PROTO_E_CORRUPT;
    }
  }
  free(held);
  if (rc) {
    fail->index = UINT64_MAX;
    fail->code = rc;
    snprintf(fail->text, sizeof(fail->text), "the recomputed balances are inconsistent (%s)",
             proto_err_name(rc));
  }
  return rc;
}

uint64_t audit_replay_entries(const struct audit_replay *r) { return r->entries; }
uint64_t audit_replay_last_time_ms(const struct audit_replay *r) { return r->last_time_ms; }
const char *audit_replay_origin(const struct audit_replay *r) { return r->origin; }

bool audit_replay_log_key(const struct audit_replay *r, uint8_t pub[PROTO_PUBKEY_BYTES]) {
  if (!r->genesis_done) return false;
  memcpy(pub, r->log_pub, PROTO_PUBKEY_BYTES);
  return true;
}

bool audit_replay_public_key(const struct audit_replay *r, const uint8_t hash[PROTO_HASH_BYTES],
                             uint8_t pub[PROTO_PUBKEY_BYTES]) {
  const struct audit_key_rec *k = audit_map_get(&r->keys, hash);
  if (!k) return false;
  memcpy(pub, k->pub, PROTO_PUBKEY_BYTES);
  return true;
}

size_t audit_replay_accounts_count(const struct audit_replay *r) { return r->accounts.count; }
size_t audit_replay_instruments_count(const struct audit_replay *r) { return r->instruments.count; }
size_t audit_replay_balances_count(const struct audit_replay *r) { return r->balances.count; }
size_t audit_replay_compliance_count(const struct audit_replay *r) { return r->compliance.count; }

/* The public records are copies of the replay's: the fields they share are listed once and
 * copied by name. */
#define AUDIT_ACCOUNT_SHARED(X) X(id) X(kind) X(province) X(sector) X(threshold) X(closed) X(at_risk)
#define AUDIT_INSTRUMENT_SHARED(X)                                                                 \
  X(kind) X(vintage) X(first_year) X(last_year) X(cap) X(issued) X(surrendered) X(cancelled)       \
  X(carried_over)
#define COPY_SHARED(field) out->field = in->field;

static void account_out(const struct audit_account_rec *in, struct audit_account *out) {
  memset(out, 0, sizeof(*out));
  AUDIT_ACCOUNT_SHARED(COPY_SHARED)
  memcpy(out->uscc, in->uscc, sizeof(out->uscc));
  out->deduction_outstanding = in->deduction;
}

static void instrument_out(const struct audit_instr_rec *in, struct audit_instrument *out) {
  memset(out, 0, sizeof(*out));
  memcpy(out->code, in->code, sizeof(out->code));
  AUDIT_INSTRUMENT_SHARED(COPY_SHARED)
}

static uint64_t key_account(const uint8_t *key) {
  uint64_t id = 0;
  for (unsigned i = 0; i < 8; i++) id = id << 8 | key[i];
  return id;
}

#define AUDIT_BALANCE_SHARED(X) X(registry) X(trading) X(frozen)
static void balance_out(const uint8_t *key, const struct audit_bal_rec *in,
                        struct audit_balance *out) {
  memset(out, 0, sizeof(*out));
  out->account = key_account(key);
  memcpy(out->instrument, key + 8, PROTO_INSTRUMENT_BYTES);
  AUDIT_BALANCE_SHARED(COPY_SHARED)
}

enum { AUDIT_STATUS_COMPLIANT = 1, AUDIT_STATUS_SHORT, AUDIT_STATUS_COMPLIANT_LATE, AUDIT_STATUS_OVERDUE };

static void compliance_out(const struct audit_replay *r, const uint8_t *key,
                           const struct audit_comp_rec *c, uint64_t now_ms,
                           struct audit_compliance *out) {
  memset(out, 0, sizeof(*out));
  out->account = key_account(key);
  out->year = (uint16_t)(key[8] << 8 | key[9]);
  out->emissions = c->emissions;
  out->surrendered_cea = c->cea;
  out->surrendered_ccer = c->ccer;
  out->counted = alloc_counted(c->cea, c->ccer, c->emissions);
  out->shortfall = out->counted >= c->emissions ? 0 : c->emissions - out->counted;
  out->completed_ms = c->completed_ms;
  out->corrected = c->corrected;
  out->own_deadline_ms = c->own_deadline_ms;
  uint64_t due = r->deadline_ms[out->year];
  if (due != 0 && c->own_deadline_ms > due) due = c->own_deadline_ms;
  if (due == 0 || now_ms <= due) {
    out->status = out->shortfall ? AUDIT_STATUS_SHORT : AUDIT_STATUS_COMPLIANT;
    return;
  }
  /* after the deadline: compliant when the year was complete by then, or when what was
   * surrendered in time covers the latest obligation (a correction lowered or restored it) */
  bool in_time = alloc_counted(c->cea_in_time, c->ccer_in_time, c->emissions) >= c->emissions;
  if (out->shortfall) out->status = AUDIT_STATUS_OVERDUE;
  else if (c->completed_ms <= due || in_time) out->status = AUDIT_STATUS_COMPLIANT;
  else out->status = AUDIT_STATUS_COMPLIANT_LATE;
}

void audit_replay_account_at(const struct audit_replay *r, size_t i, struct audit_account *out) {
  account_out(audit_map_at(&r->accounts, i, NULL), out);
}

void audit_replay_instrument_at(const struct audit_replay *r, size_t i,
                                struct audit_instrument *out) {
  instrument_out(audit_map_at(&r->instruments, i, NULL), out);
}

void audit_replay_balance_at(const struct audit_replay *r, size_t i, struct audit_balance *out) {
  const void *key;
  const struct audit_bal_rec *b = audit_map_at(&r->balances, i, &key);
  balance_out(key, b, out);
}

void audit_replay_compliance_at(const struct audit_replay *r, size_t i, uint64_t now_ms,
                                struct audit_compliance *out) {
  const void *key;
  const struct audit_comp_rec *c = audit_map_at(&r->compliance, i, &key);
  compliance_out(r, key, c, now_ms, out);
}

bool audit_replay_account(const struct audit_replay *r, uint64_t id, struct audit_account *out) {
  uint8_t key[8];
  audit__account_key(id, key);
  const struct audit_account_rec *a = audit_map_get(&r->accounts, key);
  if (a) account_out(a, out);
  return a != NULL;
}

bool audit_replay_instrument(const struct audit_replay *r, const char *code,
                             struct audit_instrument *out) {
  uint8_t key[PROTO_INSTRUMENT_BYTES];
  audit__code_key(code, key);
  const struct audit_instr_rec *in = audit_map_get(&r->instruments, key);
  if (in) instrument_out(in, out);
  return in != NULL;
}

bool audit_replay_balance(const struct audit_replay *r, uint64_t account, const char *code,
                          struct audit_balance *out) {
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(account, key);
  audit__code_key(code, key + 8);
  const struct audit_bal_rec *b = audit_map_get(&r->balances, key);
  if (b) balance_out(key, b, out);
  return b != NULL;
}

bool audit_replay_compliance(const struct audit_replay *r, uint64_t account, unsigned year,
                             uint64_t now_ms, struct audit_compliance *out) {
  uint8_t key[10];
  audit__account_key(account, key);
  key[8] = (uint8_t)(year >> 8);
  key[9] = (uint8_t)year;
  const struct audit_comp_rec *c = audit_map_get(&r->compliance, key);
  if (c && c->has_emissions) compliance_out(r, key, c, now_ms, out);
  return c != NULL && c->has_emissions;
}

bool audit_replay_tx_index(const struct audit_replay *r, const uint8_t id[PROTO_ID_BYTES],
                           uint64_t *index) {
  const uint64_t *at = audit_map_get(&r->tx_ids, id);
  if (at) *index = *at;
  return at != NULL;
}

const char *audit_status_name(unsigned status) {
  static const char *const names[] = {NULL, "compliant", "short", "compliant_late", "overdue"};
  return status >= 1 && status <= 4 ? names[status] : "unknown";
}
