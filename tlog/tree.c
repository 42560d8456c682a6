/* The Merkle tree over a store of complete subtree hashes (tlog/tlog.h): append, roots and
 * RFC 9162 proofs in O(log n) store reads, whatever the store (LMDB or memory). */
#include <string.h>

#include "tlog/tlog.h"

void tlog_node_key(unsigned level, uint64_t index, uint8_t key[TLOG_NODE_KEY_BYTES]) {
  PROTO_ASSERT(level < TLOG_LEVELS);
  key[0] = (uint8_t)level;
  for (unsigned i = 0; i < 8; i++) key[1 + i] = (uint8_t)(index >> (56 - 8 * i));
}

int tlog_node_key_parse(const uint8_t key[TLOG_NODE_KEY_BYTES], unsigned *level,
                          uint64_t *index) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; i++) v = v << 8 | key[1 + i];
  if (key[0] >= TLOG_LEVELS) return PROTO_E_CORRUPT;
  /* a node at level l covers 2^l leaves and no tree exceeds 2^63 of them */
  if ((v >> (63 - key[0])) != 0) return PROTO_E_CORRUPT;
  *level = key[0];
  *index = v;
  return 0;
}

/* The largest power of two strictly below n (n >= 2): the RFC's split point k. */
static uint64_t split_point(uint64_t n) {
  PROTO_ASSERT(n >= 2);
  return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

int tlog_append(const struct tlog_store *s, uint64_t size,
                  const uint8_t leaf_hash[PROTO_HASH_BYTES]) {
  if (size >= TLOG_SIZE_MAX) return PROTO_E_BAD_ARGUMENT;
  /* Leaf `size` completes one subtree per trailing 1 bit of size: at level l its left half is the
   * stored node (l, (size >> l) - 1). Read them all first so a failed read changes nothing. */
  unsigned levels = (unsigned)__builtin_ctzll(~size);
  PROTO_ASSERT(levels < TLOG_LEVELS);
  uint8_t left[TLOG_LEVELS][PROTO_HASH_BYTES];
  for (unsigned l = 0; l < levels; l++) {
    int rc = s->get(s->ctx, l, (size >> l) - 1, left[l]);
    if (rc != 0) return rc;
  }
  uint8_t h[PROTO_HASH_BYTES];
  memcpy(h, leaf_hash, PROTO_HASH_BYTES);
  int rc = s->put(s->ctx, 0, size, h);
  for (unsigned l = 0; l < levels && rc == 0; l++) {
    tlog_node_hash(left[l], h, h);
    rc = s->put(s->ctx, l + 1, size >> (l + 1), h);
  }
  return rc;
}

/* MTH of [start, start + n) where n <= the alignment of start: the range is the left edge of an
 * aligned subtree, so it is the complete subtrees given by the bits of n, largest first, folded
 * from the right. Reads them smallest (rightmost) first. */
static int subtree_aligned(const struct tlog_store *s, uint64_t start, uint64_t n,
                           uint8_t out[PROTO_HASH_BYTES]) {
  PROTO_ASSERT(n >= 1);
  uint64_t end = start + n;
  bool have = false;
  for (unsigned l = 0; l < TLOG_LEVELS && (n >> l) != 0; l++) {
    if (!((n >> l) & 1)) continue;
    end -= UINT64_C(1) << l;
    uint8_t h[PROTO_HASH_BYTES];
    int rc = s->get(s->ctx, l, end >> l, h);
    if (rc != 0) return rc;
    if (have) {
      tlog_node_hash(h, out, out);
    } else {
      memcpy(out, h, PROTO_HASH_BYTES);
      have = true;
    }
  }
  PROTO_ASSERT(have && end == start);
  return 0;
}

int tlog_subtree(const struct tlog_store *s, uint64_t start, uint64_t end,
                   uint8_t out[PROTO_HASH_BYTES]) {
  if (start >= end || end > TLOG_SIZE_MAX) return PROTO_E_BAD_ARGUMENT;
  uint64_t n = end - start;
  uint64_t align = start & (~start + 1); /* lowest set bit; 0 when start is 0 */
  if (start != 0 && n > align) return PROTO_E_BAD_ARGUMENT;
  return subtree_aligned(s, start, n, out);
}

int tlog_root(const struct tlog_store *s, uint64_t size, uint8_t out[PROTO_HASH_BYTES]) {
  if (size > TLOG_SIZE_MAX) return PROTO_E_BAD_ARGUMENT;
  if (size == 0) {
    proto_sha256("", 0, out);
    return 0;
  }
  return subtree_aligned(s, 0, size, out);
}

/* Writes the count hashes of rev (collected root-side first) into out leaf-side first. */
static void reverse_into(uint8_t (*rev)[PROTO_HASH_BYTES], size_t count,
                         uint8_t out[][PROTO_HASH_BYTES]) {
  for (size_t i = 0; i < count; i++) memcpy(out[i], rev[count - 1 - i], PROTO_HASH_BYTES);
}

/* PATH(m, D[n]) unrolled: walk down from [0, size) toward the leaf; each step's sibling subtree
 * is a proof hash, and the RFC lists them from the leaf up. Every range visited starts at a
 * multiple of a power of two at least its length, so subtree_aligned applies. */
int tlog_inclusion(const struct tlog_store *s, uint64_t index, uint64_t size,
                     uint8_t out[][PROTO_HASH_BYTES], size_t *n) {
  if (index >= size || size > TLOG_SIZE_MAX) return PROTO_E_BAD_ARGUMENT;
  uint8_t rev[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t count = 0;
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    PROTO_ASSERT(count < TLOG_PROOF_HASHES_MAX);
    uint64_t k = split_point(hi - lo);
    int rc;
    if (index < lo + k) {
      rc = subtree_aligned(s, lo + k, hi - lo - k, rev[count]);
      hi = lo + k;
    } else {
      rc = subtree_aligned(s, lo, k, rev[count]);
      lo += k;
    }
    if (rc != 0) return rc;
    count++;
  }
  reverse_into(rev, count, out);
  *n = count;
  return 0;
}

/* SUBPROOF(m, D[n], b) unrolled the same way: descend toward the boundary m, collecting the
 * sibling of each step; when the range is exactly the old tree's part, its own hash ends the
 * proof unless it is the old root itself (b still true: the verifier has it). */
int tlog_consistency(const struct tlog_store *s, uint64_t first, uint64_t second,
                       uint8_t out[][PROTO_HASH_BYTES], size_t *n) {
  if (first > second || second > TLOG_SIZE_MAX) return PROTO_E_BAD_ARGUMENT;
  *n = 0;
  if (first == 0 || first == second) return 0;
  uint8_t rev[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t count = 0;
  uint64_t lo = 0, hi = second;
  bool b = true;
  for (;;) {
    PROTO_ASSERT(count < TLOG_PROOF_HASHES_MAX);
    int rc = 0;
    if (first == hi) {
      if (!b) rc = subtree_aligned(s, lo, hi - lo, rev[count++]);
      if (rc != 0) return rc;
      break;
    }
    uint64_t k = split_point(hi - lo);
    if (first - lo <= k) {
      rc = subtree_aligned(s, lo + k, hi - lo - k, rev[count]);
      hi = lo + k;
    } else {
      rc = subtree_aligned(s, lo, k, rev[count]);
      lo += k;
      b = false;
    }
    if (rc != 0) return rc;
    count++;
  }
  reverse_into(rev, count, out);
  *n = count;
  return 0;
}
