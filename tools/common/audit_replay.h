/* audit_replay: quota-audit's own, independent implementation of the registry's rules. It replays
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
 */
#ifndef QUOTAD_TOOLS_AUDIT_REPLAY_H
#define QUOTAD_TOOLS_AUDIT_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

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

/* Checks and applies one decoded transaction as entry `index` (must equal the number replayed so
 * far) committed at time_ms, with the entry's recorded `withheld`, signed by signers[0..n).
 * Authorization: every signer must be registered by an earlier entry (the genesis: the log key
 * or one of its operator keys), its signature valid, the key not revoked; then the type's role,
 * scope and threshold. Then the rules of DOMAIN.md. Returns 0 or a code; *fail on failure. */
int audit_replay_tx(struct audit_replay *r, const struct proto_tx *tx, uint64_t index,
                    uint64_t time_ms, uint64_t withheld, const struct audit_signer *signers,
                    size_t n, struct audit_failure *fail);

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

#endif /* QUOTAD_TOOLS_AUDIT_REPLAY_H */
