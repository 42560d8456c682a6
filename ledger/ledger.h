/* ledger: quotad's state machine and its LMDB store: the entries of the log, the Merkle tree over
 * them (tlog/tlog.h hashes, proves and signs), and the state every rule reads. This header is the
 * library's whole public interface.
 *
 * Design in one page
 * ------------------
 * A ledger is one LMDB environment in a directory. Every accepted transaction becomes an entry
 * (proto/FORMAT.md "Entry") appended at the next index; the entries are the leaves of an RFC 6962
 * Merkle tree whose complete subtree hashes are stored, so that the root at any size, an inclusion
 * proof and a consistency proof each take O(log n) reads. After each committed batch the log key
 * signs a C2SP checkpoint ("<origin>\n<size>\n<base64 root>\n" plus a signed-note signature).
 *
 * Writes come in batches: ledger_apply() takes N envelopes, checks each against the state as left
 * by the ones before it (rules by type: accounts and keys; issuance and allocation; holdings;
 * compliance), applies the accepted ones, appends their entries and tree nodes, and commits one
 * LMDB write transaction (one fsync). A refused transaction leaves no effect; each gets its own
 * result. Only one thread may write at a time (LMDB's rule); any number may read.
 *
 * Inside a batch the state the rules read and write (accounts, balances, instruments, keys,
 * compliance records, tx ids) lives in a batch-local overlay loaded from LMDB on first use and
 * written back once, in key order, when the batch ends; a journal rolls a refused transaction
 * back. Who may act: the genesis is signed by the log key; operator acts need operator_threshold
 * distinct operator signers; authority acts need the province's authorities (at least the
 * provincial account's threshold); representative acts need the account's representatives (at
 * least its threshold); a settle needs an exchange key. A version 2 settle's legs come beside its
 * envelope (ledger_submission.legs), are checked against the root it signs, and are stored apart
 * from its entry (ledger_entry_legs), so that the entry can be shown to a party of one leg.
 * Keys that are unknown (UNKNOWN_KEY) or revoked (REVOKED_KEY) or whose signature fails
 * (BAD_SIGNATURE) refuse the transaction.
 *
 * Reads (accounts, balances, proofs, entries...) each run in their own short read-only LMDB
 * transaction and copy what they return into caller memory, so nothing returned points into the
 * map. They never block the writer and see only committed batches; they pause only while the
 * writer grows the map (a process-wide rwlock). Every read function is thread-safe.
 *
 * docs/STORAGE.md documents every database and record layout byte by byte.
 *
 * Errors are proto's table (proto/proto.h): 0 success, negative codes; LEDGER_EXISTS (positive)
 * is the one non-error result that is not plain success.
 */
#ifndef QUOTAD_LEDGER_H
#define QUOTAD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"
#include "tlog/tlog.h"

/* A per-transaction result that is not an error: the same id with the same body is already in
 * the log (the index of the original is reported). */
#define LEDGER_EXISTS 1

/* What account_exists found taken (in a result's aux). */
enum { LEDGER_TAKEN_ID = 1, LEDGER_TAKEN_USCC = 2, LEDGER_TAKEN_PROVINCE = 3 };

/* ---------------------------------------------------------------------------------------------
 * Opening a ledger
 * ------------------------------------------------------------------------------------------- */
struct ledger;

struct ledger_config {
  const char *dir;               /* the data directory; created if missing */
  uint64_t map_bytes_initial;    /* first map size; 0: 64 MiB */
  uint64_t map_bytes_max;        /* ceiling for growth; 0: 64 GiB */
  const struct proto_key *log_key; /* signs checkpoints; NULL opens read-only */
  bool read_only;
  /* ledger_check_invariants runs after every this many batches that add entries, before the
   * checkpoint over the last of them is signed; 0: LEDGER_INVARIANTS_EVERY_BATCHES_DEFAULT. */
  uint32_t invariants_every_batches;
  bool no_open_check;            /* a writer skips the structural check at open (see below) */
  /* ledger_apply commits without signing, and the open does not sign a tree its stored checkpoint
   * lags: the caller signs with ledger_sign_at once something outside this node confirmed the
   * entries (a synchronous standby), so a checkpoint never covers a tail only this node holds.
   * ledger_append_entries still signs (its entries are another node's, root-checked). */
  bool sign_deferred;
  struct ledger_check_report *open_check; /* out, may be NULL: that check's report */
};

