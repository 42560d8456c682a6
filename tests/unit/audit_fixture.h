/* Test helper for the audit tests: a small registry world (keys, accounts, instruments) built as
 * decoded transactions and fed to audit_replay_tx, so that every rule can be driven one
 * transaction at a time. Static functions only: each test_*.c is its own executable. */
#ifndef QUOTAD_TESTS_AUDIT_FIXTURE_H
#define QUOTAD_TESTS_AUDIT_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "proto/proto.h"
#include "tests/unit/rogue_writer.h"
#include "audit/audit.h"

#define W_NATIONAL 1u
#define W_PROVINCE 44u
#define W_PROVINCIAL 4400u
#define W_ENT_A 101u
#define W_ENT_B 102u
#define W_ENT_OTHER 201u /* enterprise of province 11 */
#define W_PROVINCE_OTHER 11u
#define W_PROVINCIAL_OTHER 1100u
#define W_DEADLINE_2025 1798761599000ull /* 2026-12-31T23:59:59Z */
#define W_T0 1767225600000ull            /* 2026-01-01 */

struct world {
  struct audit_replay *r;
  uint64_t next;    /* next index */
  uint64_t time_ms; /* commit time of the next entry */
  uint64_t id_seq;
  struct proto_key *log, *op1, *op2, *op3, *auth, *auth_other, *rep_a, *rep_a2, *rep_b, *exch;
  struct audit_failure fail;
  /* Leaf mode: every step is also written as a real signed leaf (even a refused one, as a rogue
   * writer would) and replayed through audit_replay_leaf, signatures verified for real. */
  bool leaf_mode;
  struct rogue_log rlog;
};

static inline void w_id(struct world *w, struct proto_tx *tx) {
  w->id_seq++;
  memset(tx->id, 0, PROTO_ID_BYTES);
  for (unsigned i = 0; i < 8; i++) tx->id[8 + i] = (uint8_t)(w->id_seq >> (56 - 8 * i));
  tx->id[0] = 0x0f;
}

/* Feeds tx signed by keys[0..n) (all signatures valid) as the next entry with `withheld`.
 * Returns the replay's code; advances the index only on success. */
static inline int w_step_w(struct world *w, struct proto_tx *tx, uint64_t withheld,
                    struct proto_key *const *keys, size_t n) {
  struct audit_signer signers[PROTO_SIGS_MAX];
  cr_assert(n <= PROTO_SIGS_MAX);
  for (size_t i = 0; i < n; i++) {
    proto_key_hash(keys[i], signers[i].key_hash);
    signers[i].status = AUDIT_SIG_VALID;
  }
  if (tx->id[0] == 0) w_id(w, tx);
  int rc;
  if (w->leaf_mode) {
    uint64_t at = rogue_append(&w->rlog, tx, w->time_ms, withheld, keys, n);
    rc = audit_replay_leaf(w->r, w->rlog.leaves[at], w->rlog.lens[at], NULL, &w->fail);
  } else {
    rc = audit_replay_tx(w->r, tx, w->next, w->time_ms, withheld, signers, n, &w->fail);
  }
  if (rc == 0) w->next++;
  w->time_ms += 1000;
  return rc;
}

static inline int w_step(struct world *w, struct proto_tx *tx, struct proto_key *key) {
  return w_step_w(w, tx, 0, &key, 1);
}

/* Asserts that tx is accepted. */
static inline void w_ok(struct world *w, struct proto_tx *tx, struct proto_key *key) {
  int rc = w_step(w, tx, key);
  cr_assert_eq(rc, 0, "expected acceptance, got %s: %s", proto_err_name(rc), w->fail.text);
}

/* Asserts that tx is the failing entry, with code, at the index it would have had. */
static inline void w_refused(struct world *w, struct proto_tx *tx, struct proto_key *const *keys, size_t n,
                      int code) {
  uint64_t at = w->next;
  int rc = w_step_w(w, tx, 0, keys, n);
  cr_assert_eq(rc, code, "expected %s, got %s: %s", proto_err_name(code), proto_err_name(rc),
               w->fail.text);
  cr_assert_eq(w->fail.index, at, "failure names entry %llu, expected %llu",
               (unsigned long long)w->fail.index, (unsigned long long)at);
  cr_assert_eq(w->fail.code, code);
}

