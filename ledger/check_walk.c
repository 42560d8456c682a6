/* The structural walk of a ledger's store: every database's records decode, the entries are
 * 0..n-1 and decode, every stored Merkle node equals the hash of its children, every stored
 * checkpoint verifies and names the stored root of its size, LMDB's free list is well formed.
 * It runs in the checking child (check.c): a damaged page may crash LMDB here, never quotad. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/check.h"

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int check__fail(struct check_walk *w, const char *db, const char *fmt, ...) {
  if (w->rep->why[0] == '\0') {
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    snprintf(w->rep->why, sizeof(w->rep->why), "%s: %s", db, detail);
  }
  return PROTO_E_CORRUPT;
}

/* Progress now and then: at most one call per CHECK_PROGRESS_MS, and at a database's end. */
void check__progress(struct check_walk *w, const char *db, uint64_t done, uint64_t total,
                     bool last) {
  if (!w->opt->progress) return;
  uint64_t now = mono_ms();
  if (!last && now - w->progress_ms < CHECK_PROGRESS_MS) return;
  w->progress_ms = now;
  struct ledger_check_progress p = {.db = db, .done = done, .total = total};
  w->opt->progress(w->opt->progress_arg, &p);
}

/* ---- the Merkle tree, rebuilt from the entries as they stream by ---- */

/* A complete node (level >= 1) that the rebuild produced must equal the stored one. */
static int node_compare(struct check_walk *w, unsigned level, uint64_t index,
                        const uint8_t hash[PROTO_HASH_BYTES]) {
  uint8_t key[TLOG_NODE_KEY_BYTES];
  tlog_node_key(level, index, key);
  MDB_val k = {sizeof(key), key}, v;
  int rc = mdb_get(w->txn, w->l->dbi[DB_NODES], &k, &v);
  if (rc == MDB_NOTFOUND) return check__fail(w, "nodes", "node at level %llu is missing", (unsigned long long)level);
  if (rc) return store__mdb_err(rc);
  if (v.mv_size != PROTO_HASH_BYTES || memcmp(v.mv_data, hash, PROTO_HASH_BYTES) != 0)
    return check__fail(w, "nodes", "a node at level %llu differs from its children", (unsigned long long)level);
  w->rep->nodes++;
  return 0;
}

/* Feeds leaf hash `index` into the rebuild: pending[l] holds the left child waiting at level l. */
static int tree_feed(struct check_walk *w, uint64_t index, const uint8_t leaf[PROTO_HASH_BYTES]) {
  uint8_t h[PROTO_HASH_BYTES];
  memcpy(h, leaf, PROTO_HASH_BYTES);
  unsigned level = 0;
  uint64_t i = index;
  while (i & 1u) {
    PROTO_ASSERT(level + 1 < TLOG_LEVELS);
    tlog_node_hash(w->pending[level], h, h);
    level++;
    i >>= 1;
    int rc = node_compare(w, level, i, h);
    if (rc) return rc;
  }
  memcpy(w->pending[level], h, PROTO_HASH_BYTES);
  return 0;
}

/* One entry: its key is its index, it decodes (entry and envelope structure) and names itself. */
static int entry_check(struct check_walk *w, uint64_t want, const MDB_val *k, const MDB_val *v) {
  if (k->mv_size != 8 || be64_get(k->mv_data) != want || want >= w->tree_size)
    return check__fail(w, "entries", "entries are not exactly 0..%llu", (unsigned long long)w->tree_size);
  struct proto_entry e;
  struct proto_envelope env;
  int rc = proto_entry_decode(v->mv_data, v->mv_size, &e);
  if (rc == 0 && e.index != want) rc = PROTO_E_CORRUPT;
  if (rc == 0) rc = proto_envelope_decode(e.envelope, e.envelope_len, &env);
  if (rc) return check__fail(w, "entries", "entry %llu does not decode", (unsigned long long)want);
  uint8_t leaf[PROTO_HASH_BYTES];
  tlog_leaf_hash(v->mv_data, v->mv_size, leaf);
  return tree_feed(w, want, leaf);
}