struct ledger_check_report;

/* The check reads every balance and every entry (it recomputes the tree root from the leaves):
 * its cost grows with the log, about 4.5 us per entry on the loaded test machine (4.1 s at a
 * million entries; docs/BENCHMARKS.md "Invariant check"). Release builds run it every 1,000
 * batches by default; test builds (sanitizers) after every batch, so that a rule that breaks an
 * invariant fails the test that reaches it. */
#ifdef QUOTAD_DEBUG_INVARIANTS
#define LEDGER_INVARIANTS_EVERY_BATCHES_DEFAULT 1u
#else
#define LEDGER_INVARIANTS_EVERY_BATCHES_DEFAULT 1000u
#endif
#define LEDGER_INVARIANTS_EVERY_BATCHES_MAX 1000000u

/* Opens (or creates) the ledger in cfg->dir. A writer takes an exclusive flock on
 * <dir>/quotad.lock: a second writer on the same directory (in this or another process) is
 * refused with LOCKED. A read-only ledger (read_only, or no log_key) takes no lock and may run
 * beside a writer in another process; it must not be opened in the writer's process (LMDB forbids
 * one environment opened twice by a process). Opening needs no repair after a crash: LMDB's last
 * committed state is the ledger. When the stored checkpoint is older than the tree (a crash
 * between a commit and the next batch, which persists the checkpoint), the checkpoint of the
 * current size is signed again (Ed25519 is deterministic: the same note) and stored.
 * The map starts at map_bytes_initial and doubles on demand up to map_bytes_max.
 * A writer's log_key must be the key the genesis named (else UNKNOWN_LOG_KEY), and the genesis
 * a writer applies must name its log_key.
 * Before a writer's LMDB reads any page of an existing store, a sampled structural check
 * (ledger_check_dir, LEDGER_CHECK_SAMPLED) runs in a child process: a damaged store is refused
 * with CORRUPT, its reason in cfg->open_check->why, never by a crash. no_open_check skips it.
 * Returns 0 and *out, or a negative code (LOCKED, UNKNOWN_LOG_KEY, CORRUPT, STORAGE, -errno). */
int ledger_open(const struct ledger_config *cfg, struct ledger **out);
void ledger_close(struct ledger *ledger);

/* ---------------------------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------------------------- */
struct ledger_submission {
  /* in */
  const uint8_t *envelope; /* canonical envelope bytes (proto_envelope_encode's output) */
  size_t envelope_len;
  bool signatures_verified; /* the caller checked every signature with ledger_verify_envelope */
  /* A version 2 settle's legs blob (proto/FORMAT.md "Settlement legs"), beside the envelope;
   * NULL for every other transaction. Stored apart from the entry when it is accepted. */
  const uint8_t *legs;
  size_t legs_len;
  bool legs_verified; /* the caller checked them against the root with ledger_verify_legs */
  /* out */
  int result;         /* 0 accepted, LEDGER_EXISTS, or the refusal's code */
  uint64_t index;     /* accepted or exists: the entry's index */
  uint64_t withheld;  /* allocate: units withheld against an outstanding deduction */
  uint64_t aux;       /* insufficient_balance, frozen: the available amount;
                       * not_frozen (a version 2 unfreeze): what the order still binds;
                       * insufficient_signatures: signers << 32 | required;
                       * account_exists: which is taken (LEDGER_TAKEN_ID, _USCC, _PROVINCE); else 0 */
  uint8_t leaf_hash[PROTO_HASH_BYTES]; /* accepted: its entry's leaf hash (the daemon signs a
                                        * batch's leaves in its acknowledgement) */
  int32_t leg;        /* a settle refused by one of its legs: that leg's index (from 0); else -1 */
};

/* The most submissions one ledger_apply takes (the daemon's batch_entries_max must not exceed
 * it); more is refused with TOO_LARGE before anything is done. */
#define LEDGER_BATCH_SUBMISSIONS_MAX 65536u

struct ledger_batch_info {
  uint64_t tree_size;   /* after the batch */
  uint64_t accepted;
  uint64_t refused;
  uint64_t exists;
  uint64_t time_ms;     /* the commit time written into the batch's entries */
};

