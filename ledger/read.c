/* The read side of ledger.h: each call runs in its own short read-only transaction (inside the
 * resize lock's shared side) and copies what it returns into caller memory. */
#include <string.h>

#include "alloc/alloc.h"
#include "ledger/internal.h"


const char *ledger_origin(const struct ledger *l) {
  return __atomic_load_n(&l->has_genesis, __ATOMIC_ACQUIRE) ? l->origin : "";
}

int ledger_log_public_key(const struct ledger *l, uint8_t out[PROTO_PUBKEY_BYTES]) {
  if (!__atomic_load_n(&l->has_genesis, __ATOMIC_ACQUIRE)) return PROTO_E_NOT_FOUND;
  memcpy(out, l->log_pub, PROTO_PUBKEY_BYTES);
  return 0;
}

uint64_t ledger_tree_size(struct ledger *l) { return __atomic_load_n(&l->tree_size, __ATOMIC_ACQUIRE); }

enum tree_op { TREE_ROOT, TREE_SUBTREE, TREE_INCLUSION, TREE_CONSISTENCY };

/* A read transaction of its own with the committed tree nodes as a tlog store (ms.ctx points
 * into it: it stays where tree_begin filled it). */
struct tree_txn {
  MDB_txn *txn;
  struct tlog_store ms;
  struct store_nodes_ctx nctx;
};

static int tree_begin(struct ledger *l, struct tree_txn *t) {
  PROTO_ASSERT(l && t);
  int rc = store__read_begin(l, &t->txn);
  if (rc == 0) store__nodes(&t->ms, &t->nctx, t->txn, l, NULL);
  return rc;
}

/* One tree operation over the committed nodes. */
static int tree_read(struct ledger *l, enum tree_op op, uint64_t a, uint64_t b,
                     uint8_t out[][PROTO_HASH_BYTES], size_t *n) {
  PROTO_ASSERT(b <= ledger_tree_size(l) && out != NULL);
  struct tree_txn t;
  int rc = tree_begin(l, &t);
  if (rc) return rc;
  if (op == TREE_ROOT) rc = tlog_root(&t.ms, b, out[0]);
  else if (op == TREE_SUBTREE) rc = tlog_subtree(&t.ms, a, b, out[0]);
  else if (op == TREE_INCLUSION) rc = tlog_inclusion(&t.ms, a, b, out, n);
  else rc = tlog_consistency(&t.ms, a, b, out, n);
  store__read_end(l, t.txn);
  return rc;
}

int ledger_root(struct ledger *l, uint64_t size, uint8_t out[PROTO_HASH_BYTES]) {
  if (size > ledger_tree_size(l)) return PROTO_E_BAD_ARGUMENT;
  return tree_read(l, TREE_ROOT, 0, size, (uint8_t(*)[PROTO_HASH_BYTES])out, NULL);
}

int ledger_subtree(struct ledger *l, uint64_t start, uint64_t end, uint8_t out[PROTO_HASH_BYTES]) {
  if (end > ledger_tree_size(l) || start > end) return PROTO_E_BAD_ARGUMENT;
  return tree_read(l, TREE_SUBTREE, start, end, (uint8_t(*)[PROTO_HASH_BYTES])out, NULL);
}

int ledger_proof_inclusion(struct ledger *l, uint64_t index, uint64_t size,
                           uint8_t out[][PROTO_HASH_BYTES], size_t *n) {
  if (size > ledger_tree_size(l) || index >= size) return PROTO_E_BAD_ARGUMENT;
  return tree_read(l, TREE_INCLUSION, index, size, out, n);
}

int ledger_proof_consistency(struct ledger *l, uint64_t first, uint64_t second,
                             uint8_t out[][PROTO_HASH_BYTES], size_t *n) {
  if (second > ledger_tree_size(l) || first > second) return PROTO_E_BAD_ARGUMENT;
  return tree_read(l, TREE_CONSISTENCY, first, second, out, n);
}

