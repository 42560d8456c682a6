/* The Merkle tree over the legs of a version 2 settle (proto/FORMAT.md "Settlement legs"): the
 * RFC 6962 root a settlement signs, its check against attached legs, and audit paths to one leg,
 * computed in memory with the same hashing as the log. */
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

void tlog_legs_leaf_hash(const struct proto_leg *leg, uint8_t out[PROTO_HASH_BYTES]) {
  /* 0x00 || leaf data in one buffer: one digest call per leg, no allocation */
  uint8_t buf[1 + PROTO_LEG_LEAF_BYTES];
  buf[0] = 0x00;
  proto_leg_leaf(leg, buf + 1);
  proto_sha256(buf, sizeof(buf), out);
}

/* As tlog_root_of, with each leaf hash made as it is consumed: a 2 KB builder instead of an
 * array of n leaf hashes (the writer checks up to 1,000 legs per settlement). */
void tlog_legs_root(const struct proto_leg *legs, size_t n, uint8_t out[PROTO_HASH_BYTES]) {
  PROTO_ASSERT(legs != NULL || n == 0);
  struct tlog_root_builder b = {.depth = 0};
  for (size_t i = 0; i < n; i++) {
    uint8_t leaf[PROTO_HASH_BYTES];
    tlog_legs_leaf_hash(&legs[i], leaf);
    tlog_root_add(&b, leaf);
  }
  tlog_root_finish(&b, out);
}

int tlog_legs_check(const struct proto_tx *tx) {
  if (tx->type != PROTO_TX_SETTLE || proto_tx_version(tx) != 2) return PROTO_E_LEGS_UNEXPECTED;
  const struct proto_settle *s = &tx->u.settle;
  if (!s->legs) return PROTO_E_LEGS_MISSING;
  uint8_t root[PROTO_HASH_BYTES];
  tlog_legs_root(s->legs, s->legs_count, root);
  return memcmp(root, s->legs_root, PROTO_HASH_BYTES) == 0 ? 0 : PROTO_E_LEGS_ROOT;
}

/* ---------------------------------------------------------------------------------------------
 * A tree held in memory: every complete subtree hash, level by level, read through a tlog_store
 * so that tlog_inclusion (the one RFC 9162 PATH of the project) makes the paths.
 * ------------------------------------------------------------------------------------------- */
static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  const struct tlog_memtree *t = ctx;
  if (level >= TLOG_LEVELS || (t->n >> level) <= index) return PROTO_E_NOT_FOUND;
  memcpy(out, t->nodes[t->level_at[level] + index], PROTO_HASH_BYTES);
  return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[PROTO_HASH_BYTES]) {
  (void)ctx, (void)level, (void)index, (void)h;
  return PROTO_E_BAD_ARGUMENT; /* built once, never appended to */
}

int tlog_memtree_build(const uint8_t (*leaf_hashes)[PROTO_HASH_BYTES], uint64_t n,
                       struct tlog_memtree *t) {
  memset(t, 0, sizeof(*t));
  if (n == 0 || n > TLOG_MEMTREE_LEAVES_MAX) return PROTO_E_BAD_ARGUMENT;
  uint64_t total = 0;
  for (unsigned l = 0; l < TLOG_LEVELS && (n >> l); l++) {
    t->level_at[l] = total;
    total += n >> l;
  }
  t->nodes = malloc((size_t)total * PROTO_HASH_BYTES);
  if (!t->nodes) return PROTO_E_NO_MEMORY;
  t->n = n;
  memcpy(t->nodes, leaf_hashes, (size_t)n * PROTO_HASH_BYTES);
  for (unsigned l = 1; l < TLOG_LEVELS && (n >> l); l++) {
    uint8_t(*below)[PROTO_HASH_BYTES] = t->nodes + t->level_at[l - 1];
    uint8_t(*here)[PROTO_HASH_BYTES] = t->nodes + t->level_at[l];
    for (uint64_t i = 0; i < (n >> l); i++) tlog_node_hash(below[2 * i], below[2 * i + 1], here[i]);
  }
  return 0;
}

int tlog_memtree_inclusion(const struct tlog_memtree *t, uint64_t index,
                           uint8_t out[][PROTO_HASH_BYTES], size_t *len) {
  PROTO_ASSERT(t->nodes != NULL);
  struct tlog_store s = {(void *)t, mem_get, mem_put};
  return tlog_inclusion(&s, index, t->n, out, len);
}

void tlog_memtree_free(struct tlog_memtree *t) {
  free(t->nodes);
  memset(t, 0, sizeof(*t));
}

int tlog_legs_tree(const struct proto_leg *legs, size_t n, struct tlog_memtree *t) {
  memset(t, 0, sizeof(*t));
  if (n == 0 || n > PROTO_LEGS_MAX) return PROTO_E_TOO_MANY_LEGS;
  uint8_t(*hashes)[PROTO_HASH_BYTES] = malloc(n * PROTO_HASH_BYTES);
  if (!hashes) return PROTO_E_NO_MEMORY;
  for (size_t i = 0; i < n; i++) tlog_legs_leaf_hash(&legs[i], hashes[i]);
  int rc = tlog_memtree_build((const uint8_t(*)[PROTO_HASH_BYTES])hashes, n, t);
  free(hashes);
  return rc;
}