/* Applies n submissions in order in one write transaction stamped with time_ms (commit time of
 * every entry in it; must not go backwards: an earlier time is raised to the last one), commits
 * it durably (one fsync), then signs a checkpoint for the new size. The checkpoint is served at
 * once (ledger_checkpoint_latest) and written by the next batch's transaction or at close.
 * Each submission is decoded, checked for idempotency, authorized and ruled on against the state
 * the submissions before it left; a refused one leaves no effect at all (a settle is all legs or
 * none). When the map is full the whole batch is run again in a doubled map; past map_bytes_max
 * nothing of the batch is kept and MAP_FULL is returned, what was committed before stays intact.
 * Returns 0 once committed (each submission's result tells its fate) or a negative code when
 * nothing was committed: MAP_FULL, STORAGE, CORRUPT (a stored record failed its checks: every
 * later call returns CORRUPT too), READ_ONLY, NO_MEMORY, TOO_LARGE (n above
 * LEDGER_BATCH_SUBMISSIONS_MAX). info may be NULL. Writers only; one
 * thread at a time. Every cfg->invariants_every_batches batches that add entries, the batch ends
 * with ledger_check_invariants before the checkpoint is signed: a failure leaves that batch
 * committed (0 is returned: its results are true) but signs no checkpoint over it and stops
 * writes, so every later call returns CORRUPT. */
int ledger_apply(struct ledger *ledger, struct ledger_submission *subs, size_t n, uint64_t time_ms,
                 struct ledger_batch_info *info);

/* An entry another node of this registry committed: its exact leaf bytes and, for a version 2
 * settle, the legs blob stored beside it (ledger_entry_legs), else NULL and 0. */
struct ledger_entry_in {
  const uint8_t *leaf;
  size_t leaf_len;
  const uint8_t *legs;
  size_t legs_len;
};

/* Called by ledger_apply once a batch that adds entries is whole in its write transaction, just
 * before the commit (its fsync): the entries [from, to), each as the commit stores it (leaf bytes,
 * and legs for a version 2 settle), and the root of size to. The pointers hold until the hook
 * returns. A nonzero return aborts the batch (nothing of it is kept) and ledger_apply returns that
 * code. So a synchronous standby can make a batch durable while this node does (daemon/writer.c):
 * the two fsyncs overlap. Should the commit then fail, the other node holds entries this one does
 * not: the caller must stop writing. The hook must not call into the ledger; it runs on the
 * writer's thread; set it before the first ledger_apply (NULL removes it). A retried batch (the
 * map grown after MAP_FULL) calls it again with the same entries. */
typedef int (*ledger_precommit_fn)(void *ctx, uint64_t from, uint64_t to, const uint8_t root[PROTO_HASH_BYTES],
                                   const struct ledger_entry_in *entries);
void ledger_set_precommit(struct ledger *ledger, ledger_precommit_fn fn, void *ctx);

/* Appends n entries verbatim (a standby following its primary, a restored node catching up):
 * each must carry the next index and a time not before the last, its signatures and legs verify
 * and the rules accept it, leaving the withheld amount it records; the tree's root after them
 * must equal root (what the other node signed for that size). All or nothing, in one write
 * transaction (one fsync); then the checkpoint for the new size is signed, as ledger_apply does.
 * Returns 0, DIVERGED (an entry that this node would not have written so) or INCONSISTENT (another
 * root), with the reason in why; READ_ONLY, CORRUPT, MAP_FULL, STORAGE, NO_MEMORY, TOO_LARGE
 * (n above LEDGER_BATCH_SUBMISSIONS_MAX). Writers only; the writer's thread. */
int ledger_append_entries(struct ledger *ledger, const struct ledger_entry_in *in, size_t n,
                          const uint8_t root[PROTO_HASH_BYTES], char *why, size_t why_cap);

/* ledger_append_entries with the Ed25519 signatures and the legs' hash left to
 * ledger_verify_entries: everything else runs as there (index, time, decoding, keys known and not
 * revoked, roles and thresholds, every rule and balance, the withheld amount, the root before the
 * commit), with the same codes; the batch leaves the verified size (ledger_verified_size) where
 * it was and persists it in the same transaction (meta "verified_size", docs/STORAGE.md), and
 * signs no checkpoint (ledger_sign_verified does, once they are verified). While
 * the ledger has no genesis the batch is verified inline all the same (the genesis is signed by
 * the log key, which no keys database holds), and signs no checkpoint either. A standby uses it to confirm a batch as soon as it
 * is durable and its root checked. Writers only; the writer's thread. */