int ledger_nodes(struct ledger *l, unsigned level, uint64_t first, size_t count,
                 uint8_t out[][PROTO_HASH_BYTES]) {
  if (level >= TLOG_LEVELS || count == 0) return PROTO_E_BAD_ARGUMENT;
  uint64_t have = ledger_tree_size(l) >> level;
  if (first > have || count > have - first) return PROTO_E_BAD_ARGUMENT;
  struct tree_txn t;
  int rc = tree_begin(l, &t);
  if (rc) return rc;
  for (size_t i = 0; i < count && !rc; i++) rc = t.ms.get(t.ms.ctx, level, first + i, out[i]);
  store__read_end(l, t.txn);
  return rc;
}

static int get_val(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, MDB_val *v) {
  MDB_val k = {klen, (void *)key};
  return store__mdb_err(mdb_get(txn, dbi, &k, v));
}

/* An entry is checked against the tree before it is served: with its sibling (index ^ 1), its
 * leaf hash must give the stored level-1 node. A flipped byte in either entry of the pair reads
 * as CORRUPT (quota-audit finds it too, from the exported log). The newest entry, while it has
 * no sibling, is checked once the sibling is appended. Two SHA-256 of entries and one of a node:
 * about a microsecond. */
static int entry_check(struct ledger *l, MDB_txn *txn, uint64_t index, const MDB_val *v) {
  uint8_t key[8];
  be64_put(key, index ^ 1u);
  MDB_val sib;
  int rc = get_val(txn, l->dbi[DB_ENTRIES], key, 8, &sib);
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  uint8_t nkey[TLOG_NODE_KEY_BYTES], mine[PROTO_HASH_BYTES], other[PROTO_HASH_BYTES],
      node[PROTO_HASH_BYTES];
  tlog_node_key(1, index >> 1, nkey);
  MDB_val stored;
  rc = get_val(txn, l->dbi[DB_NODES], nkey, sizeof(nkey), &stored);
  if (rc == PROTO_E_NOT_FOUND || (rc == 0 && stored.mv_size != PROTO_HASH_BYTES)) rc = PROTO_E_CORRUPT;
  if (rc) return rc; /* both leaves exist, so their node must */
  tlog_leaf_hash(v->mv_data, v->mv_size, mine);
  tlog_leaf_hash(sib.mv_data, sib.mv_size, other);
  if (index & 1u) tlog_node_hash(other, mine, node);
  else tlog_node_hash(mine, other, node);
  return memcmp(node, stored.mv_data, PROTO_HASH_BYTES) == 0 ? 0 : PROTO_E_CORRUPT;
}

long ledger_entry_get(struct ledger *l, uint64_t index, uint8_t *out, size_t cap) {
  uint8_t key[8];
  be64_put(key, index);
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  MDB_val v;
  long rc = get_val(txn, l->dbi[DB_ENTRIES], key, 8, &v);
  if (rc == 0) rc = entry_check(l, txn, index, &v);
  if (rc == 0 && v.mv_size > cap) rc = PROTO_E_FIELD_TOO_LONG;
  if (rc == 0) {
    memcpy(out, v.mv_data, v.mv_size);
    rc = (long)v.mv_size;
  }
  store__read_end(l, txn);
  return rc;
}

int ledger_tx_lookup(struct ledger *l, const uint8_t id[PROTO_ID_BYTES], uint64_t *index) {
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  MDB_val v;
  struct rec_txid t;
  int rc = get_val(txn, l->dbi[DB_TXIDS], id, PROTO_ID_BYTES, &v);
  if (rc == 0) rc = rec_txid_decode(v.mv_data, v.mv_size, &t);
  if (rc == 0) *index = t.index;
  store__read_end(l, txn);
  return rc;
}

static int account_in(struct ledger *l, MDB_txn *txn, uint64_t id, struct ledger_account *out) {
  uint8_t key[8];
  be64_put(key, id);
  MDB_val v;
  int rc = get_val(txn, l->dbi[DB_ACCOUNTS], key, 8, &v);
  if (rc == 0) rc = rec_account_decode(id, v.mv_data, v.mv_size, out);
  return rc;
}

int ledger_account_get(struct ledger *l, uint64_t id, struct ledger_account *out) {
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  int rc = account_in(l, txn, id, out);
  store__read_end(l, txn);
  return rc;
}

