/* audit: quota-audit's independent verifier of a quotad log, as a library. It checks every hash,
 * signature and rule of a log from its entries alone and recomputes the state they imply; it uses
 * proto, tlog and alloc, never ledger/ (the build checks that quota-audit links neither ledger/ nor
 * LMDB): the same bug in both would go unseen.
 *
 * The replay (audit_replay_*)
 * -------------------------
 * audit_replay: quota-audit's own, independent implementation of the registry's rules. It replays
 * a log entry by entry in memory and fails at the first entry the rules would have refused.
 *
 * Why a second implementation: the auditor exists to catch a bug (or a fraud) in ledger/'s rules,
 * so it shares nothing with ledger/'s state code: only proto/ (decoding, crypto) and the pure
 * Merkle and checkpoint functions. State is a few in-memory hash maps (audit_map.h).
 *
 * Use:
 *   struct audit_replay *r = audit_replay_new();
 *   audit_replay_set_log_key(r, pub);            // the verifier key's public key
 *   for each leaf: audit_replay_leaf(r, leaf, len, NULL, &fail)   // or audit_replay_tx
 *   audit_replay_finish(r, &fail);               // the supply invariants over the end state
 *   ... read the recomputed state: audit_replay_balance, _instrument, _compliance ...
 *   audit_replay_free(r);
 *
 * Every check returns 0 or the proto error code of the rule that fails, and fills a
 * struct audit_failure naming the entry precisely. A failure is terminal: the log is not valid
 * past it, so every later call returns the same failure and the state is left as it was at the
 * failing entry (possibly with part of its effect). Not thread-safe; one replay per thread.
 *
 * The whole log (audit_log_*)
 * ---------------------------
 * audit_log: verifies a whole log fed in chunks of leaves (from an export file or API pages):
 * keeps every leaf hash for the Merkle roots, verifies the Ed25519 signatures of a chunk on
 * several threads, then replays the chunk's leaves in order (audit_replay).
 *
 * A small map (audit_map_*)
 * -------------------------
 * A small in-memory hash map with fixed-size keys and values for quota-audit's replay: values
 * live in blocks that never move, so a pointer stays valid until the map is freed.
 */
#ifndef QUOTAD_AUDIT_H
#define QUOTAD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "tlog/tlog.h"

/* ---------------------------------------------------------------------------------------------
 * The replay
 * ------------------------------------------------------------------------------------------- */
#define AUDIT_FAILURE_TEXT_BYTES 640u

struct audit_failure {
  uint64_t index;                       /* the entry that fails (UINT64_MAX: not one entry) */
  int code;                             /* the proto error code of the failed rule or check */
  char text[AUDIT_FAILURE_TEXT_BYTES];  /* "entry 12 (transfer 0f3a...): balance of ..." */
};

/* The outcome of one signature of an envelope, when the caller verified it beforehand (so that
 * the costly Ed25519 work can run on several threads while the replay stays sequential). */
enum audit_sig_status {
  AUDIT_SIG_VALID = 0,                         /* verified under the key with that hash */
  AUDIT_SIG_BAD = PROTO_E_BAD_SIGNATURE,       /* the key is known and the signature fails */
  AUDIT_SIG_UNKNOWN = PROTO_E_UNKNOWN_KEY,     /* no key with that hash appears in the log */
};

/* One signer of a decoded transaction: its key hash and the signature's status. */
struct audit_signer {
  uint8_t key_hash[PROTO_HASH_BYTES];
  int status; /* enum audit_sig_status */
};

struct audit_replay;

/* A fresh, empty replay. NULL when out of memory. */
struct audit_replay *audit_replay_new(void);
void audit_replay_free(struct audit_replay *r);

/* The public key the genesis must name as log_public_key (the verifier key's). Without it the
 * genesis's own key is trusted (and reported by audit_replay_log_key). */
void audit_replay_set_log_key(struct audit_replay *r, const uint8_t pub[PROTO_PUBKEY_BYTES]);

/* Checks and applies one whole leaf (an entry's exact bytes): decodes entry, envelope and body,
 * re-encodes each and requires the same bytes (canonical), checks the index (= entries replayed
 * so far) and that time never goes backwards, checks every signature (sig_status NULL: verified
 * here against the keys the log registered; else sig_status[i] is the caller's verdict on the
 * envelope's i-th signature), then the rules (audit_replay_tx). Returns 0 or a code; *fail
 * filled on failure. */
int audit_replay_leaf(struct audit_replay *r, const uint8_t *leaf, size_t len,
                      const int *sig_status, struct audit_failure *fail);
/* The same with the legs blob stored beside the entry (NULL for none). A version 2 settle needs
 * its legs (LEGS_MISSING); they must be canonical, number legs_count (LEGS_COUNT) and hash to the
 * signed legs_root (LEGS_ROOT), and then replay like a version 1 settle's. Legs beside any other
 * entry are LEGS_UNEXPECTED. */
