/* audit_log: verifies a whole log fed in chunks of leaves (from an export file or API pages):
 * keeps every leaf hash for the Merkle roots, verifies the Ed25519 signatures of a chunk on
 * several threads, then replays the chunk's leaves in order (audit_replay). */
#ifndef QUOTAD_TOOLS_AUDIT_LOG_H
#define QUOTAD_TOOLS_AUDIT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"
#include "tools/common/audit_replay.h"

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

/* The root over the first size leaves fed (size <= audit_log_size); BAD_ARGUMENT past it. */
int audit_log_root(const struct audit_log *log, uint64_t size, uint8_t out[PROTO_HASH_BYTES]);
/* The hash of leaf index (< audit_log_size). */
int audit_log_leaf_hash(const struct audit_log *log, uint64_t index, uint8_t out[PROTO_HASH_BYTES]);
uint64_t audit_log_size(const struct audit_log *log);

/* Checks the signed checkpoint against what was fed: the checkpoint's origin is the genesis's,
 * its size the number of leaves fed, its root the recomputed root. The note's signature must
 * already have been verified (ledger_checkpoint_verify). Returns 0 or BAD_CHECKPOINT /
 * INCONSISTENT with *fail (index UINT64_MAX). */
int audit_log_check_checkpoint(const struct audit_log *log, const struct ledger_checkpoint *cp,
                               struct audit_failure *fail);

/* The replay (for the end state and the reported-state comparison). Owned by log. */
struct audit_replay *audit_log_replay(struct audit_log *log);

#endif /* QUOTAD_TOOLS_AUDIT_LOG_H */