/* Every entry in order, rebuilding the tree: every stored node is compared once. */
int check__entries_full(struct check_walk *w) {
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(w->txn, w->l->dbi[DB_ENTRIES], &cur));
  if (rc) return rc;
  MDB_val k, v;
  uint64_t i = 0;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (mrc == 0 && rc == 0) {
    rc = entry_check(w, i, &k, &v);
    i++;
    w->rep->records++;
    check__progress(w, "entries", i, w->tree_size, false);
    if (rc == 0) mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != MDB_NOTFOUND) rc = store__mdb_err(mrc);
  if (rc == 0 && i != w->tree_size)
    rc = check__fail(w, "entries", "%llu entries for the stored tree size", (unsigned long long)i);
  check__progress(w, "entries", i, w->tree_size, true);
  PROTO_ASSERT(rc != 0 || w->rep->nodes <= w->tree_size);
  return rc;
}

/* A sampled entry: it decodes, and with its sibling it hashes to the stored level-1 node. */
int check__entry_sample(struct check_walk *w, uint64_t index) {
  PROTO_ASSERT(index < w->tree_size);
  uint64_t first = index & ~UINT64_C(1);
  uint8_t leaves[2][PROTO_HASH_BYTES];
  unsigned n = first + 1 < w->tree_size ? 2u : 1u;
  for (unsigned j = 0; j < n; j++) {
    uint8_t key[8];
    be64_put(key, first + j);
    MDB_val k = {8, key}, v;
    int rc = mdb_get(w->txn, w->l->dbi[DB_ENTRIES], &k, &v);
    if (rc == MDB_NOTFOUND) return check__fail(w, "entries", "entry %llu is missing", (unsigned long long)first + j);
    if (rc) return store__mdb_err(rc);
    struct proto_entry e;
    struct proto_envelope env;
    rc = proto_entry_decode(v.mv_data, v.mv_size, &e);
    if (rc == 0 && e.index != first + j) rc = PROTO_E_CORRUPT;
    if (rc == 0) rc = proto_envelope_decode(e.envelope, e.envelope_len, &env);
    if (rc) return check__fail(w, "entries", "entry %llu does not decode", (unsigned long long)first + j);
    tlog_leaf_hash(v.mv_data, v.mv_size, leaves[j]);
    w->rep->records++;
  }
  if (n < 2) return 0;
  uint8_t h[PROTO_HASH_BYTES];
  tlog_node_hash(leaves[0], leaves[1], h);
  return node_compare(w, 1, first >> 1, h);
}

/* Every stored checkpoint: its size is within the tree, it verifies with the log key, and its
 * root is the root of that size over the stored nodes. Sampled: the latest only. */
int check__checkpoint(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  if (k->mv_size != 8) return check__fail(w, "checkpoints", "a key of %llu bytes", (unsigned long long)k->mv_size);
  uint64_t size = be64_get(k->mv_data);
  if (size == 0 || size > w->tree_size)
    return check__fail(w, "checkpoints", "a checkpoint of size %llu beyond the tree", (unsigned long long)size);
  struct tlog_checkpoint cp;
  int rc = tlog_checkpoint_verify(v->mv_data, v->mv_size, w->l->origin, w->l->log_pub, &cp);
  if (rc || cp.size != size || strcmp(cp.origin, w->l->origin) != 0)
    return check__fail(w, "checkpoints", "the checkpoint of size %llu does not verify", (unsigned long long)size);
  struct tlog_store ms;
  struct store_nodes_ctx nctx;
  store__nodes(&ms, &nctx, w->txn, w->l, NULL);
  uint8_t root[PROTO_HASH_BYTES];
  rc = tlog_root(&ms, size, root);
  if (rc == PROTO_E_CORRUPT || (rc == 0 && memcmp(root, cp.root, PROTO_HASH_BYTES) != 0))
    return check__fail(w, "checkpoints", "the signed root of size %llu is not the stored one",
                       (unsigned long long)size);
  w->rep->checkpoints++;
  return rc;
}