static inline struct proto_tx w_key(const struct proto_key *key, uint8_t role, uint64_t scope) {
  struct proto_tx tx = {.type = PROTO_TX_KEY_REGISTER};
  proto_key_public(key, tx.u.key_register.public_key);
  tx.u.key_register.role = role;
  tx.u.key_register.scope = scope;
  strcpy(tx.u.key_register.name, "key");
  return tx;
}

static inline struct proto_tx w_account(uint64_t id, uint8_t kind, uint8_t province, const char *uscc,
                                 uint8_t threshold) {
  struct proto_tx tx = {.type = PROTO_TX_ACCOUNT_OPEN};
  tx.u.account.account = id;
  tx.u.account.kind = kind;
  tx.u.account.province = province;
  tx.u.account.sector = kind == PROTO_ACCOUNT_ENTERPRISE ? PROTO_SECTOR_STEEL : 0;
  tx.u.account.threshold = threshold;
  if (uscc) strcpy(tx.u.account.uscc, uscc);
  strcpy(tx.u.account.name, "account");
  return tx;
}

static inline struct proto_tx w_instrument(const char *code, uint8_t kind, uint16_t vintage, uint64_t cap,
                                    uint16_t first, uint16_t last) {
  struct proto_tx tx = {.type = PROTO_TX_INSTRUMENT_CREATE};
  strcpy(tx.u.instrument.code, code);
  tx.u.instrument.kind = kind;
  tx.u.instrument.vintage = vintage;
  tx.u.instrument.cap = cap;
  tx.u.instrument.first_year = first;
  tx.u.instrument.last_year = last;
  return tx;
}

static inline struct proto_tx w_move(uint8_t type, uint64_t from, uint64_t to, const char *code,
                              uint64_t amount) {
  struct proto_tx tx = {.type = type};
  tx.u.move.from = from;
  tx.u.move.to = to;
  strcpy(tx.u.move.instrument, code);
  tx.u.move.amount = amount;
  if (type == PROTO_TX_ALLOCATE) {
    tx.u.move.year = strncmp(code, "CEA-", 4) == 0 ? (uint16_t)atoi(code + 4) : 2025;
    tx.u.move.kind = PROTO_ALLOC_FINAL;
  }
  if (type == PROTO_TX_CLAWBACK || type == PROTO_TX_FREEZE || type == PROTO_TX_UNFREEZE ||
      type == PROTO_TX_DEDUCT)
    strcpy(tx.u.move.ref, "ref");
  return tx;
}

static inline struct proto_tx w_surrender(uint64_t account, uint64_t from, uint16_t year,
                                   const char *code, uint64_t amount) {
  struct proto_tx tx = {.type = PROTO_TX_SURRENDER};
  tx.u.surrender.account = account;
  tx.u.surrender.from = from;
  tx.u.surrender.year = year;
  strcpy(tx.u.surrender.instrument, code);
  tx.u.surrender.amount = amount;
  return tx;
}

static inline struct proto_tx w_emissions(uint64_t account, uint16_t year, uint64_t emissions) {
  struct proto_tx tx = {.type = PROTO_TX_VERIFIED_EMISSIONS};
  tx.u.emissions.account = account;
  tx.u.emissions.year = year;
  tx.u.emissions.emissions = emissions;
  return tx;
}

static inline struct proto_tx w_year(uint16_t year, uint64_t deadline_ms) {
  struct proto_tx tx = {.type = PROTO_TX_COMPLIANCE_YEAR};
  tx.u.compliance_year.year = year;
  tx.u.compliance_year.deadline_ms = deadline_ms;
  return tx;
}

static inline struct proto_tx w_genesis(const struct world *w, uint8_t threshold) {
  struct proto_tx tx = {.type = PROTO_TX_GENESIS};
  strcpy(tx.u.genesis.origin, ROGUE_ORIGIN);
  proto_key_public(w->log, tx.u.genesis.log_public_key);
  tx.u.genesis.national_account = W_NATIONAL;
  tx.u.genesis.operator_threshold = threshold;
  tx.u.genesis.operator_keys_count = 3;
  proto_key_public(w->op1, tx.u.genesis.operator_keys[0]);
  proto_key_public(w->op2, tx.u.genesis.operator_keys[1]);
  proto_key_public(w->op3, tx.u.genesis.operator_keys[2]);
  return tx;
}