static int account_by_index(struct ledger *l, unsigned db, const void *key, size_t klen,
                            struct ledger_account *out) {
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  MDB_val v;
  int rc = get_val(txn, l->dbi[db], key, klen, &v);
  if (rc == 0 && v.mv_size != 8) rc = PROTO_E_CORRUPT;
  if (rc == 0) rc = account_in(l, txn, be64_get(v.mv_data), out);
  store__read_end(l, txn);
  return rc;
}

int ledger_account_by_uscc(struct ledger *l, const char *uscc, struct ledger_account *out) {
  if (strlen(uscc) != PROTO_USCC_BYTES) return PROTO_E_NOT_FOUND;
  return account_by_index(l, DB_USCC, uscc, PROTO_USCC_BYTES, out);
}

int ledger_account_by_province(struct ledger *l, unsigned province, struct ledger_account *out) {
  if (province == 0 || province > 255) return PROTO_E_NOT_FOUND;
  uint8_t p = (uint8_t)province;
  return account_by_index(l, DB_PROVINCE, &p, 1, out);
}

/* One cursor over dbi inside txn: positioned by first (k and v are its arguments), then moved by
 * next, calling visit on each row until visit answers WALK_STOP or an error, or the rows end. */
enum { WALK_STOP = 1 };
typedef int (*walk_fn)(const MDB_val *k, const MDB_val *v, void *ctx);

static long cursor_walk(MDB_txn *txn, MDB_dbi dbi, MDB_val k, MDB_val v, MDB_cursor_op first,
                        MDB_cursor_op next, walk_fn visit, void *ctx) {
  PROTO_ASSERT(txn && visit);
  MDB_cursor *cur;
  long rc = store__mdb_err(mdb_cursor_open(txn, dbi, &cur));
  if (rc) return rc;
  int mrc = mdb_cursor_get(cur, &k, &v, first);
  while (mrc == 0 && rc == 0) {
    rc = visit(&k, &v, ctx);
    if (rc == 0) mrc = mdb_cursor_get(cur, &k, &v, next);
  }
  PROTO_ASSERT(rc <= WALK_STOP);
  if (rc == 0 && mrc != MDB_NOTFOUND) rc = store__mdb_err(mrc);
  mdb_cursor_close(cur);
  return rc == WALK_STOP ? 0 : rc;
}

/* cursor_walk in a read transaction of its own. */
static long read_walk(struct ledger *l, MDB_dbi dbi, MDB_val k, MDB_val v, MDB_cursor_op first,
                      MDB_cursor_op next, walk_fn visit, void *ctx) {
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  long rc = cursor_walk(txn, dbi, k, v, first, next, visit, ctx);
  store__read_end(l, txn);
  return rc;
}

/* A page of rows that a walk fills, the first member of each kind of page so that its row
 * function gets the whole page back. The walk stops once cap rows were kept or, with a prefix,
 * at the first key without those 8 bytes; a row whose key (or, by_value, value) is not
 * row_bytes long is corrupt (row_bytes 0: the row function checks). */
struct page;
typedef int (*row_fn)(const MDB_val *k, const MDB_val *v, struct page *pg);
struct page {
  size_t n, cap, row_bytes;
  bool by_value;
  const uint8_t *prefix; /* 8 bytes, or NULL */
  row_fn row;
};

static int page_visit(const MDB_val *k, const MDB_val *v, void *ctx) {
  struct page *pg = ctx;
  PROTO_ASSERT(pg->n <= pg->cap && pg->row);
  if (pg->n == pg->cap) return WALK_STOP;
  if (pg->prefix && (k->mv_size < 8 || memcmp(k->mv_data, pg->prefix, 8) != 0)) return WALK_STOP;
  size_t got = pg->by_value ? v->mv_size : k->mv_size;
  if (pg->row_bytes && got != pg->row_bytes) return PROTO_E_CORRUPT;
  return pg->row(k, v, pg);
}

/* read_walk over a page: the rows kept, or a negative code. */
static long page_read(struct ledger *l, MDB_dbi dbi, MDB_val k, MDB_val v, MDB_cursor_op first,
                      MDB_cursor_op next, struct page *pg) {
  long rc = read_walk(l, dbi, k, v, first, next, page_visit, pg);
  PROTO_ASSERT(rc != 0 || pg->n <= pg->cap);
  return rc ? rc : (long)pg->n;
}

