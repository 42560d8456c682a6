/* RFC 6962 / RFC 9162 section 2.1 Merkle hashing over memory, and the verifiers of inclusion and
 * consistency proofs (2.1.3.2, 2.1.4.2). Pure functions: tools and clients use them offline. */
#include <string.h>

#include "tlog/tlog.h"

void tlog_leaf_hash(const uint8_t *data, size_t len, uint8_t out[PROTO_HASH_BYTES]) {
  static const uint8_t prefix = 0x00;
  const void *parts[2] = {&prefix, data};
  size_t lens[2] = {1, len};
  PROTO_ASSERT(data != NULL || len == 0);
  proto_sha256_parts(parts, lens, len == 0 ? 1 : 2, out);
}

void tlog_node_hash(const uint8_t left[PROTO_HASH_BYTES], const uint8_t right[PROTO_HASH_BYTES],
                      uint8_t out[PROTO_HASH_BYTES]) {
  uint8_t buf[1 + 2 * PROTO_HASH_BYTES];
  buf[0] = 0x01;
  memcpy(buf + 1, left, PROTO_HASH_BYTES);
  memcpy(buf + 1 + PROTO_HASH_BYTES, right, PROTO_HASH_BYTES);
  proto_sha256(buf, sizeof buf, out);
}

/* Left to right, keeping the hashes of the complete subtrees seen so far (one per bit of the
 * count, as in a binary counter), then folding them right to left: the RFC's split at the
 * largest power of two gives exactly that shape, without recursion or allocation. */
void tlog_root_add(struct tlog_root_builder *b, const uint8_t leaf_hash[PROTO_HASH_BYTES]) {
  PROTO_ASSERT(b->depth < 64 && b->count < UINT64_MAX);
  memcpy(b->stack[b->depth++], leaf_hash, PROTO_HASH_BYTES);
  /* every trailing 1 bit of the leaf's index is a complete subtree this leaf closes */
  for (uint64_t done = b->count; done & 1; done >>= 1) {
    PROTO_ASSERT(b->depth >= 2);
    tlog_node_hash(b->stack[b->depth - 2], b->stack[b->depth - 1], b->stack[b->depth - 2]);
    b->depth--;
  }
  b->count++;
}

void tlog_root_finish(struct tlog_root_builder *b, uint8_t out[PROTO_HASH_BYTES]) {
  if (b->count == 0) {
    proto_sha256("", 0, out);
    return;
  }
  PROTO_ASSERT(b->depth >= 1);
  while (b->depth > 1) {
    tlog_node_hash(b->stack[b->depth - 2], b->stack[b->depth - 1], b->stack[b->depth - 2]);
    b->depth--;
  }
  memcpy(out, b->stack[0], PROTO_HASH_BYTES);
}

void tlog_root_of(const uint8_t (*leaf_hashes)[PROTO_HASH_BYTES], uint64_t n,
                    uint8_t out[PROTO_HASH_BYTES]) {
  PROTO_ASSERT(leaf_hashes != NULL || n == 0);
  struct tlog_root_builder b = {.depth = 0};
  for (uint64_t i = 0; i < n; i++) tlog_root_add(&b, leaf_hashes[i]);
  tlog_root_finish(&b, out);
}

static bool hash_equal(const uint8_t a[PROTO_HASH_BYTES], const uint8_t b[PROTO_HASH_BYTES]) {
  return memcmp(a, b, PROTO_HASH_BYTES) == 0;
}

/* A right edge without a sibling at the levels below the next set bit of fn (RFC 9162 section
 * 2.1.3.2 step 5, 2.1.4.2 step 6): the node is promoted unchanged, so both counters shift until fn
 * is odd again or zero. */
static void skip_right_edge(uint64_t *fn, uint64_t *sn) {
  PROTO_ASSERT(*fn <= *sn);
  while (!(*fn & 1) && *fn != 0) {
    *fn >>= 1;
    *sn >>= 1;
  }
}

int tlog_verify_inclusion(uint64_t index, uint64_t size, const uint8_t leaf_hash[PROTO_HASH_BYTES],
                            const uint8_t (*proof)[PROTO_HASH_BYTES], size_t proof_len,
                            const uint8_t root[PROTO_HASH_BYTES]) {
  if (index >= size || proof_len > TLOG_PROOF_HASHES_MAX) return PROTO_E_BAD_PROOF;
  uint64_t fn = index, sn = size - 1;
  uint8_t r[PROTO_HASH_BYTES];
  memcpy(r, leaf_hash, PROTO_HASH_BYTES);
  for (size_t i = 0; i < proof_len; i++) {
    if (sn == 0) return PROTO_E_BAD_PROOF;
    if ((fn & 1) || fn == sn) {
      tlog_node_hash(proof[i], r, r);
      if (!(fn & 1)) skip_right_edge(&fn, &sn);
    } else {
      tlog_node_hash(r, proof[i], r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && hash_equal(r, root) ? 0 : PROTO_E_BAD_PROOF;
}

/* Steps 3-6 of RFC 9162 section 2.1.4.2 over path[0..len) (first element already the seed). */
static bool consistency_fold(uint64_t first, uint64_t second,
                             const uint8_t (*path)[PROTO_HASH_BYTES], size_t len,
                             const uint8_t *seed, uint8_t fr[PROTO_HASH_BYTES],
                             uint8_t sr[PROTO_HASH_BYTES]) {
  uint64_t fn = first - 1, sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  memcpy(fr, seed, PROTO_HASH_BYTES);
  memcpy(sr, seed, PROTO_HASH_BYTES);
  for (size_t i = 0; i < len; i++) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      tlog_node_hash(path[i], fr, fr);
      tlog_node_hash(path[i], sr, sr);
      if (!(fn & 1)) skip_right_edge(&fn, &sn);
    } else {
      tlog_node_hash(sr, path[i], sr);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0;
}

int tlog_verify_consistency(uint64_t first, uint64_t second, const uint8_t root1[PROTO_HASH_BYTES],
                              const uint8_t root2[PROTO_HASH_BYTES],
                              const uint8_t (*proof)[PROTO_HASH_BYTES], size_t proof_len) {
  if (first > second || proof_len > TLOG_PROOF_HASHES_MAX) return PROTO_E_BAD_PROOF;
  if (first == 0) {
    /* the empty tree has one root; a claimed other one is no tree head at all */
    uint8_t empty[PROTO_HASH_BYTES];
    proto_sha256("", 0, empty);
    return proof_len == 0 && hash_equal(root1, empty) ? 0 : PROTO_E_BAD_PROOF;
  }
  if (first == second) return proof_len == 0 && hash_equal(root1, root2) ? 0 : PROTO_E_BAD_PROOF;
  if (proof_len == 0) return PROTO_E_BAD_PROOF;
  /* Step 2: when first is a power of two its root is a node of the second tree and the proof
   * omits it; it seeds the fold instead of being prepended. */
  bool first_is_pow2 = (first & (first - 1)) == 0;
  const uint8_t *seed = first_is_pow2 ? root1 : proof[0];
  const uint8_t(*rest)[PROTO_HASH_BYTES] = first_is_pow2 ? proof : proof + 1;
  size_t rest_len = first_is_pow2 ? proof_len : proof_len - 1;
  uint8_t fr[PROTO_HASH_BYTES], sr[PROTO_HASH_BYTES];
  if (!consistency_fold(first, second, rest, rest_len, seed, fr, sr)) return PROTO_E_BAD_PROOF;
  return hash_equal(fr, root1) && hash_equal(sr, root2) ? 0 : PROTO_E_BAD_PROOF;
}
