/* ledger internals shared by store.c, overlay.c, records.c, apply.c, auth.c, rules_*.c and
 * read.c: the ledger handle, the named databases, the on-disk record codecs and the batch-local
 * overlay. Not installed; nothing outside ledger/ includes it. */
#ifndef QUOTAD_LEDGER_INTERNAL_H
#define QUOTAD_LEDGER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "ledger/ledger.h"
#include "tlog/tlog.h"
#include "proto/proto.h"

/* The named databases of the environment (docs/STORAGE.md has every layout). */
enum ledger_db {
  DB_ENTRIES,     /* u64 BE index -> entry bytes (the Merkle leaf data) */
  DB_NODES,       /* level u8 || index u64 BE -> 32-byte subtree hash (levels >= 1) */
  DB_META,        /* ASCII name -> value */
  DB_ACCOUNTS,    /* u64 BE id -> account record */
  DB_USCC,        /* 18-byte USCC -> u64 BE account id */
  DB_PROVINCE,    /* u8 province -> u64 BE provincial account id */
  DB_BALANCES,    /* u64 BE account || 16-byte instrument -> balance record */
  DB_KEYS,        /* 32-byte key hash -> key record */
  DB_INSTRUMENTS, /* 16-byte code -> instrument record */
  DB_YEARS,       /* u16 BE year -> year record */
  DB_COMPLIANCE,  /* u64 BE account || u16 BE year -> compliance record */
  DB_CARRIED,     /* u64 BE account || 16-byte to-instrument -> carried-over total */
  DB_TXIDS,       /* 16-byte tx id -> body hash || index */
  DB_HISTORY,     /* u64 BE account -> sorted duplicates: u64 BE index (DUPSORT, DUPFIXED) */
  DB_CHECKPOINTS, /* u64 BE tree size -> signed note text */
  DB_LEGS,        /* u64 BE index -> legs blob of a version 2 settle (kept apart from the entry) */
  DB_ALLOC,       /* allocation tables, their rows, units' allocated totals (rules_tables.c) */
  DB_FREEZES,     /* u64 BE account || order id[16] -> freeze order record */
  DB_FREEZE_HOLD, /* u64 BE account || 16-byte instrument -> ids of the orders in force on it */
  DB_CARRY,       /* carry-over rules and the running net sales they count (rules_carry.c) */
  DB_DEDUCT,      /* u64 BE account || u16 BE year || u8 kind -> deduction (rules_compliance.c) */
  /* New databases go here, at the end: meta "databases" counts them in this order (store.c). */
  DB_COUNT
};

/* The meta key of the verified size (ledger_verify_entries; docs/STORAGE.md). */
#define LEDGER_META_VERIFIED "verified_size"

/* Overlay limits: the longest key (balances, carried: 24 bytes) and value (a key record with a
 * 256-byte name) any overlaid database holds. */
#define OV_KEY_BYTES_MAX 32u
#define OV_VAL_BYTES_MAX 320u

struct ov_slot {
  uint8_t key[OV_KEY_BYTES_MAX];
  uint32_t hash;
  uint32_t voff;  /* value bytes at arena + voff */
  uint16_t vlen;
  uint8_t db, klen;
  bool used, exists, dirty;
};

struct ov_undo {
  uint32_t slot, voff;
  uint16_t vlen;
  bool exists, dirty;
};

/* The batch-local overlay: every record a batch reads is loaded once from the write transaction
 * and every change stays here until the batch ends, when dirty records are written back once.
 * A journal of old slot states lets a refused transaction (or a settle's failing leg) roll back. */
struct overlay {
  struct ov_slot *slots;
  size_t cap, used; /* cap a power of two */
  uint32_t *live;   /* the used slots' positions, in the order first used (cap of them) */
  uint8_t *arena;
  size_t arena_len, arena_cap;
  struct ov_undo *undo;
  size_t undo_len, undo_cap;
  MDB_txn *txn;
  const MDB_dbi *dbis;
};