int ledger_append_entries_deferred(struct ledger *ledger, const struct ledger_entry_in *in, size_t n,
                                   const uint8_t root[PROTO_HASH_BYTES], char *why, size_t why_cap);

/* Entries one ledger_verify_entries call reads at most (a caller verifies in chunks). */
#define LEDGER_VERIFY_ENTRIES_MAX 65536u

/* Reads the committed entries [from, to) back and verifies each one's signatures
 * (ledger_verify_envelope, against committed keys; the genesis against this log's key) and legs
 * (ledger_verify_legs over ledger_entry_legs). On success, when [0, from) was verified already,
 * the verified size moves to to. Returns 0; DIVERGED with *bad_index the first failing entry and
 * "entry N: <code name>" in why (bad_signature, unknown_key, legs_root_mismatch ...); a fault of
 * the machine (STORAGE, CORRUPT, NO_MEMORY) as itself, judging nothing; BAD_ARGUMENT (to past the
 * tree, from > to), TOO_LARGE (more than LEDGER_VERIFY_ENTRIES_MAX). Read transactions only:
 * thread-safe beside the writer. */
int ledger_verify_entries(struct ledger *ledger, uint64_t from, uint64_t to, uint64_t *bad_index,
                          char *why, size_t why_cap);

/* ledger_sign_at of the verified size, or of size_max when that is smaller: a deferred append
 * signs none, so that the log key never signs a tree whose entries were not all verified (and a
 * standby passes the largest size its primary signed a checkpoint for, so that it never signs a
 * tree its primary did not). *signed_now tells whether it signed. 0, or CORRUPT, CRYPTO, STORAGE.
 * Writers only; any one thread beside the writer's. */
int ledger_sign_verified(struct ledger *ledger, uint64_t size_max, bool *signed_now);

/* Entries [0, size) have had their signatures and legs verified: the tree size, but after a
 * deferred append the size ledger_verify_entries reached (at open: meta "verified_size", or the
 * tree size when the store has no such key). Thread-safe. */
uint64_t ledger_verified_size(struct ledger *ledger);

/* Signs (and keeps for the next commit to persist) the checkpoint of the committed tree size
 * size, unless one of that size or larger is held already: 0, or CORRUPT (an invariant broke:
 * nothing more is signed), CRYPTO, STORAGE. Writers only; any one thread beside the writer's
 * ledger_apply (the daemon's fence thread signs each batch once the standby confirmed it). */
int ledger_sign_at(struct ledger *ledger, uint64_t size);

/* The operating-system error (errno: EIO from a failed fsync, ENOSPC, EACCES...) behind the last
 * STORAGE this thread got from the ledger, or 0 when LMDB itself failed. ledger_storage_message
 * is STORAGE's message with that cause appended ("...: No space left on device"; the message
 * alone for 0); ledger_err_message is proto_err_message, but for STORAGE the message of this
 * thread's last cause. The text lives in thread-local storage until the thread's next call. */
int ledger_storage_errno(void);
const char *ledger_storage_message(int os_errno);
const char *ledger_err_message(int err);

/* Verifies every signature of an envelope against the keys registered in the committed state
 * (or the genesis's log key when the log is empty), over the signing message of this registry's
 * origin. Thread-safe (any number of threads, beside the writer); keeps an EVP key per key hash.
 * Returns 0, a decode error, UNKNOWN_KEY or BAD_SIGNATURE. It checks signatures only: whether a
 * key is revoked, holds the role and meets the threshold is ledger_apply's business, which checks
 * it for pre-verified envelopes too. A key registered by a batch not yet committed is usually
 * UNKNOWN_KEY here (0 if the writer already verified with it): submit envelopes that depend on
 * such a key with signatures_verified = false. */
int ledger_verify_envelope(struct ledger *ledger, const uint8_t *envelope, size_t len);

/* Checks the legs beside an envelope: a version 2 settle needs them (LEGS_MISSING), any other
 * transaction must come without (LEGS_UNEXPECTED); they decode (proto_legs_decode's codes),
 * number legs_count (LEGS_COUNT) and hash to legs_root (LEGS_ROOT). Stateless and thread-safe:
 * run it beside the writer (the daemon does, on its verification threads) and set legs_verified,
 * so that the writer does not hash them again. Returns 0, a decode error or one of those. */
