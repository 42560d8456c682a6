/* Test helper for the ledger tests: a ledger in a temporary directory with deterministic keys, a
 * genesis, signed envelopes built with proto's encoder, and a small "world" (instruments,
 * provincial and enterprise accounts, keys) most tests start from. Static functions only: each
 * test_*.c is its own executable. */
#ifndef QUOTAD_TEST_LEDGER_FIXTURE_H
#define QUOTAD_TEST_LEDGER_FIXTURE_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/ledger.h"
#include "proto/proto.h"

#define FX_ORIGIN "registry.test/quotad"
#define FX_NATIONAL 1u
#define FX_PROV44 44u /* Guangdong's provincial account */
#define FX_PROV11 11u /* Beijing's */
#define FX_ENT_A 1001u /* enterprise of 44 */
#define FX_ENT_B 1002u /* enterprise of 44 */
#define FX_ENT_C 1101u /* enterprise of 11 */
#define FX_PART 2001u  /* participant */
#define FX_T0 UINT64_C(1767225600000) /* 2026-01-01 */
#define FX_DEADLINE_2025 UINT64_C(1798675200000) /* 2026-12-31 */

struct fx {
  char dir[128];
  struct ledger *l;
  struct proto_key *log;
  struct proto_key *op[3];
  struct proto_key *auth44, *auth11, *rep_a, *rep_b, *rep_c, *rep_part, *exch, *auditor;
  uint64_t next_id;
  uint64_t time_ms;
  struct ledger_submission last;
};

static inline struct proto_key *fx_key(uint8_t tag) {
  uint8_t seed[PROTO_SEED_BYTES];
  for (size_t i = 0; i < sizeof(seed); i++) seed[i] = (uint8_t)(tag * 31u + i);
  struct proto_key *k = proto_key_from_seed(seed);
  cr_assert(k != NULL);
  return k;
}

/* Opens as the writer; rep (may be NULL) receives the open check's report, no_check skips it
 * (to reach the read-time checks behind it). Returns ledger_open's code. */
static inline int fx_open_as(struct fx *f, uint64_t map_initial, uint64_t map_max, bool no_check,
                             struct ledger_check_report *rep) {
  struct ledger_config cfg = {.dir = f->dir,
                              .map_bytes_initial = map_initial,
                              .map_bytes_max = map_max,
                              .log_key = f->log,
                              .no_open_check = no_check,
                              .open_check = rep};
  return ledger_open(&cfg, &f->l);
}

static inline void fx_open(struct fx *f, uint64_t map_initial, uint64_t map_max) {
  int rc = fx_open_as(f, map_initial, map_max, false, NULL);
  cr_assert_eq(rc, 0, "ledger_open: %s", proto_err_name(rc));
}

static inline void fx_rm_rf(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  char path[1024];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path)) continue;
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) fx_rm_rf(path);
    else unlink(path);
  }
  closedir(d);
  rmdir(dir);
}

/* A failed assertion ends the test process without reaching fx_free: remove the directory at
 * exit then. */
static struct fx *fx_live;
static inline void fx_atexit(void) {
  if (fx_live && fx_live->dir[0]) fx_rm_rf(fx_live->dir);
}

static inline void fx_new_id(struct fx *f, struct proto_tx *tx) {
  memset(tx->id, 0, PROTO_ID_BYTES);
  uint64_t v = ++f->next_id;
  for (int i = 0; i < 8; i++) tx->id[15 - i] = (uint8_t)(v >> (8 * i));
  tx->id[0] = 0x01; /* a fixed prefix: ids stay distinct from the bench's */
}

/* Encodes tx, signs it with every key of signers and writes the envelope to out. */
static inline size_t fx_envelope(const struct proto_tx *tx, struct proto_key *const *signers, size_t n,
                          const char *origin, uint8_t *out, size_t cap) {
  static uint8_t body[PROTO_ENTRY_BYTES_MAX];
  long blen = proto_tx_encode(tx, body, sizeof(body));
  cr_assert_gt(blen, 0, "proto_tx_encode: %s", proto_err_name((int)blen));
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen};
  for (size_t i = 0; i < n; i++) {
    int rc = proto_envelope_sign(&env, origin, signers[i]);
    cr_assert_eq(rc, 0, "sign: %s", proto_err_name(rc));
  }
  long elen = proto_envelope_encode(&env, out, cap);
  cr_assert_gt(elen, 0, "proto_envelope_encode: %s", proto_err_name((int)elen));
  return (size_t)elen;
}

