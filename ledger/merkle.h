/* ledger internal: the RFC 6962 / RFC 9162 Merkle tree over a store of complete subtree hashes,
 * so that one algorithm runs over LMDB (the ledger's store) and over memory (tests, benchmarks).
 *
 * Node scheme
 * -----------
 * A node (level, index) is the hash of the complete subtree of 2^level leaves that covers leaves
 * [index << level, (index + 1) << level). Level 0 holds the leaf hashes (SHA-256(0x00 || entry));
 * level l + 1 index i is SHA-256(0x01 || (l, 2i) || (l, 2i + 1)). A node is stored once the
 * leaf that completes it is appended and never changes after: the store only grows. A tree of n
 * leaves holds exactly sum over l of floor(n / 2^l) nodes (under 2n).
 *
 * Levels run 0..63 and index < 2^(64 - level); trees hold at most 2^63 leaves (MERKLE_SIZE_MAX).
 * An LMDB adapter keys a node by 9 bytes: the level byte, then the index as a big-endian u64
 * (merkle_node_key). Keys sort by level, then index, and within a level nodes are created in
 * index order, so the b-tree grows at the end of each level's key range.
 *
 * Roots and proofs of any size <= the stored size are computed from stored nodes only (the root of
 * a size that is not a power of two is a fold of its O(log n) complete subtrees), so each call
 * does O(log n) gets and no puts. The functions keep no state: the caller passes the size.
 *
 * Callbacks return 0 or a negative proto code (e.g. NOT_FOUND, CORRUPT, STORAGE); any such code
 * is returned as is by the function that called it, which then stops. Nothing here allocates.
 */
#ifndef QUOTAD_LEDGER_MERKLE_H
#define QUOTAD_LEDGER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/ledger.h"

#define MERKLE_SIZE_MAX (UINT64_C(1) << 63)
#define MERKLE_LEVELS 64u
#define MERKLE_NODE_KEY_BYTES 9u

struct merkle_store {
  void *ctx;
  /* Reads node (level, index) into out. Returns 0, NOT_FOUND when it is not stored, or another
   * negative code. */
  int (*get)(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]);
  /* Stores node (level, index). Returns 0 or a negative code. */
  int (*put)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[PROTO_HASH_BYTES]);
};

/* The 9-byte store key of a node: level, then index big-endian. */
void merkle_node_key(unsigned level, uint64_t index, uint8_t key[MERKLE_NODE_KEY_BYTES]);
/* The reverse; returns 0, or CORRUPT when level > 63 or the index is out of range for it. */
int merkle_node_key_parse(const uint8_t key[MERKLE_NODE_KEY_BYTES], unsigned *level,
                          uint64_t *index);

/* Grows a tree of `size` leaves (all stored) to size + 1 with the leaf hash leaf_hash: stores
 * (0, size) and every subtree that leaf completes, that is one node per trailing 1 bit of size.
 * Does all its gets before its first put, so a failed get leaves the store as it was; a failed
 * put may leave some of the new nodes stored (run it inside a transaction that is then aborted).
 * Errors: BAD_ARGUMENT when size >= MERKLE_SIZE_MAX, or a callback's code. */
int merkle_append(const struct merkle_store *s, uint64_t size,
                  const uint8_t leaf_hash[PROTO_HASH_BYTES]);

/* The root of the tree of `size` leaves (size <= stored size; SHA-256("") for 0).
 * Errors: BAD_ARGUMENT when size > MERKLE_SIZE_MAX, or get's code (NOT_FOUND past the store). */
int merkle_root(const struct merkle_store *s, uint64_t size, uint8_t out[PROTO_HASH_BYTES]);

/* MTH of leaves [start, end) as RFC 9162 defines it for that list of leaves. Only ranges whose
 * nodes exist in the stored tree are allowed: start < end <= MERKLE_SIZE_MAX and end - start <=
 * the largest power of two dividing start (any length when start is 0). Every subtree an RFC 9162
 * root, PATH or PROOF needs is such a range. At most 64 gets.
 * Errors: BAD_ARGUMENT for any other range, or get's code. */
int merkle_subtree(const struct merkle_store *s, uint64_t start, uint64_t end,
                   uint8_t out[PROTO_HASH_BYTES]);

/* The inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1, hashes ordered from the
 * leaf's sibling up to the root's child. out must hold LEDGER_PROOF_HASHES_MAX hashes; *n
 * receives the count (at most 63). Errors: BAD_ARGUMENT unless index < size <= MERKLE_SIZE_MAX,
 * or get's code. */
int merkle_inclusion(const struct merkle_store *s, uint64_t index, uint64_t size,
                     uint8_t out[][PROTO_HASH_BYTES], size_t *n);

/* The consistency proof PROOF(first, D[second]) of RFC 9162 section 2.1.4.1 (SUBPROOF order:
 * deepest hash first). Empty when first is 0 or equals second. out must hold
 * LEDGER_PROOF_HASHES_MAX hashes; *n receives the count (at most 64).
 * Errors: BAD_ARGUMENT unless first <= second <= MERKLE_SIZE_MAX, or get's code. */
int merkle_consistency(const struct merkle_store *s, uint64_t first, uint64_t second,
                       uint8_t out[][PROTO_HASH_BYTES], size_t *n);

#endif /* QUOTAD_LEDGER_MERKLE_H */