struct accounts_page {
  struct page pg;
  unsigned kind, province;
  struct ledger_account *out;
};

static int accounts_row(const MDB_val *k, const MDB_val *v, struct page *pg) {
  const struct accounts_page *p = (const struct accounts_page *)pg;
  struct ledger_account *a = &p->out[pg->n];
  int rc = rec_account_decode(be64_get(k->mv_data), v->mv_data, v->mv_size, a);
  if (rc == 0 && (p->kind == 0 || a->kind == p->kind) && (p->province == 0 || a->province == p->province))
    pg->n++;
  return rc;
}

long ledger_accounts_list(struct ledger *l, uint64_t after, unsigned kind, unsigned province,
                          struct ledger_account *out, size_t cap) {
  if (after == UINT64_MAX || cap == 0) return 0;
  uint8_t start[8];
  be64_put(start, after + 1);
  struct accounts_page p = {{.cap = cap, .row_bytes = 8, .row = accounts_row}, kind, province, out};
  return page_read(l, l->dbi[DB_ACCOUNTS], (MDB_val){8, start}, (MDB_val){0, NULL}, MDB_SET_RANGE,
                   MDB_NEXT, &p.pg);
}

struct balances_page {
  struct page pg;
  uint8_t prefix[8];
  struct ledger_balance *out;
};

static int balances_row(const MDB_val *k, const MDB_val *v, struct page *pg) {
  const struct balances_page *p = (const struct balances_page *)pg;
  struct ledger_balance *b = &p->out[pg->n];
  int rc = rec_balance_decode(v->mv_data, v->mv_size, b);
  if (rc) return rc;
  rec_code_from_key((const uint8_t *)k->mv_data + 8, b->instrument);
  if (b->registry || b->trading || b->frozen) pg->n++;
  return 0;
}

long ledger_balances(struct ledger *l, uint64_t account, struct ledger_balance *out, size_t cap) {
  struct balances_page p = {.pg = {.cap = cap, .row_bytes = 24, .row = balances_row}, .out = out};
  be64_put(p.prefix, account);
  p.pg.prefix = p.prefix;
  return page_read(l, l->dbi[DB_BALANCES], (MDB_val){8, p.prefix}, (MDB_val){0, NULL},
                   MDB_SET_RANGE, MDB_NEXT, &p.pg);
}

struct freezes_page {
  struct page pg;
  uint8_t start[24]; /* account || the id to start from */
  bool skip_start;   /* paging: the start id itself was on the previous page */
  struct ledger_freeze_order *out;
};

static int freezes_row(const MDB_val *k, const MDB_val *v, struct page *pg) {
  const struct freezes_page *p = (const struct freezes_page *)pg;
  if (p->skip_start && memcmp(k->mv_data, p->start, 24) == 0) return 0;
  int rc = rec_freeze_decode(k->mv_data, v->mv_data, v->mv_size, &p->out[pg->n]);
  if (rc == 0) pg->n++;
  return rc;
}

long ledger_freeze_orders(struct ledger *l, uint64_t account, const uint8_t *after,
                          struct ledger_freeze_order *out, size_t cap) {
  PROTO_ASSERT(out != NULL || cap == 0);
  if (l->no_freeze_db || cap == 0) return 0; /* a store from before freeze orders has none */
  struct freezes_page p = {.pg = {.cap = cap, .row_bytes = 24, .row = freezes_row},
                           .out = out, .skip_start = after != NULL};
  be64_put(p.start, account);
  if (after) memcpy(p.start + 8, after, PROTO_ID_BYTES);
  p.pg.prefix = p.start;
  return page_read(l, l->dbi[DB_FREEZES], (MDB_val){24, p.start}, (MDB_val){0, NULL},
                   MDB_SET_RANGE, MDB_NEXT, &p.pg);
}

bool ledger_freeze_order_in_force(const struct ledger_freeze_order *o, uint64_t now_ms) {
  return o->lifted < o->quantity && (o->expiry_ms == 0 || now_ms < o->expiry_ms);
}

struct history_page {
  struct page pg;
  uint64_t *out;
};