/* Applies one transaction signed by the given keys as its own batch; returns its result. */
static inline int fx_apply_keys(struct fx *f, const struct proto_tx *tx, struct proto_key *const *signers,
                         size_t n) {
  static uint8_t env[PROTO_ENTRY_BYTES_MAX];
  size_t len = fx_envelope(tx, signers, n, FX_ORIGIN, env, sizeof(env));
  struct ledger_submission sub = {.envelope = env, .envelope_len = len};
  struct ledger_batch_info info;
  int rc = ledger_apply(f->l, &sub, 1, f->time_ms, &info);
  cr_assert_eq(rc, 0, "ledger_apply: %s", proto_err_name(rc));
  f->last = sub;
  return sub.result;
}

#define FX_SIGNERS(...) ((struct proto_key *const[]){__VA_ARGS__})
#define FX_APPLY(f, tx, ...)                                                                    \
  fx_apply_keys((f), (tx), FX_SIGNERS(__VA_ARGS__),                                             \
                sizeof(FX_SIGNERS(__VA_ARGS__)) / sizeof(struct proto_key *))
#define FX_OK(f, tx, ...)                                                                       \
  do {                                                                                          \
    int fx_rc_ = FX_APPLY(f, tx, __VA_ARGS__);                                                  \
    cr_assert_eq(fx_rc_, 0, "expected ok, got %s", proto_err_name(fx_rc_));                     \
  } while (0)
#define FX_REFUSED(f, code, tx, ...)                                                            \
  do {                                                                                          \
    int fx_rc_ = FX_APPLY(f, tx, __VA_ARGS__);                                                  \
    cr_assert_eq(fx_rc_, (code), "expected %s, got %s", proto_err_name(code),                   \
                 fx_rc_ == 0 ? "ok" : proto_err_name(fx_rc_));                                  \
  } while (0)

static inline void fx_tx(struct fx *f, struct proto_tx *tx, unsigned type) {
  memset(tx, 0, sizeof(*tx));
  tx->type = (uint8_t)type;
  fx_new_id(f, tx);
}

/* Creates the ledger with its genesis: operators op[0..nops) and the given threshold. */
static inline void fx_init_genesis(struct fx *f, unsigned nops, unsigned threshold) {
  memset(f, 0, sizeof(*f));
  snprintf(f->dir, sizeof(f->dir), "/tmp/quotad-ledger-XXXXXX");
  cr_assert(mkdtemp(f->dir) != NULL);
  if (!fx_live) atexit(fx_atexit);
  fx_live = f;
  f->time_ms = FX_T0;
  f->log = fx_key(1);
  for (unsigned i = 0; i < 3; i++) f->op[i] = fx_key((uint8_t)(10 + i));
  f->auth44 = fx_key(20);
  f->auth11 = fx_key(21);
  f->rep_a = fx_key(30);
  f->rep_b = fx_key(31);
  f->rep_c = fx_key(32);
  f->rep_part = fx_key(33);
  f->exch = fx_key(40);
  f->auditor = fx_key(41);
  fx_open(f, 0, 0);
  struct proto_tx tx;
  fx_tx(f, &tx, PROTO_TX_GENESIS);
  struct proto_genesis *g = &tx.u.genesis;
  snprintf(g->origin, sizeof(g->origin), "%s", FX_ORIGIN);
  proto_key_public(f->log, g->log_public_key);
  g->national_account = FX_NATIONAL;
  g->operator_threshold = (uint8_t)threshold;
  g->operator_keys_count = (uint8_t)nops;
  for (unsigned i = 0; i < nops; i++) proto_key_public(f->op[i], g->operator_keys[i]);
  FX_OK(f, &tx, f->log);
}

static inline void fx_free(struct fx *f) {
  if (f->l) ledger_close(f->l);
  f->l = NULL;
  struct proto_key *keys[] = {f->log,  f->op[0], f->op[1], f->op[2], f->auth44, f->auth11,
                              f->rep_a, f->rep_b, f->rep_c, f->rep_part, f->exch, f->auditor};
  for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) proto_key_free(keys[i]);
  fx_rm_rf(f->dir);
  f->dir[0] = '\0';
  fx_live = NULL;
}

static inline void fx_reopen(struct fx *f) {
  ledger_close(f->l);
  f->l = NULL;
  fx_open(f, 0, 0);
}