/* The last node stored at each level: exactly the siblings the next append asks for, so the
 * writer's appends need no B-tree reads. Valid only within one write transaction. */
struct node_cache {
  uint64_t index[TLOG_LEVELS];
  uint8_t hash[TLOG_LEVELS][PROTO_HASH_BYTES];
  bool valid[TLOG_LEVELS];
};
struct key_cache_slot {
  uint8_t hash[PROTO_HASH_BYTES];
  struct proto_key *key;
};

struct history_row {
  uint64_t account, index;
};

struct ledger {
  MDB_env *env;
  MDB_dbi dbi[DB_COUNT];
  int lock_fd;
  bool read_only;
  bool failed; /* corrupt data seen: writes stop */
  bool damaged; /* __atomic; a structural check failed: reads stop too (LMDB may crash on it) */
  uint64_t map_bytes, map_bytes_max;
  pthread_rwlock_t resize_lock; /* readers shared around read txns; map resize exclusive */
  const struct proto_key *log_key;

  /* Committed state the writer publishes; readers load it atomically. */
  uint64_t tree_size;    /* __atomic */
  uint64_t last_time_ms; /* writer only */
  bool has_genesis;      /* __atomic; origin and log_pub are set before it */
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t log_pub[PROTO_PUBKEY_BYTES];
  uint64_t national;    /* the national account's id */
  uint8_t op_threshold; /* operator signatures per operator act */

  /* Latest signed checkpoint, kept in memory and persisted by the next write transaction. */
  pthread_mutex_t cp_mutex;
  char cp_text[TLOG_CHECKPOINT_BYTES_MAX];
  size_t cp_len;
  uint64_t cp_size;
  bool cp_persisted;
  bool sign_deferred; /* ledger_config: ledger_apply leaves signing to ledger_sign_at */
  ledger_precommit_fn precommit; /* ledger_set_precommit: before each commit of ledger_apply */
  void *precommit_ctx;

  /* EVP keys by key hash, for signature verification from any thread. */
  pthread_mutex_t key_mutex;
  struct key_cache_slot *kc;
  size_t kc_cap, kc_used;

  uint32_t invariants_every; /* batches between invariant checks (ledger_config) */
  uint32_t invariants_due;   /* writer only: batches with entries since the last check */

  struct overlay ov; /* writer only */
  struct node_cache nodes; /* writer only */
  struct tx_ctx *ctx;      /* writer only: reused for every transaction */
  struct history_row *history; /* writer only: the batch's rows, put sorted (history_flush) */
  struct history_row *history_tmp; /* the radix sort's other buffer */
  struct proto_leg *legs_buf;      /* writer only: the legs of the settle being applied */
  bool no_legs_db; /* read-only open of a store written before legs were kept: none stored */
  bool no_alloc_db; /* ... or before allocation tables were kept: none stored */
  bool no_freeze_db; /* read-only open of a store written before freeze orders: none stored */
  bool no_carry_db;  /* ... before carry-over rules and deduction kinds: none stored */
  size_t history_len, history_cap;

  /* Entries [0, verified_size) have had their signatures and legs verified: by the rules, or
   * after a deferred append (ledger_append_entries_deferred) by ledger_verify_entries. */
  uint64_t verified_size; /* __atomic; the verifier advances it beside the writer */
  bool verified_stored;   /* writer only: meta "verified_size" is kept (a deferred append wrote it) */
  bool verified_follows;  /* writer only: the batch being committed moves verified_size with the tree */
};

/* ---- apply.c ---- */
/* Advances verified_size from `from` to `to` when [0, from) was verified already: any thread. */
void apply__verified_advance(struct ledger *l, uint64_t from, uint64_t to);

