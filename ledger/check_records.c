/* The record checks of the structural walk: one function per database that says whether a
 * (key, value) pair is a record that database can hold (the decoders of records.c plus the
 * cross-checks a decoder cannot make alone: indices within the tree, a key hash that is the hash
 * of its key), a table of them, and the full and sampled walks over one database. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/check.h"

#define KEYLEN(v, n) ((v)->mv_size == (n))

static int rec_accounts(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct ledger_account a;
  (void)w;
  if (!KEYLEN(k, 8)) return PROTO_E_CORRUPT;
  return rec_account_decode(be64_get(k->mv_data), v->mv_data, v->mv_size, &a);
}

static int rec_id_value(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  (void)w;
  size_t want = k->mv_size; /* uscc: 18-byte key, province: 1-byte key; both hold an account id */
  return (want == PROTO_USCC_BYTES || want == 1) && v->mv_size == 8 ? 0 : PROTO_E_CORRUPT;
}

static int rec_balances(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct ledger_balance b;
  (void)w;
  if (!KEYLEN(k, 24)) return PROTO_E_CORRUPT;
  return rec_balance_decode(v->mv_data, v->mv_size, &b);
}

static int rec_keys(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct ledger_key key;
  (void)w;
  if (!KEYLEN(k, PROTO_HASH_BYTES)) return PROTO_E_CORRUPT;
  int rc = rec_key_decode(k->mv_data, v->mv_data, v->mv_size, &key);
  uint8_t h[PROTO_HASH_BYTES];
  if (rc == 0) proto_sha256(key.public_key, PROTO_PUBKEY_BYTES, h);
  if (rc == 0 && memcmp(h, k->mv_data, PROTO_HASH_BYTES) != 0) rc = PROTO_E_CORRUPT;
  return rc;
}

static int rec_instruments(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct ledger_instrument in;
  (void)w;
  if (!KEYLEN(k, PROTO_INSTRUMENT_BYTES)) return PROTO_E_CORRUPT;
  return rec_instrument_decode(k->mv_data, v->mv_data, v->mv_size, &in);
}

static int rec_years(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct rec_year y;
  if (!KEYLEN(k, 2)) return PROTO_E_CORRUPT;
  int rc = rec_year_decode(v->mv_data, v->mv_size, &y);
  return rc == 0 && y.index >= w->tree_size ? PROTO_E_CORRUPT : rc;
}

static int rec_compliance(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct rec_compliance c;
  if (!KEYLEN(k, 10)) return PROTO_E_CORRUPT;
  int rc = rec_compliance_decode(v->mv_data, v->mv_size, &c);
  return rc == 0 && c.emissions_index >= w->tree_size ? PROTO_E_CORRUPT : rc;
}

static int rec_carried(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  (void)w;
  if (!KEYLEN(k, 24) || v->mv_size != REC_CARRIED_BYTES) return PROTO_E_CORRUPT;
  const uint8_t *p = v->mv_data;
  return p[0] == REC_VERSION && be64_get(p + 1) <= PROTO_AMOUNT_MAX ? 0 : PROTO_E_CORRUPT;
}

static int rec_freezes(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct ledger_freeze_order o;
  if (!KEYLEN(k, 24)) return PROTO_E_CORRUPT;
  int rc = rec_freeze_decode(k->mv_data, v->mv_data, v->mv_size, &o);
  return rc == 0 && o.index >= w->tree_size ? PROTO_E_CORRUPT : rc;
}

static int rec_freeze_hold(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct rec_freeze_hold h;
  (void)w;
  if (!KEYLEN(k, 24)) return PROTO_E_CORRUPT;
  return rec_freeze_hold_decode(v->mv_data, v->mv_size, &h);
}