/* Keys only; no entries. */
#ifndef W_LEAF_MODE
#define W_LEAF_MODE false
#endif

static inline void w_init(struct world *w) {
  memset(w, 0, sizeof(*w));
  w->leaf_mode = W_LEAF_MODE;
  w->r = audit_replay_new();
  cr_assert(w->r != NULL);
  w->time_ms = W_T0;
  struct proto_key **keys[] = {&w->log, &w->op1, &w->op2, &w->op3, &w->auth, &w->auth_other,
                               &w->rep_a, &w->rep_a2, &w->rep_b, &w->exch};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    uint8_t seed[PROTO_SEED_BYTES];
    memset(seed, (int)(i + 1), sizeof(seed));
    *keys[i] = proto_key_from_seed(seed);
    cr_assert(*keys[i] != NULL);
  }
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(w->log, pub);
  audit_replay_set_log_key(w->r, pub);
}

/* The standard world: genesis (1 operator signature), a province with its authority, two
 * enterprises with representatives, an enterprise of another province, an exchange key,
 * CEA-2025 (cap 1,000,000), CEA-2024 (cap 500,000, settles up to 2024), CCER-2024, the 2025
 * compliance year; 400,000 CEA-2025 allocated to the province, 100,000 CEA-2025 and 5,000 CCER
 * (issued to them as project owners) at each of A and B, 50,000 CEA-2024 at A. */
static inline void w_standard(struct world *w) {
  w_init(w);
  struct proto_tx tx = w_genesis(w, 1);
  w_ok(w, &tx, w->log);
  struct proto_key *op = w->op1;
  tx = w_key(w->auth, PROTO_ROLE_AUTHORITY, W_PROVINCE), w_ok(w, &tx, op);
  tx = w_key(w->auth_other, PROTO_ROLE_AUTHORITY, W_PROVINCE_OTHER), w_ok(w, &tx, op);
  tx = w_account(W_PROVINCIAL, PROTO_ACCOUNT_PROVINCIAL, W_PROVINCE, NULL, 1), w_ok(w, &tx, op);
  tx = w_account(W_PROVINCIAL_OTHER, PROTO_ACCOUNT_PROVINCIAL, W_PROVINCE_OTHER, NULL, 1), w_ok(w, &tx, op);
  tx = w_account(W_ENT_A, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE, "91350100M000100Y43", 1), w_ok(w, &tx, op);
  tx = w_account(W_ENT_B, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE, "91110000802100433B", 1), w_ok(w, &tx, op);
  char uscc[19] = "91440300MA5F00000";
  uscc[17] = proto_uscc_check_char(uscc);
  uscc[18] = '\0';
  tx = w_account(W_ENT_OTHER, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE_OTHER, uscc, 1), w_ok(w, &tx, op);
  tx = w_key(w->rep_a, PROTO_ROLE_REPRESENTATIVE, W_ENT_A), w_ok(w, &tx, op);
  tx = w_key(w->rep_a2, PROTO_ROLE_REPRESENTATIVE, W_ENT_A), w_ok(w, &tx, op);
  tx = w_key(w->rep_b, PROTO_ROLE_REPRESENTATIVE, W_ENT_B), w_ok(w, &tx, op);
  tx = w_key(w->exch, PROTO_ROLE_EXCHANGE, 0), w_ok(w, &tx, op);
  tx = w_instrument("CEA-2025", PROTO_INSTRUMENT_CEA, 2025, 1000000, 2025, 2100), w_ok(w, &tx, op);
  tx = w_instrument("CEA-2024", PROTO_INSTRUMENT_CEA, 2024, 500000, 2019, 2024), w_ok(w, &tx, op);
  tx = w_instrument("CCER-2024", PROTO_INSTRUMENT_CCER, 2024, 100000, 2024, 2026), w_ok(w, &tx, op);
  tx = w_year(2025, W_DEADLINE_2025), w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 500000), w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2024", 60000), w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ALLOCATE, W_NATIONAL, W_PROVINCIAL, "CEA-2025", 400000), w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ALLOCATE, W_NATIONAL, W_PROVINCIAL, "CEA-2024", 60000), w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 100000), w_ok(w, &tx, w->auth);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_B, "CEA-2025", 100000), w_ok(w, &tx, w->auth);
  /* CCER is issued to its project owners, never allocated */
  tx = w_move(PROTO_TX_ISSUE, 0, W_ENT_A, "CCER-2024", 5000), tx.version = 2, w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ISSUE, 0, W_ENT_B, "CCER-2024", 5000), tx.version = 2, w_ok(w, &tx, op);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2024", 50000), w_ok(w, &tx, w->auth);
}