/* ---- transaction builders (signed by the operator unless said otherwise) ---- */
static inline void fx_instrument(struct fx *f, const char *code, unsigned kind, unsigned vintage,
                          uint64_t cap, unsigned first, unsigned last) {
  struct proto_tx tx;
  fx_tx(f, &tx, PROTO_TX_INSTRUMENT_CREATE);
  snprintf(tx.u.instrument.code, sizeof(tx.u.instrument.code), "%s", code);
  tx.u.instrument.kind = (uint8_t)kind;
  tx.u.instrument.vintage = (uint16_t)vintage;
  tx.u.instrument.cap = cap;
  tx.u.instrument.first_year = (uint16_t)first;
  tx.u.instrument.last_year = (uint16_t)last;
  FX_OK(f, &tx, f->op[0]);
}

static inline void fx_account_tx(struct fx *f, struct proto_tx *tx, uint64_t id, unsigned kind,
                          unsigned province, const char *uscc, const char *name) {
  fx_tx(f, tx, PROTO_TX_ACCOUNT_OPEN);
  struct proto_account *a = &tx->u.account;
  a->account = id;
  a->kind = (uint8_t)kind;
  a->province = (uint8_t)province;
  a->sector = kind == PROTO_ACCOUNT_ENTERPRISE ? PROTO_SECTOR_POWER : PROTO_SECTOR_NONE;
  a->threshold = 1;
  snprintf(a->uscc, sizeof(a->uscc), "%s", uscc ? uscc : "");
  snprintf(a->name, sizeof(a->name), "%s", name);
}

static inline void fx_account(struct fx *f, uint64_t id, unsigned kind, unsigned province,
                       const char *uscc, const char *name) {
  struct proto_tx tx;
  fx_account_tx(f, &tx, id, kind, province, uscc, name);
  FX_OK(f, &tx, f->op[0]);
}

static inline void fx_register_tx(struct fx *f, struct proto_tx *tx, const struct proto_key *k,
                           unsigned role, uint64_t scope) {
  fx_tx(f, tx, PROTO_TX_KEY_REGISTER);
  proto_key_public(k, tx->u.key_register.public_key);
  tx->u.key_register.role = (uint8_t)role;
  tx->u.key_register.scope = scope;
  snprintf(tx->u.key_register.name, sizeof(tx->u.key_register.name), "key %u/%llu", role,
           (unsigned long long)scope);
}

static inline void fx_register(struct fx *f, const struct proto_key *k, unsigned role, uint64_t scope) {
  struct proto_tx tx;
  fx_register_tx(f, &tx, k, role, scope);
  FX_OK(f, &tx, f->op[0]);
}

/* A valid USCC built from a 17-character stem (its check character appended). */
static inline void fx_uscc(const char *stem17, char out[PROTO_USCC_BYTES + 1]) {
  memcpy(out, stem17, 17);
  out[17] = proto_uscc_check_char(stem17);
  out[18] = '\0';
  cr_assert(out[17] != 0);
}

static inline void fx_move_tx(struct fx *f, struct proto_tx *tx, unsigned type, uint64_t from,
                       uint64_t to, const char *code, uint64_t amount) {
  fx_tx(f, tx, type);
  struct proto_movement *m = &tx->u.move;
  m->from = from;
  m->to = to;
  snprintf(m->instrument, sizeof(m->instrument), "%s", code);
  m->amount = amount;
  if (type == PROTO_TX_ALLOCATE) {
    /* a CEA vintage is allocated for its own year */
    m->year = strncmp(code, "CEA-", 4) == 0 ? (uint16_t)atoi(code + 4) : 2025;
    m->kind = PROTO_ALLOC_FINAL;
  }
  if (type == PROTO_TX_POSITION_MOVE) m->kind = PROTO_POSITION_TRADING;
  if (type == PROTO_TX_CLAWBACK || type == PROTO_TX_FREEZE || type == PROTO_TX_UNFREEZE ||
      type == PROTO_TX_DEDUCT)
    snprintf(m->ref, sizeof(m->ref), "ref 1");
  if (type == PROTO_TX_DEDUCT) m->year = 2025;
}

/* The world most tests start from: 1 operator (threshold 1), instruments CEA-2024, CEA-2025,
 * CCER-2024, provincial accounts 44 and 11, enterprises A, B (44) and C (11), a participant,
 * keys for every role, compliance year 2025, 1,000,000 CEA-2025 and 100,000 CEA-2024 issued,
 * 500,000 / 50,000 allocated to 44, and 100,000 CEA-2025 + 10,000 CEA-2024 to A. */