/* DB_CARRY holds three kinds of record, told apart by the key's first byte. */
int check__rec_carry(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  const uint8_t *key = k->mv_data, *val = v->mv_data;
  if (k->mv_size == 0) return PROTO_E_CORRUPT;
  if (key[0] == REC_SALES_TAG && k->mv_size == REC_SALES_KEY_BYTES) {
    struct rec_sales s;
    return rec_sales_decode(val, v->mv_size, &s);
  }
  if (key[0] == REC_CARRY_RULE_TAG && k->mv_size == REC_CARRY_RULE_KEY_BYTES) {
    struct rec_carry_rule r;
    int rc = rec_carry_rule_decode(val, v->mv_size, &r);
    return rc == 0 && r.index >= w->tree_size ? PROTO_E_CORRUPT : rc;
  }
  if (key[0] == REC_CARRY_ANY_TAG && k->mv_size == 1 && v->mv_size == REC_CARRIED_BYTES)
    return val[0] == REC_VERSION && be64_get(val + 1) < w->tree_size ? 0 : PROTO_E_CORRUPT;
  return PROTO_E_CORRUPT;
}

int check__rec_deduct(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct rec_deduction d;
  if (!KEYLEN(k, REC_DEDUCTION_KEY_BYTES)) return PROTO_E_CORRUPT;
  int rc = rec_deduction_decode(v->mv_data, v->mv_size, ((const uint8_t *)k->mv_data)[10], &d);
  return rc == 0 && d.index >= w->tree_size ? PROTO_E_CORRUPT : rc;
}

static int rec_txids(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  struct rec_txid t;
  if (!KEYLEN(k, PROTO_ID_BYTES)) return PROTO_E_CORRUPT;
  int rc = rec_txid_decode(v->mv_data, v->mv_size, &t);
  return rc == 0 && t.index >= w->tree_size ? PROTO_E_CORRUPT : rc;
}

static int rec_history(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  if (!KEYLEN(k, 8) || v->mv_size != 8) return PROTO_E_CORRUPT;
  return be64_get(v->mv_data) < w->tree_size ? 0 : PROTO_E_CORRUPT;
}

static int rec_nodes(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  unsigned level;
  uint64_t index;
  if (!KEYLEN(k, TLOG_NODE_KEY_BYTES) || v->mv_size != PROTO_HASH_BYTES) return PROTO_E_CORRUPT;
  if (tlog_node_key_parse(k->mv_data, &level, &index) != 0 || level == 0) return PROTO_E_CORRUPT;
  /* A stored node covers leaves [index << level, (index + 1) << level), all in the tree. */
  return index < (w->tree_size >> level) ? 0 : PROTO_E_CORRUPT;
}

static int rec_meta(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  (void)w;
  (void)v;
  return k->mv_size >= 1 && k->mv_size <= 64 ? 0 : PROTO_E_CORRUPT;
}

static int rec_checkpoints(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  /* The walks check the latest when sampling and every one in full. */
  return check__checkpoint(w, k, v);
}

/* LMDB's free list (database 0): key a transaction id, value a count n then n page numbers, each
 * a page of the file past the two meta pages. A damaged one would crash the next write. */
static int rec_free(struct check_walk *w, const MDB_val *k, const MDB_val *v) {
  if (!KEYLEN(k, sizeof(size_t)) || v->mv_size < sizeof(size_t) || v->mv_size % sizeof(size_t))
    return PROTO_E_CORRUPT;
  size_t n = v->mv_size / sizeof(size_t), count;
  memcpy(&count, v->mv_data, sizeof(count));
  if (count != n - 1) return PROTO_E_CORRUPT;
  for (size_t i = 1; i < n; i++) {
    size_t pg;
    memcpy(&pg, (const uint8_t *)v->mv_data + i * sizeof(size_t), sizeof(pg));
    if (pg < 2 || pg > w->last_pgno) return PROTO_E_CORRUPT;
  }
  return 0;
}