int ledger_verify_legs(const uint8_t *envelope, size_t len, const uint8_t *legs, size_t legs_len);

/* ---------------------------------------------------------------------------------------------
 * Reading (each call: its own read transaction; results copied to the caller)
 * ------------------------------------------------------------------------------------------- */
/* The registry origin ("" before genesis) and the log public key. */
const char *ledger_origin(const struct ledger *ledger);
int ledger_log_public_key(const struct ledger *ledger, uint8_t out[PROTO_PUBKEY_BYTES]);
uint64_t ledger_tree_size(struct ledger *ledger);

/* Root hash of the tree at size (<= tree size). */
int ledger_root(struct ledger *ledger, uint64_t size, uint8_t out[PROTO_HASH_BYTES]);
/* The hash of the complete subtree over leaves [start, end) (tlog_subtree's ranges): with them a
 * tool extends this tree in memory (quotactl catch-up checks roots before appending). */
int ledger_subtree(struct ledger *ledger, uint64_t start, uint64_t end, uint8_t out[PROTO_HASH_BYTES]);
/* Proofs; *n receives the number of hashes. Errors: BAD_ARGUMENT for out-of-range sizes. */
int ledger_proof_inclusion(struct ledger *ledger, uint64_t index, uint64_t size,
                           uint8_t out[][PROTO_HASH_BYTES], size_t *n);
int ledger_proof_consistency(struct ledger *ledger, uint64_t first, uint64_t second,
                             uint8_t out[][PROTO_HASH_BYTES], size_t *n);
/* Nodes (level, first .. first + count - 1) of the tree (level 0: leaf hashes), in one read
 * transaction: the hashes of a C2SP tile. BAD_ARGUMENT unless they all exist at the current size,
 * CORRUPT, STORAGE. */
int ledger_nodes(struct ledger *ledger, unsigned level, uint64_t first, size_t count,
                 uint8_t out[][PROTO_HASH_BYTES]);
/* The latest signed checkpoint text (NUL-terminated), from memory; returns its length, NOT_FOUND
 * before the first entry, or FIELD_TOO_LONG when cap is small (TLOG_CHECKPOINT_BYTES_MAX
 * always suffices). Thread-safe. */
long ledger_checkpoint_latest(struct ledger *ledger, char *out, size_t cap);

/* The exact leaf data of entry index into out; returns its length, NOT_FOUND, CORRUPT (the entry
 * or its sibling no longer hashes to the stored tree node over the pair: a changed byte on disk),
 * or FIELD_TOO_LONG when cap is small (PROTO_ENTRY_BYTES_MAX always suffices). */
long ledger_entry_get(struct ledger *ledger, uint64_t index, uint8_t *out, size_t cap);
/* The legs blob stored beside entry index (a version 2 settle), exactly as submitted; returns its
 * length, NOT_FOUND for an entry without legs (or past the tree), CORRUPT when the stored legs
 * no longer hash to the entry's legs_root (checked on every read), FIELD_TOO_LONG when cap is
 * small (PROTO_LEGS_BYTES_MAX always suffices). A standby stream or an export carries these
 * bytes beside the entry's. */
long ledger_entry_legs(struct ledger *ledger, uint64_t index, uint8_t *out, size_t cap);
/* The index of the entry holding transaction id; NOT_FOUND. */
int ledger_tx_lookup(struct ledger *ledger, const uint8_t id[PROTO_ID_BYTES], uint64_t *index);

struct ledger_account {
  uint64_t id;
  uint8_t kind, province, sector, threshold;
  bool closed;
  bool at_risk; /* enterprises: set by an at_risk entry (operators or its authority) */
  proto_uscc_t uscc;
  proto_name_t name;
  uint64_t opened_index; /* entry that opened it */
  uint64_t deduction_outstanding; /* tonnes still to withhold from allocations */
};

/* By id; by USCC; by province ("CN-44" form is parsed by the caller). NOT_FOUND. */
int ledger_account_get(struct ledger *ledger, uint64_t id, struct ledger_account *out);
int ledger_account_by_uscc(struct ledger *ledger, const char *uscc, struct ledger_account *out);
int ledger_account_by_province(struct ledger *ledger, unsigned province, struct ledger_account *out);
/* Accounts with id > after, filtered by kind (0 any) and province (0 any), in id order; at most
 * cap into out. Returns the number written or a negative code. */