static int history_row(const MDB_val *k, const MDB_val *v, struct page *pg) {
  (void)k;
  const struct history_page *p = (const struct history_page *)pg;
  p->out[pg->n++] = be64_get(v->mv_data);
  return 0;
}

long ledger_account_history(struct ledger *l, uint64_t account, uint64_t start, uint64_t *out,
                            size_t cap) {
  uint8_t key[8], from[8];
  be64_put(key, account);
  be64_put(from, start);
  struct history_page p = {{.cap = cap, .row_bytes = 8, .by_value = true, .row = history_row}, out};
  return page_read(l, l->dbi[DB_HISTORY], (MDB_val){8, key}, (MDB_val){8, from},
                   MDB_GET_BOTH_RANGE, MDB_NEXT_DUP, &p.pg);
}

/* A whole-table scan: every row, in key order, decoded into out[0..cap) by decode. Rows whose
 * key is not key_bytes long are corrupt. Returns the number of rows written or a negative code. */
typedef int (*scan_decode_fn)(const uint8_t *key, const uint8_t *val, size_t len, void *row);

struct scan_page {
  struct page pg; /* row_bytes: the key's length */
  size_t out_row_bytes;
  const uint8_t *after;
  scan_decode_fn decode;
  uint8_t *out;
};

static int scan_row(const MDB_val *k, const MDB_val *v, struct page *pg) {
  struct scan_page *p = (struct scan_page *)pg;
  /* SET_RANGE lands on after itself when it exists: the page starts past it. */
  bool skip = p->after && pg->n == 0 && !memcmp(k->mv_data, p->after, pg->row_bytes);
  p->after = NULL;
  return skip ? 0 : p->decode(k->mv_data, v->mv_data, v->mv_size, p->out + pg->n++ * p->out_row_bytes);
}

static long scan_table(struct ledger *l, MDB_dbi dbi, size_t key_bytes, const uint8_t *after,
                       scan_decode_fn decode, void *out, size_t row_bytes, size_t cap) {
  PROTO_ASSERT(key_bytes > 0 && row_bytes > 0);
  struct scan_page p = {{.cap = cap, .row_bytes = key_bytes, .row = scan_row}, row_bytes, after,
                        decode, out};
  return page_read(l, dbi, (MDB_val){key_bytes, (void *)after}, (MDB_val){0, NULL},
                   after ? MDB_SET_RANGE : MDB_FIRST, MDB_NEXT, &p.pg);
}

static int scan_instrument(const uint8_t *key, const uint8_t *val, size_t len, void *row) {
  return rec_instrument_decode(key, val, len, row);
}

static int scan_key(const uint8_t *key, const uint8_t *val, size_t len, void *row) {
  return rec_key_decode(key, val, len, row);
}

long ledger_instruments(struct ledger *l, struct ledger_instrument *out, size_t cap) {
  return scan_table(l, l->dbi[DB_INSTRUMENTS], PROTO_INSTRUMENT_BYTES, NULL, scan_instrument, out,
                    sizeof(*out), cap);
}

int ledger_key_get(struct ledger *l, const uint8_t hash[PROTO_HASH_BYTES], struct ledger_key *out) {
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  MDB_val v;
  int rc = get_val(txn, l->dbi[DB_KEYS], hash, PROTO_HASH_BYTES, &v);
  if (rc == 0) rc = rec_key_decode(hash, v.mv_data, v.mv_size, out);
  store__read_end(l, txn);
  return rc;
}

long ledger_keys(struct ledger *l, const uint8_t after[PROTO_HASH_BYTES], struct ledger_key *out,
                 size_t cap) {
  return scan_table(l, l->dbi[DB_KEYS], PROTO_HASH_BYTES, after, scan_key, out, sizeof(*out), cap);
}

const char *ledger_compliance_status_name(unsigned status) {
  switch (status) {
  case LEDGER_COMPLIANT: return "compliant";
  case LEDGER_SHORT: return "short";
  case LEDGER_COMPLIANT_LATE: return "compliant_late";
  case LEDGER_OVERDUE: return "overdue";
  default: return NULL;
  }
}