/* Varied valid activity on top of the standard world: transfers, positions, a settle, a
 * freeze and unfreeze, emissions, surrenders (CEA and CCER), a cancel, a deduction and a
 * withholding allocation, a key revoke. */
static inline void w_busy(struct world *w) {
  struct proto_tx tx;
  for (unsigned i = 0; i < 6; i++) {
    tx = w_move(PROTO_TX_TRANSFER, i % 2 ? W_ENT_B : W_ENT_A, i % 2 ? W_ENT_A : W_ENT_B,
                "CEA-2025", 1000 + i);
    w_ok(w, &tx, i % 2 ? w->rep_b : w->rep_a);
  }
  tx = w_move(PROTO_TX_POSITION_MOVE, W_ENT_A, 0, "CEA-2025", 5000);
  tx.u.move.kind = PROTO_POSITION_TRADING;
  w_ok(w, &tx, w->rep_a);
  struct proto_leg legs[2] = {{W_ENT_A, W_ENT_B, "CEA-2025", 3000}, {W_ENT_B, W_ENT_A, "CEA-2025", 1000}};
  tx = (struct proto_tx){.type = PROTO_TX_SETTLE};
  strcpy(tx.u.settle.ref, "exchange day 1");
  tx.u.settle.legs_count = 2;
  tx.u.settle.legs = legs;
  w_ok(w, &tx, w->exch);
  tx = w_move(PROTO_TX_FREEZE, W_ENT_B, 0, "CEA-2025", 500), w_ok(w, &tx, w->op1);
  tx = w_move(PROTO_TX_UNFREEZE, W_ENT_B, 0, "CEA-2025", 200), w_ok(w, &tx, w->op1);
  tx = w_emissions(W_ENT_A, 2025, 80000), w_ok(w, &tx, w->auth);
  tx = w_emissions(W_ENT_B, 2025, 120000), w_ok(w, &tx, w->auth);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2025", 76000), w_ok(w, &tx, w->rep_a);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CCER-2024", 4000), w_ok(w, &tx, w->rep_a);
  tx = w_surrender(W_ENT_B, W_ENT_B, 2025, "CEA-2025", 90000), w_ok(w, &tx, w->rep_b);
  tx = w_move(PROTO_TX_CANCEL, W_ENT_A, 0, "CEA-2025", 100), w_ok(w, &tx, w->rep_a);
  tx = w_move(PROTO_TX_DEDUCT, W_ENT_B, 0, "", 10000);
  tx.u.move.year = 2025;
  w_ok(w, &tx, w->op1);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_B, "CEA-2025", 15000);
  int rc = w_step_w(w, &tx, 10000, &w->auth, 1);
  cr_assert_eq(rc, 0, "%s", w->fail.text);
  tx = (struct proto_tx){.type = PROTO_TX_KEY_REVOKE};
  proto_key_hash(w->rep_a2, tx.u.key_revoke.key_hash);
  strcpy(tx.u.key_revoke.reason, "rotated");
  w_ok(w, &tx, w->op1);
}

static inline void w_fini(struct world *w) {
  struct proto_key *keys[] = {w->log, w->op1, w->op2, w->op3, w->auth, w->auth_other,
                              w->rep_a, w->rep_a2, w->rep_b, w->exch};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) proto_key_free(keys[i]);
  audit_replay_free(w->r);
  rogue_free(&w->rlog);
}

/* The registry position of account in code, 0 when never touched. */
static inline uint64_t w_registry(const struct world *w, uint64_t account, const char *code) {
  struct audit_balance b;
  return audit_replay_balance(w->r, account, code, &b) ? b.registry : 0;
}

#endif /* QUOTAD_TESTS_AUDIT_FIXTURE_H */
