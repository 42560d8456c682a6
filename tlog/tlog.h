/* tlog: the transparency-log library. RFC 6962 / RFC 9162 Merkle hashing and proofs (over memory
 * and over a store of complete subtree hashes, so that one algorithm runs over LMDB, the ledger's
 * store, and over memory: tools, tests, benchmarks), and C2SP signed notes: tlog-checkpoint
 * bodies, Ed25519 signatures and the signed-note verifier key format. It uses proto (hashes,
 * Ed25519, base64, the error table) and nothing else: quota-audit, the witness and quotactl use
 * it without the ledger.
 *
 * Tree over a store: the RFC 6962 / RFC 9162 Merkle tree over a store of complete subtree hashes.
 *
 * Node scheme
 * -----------
 * A node (level, index) is the hash of the complete subtree of 2^level leaves that covers leaves
 * [index << level, (index + 1) << level). Level 0 holds the leaf hashes (SHA-256(0x00 || entry));
 * level l + 1 index i is SHA-256(0x01 || (l, 2i) || (l, 2i + 1)). A node is stored once the
 * leaf that completes it is appended and never changes after: the store only grows. A tree of n
 * leaves holds exactly sum over l of floor(n / 2^l) nodes (under 2n).
 *
 * Levels run 0..63 and index < 2^(64 - level); trees hold at most 2^63 leaves (TLOG_SIZE_MAX).
 * An LMDB adapter keys a node by 9 bytes: the level byte, then the index as a big-endian u64
 * (tlog_node_key). Keys sort by level, then index, and within a level nodes are created in
 * index order, so the b-tree grows at the end of each level's key range.
 *
 * Roots and proofs of any size <= the stored size are computed from stored nodes only (the root of
 * a size that is not a power of two is a fold of its O(log n) complete subtrees), so each call
 * does O(log n) gets and no puts. The functions keep no state: the caller passes the size.
 *
 * Callbacks return 0 or a negative proto code (e.g. NOT_FOUND, CORRUPT, STORAGE); any such code
 * is returned as is by the function that called it, which then stops. Nothing here allocates.
 */
#ifndef QUOTAD_TLOG_H
#define QUOTAD_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

/* ---------------------------------------------------------------------------------------------
 * Merkle hashing and proof verification (RFC 6962 / RFC 9162 section 2.1). Pure functions.
 * ------------------------------------------------------------------------------------------- */
#define TLOG_PROOF_HASHES_MAX 64u

/* SHA-256(0x00 || data) */
void tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[PROTO_HASH_BYTES]);
/* SHA-256(0x01 || left || right) */
void tlog_node_hash(const uint8_t left[PROTO_HASH_BYTES], const uint8_t right[PROTO_HASH_BYTES],
                      uint8_t out[PROTO_HASH_BYTES]);
/* The root of the tree over n leaf hashes held in memory (for tools and tests). For n = 0 it is
 * SHA-256 of the empty string. */
void tlog_root_of(const uint8_t (*leaf_hashes)[PROTO_HASH_BYTES], uint64_t n,
                    uint8_t out[PROTO_HASH_BYTES]);
/* 0 when proof shows the leaf with hash leaf_hash at index is in the tree of size with root;
 * BAD_PROOF otherwise (including index >= size). */
int tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[PROTO_HASH_BYTES],
                            const uint8_t (*proof)[PROTO_HASH_BYTES], size_t proof_len,
                            const uint8_t root[PROTO_HASH_BYTES]);
/* 0 when proof shows the tree of size first with root1 is a prefix of the tree of size second
 * with root2; BAD_PROOF otherwise. first = second needs an empty proof and equal roots; first = 0
 * is consistent with anything (empty proof; root1 must be the empty tree's, SHA-256 of ""). */
int tlog_verify_consistency(uint64_t first, uint64_t second, const uint8_t root1[PROTO_HASH_BYTES],
                              const uint8_t root2[PROTO_HASH_BYTES],
                              const uint8_t (*proof)[PROTO_HASH_BYTES], size_t proof_len);

/* ---------------------------------------------------------------------------------------------
 * Checkpoints: C2SP tlog-checkpoint in a C2SP signed note, Ed25519.
 * ------------------------------------------------------------------------------------------- */
