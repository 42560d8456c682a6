/* The ledger's invariants over committed state: for every instrument issued = holdings +
 * surrendered + cancelled + carried over (no balance negative or overflowing), and the stored
 * Merkle tree's root equals the root recomputed from the stored entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/internal.h"

struct inst_sum {
  uint8_t code[PROTO_INSTRUMENT_BYTES];
  struct ledger_instrument in;
  uint64_t held;
};

static int cmp_code(const void *key, const void *elem) {
  return memcmp(key, ((const struct inst_sum *)elem)->code, PROTO_INSTRUMENT_BYTES);
}

static int load_instruments(struct ledger *l, MDB_txn *txn, struct inst_sum **out, size_t *n) {
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(txn, l->dbi[DB_INSTRUMENTS], &cur));
  if (rc) return rc;
  size_t cap = 0;
  MDB_val k, v;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (mrc == 0 && rc == 0) {
    if (*n == cap) {
      cap = cap ? cap * 2 : 16;
      struct inst_sum *ns = realloc(*out, cap * sizeof(*ns));
      if (!ns) {
        rc = PROTO_E_NO_MEMORY;
        break;
      }
      *out = ns;
    }
    struct inst_sum *s = &(*out)[*n];
    memset(s, 0, sizeof(*s));
    if (k.mv_size != PROTO_INSTRUMENT_BYTES) rc = PROTO_E_CORRUPT;
    else rc = rec_instrument_decode(k.mv_data, v.mv_data, v.mv_size, &s->in);
    if (rc == 0) memcpy(s->code, k.mv_data, PROTO_INSTRUMENT_BYTES);
    (*n)++;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  return rc;
}

static int check_holdings(struct ledger *l, MDB_txn *txn, char *why, size_t why_cap) {
  struct inst_sum *sums = NULL;
  size_t n = 0;
  int rc = load_instruments(l, txn, &sums, &n);
  MDB_cursor *cur = NULL;
  if (rc == 0) rc = store__mdb_err(mdb_cursor_open(txn, l->dbi[DB_BALANCES], &cur));
  MDB_val k, v;
  int mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (mrc == 0 && rc == 0) {
    struct ledger_balance bal;
    rc = k.mv_size == 24 ? rec_balance_decode(v.mv_data, v.mv_size, &bal) : PROTO_E_CORRUPT;
    struct inst_sum *s = rc || n == 0 ? NULL
                                      : bsearch((const uint8_t *)k.mv_data + 8, sums, n,
                                                sizeof(*sums), cmp_code);
    if (rc == 0 && !s) {
      snprintf(why, why_cap, "a balance names an unknown instrument");
      rc = PROTO_E_CORRUPT;
    }
    if (rc == 0 && (amount_add(s->held, bal.registry, &s->held) != 0 ||
                    amount_add(s->held, bal.trading, &s->held) != 0)) {
      snprintf(why, why_cap, "holdings of %s overflow", s->in.code);
      rc = PROTO_E_CORRUPT;
    }
    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  if (cur) mdb_cursor_close(cur);
  for (size_t i = 0; i < n && rc == 0; i++) {
    const struct inst_sum *s = &sums[i];
    uint64_t total = 0;
    if (amount_add(s->held, s->in.surrendered, &total) != 0 ||
        amount_add(total, s->in.cancelled, &total) != 0 ||
        amount_add(total, s->in.carried_over, &total) != 0 || total != s->in.issued) {
      snprintf(why, why_cap, "%s: issued %llu != holdings %llu + sinks", s->in.code,
               (unsigned long long)s->in.issued, (unsigned long long)s->held);
      rc = PROTO_E_CORRUPT;
    }
  }
  free(sums);
  return rc;
}

static int check_tree(struct ledger *l, MDB_txn *txn, char *why, size_t why_cap) {
  MDB_val k = {9, "tree_size"}, v;
  int mrc = mdb_get(txn, l->dbi[DB_META], &k, &v);
  if (mrc == MDB_NOTFOUND) return 0;
  if (mrc || v.mv_size != 8) return PROTO_E_CORRUPT;
  uint64_t size = be64_get(v.mv_data);
  uint8_t(*leaves)[PROTO_HASH_BYTES] = malloc((size ? size : 1) * PROTO_HASH_BYTES);
  if (!leaves) return PROTO_E_NO_MEMORY;
  MDB_cursor *cur = NULL;
  int rc = store__mdb_err(mdb_cursor_open(txn, l->dbi[DB_ENTRIES], &cur));
  uint64_t i = 0;
  mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (mrc == 0 && rc == 0) {
    if (k.mv_size != 8 || be64_get(k.mv_data) != i || i >= size) {
      snprintf(why, why_cap, "entries are not exactly 0..%llu", (unsigned long long)size);
      rc = PROTO_E_CORRUPT;
      break;
    }
    tlog_leaf_hash(v.mv_data, v.mv_size, leaves[i++]);
    mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  if (cur) mdb_cursor_close(cur);
  if (rc == 0 && i != size) {
    snprintf(why, why_cap, "%llu entries for tree size %llu", (unsigned long long)i,
             (unsigned long long)size);
    rc = PROTO_E_CORRUPT;
  }
  uint8_t want[PROTO_HASH_BYTES], have[PROTO_HASH_BYTES];
  if (rc == 0) {
    tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])leaves, size, want);
    struct tlog_store ms;
    struct store_nodes_ctx nctx;
    store__nodes(&ms, &nctx, txn, l, NULL);
    rc = tlog_root(&ms, size, have);
    if (rc == 0 && memcmp(want, have, PROTO_HASH_BYTES) != 0) {
      snprintf(why, why_cap, "stored tree root differs from the entries' root");
      rc = PROTO_E_CORRUPT;
    }
  }
  free(leaves);
  return rc;
}

int invariants__check_txn(struct ledger *l, MDB_txn *txn, char *why, size_t why_cap) {
  char scratch[8];
  if (!why) {
    why = scratch;
    why_cap = sizeof(scratch);
  }
  why[0] = '\0';
  int rc = check_holdings(l, txn, why, why_cap);
  if (rc == 0) rc = check_tree(l, txn, why, why_cap);
  if (rc && why[0] == '\0') snprintf(why, why_cap, "%s", proto_err_message(rc));
  return rc ? PROTO_E_CORRUPT : 0;
}

int ledger_check_invariants(struct ledger *l, char *why, size_t why_cap) {
  MDB_txn *txn;
  int rc = store__read_begin(l, &txn);
  if (rc) return rc;
  rc = invariants__check_txn(l, txn, why, why_cap);
  store__read_end(l, txn);
  return rc;
}