/* ---- store.c ---- */
int store__mdb_err(int rc);                   /* LMDB code -> proto code */
int store__read_begin(struct ledger *l, MDB_txn **txn);
void store__read_end(struct ledger *l, MDB_txn *txn);
struct store_nodes_ctx {
  MDB_txn *txn;
  MDB_dbi dbi, entries;
  struct node_cache *cache; /* writer only; NULL for readers */
};
/* A merkle_store over the nodes database in txn; cache: the writer's node cache or NULL. */
void store__nodes(struct tlog_store *s, struct store_nodes_ctx *c, MDB_txn *txn,
                  const struct ledger *l, struct node_cache *cache);
int store__persist_checkpoint(struct ledger *l, MDB_txn *txn, uint64_t *put_size);
int store__sign_checkpoint(struct ledger *l, MDB_txn *txn, uint64_t size);
/* Doubles the map up to the ceiling (MAP_FULL there); the caller holds no transaction. */
int store__grow(struct ledger *l);

/* ---- bytes ---- */
static inline void be64_put(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)(v & 0xff);
    v >>= 8;
  }
}
static inline uint64_t be64_get(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}
static inline void be16_put(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)(v & 0xff);
}
static inline uint16_t be16_get(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* Checked sum against 2^53 - 1: 0 or OVERFLOW. */
static inline int amount_add(uint64_t a, uint64_t b, uint64_t *out) {
  uint64_t s;
  if (__builtin_add_overflow(a, b, &s) || s > PROTO_AMOUNT_MAX) return PROTO_E_OVERFLOW;
  *out = s;
  return 0;
}

/* ---- records.c: explicit byte layouts; decoders return 0 or CORRUPT ---- */
#define REC_VERSION 1u
#define REC_ACCOUNT_BYTES_MIN 42u
#define REC_BALANCE_BYTES 25u
#define REC_INSTRUMENT_BYTES 56u
#define REC_KEY_BYTES_MIN 61u
#define REC_YEAR_BYTES 17u
#define REC_COMPLIANCE_BYTES 41u    /* version 1: no correction fields */
#define REC_COMPLIANCE_V2_BYTES 66u /* version 2: on-time sums, own deadline, flags */
#define REC_TXID_BYTES 41u
#define REC_CARRIED_BYTES 9u
#define REC_FREEZE_BYTES_MIN 53u /* with a 1-byte legal reference */
#define REC_FREEZE_HOLD_BYTES_MAX (2u + PROTO_FREEZE_ORDERS_HELD_MAX * PROTO_ID_BYTES)

struct rec_year {
  uint64_t deadline_ms, index;
};
struct rec_compliance {
  uint64_t emissions, cea, ccer, completed_ms, emissions_index;
  /* Surrendered by the enterprise's deadline as it stood at each surrender's commit time. */
  uint64_t on_time_cea, on_time_ccer;
  uint64_t own_deadline_ms; /* set by a correction that raised the obligation late; 0 none */
  bool corrected;           /* the obligation changed after the deadline */
};
struct rec_txid {
  uint8_t body_hash[PROTO_HASH_BYTES];
  uint64_t index;
};

size_t rec_account_encode(const struct ledger_account *a, uint8_t *out);
int rec_account_decode(uint64_t id, const uint8_t *in, size_t len, struct ledger_account *a);
void rec_balance_encode(const struct ledger_balance *b, uint8_t out[REC_BALANCE_BYTES]);
int rec_balance_decode(const uint8_t *in, size_t len, struct ledger_balance *b);
void rec_instrument_encode(const struct ledger_instrument *in, uint64_t created_index,
                           uint8_t out[REC_INSTRUMENT_BYTES]);
int rec_instrument_decode(const uint8_t *key, const uint8_t *in, size_t len,
                          struct ledger_instrument *out);
size_t rec_key_encode(const struct ledger_key *k, uint8_t *out);
int rec_key_decode(const uint8_t *hash, const uint8_t *in, size_t len, struct ledger_key *k);
void rec_year_encode(const struct rec_year *y, uint8_t out[REC_YEAR_BYTES]);
int rec_year_decode(const uint8_t *in, size_t len, struct rec_year *y);
/* Writes version 1 (41 bytes) while the correction fields are all zero, else version 2 (66);
 * returns the length. */
size_t rec_compliance_encode(const struct rec_compliance *c, uint8_t out[REC_COMPLIANCE_V2_BYTES]);
int rec_compliance_decode(const uint8_t *in, size_t len, struct rec_compliance *c);
/* Freeze orders: the order (key account || id) and a holding's list of order ids in force. */
struct rec_freeze_hold {
  uint8_t count; /* 1..PROTO_FREEZE_ORDERS_HELD_MAX; an empty list is deleted */
  uint8_t ids[PROTO_FREEZE_ORDERS_HELD_MAX][PROTO_ID_BYTES];
};
size_t rec_freeze_encode(const struct ledger_freeze_order *o, uint8_t *out);
int rec_freeze_decode(const uint8_t key[24], const uint8_t *in, size_t len,
                      struct ledger_freeze_order *o);
size_t rec_freeze_hold_encode(const struct rec_freeze_hold *h, uint8_t *out);
int rec_freeze_hold_decode(const uint8_t *in, size_t len, struct rec_freeze_hold *h);
void rec_txid_encode(const struct rec_txid *t, uint8_t out[REC_TXID_BYTES]);
int rec_txid_decode(const uint8_t *in, size_t len, struct rec_txid *t);

/* ---- records_carry.c: DB_CARRY (net sales, carry-over rules) and DB_DEDUCT ---- */
#define REC_SALES_TAG 'n'
#define REC_CARRY_RULE_TAG 'r'
#define REC_CARRY_ANY_TAG 'R' /* a rule exists: version || index of the first, 9 bytes */
#define REC_SALES_KEY_BYTES 19u
#define REC_SALES_BYTES 17u
#define REC_CARRY_RULE_KEY_BYTES 17u
#define REC_CARRY_RULE_BYTES 62u
#define REC_DEDUCTION_KEY_BYTES 11u
#define REC_DEDUCTION_BYTES 18u
struct rec_sales {
  uint64_t out, in; /* tonnes, saturating */
};
struct rec_carry_rule {
  uint64_t index;
  struct proto_carry_over_rule rule; /* ref left empty */
};
struct rec_deduction {
  uint64_t amount;
  uint8_t percent;
  uint64_t index;
};
void rec_sales_key(uint64_t account, uint16_t vintage, uint64_t time_ms,
                   uint8_t out[REC_SALES_KEY_BYTES]);
void rec_sales_encode(const struct rec_sales *s, uint8_t out[REC_SALES_BYTES]);
int rec_sales_decode(const uint8_t *in, size_t len, struct rec_sales *s);
void rec_carry_rule_key(const uint8_t id[PROTO_ID_BYTES], uint8_t out[REC_CARRY_RULE_KEY_BYTES]);
void rec_carry_rule_encode(const struct rec_carry_rule *r, uint8_t out[REC_CARRY_RULE_BYTES]);
int rec_carry_rule_decode(const uint8_t *in, size_t len, struct rec_carry_rule *r);
void rec_deduction_key(uint64_t account, uint16_t year, uint8_t kind,
                       uint8_t out[REC_DEDUCTION_KEY_BYTES]);
void rec_deduction_encode(const struct rec_deduction *d, uint8_t out[REC_DEDUCTION_BYTES]);
/* kind: the key's kind byte, which decides the values allowed. */
int rec_deduction_decode(const uint8_t *in, size_t len, uint8_t kind, struct rec_deduction *d);

/* Keys. Instrument codes are stored as 16 bytes, zero padded. */
void rec_code_key(const char *code, uint8_t out[PROTO_INSTRUMENT_BYTES]);
void rec_code_from_key(const uint8_t key[PROTO_INSTRUMENT_BYTES], char *code);
void rec_balance_key(uint64_t account, const char *code, uint8_t out[24]);
void rec_compliance_key(uint64_t account, uint16_t year, uint8_t out[10]);

/* ---- overlay.c ---- */
int overlay__init(struct overlay *ov);
void overlay__free(struct overlay *ov);
void overlay__reset(struct overlay *ov, MDB_txn *txn, const MDB_dbi *dbis);
/* 0 and *val (valid until the next overlay call), NOT_FOUND, or a storage code. */
int overlay__get(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                 const uint8_t **val, size_t *vlen);
int overlay__put(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                 const uint8_t *val, size_t vlen);
/* Like overlay__put for a key the caller knows is absent from LMDB: no lookup. */
int overlay__put_new(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen,
                     const uint8_t *val, size_t vlen);
/* Removes the record (deleted from LMDB at flush if it was there). */
int overlay__del(struct overlay *ov, unsigned db, const uint8_t *key, size_t klen);
size_t overlay__mark(const struct overlay *ov);
void overlay__rollback(struct overlay *ov, size_t mark);
/* Calls fn for every present slot of db whose key starts with prefix. */
int overlay__each(struct overlay *ov, unsigned db, const uint8_t *prefix, size_t plen,
                  int (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                            size_t vlen),
                  void *arg);
int overlay__flush(struct overlay *ov);

/* ---- batch state for the rules ---- */
#define BATCH_TOUCHED_MAX PROTO_TX_ACCOUNTS_MAX

struct batch {
  struct ledger *l;
  struct store_nodes_ctx nodes; /* with the writer's node cache */
  struct overlay *ov;
  MDB_txn *txn;
  uint64_t size;    /* tree size so far in this batch */
  uint64_t time_ms; /* the batch's commit time */
  bool has_genesis;
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t log_pub[PROTO_PUBKEY_BYTES];
  uint64_t national;
  uint8_t op_threshold;
  /* The greatest tx id stored or accepted so far: a greater id cannot exist yet, which spares
   * the lookup for time-ordered ids (the recommended kind). */
  uint8_t id_max[PROTO_ID_BYTES];
};

struct tx_ctx {
  struct batch *b;
  const struct proto_tx *tx;
  const struct proto_envelope *env;
  const uint8_t *legs; /* a version 2 settle's legs blob, stored beside its entry */
  size_t legs_len;
  bool verified;
  uint64_t index; /* the index the entry gets if accepted */
  uint64_t withheld, aux;
  int32_t leg; /* the settle leg that refused the entry, or -1 */
  size_t touched_n;
  uint64_t touched[BATCH_TOUCHED_MAX];
  /* signers: distinct registered, non-revoked keys whose signature verified */
  size_t signers_n;
  struct ledger_key signers[PROTO_SIGS_MAX];
};

/* ---- auth.c ---- */
int auth__collect(struct tx_ctx *c);
/* WRONG_ROLE when no signer has the role and scope, INSUFFICIENT_SIGNATURES below threshold. */
int auth__require(struct tx_ctx *c, unsigned role, uint64_t scope, unsigned threshold);
int auth__verify_sig(struct ledger *l, const uint8_t hash[PROTO_HASH_BYTES],
                     const uint8_t pub[PROTO_PUBKEY_BYTES], const uint8_t *msg, size_t len,
                     const uint8_t sig[PROTO_SIG_BYTES]);
void auth__cache_free(struct ledger *l);

/* ---- state access over the overlay (rules_common.c) ---- */
/* A record's bytes read through the overlay (valid until the batch's next write). */
struct st_rec {
  const uint8_t *p;
  size_t len;
};
/* A record of db read through the overlay; `missing` when there is none. */
int st__get(struct batch *b, unsigned db, const uint8_t *key, size_t klen, int missing,
            struct st_rec *out);
int st__account(struct batch *b, uint64_t id, struct ledger_account *a); /* NOT_FOUND */
int st__account_put(struct batch *b, const struct ledger_account *a);
int st__balance(struct batch *b, uint64_t account, const char *code, struct ledger_balance *bal);
int st__balance_put(struct batch *b, uint64_t account, const struct ledger_balance *bal);
int st__instrument(struct batch *b, const char *code, struct ledger_instrument *in);
int st__instrument_put(struct batch *b, const struct ledger_instrument *in, uint64_t created);
int st__key(struct batch *b, const uint8_t hash[PROTO_HASH_BYTES], struct ledger_key *k);
int st__key_put(struct batch *b, const struct ledger_key *k);
int st__meta_put(struct batch *b, const char *name, const uint8_t *val, size_t len);
/* An open account: UNKNOWN_ACCOUNT, ACCOUNT_CLOSED. */
int st__open_account(struct batch *b, uint64_t id, struct ledger_account *a);
/* The balance of account in an existing instrument (UNKNOWN_INSTRUMENT otherwise). */
int st__holding(struct batch *b, uint64_t account, const char *code, struct ledger_balance *bal);
/* Freeze orders (key account || id; NOT_FOUND) and a holding's list of the orders in force. */
int st__freeze_order(struct batch *b, uint64_t account, const uint8_t id[PROTO_ID_BYTES],
                     struct ledger_freeze_order *o);
int st__freeze_order_put(struct batch *b, const struct ledger_freeze_order *o);
int st__freeze_hold(struct batch *b, uint64_t account, const char *code, struct rec_freeze_hold *h);
/* An empty list deletes the record. */
int st__freeze_hold_put(struct batch *b, uint64_t account, const char *code,
                        const struct rec_freeze_hold *h);
bool st__order_in_force(const struct ledger_freeze_order *o, uint64_t now_ms);
/* Moves amount out of the trading position (INSUFFICIENT_BALANCE, aux = the trading position;
 * FROZEN when freeze orders covering trading bind those units). account 0: the caller checks
 * the freeze orders itself once its move is complete (st__freeze_check). */
int st__take_trading(struct tx_ctx *c, uint64_t account, struct ledger_balance *bal,
                     uint64_t amount);
/* Moves amount out of the available registry position (INSUFFICIENT_BALANCE, aux = available;
 * FROZEN when frozen units, by a version 1 freeze or a freeze order, would have to move). */
int st__take_available(struct tx_ctx *c, uint64_t account, struct ledger_balance *bal,
                       uint64_t amount);
/* Whether bal (as it would be stored, amount units having just left or been bound) still holds
 * what the version 1 freeze and the freeze orders in force on account's holding bind at the
 * batch's commit time: 0, or FROZEN with aux = the part of amount that could have gone. */
int st__freeze_check(struct tx_ctx *c, uint64_t account, const struct ledger_balance *bal,
                     uint64_t amount);

/* ---- rules_*.c: each checks then applies; a nonzero return is rolled back by the caller ---- */
int rules__genesis(struct tx_ctx *c);
int rules__key_register(struct tx_ctx *c);
int rules__key_revoke(struct tx_ctx *c);
int rules__account_open(struct tx_ctx *c);
int rules__account_update(struct tx_ctx *c);
int rules__account_close(struct tx_ctx *c);
int rules__instrument_create(struct tx_ctx *c);
int rules__issue(struct tx_ctx *c);
int rules__allocate(struct tx_ctx *c);
int rules__clawback(struct tx_ctx *c);
int rules__transfer(struct tx_ctx *c);
int rules__position_move(struct tx_ctx *c);
int rules__settle(struct tx_ctx *c);
int rules__freeze(struct tx_ctx *c);
int rules__unfreeze(struct tx_ctx *c);
int rules__compliance_year(struct tx_ctx *c);
int rules__verified_emissions(struct tx_ctx *c);
int rules__surrender(struct tx_ctx *c);
int rules__cancel(struct tx_ctx *c);
int rules__carry_over(struct tx_ctx *c);
int rules__carry_over_rule(struct tx_ctx *c);
int rules__deduct(struct tx_ctx *c);
/* rules_carry.c: records a transfer or settlement leg of amount of code from `from` to `to` in
 * both accounts' running net sales (CEA only), at the batch's commit time. O(1) per leg. */
int carry__sales_record(struct batch *b, uint64_t from, uint64_t to, const char *code,
                        uint64_t amount);
/* rules_compliance.c: the percentage a fraud deduction withholds from allocations of year to
 * account (0: none). */
int ledger__fraud_percent(struct batch *b, uint64_t account, uint16_t year, unsigned *percent);
int rules__account_reopen(struct tx_ctx *c);
int rules__at_risk(struct tx_ctx *c);
/* Whether an enterprise is at risk (rules_accounts.c): what allocations and surrenders on its
 * behalf consult. UNKNOWN_ACCOUNT, or a storage code. */
int ledger__account_at_risk(struct batch *b, uint64_t account, bool *at_risk);
/* Whether an enterprise is short or overdue in any compliance year (rules_compliance.c). */
int ledger__compliance_owing(struct batch *b, uint64_t account, bool *owing);
/* Calls fn for every record of db whose key starts with prefix: those committed (as the overlay
 * now has them) and those this batch created (rules_accounts.c). */
int ledger__scan_prefix(struct batch *b, unsigned db, const uint8_t *prefix, size_t plen,
                        int (*fn)(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                                  size_t vlen),
                        void *arg);

int rules__alloc_table_open(struct tx_ctx *c);
int rules__alloc_table_rows(struct tx_ctx *c);
int rules__alloc_table_close(struct tx_ctx *c);

/* ---- rules_tables.c: allocation tables and what each unit has been allocated ---- */
/* A unit's allocations of one instrument: what pre-allocations gave, and the total net of
 * claw-backs (withheld and held-for parts included: they are allocated to the unit). */
struct unit_alloc {
  uint64_t pre, total;
};
/* The table (UNKNOWN_TABLE), a row of it (UNKNOWN_ROW), and the unit record of a row for an
 * instrument (all zero when none). */
int tables__get(struct batch *b, uint64_t id, struct ledger_table *t);
/* Record decoders shared with read.c: CORRUPT on bad bytes. */
int ledger__table_decode(uint64_t id, const uint8_t *in, size_t len, struct ledger_table *t);
/* Whether a stored legs blob is the one its stored entry commits to (legs.c): 0 or CORRUPT. */
int legs__stored_check(const MDB_val *entry, const MDB_val *legs);
int ledger__row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *out,
                       uint16_t *version, uint64_t *index);