int audit_replay_leaf_legs(struct audit_replay *r, const uint8_t *leaf, size_t len,
                           const uint8_t *legs, size_t legs_len, const int *sig_status,
                           struct audit_failure *fail);

/* Checks and applies one decoded transaction as entry `index` (must equal the number replayed so
 * far) committed at time_ms, with the entry's recorded `withheld`, signed by signers[0..n).
 * Authorization: every signer must be registered by an earlier entry (the genesis: the log key
 * or one of its operator keys), its signature valid, the key not revoked; then the type's role,
 * scope and threshold. Then the rules of docs/RULES.md. Returns 0 or a code; *fail on failure. */
int audit_replay_tx(struct audit_replay *r, const struct proto_tx *tx, uint64_t index,
                    uint64_t time_ms, uint64_t withheld, const struct audit_signer *signers,
                    size_t n, struct audit_failure *fail);

/* Keep going (quota-audit's mode): an entry that fails its signers' or its type's rules is
 * recorded (audit_replay_failures), has no effect, still counts as replayed (its index, time and
 * id), and the replay goes on with the next entry, so that every failing entry is reported, not
 * only the first. The call replaying it still returns its code. A failure of the log's structure
 * (decoding, canonical bytes, index, time going back, a second genesis or none) still stops the
 * replay for good, as it does without this mode. Off by default. */
void audit_replay_keep_going(struct audit_replay *r, bool on);
/* The number of failing entries recorded in keep-going mode, and the i-th of the first
 * AUDIT_FAILURES_KEPT_MAX of them (i < that number): false when i is beyond what is kept. */
#define AUDIT_FAILURES_KEPT_MAX 1000u
uint64_t audit_replay_failures_count(const struct audit_replay *r);
bool audit_replay_failure_at(const struct audit_replay *r, size_t i, struct audit_failure *out);
/* Whether the replay stopped for good (a structural failure, or any failure without
 * keep-going). */
bool audit_replay_stopped(const struct audit_replay *r);

/* After the last entry: checks for every instrument that issued = holdings (all positions) +
 * surrendered + cancelled + carried over, recounting holdings from the balances. */
int audit_replay_finish(struct audit_replay *r, struct audit_failure *fail);

/* ---- what the replay computed ---- */
uint64_t audit_replay_entries(const struct audit_replay *r);
uint64_t audit_replay_last_time_ms(const struct audit_replay *r);
/* "" before the genesis. */
const char *audit_replay_origin(const struct audit_replay *r);
/* The genesis's log public key; false before the genesis. */
bool audit_replay_log_key(const struct audit_replay *r, uint8_t pub[PROTO_PUBKEY_BYTES]);
/* The public key registered under a key hash anywhere so far (for verifying signatures ahead of
 * the replay); false when unknown. */
bool audit_replay_public_key(const struct audit_replay *r, const uint8_t hash[PROTO_HASH_BYTES],
                             uint8_t pub[PROTO_PUBKEY_BYTES]);

struct audit_balance {
  uint64_t account;
  proto_instrument_t instrument;
  uint64_t registry, trading, frozen; /* frozen is part of registry */
};
struct audit_instrument {
  proto_instrument_t code;
  uint8_t kind;
  uint16_t vintage, first_year, last_year;
  uint64_t cap, issued, surrendered, cancelled, carried_over;
};
struct audit_account {
  uint64_t id;
  uint8_t kind, province, sector, threshold;
  bool closed;
  bool at_risk; /* enterprises: its at-risk status (at_risk entries) */
  proto_uscc_t uscc;
  uint64_t deduction_outstanding;
};
struct audit_compliance {
  uint64_t account;
  uint16_t year;
  uint64_t emissions, surrendered_cea, surrendered_ccer, counted, shortfall;
  uint8_t status;        /* 1 compliant, 2 short, 3 compliant_late, 4 overdue (ledger.h's values) */
  uint64_t completed_ms; /* commit time of the entry that completed it; 0 while short */
};

size_t audit_replay_accounts_count(const struct audit_replay *r);
size_t audit_replay_instruments_count(const struct audit_replay *r);
size_t audit_replay_balances_count(const struct audit_replay *r);
size_t audit_replay_compliance_count(const struct audit_replay *r);
/* The i-th item (first-seen order) of each table; i < the matching count. */
void audit_replay_account_at(const struct audit_replay *r, size_t i, struct audit_account *out);
void audit_replay_instrument_at(const struct audit_replay *r, size_t i,
                                struct audit_instrument *out);
void audit_replay_balance_at(const struct audit_replay *r, size_t i, struct audit_balance *out);
/* Status evaluated at now_ms against the year's deadline. */
void audit_replay_compliance_at(const struct audit_replay *r, size_t i, uint64_t now_ms,
                                struct audit_compliance *out);

/* Lookups; false when the replay never saw the item (a balance never touched is all zero). */
bool audit_replay_account(const struct audit_replay *r, uint64_t id, struct audit_account *out);
bool audit_replay_instrument(const struct audit_replay *r, const char *code,
                             struct audit_instrument *out);