#define TLOG_CHECKPOINT_BYTES_MAX 1024u
#define TLOG_VERIFIER_KEY_BYTES_MAX 256u

struct tlog_checkpoint {
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint64_t size;
  uint8_t root[PROTO_HASH_BYTES];
};

/* The signed-note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key),
 * as a big-endian integer. */
uint32_t tlog_note_key_id(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES]);
/* "<name>+<8 hex key id>+<base64(0x01 || public key)>", NUL-terminated. Returns its length,
 * FIELD_TOO_LONG, or BAD_ARGUMENT for a name that is not 1-128 printable ASCII without space or
 * '+'. */
long tlog_verifier_key(const char *key_name, const uint8_t pub[PROTO_PUBKEY_BYTES], char *out,
                         size_t cap);
/* Parses a verifier key string (strict: lowercase hex id that matches the key, algorithm 0x01,
 * canonical base64). Returns 0 or BAD_KEY; name receives the key name (FIELD_TOO_LONG when
 * name_cap is too small). */
int tlog_verifier_key_parse(const char *text, char *name, size_t name_cap,
                              uint8_t pub[PROTO_PUBKEY_BYTES]);
/* Signs cp with key under key_name (the key name is the origin in quotad's logs), writing the
 * whole signed note to out (NUL-terminated). Returns its length or a negative code: BAD_ORIGIN
 * (origin not 1-128 printable ASCII without space), BAD_ARGUMENT (key name), BAD_KEY (public-only
 * key), FIELD_TOO_LONG. */
long tlog_checkpoint_sign(const struct tlog_checkpoint *cp, const char *key_name,
                            const struct proto_key *key, char *out, size_t cap);
/* Parses a signed note and verifies that it carries a valid signature by (key_name, pub);
 * signatures by other keys are ignored (at most 100 signature lines). Extension lines after the
 * root line are accepted (they are signed) but not returned. Returns 0, BAD_CHECKPOINT
 * (malformed), BAD_SIGNATURE (no valid signature by that key, or a line by that key that does
 * not verify) or BAD_KEY (pub unusable). out (may be NULL) is written only on success. */
int tlog_checkpoint_verify(const char *text, size_t len, const char *key_name,
                             const uint8_t pub[PROTO_PUBKEY_BYTES], struct tlog_checkpoint *out);

/* ---------------------------------------------------------------------------------------------
 * The tree over a store of complete subtree hashes (tree.c)
 * ------------------------------------------------------------------------------------------- */



#define TLOG_SIZE_MAX (UINT64_C(1) << 63)
#define TLOG_LEVELS 64u
#define TLOG_NODE_KEY_BYTES 9u

struct tlog_store {
  void *ctx;
  /* Reads node (level, index) into out. Returns 0, NOT_FOUND when it is not stored, or another
   * negative code. */
  int (*get)(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]);
  /* Stores node (level, index). Returns 0 or a negative code. */
  int (*put)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[PROTO_HASH_BYTES]);
};

/* The 9-byte store key of a node: level, then index big-endian. */
void tlog_node_key(unsigned level, uint64_t index, uint8_t key[TLOG_NODE_KEY_BYTES]);
/* The reverse; returns 0, or CORRUPT when level > 63 or the index is out of range for it. */
int tlog_node_key_parse(const uint8_t key[TLOG_NODE_KEY_BYTES], unsigned *level,
                          uint64_t *index);

/* Grows a tree of `size` leaves (all stored) to size + 1 with the leaf hash leaf_hash: stores
 * (0, size) and every subtree that leaf completes, that is one node per trailing 1 bit of size.
 * Does all its gets before its first put, so a failed get leaves the store as it was; a failed
 * put may leave some of the new nodes stored (run it inside a transaction that is then aborted).
 * Errors: BAD_ARGUMENT when size >= TLOG_SIZE_MAX, or a callback's code. */
int tlog_append(const struct tlog_store *s, uint64_t size,
                  const uint8_t leaf_hash[PROTO_HASH_BYTES]);

/* The root of the tree of `size` leaves (size <= stored size; SHA-256("") for 0).
 * Errors: BAD_ARGUMENT when size > TLOG_SIZE_MAX, or get's code (NOT_FOUND past the store). */