long ledger_accounts_list(struct ledger *ledger, uint64_t after, unsigned kind, unsigned province,
                          struct ledger_account *out, size_t cap);

struct ledger_balance {
  proto_instrument_t instrument;
  uint64_t registry; /* registry position, frozen units included */
  uint64_t trading;  /* trading position */
  uint64_t frozen;   /* part of registry that is frozen */
};
/* Holdings of an account, one row per instrument with a non-zero position, in code order; at
 * most cap rows. Returns the number written or a negative code (CORRUPT). available =
 * registry - frozen is what may leave the registry position. */
long ledger_balances(struct ledger *ledger, uint64_t account, struct ledger_balance *out, size_t cap);

/* A freeze order (freeze version 2, docs/RULES.md "Freeze orders"): id is the freeze entry's
 * transaction id. It binds quantity - lifted units of the positions it covers while in force:
 * not fully lifted and (expiry_ms 0 or the commit time of the entry being applied before
 * expiry_ms). */
struct ledger_freeze_order {
  uint8_t id[PROTO_ID_BYTES];
  uint64_t account;
  proto_instrument_t instrument;
  uint8_t positions; /* enum proto_cover */
  uint64_t quantity, lifted;
  uint64_t expiry_ms; /* 0: until lifted */
  uint64_t index;     /* the freeze entry */
  proto_ref_t legal_ref;
};
/* The freeze orders of an account (lifted and expired ones too) whose id is greater than after
 * (NULL: from the first), in id order, at most cap into out: a page. Returns the number written
 * or a negative code (CORRUPT). To page, pass the id of the last order of the previous page. */
long ledger_freeze_orders(struct ledger *ledger, uint64_t account, const uint8_t *after,
                          struct ledger_freeze_order *out, size_t cap);
/* Whether an order binds at time now_ms (unix ms): not lifted in full and not expired. */
bool ledger_freeze_order_in_force(const struct ledger_freeze_order *o, uint64_t now_ms);

/* Indices of the entries touching an account (its own changes, both sides of movements, every
 * account of a settle), ascending, starting at index >= start (0: from the first); at most cap
 * into out. Returns the number written (0 when there are no more) or a negative code. To page
 * with "after = N", pass start = N + 1. */
long ledger_account_history(struct ledger *ledger, uint64_t account, uint64_t start,
                            uint64_t *out, size_t cap);

struct ledger_instrument {
  proto_instrument_t code;
  uint8_t kind;
  uint16_t vintage, first_year, last_year;
  uint64_t cap, issued, surrendered, cancelled, carried_over;
};
/* Every instrument in code order (at most cap); issued = holdings + surrendered + cancelled +
 * carried_over always. Returns the number written or a negative code. */
long ledger_instruments(struct ledger *ledger, struct ledger_instrument *out, size_t cap);

/* Allocation tables (proto/FORMAT.md "Allocation tables"). */
enum ledger_table_status {
  LEDGER_TABLE_OPEN = 1,      /* rows still arriving; nothing may cite it */
  LEDGER_TABLE_COMPLETE = 2,  /* checked and fixed: allocations cite its rows */
  LEDGER_TABLE_ABANDONED = 3, /* given up before completion */
};
struct ledger_table {
  uint64_t id;
  uint8_t status, phase, sector, bp_kind; /* ledger_table_status, proto_table_phase, ... */
  uint16_t vintage;
  uint64_t rows_count, rows_received;
  uint64_t header_index; /* the entry of its header (the scheme text is there) */
  proto_instrument_t instrument;
  uint8_t hash[PROTO_HASH_BYTES];      /* running rows hash of the rows received */
  uint8_t rows_hash[PROTO_HASH_BYTES]; /* what the header committed to */
  char bp[PROTO_BP_BYTES_MAX + 1];
};
/* One table (NOT_FOUND); tables with id > after in id order, at most cap (returns the count or a
 * negative code); one row of a table with its version (1 first, +1 per re-determination) and
 * the entry that published that version (NOT_FOUND). */