/* Every database but the entries (walked with the tree), in the order they are checked. */
const struct check_db check__dbs[] = {
    {"free list", CHECK_DB_FREE, rec_free},      {"meta", DB_META, rec_meta},
    {"nodes", DB_NODES, rec_nodes},              {"accounts", DB_ACCOUNTS, rec_accounts},
    {"uscc", DB_USCC, rec_id_value},             {"province", DB_PROVINCE, rec_id_value},
    {"balances", DB_BALANCES, rec_balances},     {"keys", DB_KEYS, rec_keys},
    {"instruments", DB_INSTRUMENTS, rec_instruments}, {"years", DB_YEARS, rec_years},
    {"compliance", DB_COMPLIANCE, rec_compliance}, {"carried", DB_CARRIED, rec_carried},
    {"txids", DB_TXIDS, rec_txids},              {"history", DB_HISTORY, rec_history},
    {"checkpoints", DB_CHECKPOINTS, rec_checkpoints},
    {"legs", DB_LEGS, check__rec_legs},          {"alloc", DB_ALLOC, check__rec_alloc},
    {"freezes", DB_FREEZES, rec_freezes},        {"freeze_hold", DB_FREEZE_HOLD, rec_freeze_hold},
    {"carry", DB_CARRY, check__rec_carry},       {"deductions", DB_DEDUCT, check__rec_deduct},
};
const size_t check__dbs_count = sizeof(check__dbs) / sizeof(check__dbs[0]);

MDB_dbi check__dbi(const struct check_walk *w, const struct check_db *d) {
  return d->db == CHECK_DB_FREE ? (MDB_dbi)0 : w->l->dbi[d->db];
}

bool check__db_absent(const struct check_walk *w, const struct check_db *d) {
  return (d->db == DB_LEGS && w->l->no_legs_db) || (d->db == DB_ALLOC && w->l->no_alloc_db) ||
         ((d->db == DB_FREEZES || d->db == DB_FREEZE_HOLD) && w->l->no_freeze_db) ||
         ((d->db == DB_CARRY || d->db == DB_DEDUCT) && w->l->no_carry_db);
}

static int record(struct check_walk *w, const struct check_db *d, const MDB_val *k,
                  const MDB_val *v) {
  w->rep->records++;
  int rc = d->check(w, k, v);
  if (rc == PROTO_E_CORRUPT)
    return check__fail(w, d->name, "record %llu does not decode",
                       (unsigned long long)w->rep->records);
  return rc;
}

/* Every record of d, in key order (every duplicate of a DUPSORT database). */
int check__db_full(struct check_walk *w, const struct check_db *d, uint64_t total) {
  if (check__db_absent(w, d)) return 0;
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(w->txn, check__dbi(w, d), &cur));
  if (rc) return rc;
  MDB_val k, v;
  uint64_t done = 0;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (mrc == 0 && rc == 0) {
    rc = record(w, d, &k, &v);
    done++;
    check__progress(w, d->name, done, total, false);
    if (rc == 0) mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != MDB_NOTFOUND) rc = store__mdb_err(mrc);
  if (rc == 0 && done != total)
    rc = check__fail(w, d->name, "%llu records where its count says otherwise",
                     (unsigned long long)done);
  check__progress(w, d->name, done, total, true);
  return rc;
}

/* The first and last records of d and `probes` records found from random keys: each probe
 * reads a path from the root to a leaf, so damage on the way is met with few reads. */
int check__db_sampled(struct check_walk *w, const struct check_db *d, unsigned probes) {
  if (check__db_absent(w, d)) return 0;
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(w->txn, check__dbi(w, d), &cur));
  if (rc) return rc;
  MDB_val k, v;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  if (mrc == 0) rc = record(w, d, &k, &v);
  if (rc == 0 && mrc == 0 && (mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) == 0)
    rc = record(w, d, &k, &v);
  for (unsigned i = 0; i < probes && rc == 0 && mrc == 0; i++) {
    uint8_t key[32];
    for (size_t j = 0; j < sizeof(key); j++) key[j] = (uint8_t)(rand() >> 7);
    MDB_val pk = {d->db == CHECK_DB_FREE ? sizeof(size_t) : sizeof(key), key};
    k = pk;
    mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (mrc == MDB_NOTFOUND) mrc = 0; /* past the last key: already checked */
    else if (mrc == 0) rc = record(w, d, &k, &v);
  }
  mdb_cursor_close(cur);
  if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__mdb_err(mrc);
  return rc;
}