int tlog_root(const struct tlog_store *s, uint64_t size, uint8_t out[PROTO_HASH_BYTES]);

/* MTH of leaves [start, end) as RFC 9162 defines it for that list of leaves. Only ranges whose
 * nodes exist in the stored tree are allowed: start < end <= TLOG_SIZE_MAX and end - start <=
 * the largest power of two dividing start (any length when start is 0). Every subtree an RFC 9162
 * root, PATH or PROOF needs is such a range. At most 64 gets.
 * Errors: BAD_ARGUMENT for any other range, or get's code. */
int tlog_subtree(const struct tlog_store *s, uint64_t start, uint64_t end,
                   uint8_t out[PROTO_HASH_BYTES]);

/* The inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1, hashes ordered from the
 * leaf's sibling up to the root's child. out must hold TLOG_PROOF_HASHES_MAX hashes; *n
 * receives the count (at most 63). Errors: BAD_ARGUMENT unless index < size <= TLOG_SIZE_MAX,
 * or get's code. */
int tlog_inclusion(const struct tlog_store *s, uint64_t index, uint64_t size,
                     uint8_t out[][PROTO_HASH_BYTES], size_t *n);

/* The consistency proof PROOF(first, D[second]) of RFC 9162 section 2.1.4.1 (SUBPROOF order:
 * deepest hash first). Empty when first is 0 or equals second. out must hold
 * TLOG_PROOF_HASHES_MAX hashes; *n receives the count (at most 64).
 * Errors: BAD_ARGUMENT unless first <= second <= TLOG_SIZE_MAX, or get's code. */
int tlog_consistency(const struct tlog_store *s, uint64_t first, uint64_t second,
                       uint8_t out[][PROTO_HASH_BYTES], size_t *n);

/* ---------------------------------------------------------------------------------------------
 * Trees held in memory, and the tree over a settlement's legs (legs.c)
 * ------------------------------------------------------------------------------------------- */
#define TLOG_MEMTREE_LEAVES_MAX (UINT64_C(1) << 24) /* 16 Mi leaves: 1 GiB of nodes at most */

/* Every complete subtree hash of a tree of n leaves, level by level (under 2n hashes). */
struct tlog_memtree {
  uint64_t n;
  uint64_t level_at[TLOG_LEVELS]; /* where each level starts in nodes */
  uint8_t (*nodes)[PROTO_HASH_BYTES];
};
/* Builds t over leaf_hashes[0..n) (copied; 1 <= n <= TLOG_MEMTREE_LEAVES_MAX). Returns 0,
 * BAD_ARGUMENT or NO_MEMORY; free with tlog_memtree_free (also safe after a failure). */
int tlog_memtree_build(const uint8_t (*leaf_hashes)[PROTO_HASH_BYTES], uint64_t n,
                       struct tlog_memtree *t);
/* The RFC 9162 inclusion proof of leaf index in the whole tree, as tlog_inclusion. */
int tlog_memtree_inclusion(const struct tlog_memtree *t, uint64_t index,
                           uint8_t out[][PROTO_HASH_BYTES], size_t *len);
void tlog_memtree_free(struct tlog_memtree *t);

/* SHA-256(0x00 || "quotad/leg/v1\n" || salt || leg): a leg's leaf hash. */
void tlog_legs_leaf_hash(const struct proto_leg *leg, uint8_t out[PROTO_HASH_BYTES]);
/* The RFC 6962 root over the leaf hashes of legs[0..n), computed without allocating. */
void tlog_legs_root(const struct proto_leg *legs, size_t n, uint8_t out[PROTO_HASH_BYTES]);
/* A version 2 settle with its legs attached: 0 when they hash to its legs_root, LEGS_ROOT when
 * not, LEGS_MISSING without legs, LEGS_UNEXPECTED for any other tx. (The count was checked when
 * the legs were attached: proto_settle_attach_legs.) */
int tlog_legs_check(const struct proto_tx *tx);
/* The tree over legs[0..n) (1..1000), for audit paths: tlog_memtree_inclusion(t, i, ...) proves
 * leg i under the settlement's legs_root. TOO_MANY_LEGS, NO_MEMORY. */
int tlog_legs_tree(const struct proto_leg *legs, size_t n, struct tlog_memtree *t);

#endif /* QUOTAD_TLOG_H */