int tables__row(struct batch *b, uint64_t table, uint64_t row, struct proto_alloc_row *out);
int tables__unit(struct batch *b, const char *instrument, const struct proto_alloc_row *row,
                 struct unit_alloc *u);
int tables__unit_put(struct batch *b, const char *instrument, const struct proto_alloc_row *row,
                     const struct unit_alloc *u);
/* Whether a complete table of instrument for sector exists (either phase): allocations to
 * that sector must then cite it. */
int tables__any_complete(struct batch *b, const char *instrument, uint8_t sector, bool *found);
/* The units held in the provincial account for an at-risk enterprise (its status:
 * ledger__account_at_risk). */
int st__held_add(struct batch *b, uint64_t account, const char *instrument, uint64_t amount);
/* NOT_HELD when fewer than amount are held for it; apply takes them (rules_tables.c). */
int st__held_take(struct batch *b, uint64_t account, const char *instrument, uint64_t amount,
                  bool apply);

/* ---- check.c ---- */
/* The sampled structural check a writer's ledger_open runs before it opens the environment. */
int check__at_open(const struct ledger_config *cfg);

/* ---- invariants.c ---- */
int invariants__check_txn(struct ledger *l, MDB_txn *txn, char *why, size_t why_cap);

#endif /* QUOTAD_LEDGER_INTERNAL_H */