static int year_in(struct ledger *l, MDB_txn *txn, unsigned year, struct rec_year *y) {
  uint8_t key[2];
  be16_put(key, (uint16_t)year);
  MDB_val v;
  int rc = get_val(txn, l->dbi[DB_YEARS], key, 2, &v);
  if (rc == 0) rc = rec_year_decode(v.mv_data, v.mv_size, y);
  return rc;
}

int ledger_year_get(struct ledger *l, unsigned year, struct ledger_year *out) {
  if (year > UINT16_MAX) return PROTO_E_NOT_FOUND;
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  struct rec_year y;
  int rc = year_in(l, txn, year, &y);
  store__read_end(l, txn);
  if (rc == 0) {
    out->year = (uint16_t)year;
    out->deadline_ms = y.deadline_ms;
  }
  return rc;
}

/* Status at now_ms against the deadline (a year not opened yet has no deadline). */
static void compliance_eval(const struct rec_compliance *r, uint64_t deadline, uint64_t now,
                            struct ledger_compliance *out) {
  out->emissions = r->emissions;
  out->surrendered_cea = r->cea;
  out->surrendered_ccer = r->ccer;
  out->counted = alloc_counted(r->cea, r->ccer, r->emissions);
  out->shortfall = r->emissions > out->counted ? r->emissions - out->counted : 0;
  out->completed_ms = out->shortfall == 0 ? r->completed_ms : 0;
  out->corrected = r->corrected;
  out->own_deadline_ms = r->own_deadline_ms;
  /* the enterprise's deadline: its own when a late correction gave it one (and it is later) */
  uint64_t eff = deadline == UINT64_MAX ? 0 : deadline;
  if (eff != 0 && r->own_deadline_ms > eff) eff = r->own_deadline_ms;
  bool on_time_met = alloc_counted(r->on_time_cea, r->on_time_ccer, r->emissions) >= r->emissions;
  out->status = (uint8_t)alloc_compliance_status_on_time(out->shortfall, out->completed_ms,
                                                         on_time_met, eff, now);
}

int ledger_compliance_get(struct ledger *l, uint64_t account, unsigned year, uint64_t now_ms,
                          struct ledger_compliance *out) {
  if (year > UINT16_MAX) return PROTO_E_NOT_FOUND;
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  uint8_t key[10];
  rec_compliance_key(account, (uint16_t)year, key);
  MDB_val v;
  struct rec_compliance r;
  struct rec_year y = {.deadline_ms = UINT64_MAX};
  int rc = get_val(txn, l->dbi[DB_COMPLIANCE], key, sizeof(key), &v);
  if (rc == 0) rc = rec_compliance_decode(v.mv_data, v.mv_size, &r);
  if (rc == 0) {
    int yrc = year_in(l, txn, year, &y);
    if (yrc == PROTO_E_NOT_FOUND) y.deadline_ms = UINT64_MAX;
    else rc = yrc;
  }
  store__read_end(l, txn);
  if (rc) return rc;
  memset(out, 0, sizeof(*out));
  out->account = account;
  out->year = (uint16_t)year;
  compliance_eval(&r, y.deadline_ms, now_ms, out);
  return 0;
}

struct compliance_page {
  struct page pg;
  unsigned year;
  uint64_t deadline_ms, now_ms;
  struct ledger_compliance *out;
};

static int compliance_row(const MDB_val *k, const MDB_val *v, struct page *pg) {
  const struct compliance_page *p = (const struct compliance_page *)pg;
  if (be16_get((const uint8_t *)k->mv_data + 8) != p->year) return 0;
  struct rec_compliance r;
  int rc = rec_compliance_decode(v->mv_data, v->mv_size, &r);
  if (rc) return rc;
  struct ledger_compliance *c = &p->out[pg->n++];
  memset(c, 0, sizeof(*c));
  c->account = be64_get(k->mv_data);
  c->year = (uint16_t)p->year;
  compliance_eval(&r, p->deadline_ms, p->now_ms, c);
  return 0;
}