bool audit_replay_balance(const struct audit_replay *r, uint64_t account, const char *code,
                          struct audit_balance *out);
bool audit_replay_compliance(const struct audit_replay *r, uint64_t account, unsigned year,
                             uint64_t now_ms, struct audit_compliance *out);

/* The index of the entry holding transaction id; false when the log has no such id. */
bool audit_replay_tx_index(const struct audit_replay *r, const uint8_t id[PROTO_ID_BYTES],
                           uint64_t *index);

/* The stable name of a compliance status ("compliant", "short", "compliant_late", "overdue"). */
const char *audit_status_name(unsigned status);

/* ---------------------------------------------------------------------------------------------
 * The whole log
 * ------------------------------------------------------------------------------------------- */
#define AUDIT_THREADS_MAX 16u
#define AUDIT_CHUNK_LEAVES_MAX 65536u /* leaves per audit_log_feed call */

struct audit_log;

/* log_pub: the verifier key's public key (the genesis must name it). threads: 1..16 signature
 * verification threads (the replay itself is sequential). NULL when out of memory. */
struct audit_log *audit_log_new(const uint8_t log_pub[PROTO_PUBKEY_BYTES], unsigned threads);
void audit_log_free(struct audit_log *log);

/* Verifies leaves[0..n) (n <= AUDIT_CHUNK_LEAVES_MAX) as the next entries of the log. Returns 0,
 * or the code of the first failing entry (and *fail); once failed, always the same failure. */
int audit_log_feed(struct audit_log *log, const uint8_t *const *leaves, const size_t *lens,
                   size_t n, struct audit_failure *fail);
/* The same with each leaf's legs blob (legs[i] NULL for none; legs NULL for none at all). */
int audit_log_feed_legs(struct audit_log *log, const uint8_t *const *leaves, const size_t *lens,
                        const uint8_t *const *legs, const size_t *legs_lens, size_t n,
                        struct audit_failure *fail);

/* The root over the first size leaves fed (size <= audit_log_size); BAD_ARGUMENT past it. */
int audit_log_root(const struct audit_log *log, uint64_t size, uint8_t out[PROTO_HASH_BYTES]);
/* The hash of leaf index (< audit_log_size). */
int audit_log_leaf_hash(const struct audit_log *log, uint64_t index, uint8_t out[PROTO_HASH_BYTES]);
uint64_t audit_log_size(const struct audit_log *log);

/* Checks the signed checkpoint against what was fed: the checkpoint's origin is the genesis's,
 * its size the number of leaves fed, its root the recomputed root. The note's signature must
 * already have been verified (tlog_checkpoint_verify). Returns 0 or BAD_CHECKPOINT /
 * INCONSISTENT with *fail (index UINT64_MAX). */
int audit_log_check_checkpoint(const struct audit_log *log, const struct tlog_checkpoint *cp,
                               struct audit_failure *fail);

/* The replay (for the end state and the reported-state comparison). Owned by log. */
struct audit_replay *audit_log_replay(struct audit_log *log);

/* ---------------------------------------------------------------------------------------------
 * The map
 * ------------------------------------------------------------------------------------------- */
#define AUDIT_MAP_KEY_BYTES_MAX 32u
#define AUDIT_MAP_ITEMS_MAX (UINT32_C(1) << 31) /* items are numbered with 32 bits */

struct audit_map {
  size_t key_bytes;   /* 1..AUDIT_MAP_KEY_BYTES_MAX */
  size_t value_bytes; /* may be 0 (a set) */
  size_t key_area;    /* key_bytes rounded up to 8, so values are 8-aligned */
  size_t item_bytes;  /* key area then value, rounded up to 8 */
  uint64_t seed;      /* mixes the hash, so crafted keys cannot aim at one chain */
  uint64_t *slots;    /* 0 empty, else (hash high 32 bits << 32) | (item number + 1) */
  size_t slots_count; /* a power of two, or 0 before the first insert */
  size_t count;       /* items */
  uint8_t **blocks;   /* AUDIT_MAP_BLOCK_ITEMS items each */
  size_t blocks_count;
};

/* Prepares an empty map. Never allocates until the first put. */
void audit_map_init(struct audit_map *m, size_t key_bytes, size_t value_bytes);
void audit_map_free(struct audit_map *m);

/* The value stored under key, or NULL. */
void *audit_map_get(const struct audit_map *m, const void *key);
/* The value under key, inserting a zeroed one first when missing (*created tells, may be NULL).
 * Returns NULL only when memory runs out or the map holds AUDIT_MAP_ITEMS_MAX items. */
void *audit_map_put(struct audit_map *m, const void *key, bool *created);
/* Item i (0 <= i < count) in insertion order: its value, and its key in *key when not NULL. */
void *audit_map_at(const struct audit_map *m, size_t i, const void **key);

#endif /* QUOTAD_AUDIT_H */