int ledger_table_get(struct ledger *ledger, uint64_t id, struct ledger_table *out);
long ledger_tables_list(struct ledger *ledger, uint64_t after, struct ledger_table *out, size_t cap);
int ledger_table_row(struct ledger *ledger, uint64_t table, uint64_t row,
                     struct proto_alloc_row *out, uint16_t *version, uint64_t *index);

struct ledger_key {
  uint8_t hash[PROTO_HASH_BYTES];
  uint8_t public_key[PROTO_PUBKEY_BYTES];
  uint8_t role;
  uint64_t scope;
  proto_name_t name;
  bool revoked;
  uint64_t registered_index, revoked_index;
};
/* A key by its hash (SHA-256 of the raw public key): 0 or NOT_FOUND. Revoked keys stay listed. */
int ledger_key_get(struct ledger *ledger, const uint8_t hash[PROTO_HASH_BYTES], struct ledger_key *out);
/* Keys in hash order whose hash is greater than after (NULL: from the first), at most cap into
 * out: a page. Returns the number written (fewer than cap only at the end) or a negative code.
 * To page, pass the hash of the last key of the previous page. */
long ledger_keys(struct ledger *ledger, const uint8_t after[PROTO_HASH_BYTES],
                 struct ledger_key *out, size_t cap);

enum ledger_compliance_status {
  LEDGER_COMPLIANT = 1,
  LEDGER_SHORT = 2,          /* before the deadline, not yet enough */
  LEDGER_COMPLIANT_LATE = 3, /* completed after the deadline */
  LEDGER_OVERDUE = 4,        /* after the deadline, still short */
};
const char *ledger_compliance_status_name(unsigned status);

struct ledger_compliance {
  uint64_t account;
  uint64_t emissions;        /* latest verified emissions: the obligation */
  uint64_t surrendered_cea;
  uint64_t surrendered_ccer; /* all CCER surrendered for the year */
  uint64_t counted;          /* CEA + CCER counted (CCER up to 5% of the obligation) */
  uint64_t shortfall;        /* obligation - counted, or 0 */
  uint64_t completed_ms;     /* commit time of the entry that completed it; 0 while not complete */
  uint16_t year;
  uint8_t status;            /* enum ledger_compliance_status */
  bool corrected;            /* the obligation changed after the deadline */
  uint64_t own_deadline_ms;  /* the enterprise's own deadline (a late raise); 0 none */
};
struct ledger_year {
  uint16_t year;
  uint64_t deadline_ms;
};
/* An opened compliance year and its current (possibly extended) deadline: 0 or NOT_FOUND. */
int ledger_year_get(struct ledger *ledger, unsigned year, struct ledger_year *out);
/* Compliance of every enterprise with verified emissions for year, in account order, evaluated at
 * now_ms. Accounts with id > after; at most cap. Returns the number written or a negative code.
 * Status: at or before the deadline, compliant (counted >= obligation) or short; after it,
 * compliant (completed at or before the deadline), compliant_late, or overdue. A year with
 * emissions but no compliance_year entry has no deadline yet (compliant or short). A
 * re-determination that raises the obligation reopens the record (completed_ms back to 0). */
long ledger_compliance(struct ledger *ledger, unsigned year, uint64_t now_ms, uint64_t after,
                       struct ledger_compliance *out, size_t cap);
/* One enterprise's compliance for year (as above): 0 or NOT_FOUND (no verified emissions). */
int ledger_compliance_get(struct ledger *ledger, uint64_t account, unsigned year, uint64_t now_ms,
                          struct ledger_compliance *out);

/* Checks the invariants over the committed state: for every instrument issued = all holdings +
 * surrendered + cancelled + carried over, no negative or overflowing balance, the stored tree
 * matches the entries' leaf hashes at the current size. Returns 0 or CORRUPT (with a message in
 * why when not NULL). */
int ledger_check_invariants(struct ledger *ledger, char *why, size_t why_cap);

/* ---------------------------------------------------------------------------------------------
 * Checking the store's structure
 *
 * LMDB trusts its pages: a damaged page header can make it assert or fault inside a read. So the
 * structural walk runs in a child process (fork), where a crash reads as CORRUPT. The full walk
 * reads every record of every database (LMDB's free list included): each decodes (records.c's
 * layouts), entries are exactly 0..n-1 and decode, every stored Merkle node equals the hash of
 * its children rebuilt from the entries, every stored checkpoint verifies with the log key and
 * names the stored root of its size, the databases' counts fit the tree size, and the invariants
 * hold (ledger_check_invariants). The sampled walk, the one ledger_open runs, checks the counts,
 * the first and last record of every database and LEDGER_CHECK_SAMPLE_PROBES records found
 * from random keys (each a path from root to leaf), LEDGER_CHECK_SAMPLE_ENTRIES random entries
 * with their level-1 nodes, and the latest checkpoint; a store of at most
 * LEDGER_CHECK_FULL_PAGES_MAX pages is walked in full instead (docs/BENCHMARKS.md: the cost).
 * ------------------------------------------------------------------------------------------- */
