/* The record checks of the structural walk for the allocation tables ("alloc", keys by kind as
 * in rules_tables.c) and the settlement legs blobs ("legs"): each record decodes, its key has
 * the size of its kind, and what it refers to exists (a row's table, a legs blob's entry). */
#include <assert.h>
#include <string.h>

#include "ledger/check.h"

/* The table record of id inside the walk's transaction: 0, CORRUPT when missing or damaged. */
static int table_of(struct check_walk *w, uint64_t id, struct ledger_table *t) {
  uint8_t key[9] = {'T'};
  be64_put(key + 1, id);
  MDB_val k = {sizeof(key), key}, v;
  int rc = store__mdb_err(mdb_get(w->txn, w->l->dbi[DB_ALLOC], &k, &v));
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_CORRUPT;
  return rc ? rc : ledger__table_decode(id, v.mv_data, v.mv_size, t);
}

static int alloc_table(struct check_walk *w, const uint8_t *key, const MDB_val *v) {
  struct ledger_table t;
  uint64_t id = be64_get(key + 1);
  int rc = id == 0 ? PROTO_E_CORRUPT : ledger__table_decode(id, v->mv_data, v->mv_size, &t);
  return rc == 0 && t.header_index >= w->tree_size ? PROTO_E_CORRUPT : rc;
}

/* A row: its table exists, the row is within the table's count, its entry is in the tree. */
static int alloc_row(struct check_walk *w, const uint8_t *key, const MDB_val *v) {
  struct proto_alloc_row row;
  struct ledger_table t;
  uint64_t index;
  int rc = ledger__row_decode(v->mv_data, v->mv_size, &row, NULL, &index);
  if (rc == 0 && index >= w->tree_size) rc = PROTO_E_CORRUPT;
  if (rc == 0) rc = table_of(w, be64_get(key + 1), &t);
  if (rc == 0 && be64_get(key + 9) >= t.rows_count) rc = PROTO_E_CORRUPT;
  return rc;
}

/* A unit's allocated totals: a version byte and two amounts. */
static int alloc_unit(const MDB_val *v) {
  const uint8_t *p = v->mv_data;
  if (v->mv_size != 17 || p[0] != REC_VERSION) return PROTO_E_CORRUPT;
  return be64_get(p + 1) <= PROTO_AMOUNT_MAX && be64_get(p + 9) <= PROTO_AMOUNT_MAX ? 0
                                                                                  : PROTO_E_CORRUPT;
}

/* A complete table of an instrument, sector and phase: the table it names exists, complete. */
static int alloc_complete(struct check_walk *w, const MDB_val *v) {
  struct ledger_table t;
  if (v->mv_size != 8) return PROTO_E_CORRUPT;
  int rc = table_of(w, be64_get(v->mv_data), &t);
  return rc == 0 && t.status != LEDGER_TABLE_COMPLETE ? PROTO_E_CORRUPT : rc;
}

int check__rec_alloc(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  const uint8_t *key = k->mv_data;
  if (k->mv_size < 1) return PROTO_E_CORRUPT;
  switch (key[0]) {
  case 'T':
    return k->mv_size == 9 ? alloc_table(w, key, v) : PROTO_E_CORRUPT;
  case 'R':
    return k->mv_size == 17 ? alloc_row(w, key, v) : PROTO_E_CORRUPT;
  case 'U':
    return k->mv_size == 32 ? alloc_unit(v) : PROTO_E_CORRUPT;
  case 'C':
    return k->mv_size == 19 ? alloc_complete(w, v) : PROTO_E_CORRUPT;
  case 'H': /* units held for an at-risk enterprise: a sum of amounts */
    return k->mv_size == 25 && v->mv_size == 8 && be64_get(v->mv_data) <= PROTO_AMOUNT_MAX
               ? 0
               : PROTO_E_CORRUPT;
  default:
    return PROTO_E_CORRUPT;
  }
}

/* A version 2 settle's legs: the entry of its index exists and commits to exactly this blob. */
int check__rec_legs(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  if (k->mv_size != 8 || be64_get(k->mv_data) >= w->tree_size) return PROTO_E_CORRUPT;
  MDB_val ek = *k, entry;
  int rc = store__mdb_err(mdb_get(w->txn, w->l->dbi[DB_ENTRIES], &ek, &entry));
  if (rc == PROTO_E_NOT_FOUND) return PROTO_E_CORRUPT;
  assert(entry.mv_size > 0);
  return rc ? rc : legs__stored_check(&entry, v);
}