static inline void fx_world(struct fx *f) {
  fx_init_genesis(f, 1, 1);
  fx_instrument(f, "CEA-2024", PROTO_INSTRUMENT_CEA, 2024, 1000000, 2019, 2024);
  fx_instrument(f, "CEA-2025", PROTO_INSTRUMENT_CEA, 2025, 10000000, 2025, 2030);
  fx_instrument(f, "CCER-2024", PROTO_INSTRUMENT_CCER, 2024, 1000000, 2024, 2030);
  fx_account(f, FX_PROV44, PROTO_ACCOUNT_PROVINCIAL, 44, NULL, "Guangdong");
  fx_account(f, FX_PROV11, PROTO_ACCOUNT_PROVINCIAL, 11, NULL, "Beijing");
  fx_account(f, FX_ENT_A, PROTO_ACCOUNT_ENTERPRISE, 44, "91350100M000100Y43", "Plant A");
  fx_account(f, FX_ENT_B, PROTO_ACCOUNT_ENTERPRISE, 44, "91110000802100433B", "Plant B");
  char uscc[PROTO_USCC_BYTES + 1];
  fx_uscc("91110000MA0000001", uscc);
  fx_account(f, FX_ENT_C, PROTO_ACCOUNT_ENTERPRISE, 11, uscc, "Plant C");
  fx_account(f, FX_PART, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, "Trader");
  fx_register(f, f->auth44, PROTO_ROLE_AUTHORITY, 44);
  fx_register(f, f->auth11, PROTO_ROLE_AUTHORITY, 11);
  fx_register(f, f->rep_a, PROTO_ROLE_REPRESENTATIVE, FX_ENT_A);
  fx_register(f, f->rep_b, PROTO_ROLE_REPRESENTATIVE, FX_ENT_B);
  fx_register(f, f->rep_c, PROTO_ROLE_REPRESENTATIVE, FX_ENT_C);
  fx_register(f, f->rep_part, PROTO_ROLE_REPRESENTATIVE, FX_PART);
  fx_register(f, f->exch, PROTO_ROLE_EXCHANGE, 0);
  fx_register(f, f->auditor, PROTO_ROLE_AUDITOR, 0);
  struct proto_tx tx;
  fx_tx(f, &tx, PROTO_TX_COMPLIANCE_YEAR);
  tx.u.compliance_year.year = 2025;
  tx.u.compliance_year.deadline_ms = FX_DEADLINE_2025;
  FX_OK(f, &tx, f->op[0]);
  fx_move_tx(f, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2025", 1000000);
  FX_OK(f, &tx, f->op[0]);
  fx_move_tx(f, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2024", 100000);
  FX_OK(f, &tx, f->op[0]);
  fx_move_tx(f, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CEA-2025", 500000);
  FX_OK(f, &tx, f->op[0]);
  fx_move_tx(f, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CEA-2024", 50000);
  FX_OK(f, &tx, f->op[0]);
  fx_move_tx(f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 100000);
  FX_OK(f, &tx, f->auth44);
  fx_move_tx(f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2024", 10000);
  FX_OK(f, &tx, f->auth44);
}

/* A balance row (all zero when the account holds none of the instrument). */
static inline struct ledger_balance fx_balance(struct fx *f, uint64_t account, const char *code) {
  struct ledger_balance rows[64], out;
  memset(&out, 0, sizeof(out));
  long n = ledger_balances(f->l, account, rows, 64);
  cr_assert_geq(n, 0);
  for (long i = 0; i < n; i++)
    if (strcmp(rows[i].instrument, code) == 0) out = rows[i];
  return out;
}

static inline struct ledger_instrument fx_inst(struct fx *f, const char *code) {
  struct ledger_instrument rows[64], out;
  memset(&out, 0, sizeof(out));
  long n = ledger_instruments(f->l, rows, 64);
  cr_assert_geq(n, 0);
  for (long i = 0; i < n; i++)
    if (strcmp(rows[i].code, code) == 0) out = rows[i];
  return out;
}

/* A fingerprint of the whole visible state: tree size and root, every instrument and every
 * balance of the world's accounts. Equal snapshots before and after prove a refusal left the
 * ledger unchanged. */
struct fx_snap {
  uint64_t size;
  uint8_t root[PROTO_HASH_BYTES];
  struct ledger_instrument inst[8];
  long ninst;
  struct ledger_balance bal[8][8];
  long nbal[8];
  struct ledger_account acc[8];
};

static inline void fx_snapshot(struct fx *f, struct fx_snap *s) {
  static const uint64_t ids[8] = {FX_NATIONAL, FX_PROV44, FX_PROV11, FX_ENT_A,
                                  FX_ENT_B,    FX_ENT_C,  FX_PART,   0};
  memset(s, 0, sizeof(*s));
  s->size = ledger_tree_size(f->l);
  cr_assert_eq(ledger_root(f->l, s->size, s->root), 0);
  s->ninst = ledger_instruments(f->l, s->inst, 8);
  for (int i = 0; i < 8 && ids[i]; i++) {
    s->nbal[i] = ledger_balances(f->l, ids[i], s->bal[i], 8);
    (void)ledger_account_get(f->l, ids[i], &s->acc[i]);
  }
}

static inline bool fx_inst_eq(const struct ledger_instrument *a, const struct ledger_instrument *b) {
  return strcmp(a->code, b->code) == 0 && a->kind == b->kind && a->vintage == b->vintage &&
         a->first_year == b->first_year && a->last_year == b->last_year && a->cap == b->cap &&
         a->issued == b->issued && a->surrendered == b->surrendered &&
         a->cancelled == b->cancelled && a->carried_over == b->carried_over;
}

static inline bool fx_bal_eq(const struct ledger_balance *a, const struct ledger_balance *b) {
  return strcmp(a->instrument, b->instrument) == 0 && a->registry == b->registry &&
         a->trading == b->trading && a->frozen == b->frozen;
}

static inline bool fx_acc_eq(const struct ledger_account *a, const struct ledger_account *b) {
  return a->id == b->id && a->kind == b->kind && a->province == b->province &&
         a->sector == b->sector && a->threshold == b->threshold && a->closed == b->closed &&
         strcmp(a->uscc, b->uscc) == 0 && strcmp(a->name, b->name) == 0 &&
         a->opened_index == b->opened_index &&
         a->deduction_outstanding == b->deduction_outstanding;
}

static inline void fx_assert_unchanged(struct fx *f, const struct fx_snap *before) {
  struct fx_snap now;
  fx_snapshot(f, &now);
  cr_assert_eq(now.size, before->size, "tree size changed");
  cr_assert(memcmp(now.root, before->root, PROTO_HASH_BYTES) == 0, "root changed");
  cr_assert_eq(now.ninst, before->ninst, "instruments changed");
  for (long i = 0; i < now.ninst; i++)
    cr_assert(fx_inst_eq(&now.inst[i], &before->inst[i]), "instrument %s changed", now.inst[i].code);
  for (int a = 0; a < 8; a++) {
    cr_assert_eq(now.nbal[a], before->nbal[a], "balances of account %d changed", a);
    for (long i = 0; i < now.nbal[a]; i++)
      cr_assert(fx_bal_eq(&now.bal[a][i], &before->bal[a][i]), "a balance changed");
    cr_assert(fx_acc_eq(&now.acc[a], &before->acc[a]), "an account changed");
  }
}

/* Opens database db of the closed store in f->dir behind the ledger's back, as damage would
 * reach it (flags: 0 or MDB_RDONLY); the caller ends *txn and closes *env. */
static inline void fx_raw_begin(struct fx *f, const char *db, unsigned flags, MDB_env **env,
                                MDB_txn **txn, MDB_dbi *dbi) {
  cr_assert_eq(mdb_env_create(env), 0);
  mdb_env_set_maxdbs(*env, 32);
  cr_assert_eq(mdb_env_open(*env, f->dir, flags, 0600), 0);
  cr_assert_eq(mdb_txn_begin(*env, NULL, flags, txn), 0);
  cr_assert_eq(mdb_dbi_open(*txn, db, 0, dbi), 0);
}

/* Puts (key, val) into database db of the closed store, or deletes key when val is NULL. */
static inline void fx_raw_put(struct fx *f, const char *db, const void *key, size_t klen,
                              const void *val, size_t vlen) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  fx_raw_begin(f, db, 0, &env, &txn, &dbi);
  MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
  cr_assert_eq(val ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

#endif /* QUOTAD_TEST_LEDGER_FIXTURE_H */