#define LEDGER_CHECK_SAMPLE_PROBES 16u
#define LEDGER_CHECK_SAMPLE_ENTRIES 64u
#define LEDGER_CHECK_FULL_PAGES_MAX 16384u   /* 64 MiB of 4 KiB pages */
#define LEDGER_CHECK_OPEN_SECONDS_MAX 60u    /* the open check's time limit */

enum ledger_check_depth { LEDGER_CHECK_SAMPLED = 0, LEDGER_CHECK_FULL = 1 };

struct ledger_check_progress {
  const char *db;       /* the database being walked ("entries", "balances", ...) */
  uint64_t done, total; /* its records walked so far, its record count */
};

struct ledger_check_options {
  enum ledger_check_depth depth;
  unsigned seconds_max; /* 0: no limit; past it the child is killed and the store is CORRUPT */
  /* Called in the child about twice a second while it walks (may be NULL). */
  void (*progress)(void *arg, const struct ledger_check_progress *p);
  void *progress_arg;
  int *child_pid; /* may be NULL: holds the child's pid while it runs (__atomic), else 0 */
  /* NULL: the forked child walks at once (the caller must have no other thread that could hold a
   * lock at the fork: malloc's are safe, OpenSSL's are not). Else the child execs this program
   * with LEDGER_CHECK_CHILD_FLAG DIR full|sampled, which must call ledger_check_child_main
   * (quotad does: its periodic check runs beside its threads). progress is then not called. */
  const char *exec_path;
};

struct ledger_check_report {
  int result;            /* 0, CORRUPT, or the code that kept the check from running */
  int signal;            /* the signal that ended the child (a crash on a damaged page), or 0 */
  bool full;             /* every record was walked */
  uint64_t tree_size, pages; /* the store's: entries, pages in use */
  uint64_t records;      /* records walked or sampled, all databases */
  uint64_t nodes;        /* Merkle nodes compared with a rebuild */
  uint64_t checkpoints;  /* checkpoints verified */
  double seconds;        /* wall time, fork to verdict */
  char why[256];         /* what failed ("balances: record 12 does not decode") */
};

/* Checks the ledger in dir from a forked child that opens it read-only (beside a running writer:
 * the walk sees one committed snapshot). Fills *report and returns its result: 0, CORRUPT (the
 * walk found damage, or the child died or ran past seconds_max), or -errno when it could not
 * fork. Blocks until the child is done; safe from any thread. */
int ledger_check_dir(const char *dir, const struct ledger_check_options *opt,
                     struct ledger_check_report *report);

/* The exec'd child's side: walks dir ("full" or "sampled") and writes the report to
 * LEDGER_CHECK_CHILD_FD. Returns the exit status for main. */
#define LEDGER_CHECK_CHILD_FLAG "--ledger-check-child"
#define LEDGER_CHECK_CHILD_FD 3
int ledger_check_child_main(const char *dir, const char *depth);

/* After a check found the store damaged: every later read and write of this handle returns
 * CORRUPT without touching LMDB. Thread-safe. */
void ledger_set_damaged(struct ledger *ledger);

/* Copies the environment to dir, created if missing (LMDB's consistent hot copy, compacting;
 * the writer may keep writing). The copy opens as a ledger of its own. */
int ledger_backup(struct ledger *ledger, const char *dir);

/* Storage statistics for benchmarks and metrics. */
struct ledger_stats {
  uint64_t map_bytes;      /* current map size */
  uint64_t used_bytes;     /* pages in use * page size */
  uint64_t entries;
  uint64_t map_bytes_max;  /* the ceiling: writes fail with MAP_FULL once used reaches it */
};
int ledger_stats(struct ledger *ledger, struct ledger_stats *out);

#endif /* QUOTAD_LEDGER_H */