long ledger_compliance(struct ledger *l, unsigned year, uint64_t now_ms, uint64_t after,
                       struct ledger_compliance *out, size_t cap) {
  if (year > UINT16_MAX || after == UINT64_MAX) return 0;
  MDB_txn *txn;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  struct rec_year y = {.deadline_ms = UINT64_MAX};
  long rc = year_in(l, txn, year, &y);
  if (rc == PROTO_E_NOT_FOUND) {
    y.deadline_ms = UINT64_MAX;
    rc = 0;
  }
  struct compliance_page p = {{.cap = cap, .row_bytes = 10, .row = compliance_row}, year,
                              y.deadline_ms, now_ms, out};
  uint8_t start[10];
  rec_compliance_key(after + 1, 0, start);
  if (rc == 0)
    rc = cursor_walk(txn, l->dbi[DB_COMPLIANCE], (MDB_val){sizeof(start), start}, (MDB_val){0, NULL},
                     MDB_SET_RANGE, MDB_NEXT, page_visit, &p.pg);
  store__read_end(l, txn);
  return rc ? rc : (long)p.pg.n;
}

/* ---- allocation tables (records in DB_ALLOC, rules_tables.c) ---- */

/* One record of dbi read and decoded in a read transaction of its own (the value lives only as
 * long as it). */
typedef int (*record_decode_fn)(const MDB_val *v, void *ctx);
static int record_read(struct ledger *l, MDB_dbi dbi, const uint8_t *key, size_t klen,
                       record_decode_fn decode, void *ctx) {
  PROTO_ASSERT(key && klen > 0 && decode);
  MDB_txn *txn;
  int rc = store__read_begin(l, &txn);
  if (rc) return rc;
  MDB_val v;
  rc = get_val(txn, dbi, key, klen, &v);
  if (rc == 0) rc = decode(&v, ctx);
  store__read_end(l, txn);
  return rc;
}

struct table_get {
  uint64_t id;
  struct ledger_table *out;
};

static int table_decode(const MDB_val *v, void *ctx) {
  struct table_get *t = ctx;
  return ledger__table_decode(t->id, v->mv_data, v->mv_size, t->out);
}

int ledger_table_get(struct ledger *l, uint64_t id, struct ledger_table *out) {
  if (l->no_alloc_db) return PROTO_E_NOT_FOUND;
  uint8_t key[9] = {'T'};
  be64_put(key + 1, id);
  struct table_get t = {id, out};
  return record_read(l, l->dbi[DB_ALLOC], key, sizeof(key), table_decode, &t);
}

long ledger_tables_list(struct ledger *l, uint64_t after, struct ledger_table *out, size_t cap) {
  if (after == UINT64_MAX || cap == 0 || l->no_alloc_db) return 0;
  uint8_t key[9] = {'T'};
  be64_put(key + 1, after + 1);
  MDB_txn *txn;
  MDB_cursor *cur;
  int rb = store__read_begin(l, &txn);
  if (rb) return rb;
  int rc = store__mdb_err(mdb_cursor_open(txn, l->dbi[DB_ALLOC], &cur));
  long n = 0;
  if (rc == 0) {
    MDB_val k = {sizeof(key), key}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (mrc == 0 && (size_t)n < cap && k.mv_size == 9 && ((const uint8_t *)k.mv_data)[0] == 'T') {
      rc = ledger__table_decode(be64_get((const uint8_t *)k.mv_data + 1), v.mv_data, v.mv_size,
                                &out[n]);
      if (rc) break;
      n++;
      mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (rc == 0 && mrc != 0 && mrc != MDB_NOTFOUND) rc = store__mdb_err(mrc);
    mdb_cursor_close(cur);
  }
  store__read_end(l, txn);
  return rc ? rc : n;
}

struct table_row {
  struct proto_alloc_row *out;
  uint16_t *version;
  uint64_t *index;
};

static int row_decode(const MDB_val *v, void *ctx) {
  struct table_row *r = ctx;
  return ledger__row_decode(v->mv_data, v->mv_size, r->out, r->version, r->index);
}

int ledger_table_row(struct ledger *l, uint64_t table, uint64_t row, struct proto_alloc_row *out,
                     uint16_t *version, uint64_t *index) {
  if (l->no_alloc_db) return PROTO_E_NOT_FOUND;
  uint8_t key[17] = {'R'};
  be64_put(key + 1, table);
  be64_put(key + 9, row);
  struct table_row r = {out, version, index};
  return record_read(l, l->dbi[DB_ALLOC], key, sizeof(key), row_decode, &r);
}
