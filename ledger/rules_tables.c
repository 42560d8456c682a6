/* Rules about allocation tables: a header with the scheme's text, chunks of rows, and a closing
 * entry after which the ledger has recomputed every amount with alloc/ and fixed the table; a
 * later row version is a re-determination. Also the records allocations are held to. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "ledger/internal.h"

/* Keys of DB_ALLOC, each starting with its kind (docs/STORAGE.md "alloc"). */
#define K_TABLE 'T'    /* 'T' || table u64 BE -> table record */
#define K_ROW 'R'      /* 'R' || table u64 BE || row u64 BE -> version u16 || index u64 || row */
#define K_UNIT 'U'     /* 'U' || instrument[16] || SHA-256(uscc 0 unit)[0..15] -> unit record */
#define K_COMPLETE 'C' /* 'C' || instrument[16] || sector u8 || phase u8 -> table u64 BE */
#define K_HELD 'H'     /* 'H' || account u64 BE || instrument[16] -> u64 held for it */
#define TABLE_REC_FIXED 112u
#define ROW_REC_HEAD 10u

static void table_key(uint64_t id, uint8_t key[9]) {
  key[0] = K_TABLE;
  be64_put(key + 1, id);
}

static size_t table_encode(const struct ledger_table *t, uint8_t *out) {
  size_t bp = strlen(t->bp);
  assert(bp <= PROTO_BP_BYTES_MAX && t->rows_received <= t->rows_count);
  out[0] = REC_VERSION;
  out[1] = t->status, out[2] = t->phase, out[3] = t->sector, out[4] = t->bp_kind;
  be16_put(out + 5, t->vintage);
  be64_put(out + 7, t->rows_count);
  be64_put(out + 15, t->rows_received);
  be64_put(out + 23, t->header_index);
  rec_code_key(t->instrument, out + 31);
  memcpy(out + 47, t->hash, PROTO_HASH_BYTES);
  memcpy(out + 79, t->rows_hash, PROTO_HASH_BYTES);
  out[111] = (uint8_t)bp;
  memcpy(out + TABLE_REC_FIXED, t->bp, bp);
  return TABLE_REC_FIXED + bp;
}

int ledger__table_decode(uint64_t id, const uint8_t *in, size_t len, struct ledger_table *t) {
  memset(t, 0, sizeof(*t));
  if (len < TABLE_REC_FIXED || in[0] != REC_VERSION || len != TABLE_REC_FIXED + in[111] ||
      in[111] > PROTO_BP_BYTES_MAX || in[1] < LEDGER_TABLE_OPEN || in[1] > LEDGER_TABLE_ABANDONED)
    return PROTO_E_CORRUPT;
  t->id = id;
  t->status = in[1], t->phase = in[2], t->sector = in[3], t->bp_kind = in[4];
  t->vintage = be16_get(in + 5);
  t->rows_count = be64_get(in + 7);
  t->rows_received = be64_get(in + 15);
  t->header_index = be64_get(in + 23);
  rec_code_from_key(in + 31, t->instrument);
  memcpy(t->hash, in + 47, PROTO_HASH_BYTES);
  memcpy(t->rows_hash, in + 79, PROTO_HASH_BYTES);
  memcpy(t->bp, in + TABLE_REC_FIXED, in[111]);
  return t->rows_received <= t->rows_count ? 0 : PROTO_E_CORRUPT;
}

int tables__get(struct batch *b, uint64_t id, struct ledger_table *t) {
  uint8_t key[9];
  table_key(id, key);
  struct st_rec r;
  int rc = st__get(b, DB_ALLOC, key, sizeof(key), PROTO_E_UNKNOWN_TABLE, &r);
  return rc ? rc : ledger__table_decode(id, r.p, r.len, t);
}

static int table_put(struct batch *b, const struct ledger_table *t) {
  uint8_t key[9], val[TABLE_REC_FIXED + PROTO_BP_BYTES_MAX];
  table_key(t->id, key);
  return overlay__put(b->ov, DB_ALLOC, key, sizeof(key), val, table_encode(t, val));
}

static void row_key(uint64_t table, uint64_t row, uint8_t key[17]) {
  key[0] = K_ROW;
  be64_put(key + 1, table);
  be64_put(key + 9, row);
}

int ledger__row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *out,
                       uint16_t *version, uint64_t *index) {
  if (len < ROW_REC_HEAD + 1) return PROTO_E_CORRUPT;
  if (version) *version = be16_get(in);
  if (index) *index = be64_get(in + 2);
  return proto_alloc_row_decode(in + ROW_REC_HEAD, len - ROW_REC_HEAD, out) ? PROTO_E_CORRUPT : 0;
}

static int row_get(struct batch *b, uint64_t table, uint64_t row, struct proto_alloc_row *out,
                   uint16_t *version) {
  uint8_t key[17];
  row_key(table, row, key);
  struct st_rec r;
  int rc = st__get(b, DB_ALLOC, key, sizeof(key), PROTO_E_UNKNOWN_ROW, &r);
  return rc ? rc : ledger__row_decode(r.p, r.len, out, version, NULL);
}

int tables__row(struct batch *b, uint64_t table, uint64_t row, struct proto_alloc_row *out) {
  return row_get(b, table, row, out, NULL);
}

static int row_put(struct tx_ctx *c, uint64_t table, uint64_t row, uint16_t version,
                   const struct proto_alloc_row *r) {
  uint8_t key[17], val[ROW_REC_HEAD + PROTO_ROW_BYTES_MAX];
  row_key(table, row, key);
  be16_put(val, version);
  be64_put(val + 2, c->index);
  long n = proto_alloc_row_encode(r, val + ROW_REC_HEAD, PROTO_ROW_BYTES_MAX);
  if (n < 0) return (int)n;
  return overlay__put(c->b->ov, DB_ALLOC, key, sizeof(key), val, ROW_REC_HEAD + (size_t)n);
}

static void unit_key(const char *instrument, const struct proto_alloc_row *row, uint8_t key[32]) {
  uint8_t zero = 0, h[PROTO_HASH_BYTES];
  const void *parts[] = {row->uscc, &zero, row->unit};
  size_t lens[] = {strlen(row->uscc), 1, strlen(row->unit)};
  proto_sha256_parts(parts, lens, 3, h);
  key[0] = K_UNIT;
  rec_code_key(instrument, key + 1);
  memcpy(key + 17, h, 15);
}

int tables__unit(struct batch *b, const char *instrument, const struct proto_alloc_row *row,
                 struct unit_alloc *u) {
  uint8_t key[32];
  unit_key(instrument, row, key);
  const uint8_t *v;
  size_t vlen;
  memset(u, 0, sizeof(*u));
  int rc = overlay__get(b->ov, DB_ALLOC, key, sizeof(key), &v, &vlen);
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  if (vlen != 17 || v[0] != REC_VERSION) return PROTO_E_CORRUPT;
  u->pre = be64_get(v + 1);
  u->total = be64_get(v + 9);
  return u->pre <= PROTO_AMOUNT_MAX && u->total <= PROTO_AMOUNT_MAX ? 0 : PROTO_E_CORRUPT;
}

int tables__unit_put(struct batch *b, const char *instrument, const struct proto_alloc_row *row,
                     const struct unit_alloc *u) {
  uint8_t key[32], val[17];
  assert(u->pre <= PROTO_AMOUNT_MAX && u->total <= PROTO_AMOUNT_MAX);
  unit_key(instrument, row, key);
  val[0] = REC_VERSION;
  be64_put(val + 1, u->pre);
  be64_put(val + 9, u->total);
  return overlay__put(b->ov, DB_ALLOC, key, sizeof(key), val, sizeof(val));
}

static void complete_key(const char *instrument, uint8_t sector, uint8_t phase, uint8_t key[19]) {
  key[0] = K_COMPLETE;
  rec_code_key(instrument, key + 1);
  key[17] = sector;
  key[18] = phase;
}

static int complete_get(struct batch *b, const char *instrument, uint8_t sector, uint8_t phase,
                        bool *found) {
  uint8_t key[19];
  complete_key(instrument, sector, phase, key);
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_ALLOC, key, sizeof(key), &v, &vlen);
  *found = rc == 0;
  return rc == PROTO_E_NOT_FOUND ? 0 : rc;
}

int tables__any_complete(struct batch *b, const char *instrument, uint8_t sector, bool *found) {
  int rc = complete_get(b, instrument, sector, PROTO_PHASE_PRE, found);
  if (rc == 0 && !*found) rc = complete_get(b, instrument, sector, PROTO_PHASE_FINAL, found);
  return rc;
}

/* What the province holds for account in instrument (0 when nothing), and the record's key. */
static int held_get(struct batch *b, uint64_t account, const char *instrument, uint8_t key[25],
                    uint64_t *held) {
  key[0] = K_HELD;
  be64_put(key + 1, account);
  rec_code_key(instrument, key + 9);
  struct st_rec r;
  int rc = st__get(b, DB_ALLOC, key, 25, PROTO_E_NOT_FOUND, &r);
  *held = 0;
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  if (r.len != 8) return PROTO_E_CORRUPT;
  *held = be64_get(r.p);
  return 0;
}

static int held_put(struct batch *b, const uint8_t key[25], uint64_t held) {
  uint8_t val[8];
  be64_put(val, held);
  return overlay__put(b->ov, DB_ALLOC, key, 25, val, sizeof(val));
}

int st__held_add(struct batch *b, uint64_t account, const char *instrument, uint64_t amount) {
  uint8_t key[25];
  uint64_t held;
  int rc = held_get(b, account, instrument, key, &held);
  if (rc == 0) rc = amount_add(held, amount, &held);
  return rc ? rc : held_put(b, key, held);
}

/* The units held in the province for an at-risk enterprise are what its authority may surrender
 * on its behalf: NOT_HELD when fewer than amount; apply takes them (checked first, taken last,
 * so that a refusal changes nothing). */
int st__held_take(struct batch *b, uint64_t account, const char *instrument, uint64_t amount,
                  bool apply) {
  uint8_t key[25];
  uint64_t held;
  int rc = held_get(b, account, instrument, key, &held);
  if (rc) return rc;
  if (held < amount) return PROTO_E_NOT_HELD;
  return apply ? held_put(b, key, held - amount) : 0;
}

/* ---- the header's scheme text, read back from its entry ---------------------------------- */

/* Decodes the table header entry at index and parses its scheme. */
static int header_scheme(struct batch *b, uint64_t index, struct alloc_scheme **out) {
  uint8_t key[8];
  be64_put(key, index);
  MDB_val k = {8, key}, v;
  int rc = store__mdb_err(mdb_get(b->txn, b->l->dbi[DB_ENTRIES], &k, &v));
  if (rc) return rc == PROTO_E_NOT_FOUND ? PROTO_E_CORRUPT : rc;
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  rc = proto_entry_decode(v.mv_data, v.mv_size, &e);
  if (rc == 0) rc = proto_envelope_decode(e.envelope, e.envelope_len, &env);
  if (rc == 0) rc = proto_tx_decode(env.body, env.body_len, &tx);
  if (rc) return PROTO_E_CORRUPT;
  rc = tx.type == PROTO_TX_ALLOC_TABLE_OPEN ? alloc_scheme_parse(tx.u.table_open.scheme, out, NULL)
                                            : PROTO_E_CORRUPT;
  proto_tx_free(&tx);
  return rc;
}

/* ---- the rules ------------------------------------------------------------------------------ */

static int operators(struct tx_ctx *c) {
  return auth__require(c, PROTO_ROLE_OPERATOR, 0, c->b->op_threshold);
}

/* The operators' signatures, then the table a chunk or closing entry names. */
static int operators_table(struct tx_ctx *c, uint64_t id, struct ledger_table *t) {
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  int rc = operators(c);
  return rc ? rc : tables__get(c->b, id, t);
}

/* The table's instrument: an existing CEA vintage (CCER is issued, never allocated). */
static int table_instrument(struct tx_ctx *c, const char *code, struct ledger_instrument *in) {
  int rc = st__instrument(c->b, code, in);
  if (rc) return rc;
  return in->kind == PROTO_INSTRUMENT_CEA ? 0 : PROTO_E_INSTRUMENT_KIND;
}

int rules__alloc_table_open(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOC_TABLE_OPEN);
  PROTO_ASSERT(c->b->has_genesis); /* apply.c orders the genesis first */
  const struct proto_alloc_table_open *p = &c->tx->u.table_open;
  struct ledger_table t;
  struct ledger_instrument in;
  int rc = operators(c);
  if (rc == 0) rc = tables__get(c->b, p->table, &t);
  if (rc == 0) return PROTO_E_TABLE_EXISTS;
  if (rc != PROTO_E_UNKNOWN_TABLE) return rc;
  if ((rc = table_instrument(c, p->instrument, &in))) return rc;
  struct alloc_scheme *s;
  if ((rc = alloc_scheme_parse(p->scheme, &s, NULL))) return rc;
  struct alloc_table_header h = {in.vintage, p->phase, p->status, p->bp_kind, p->bp};
  rc = alloc_table_header_check(s, &h);
  uint8_t sector = (uint8_t)alloc_scheme_sector(s);
  alloc_scheme_free(s);
  bool found = false;
  if (rc == 0) rc = complete_get(c->b, p->instrument, sector, p->phase, &found);
  if (rc) return rc;
  if (found) return PROTO_E_TABLE_EXISTS;
  memset(&t, 0, sizeof(t));
  t.id = p->table;
  t.status = LEDGER_TABLE_OPEN, t.phase = p->phase, t.sector = sector, t.bp_kind = p->bp_kind;
  t.vintage = in.vintage;
  t.rows_count = p->rows_count;
  t.header_index = c->index;
  memcpy(t.instrument, p->instrument, sizeof(t.instrument));
  proto_alloc_rows_hash_start(t.hash);
  memcpy(t.rows_hash, p->rows_hash, PROTO_HASH_BYTES);
  memcpy(t.bp, p->bp, sizeof(t.bp));
  return table_put(c->b, &t);
}

/* A re-determination of a complete table: one row, the same unit, recomputed with the table's
 * fixed balance value (never solved again). */
static int redetermine(struct tx_ctx *c, const struct ledger_table *t) {
  const struct proto_alloc_table_rows *p = &c->tx->u.table_rows;
  assert(t->status == LEDGER_TABLE_COMPLETE);
  if (p->rows_count != 1) return PROTO_E_TABLE_ROWS;
  struct proto_alloc_row old;
  uint16_t version;
  int rc = row_get(c->b, t->id, p->first_row, &old, &version);
  if (rc) return rc;
  const struct proto_alloc_row *r = &p->rows[0];
  if (strcmp(old.uscc, r->uscc) != 0 || strcmp(old.unit, r->unit) != 0 || old.sector != r->sector)
    return PROTO_E_ALLOC_MISMATCH;
  struct alloc_scheme *s;
  if ((rc = header_scheme(c->b, t->header_index, &s))) return rc;
  unsigned kind = t->bp_kind == PROTO_BP_SOLVED ? PROTO_BP_PUBLISHED : t->bp_kind;
  struct alloc_table_header h = {t->vintage, t->phase, PROTO_SCHEME_FINAL, kind, t->bp};
  struct alloc_table_verdict v;
  rc = alloc_table_rows_check(s, &h, r, 1, &v);
  alloc_scheme_free(s);
  if (rc) return rc;
  if (version == UINT16_MAX) return PROTO_E_OVERFLOW;
  return row_put(c, t->id, p->first_row, (uint16_t)(version + 1), r);
}

int rules__alloc_table_rows(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOC_TABLE_ROWS);
  const struct proto_alloc_table_rows *p = &c->tx->u.table_rows;
  struct ledger_table t;
  int rc = operators_table(c, p->table, &t);
  if (rc) return rc;
  assert(t.rows_received <= t.rows_count);
  if (t.status == LEDGER_TABLE_COMPLETE) return redetermine(c, &t);
  if (t.status != LEDGER_TABLE_OPEN) return PROTO_E_TABLE_NOT_OPEN;
  /* chunks arrive in order, so the running hash is the rows hash once all are in */
  if (p->first_row != t.rows_received || p->rows_count > t.rows_count - t.rows_received)
    return PROTO_E_TABLE_ROWS;
  for (size_t i = 0; i < p->rows_count && rc == 0; i++) {
    if (p->rows[i].sector != t.sector) return PROTO_E_ALLOC_MISMATCH;
    rc = proto_alloc_rows_hash_step(t.hash, &p->rows[i]);
    if (rc == 0) rc = row_put(c, t.id, p->first_row + i, 1, &p->rows[i]);
  }
  if (rc) return rc;
  t.rows_received += p->rows_count;
  assert(t.rows_received <= t.rows_count);
  return table_put(c->b, &t);
}

/* Every row of a table whose rows are all in, read back in order. */
static int rows_load(struct batch *b, const struct ledger_table *t, struct proto_alloc_row **out) {
  struct proto_alloc_row *rows = calloc((size_t)t->rows_count, sizeof(*rows));
  if (!rows) return PROTO_E_NO_MEMORY;
  for (uint64_t i = 0; i < t->rows_count; i++) {
    int rc = row_get(b, t->id, i, &rows[i], NULL);
    if (rc) {
      free(rows);
      return rc == PROTO_E_UNKNOWN_ROW ? PROTO_E_CORRUPT : rc;
    }
  }
  *out = rows;
  return 0;
}

/* The closing entry: all rows in, their hash the header's, every amount the allocator's. */
static int close_table(struct tx_ctx *c, struct ledger_table *t) {
  assert(t->status == LEDGER_TABLE_OPEN);
  if (t->rows_received != t->rows_count ||
      memcmp(t->hash, t->rows_hash, PROTO_HASH_BYTES) != 0)
    return PROTO_E_TABLE_ROWS;
  bool found;
  int rc = complete_get(c->b, t->instrument, t->sector, t->phase, &found);
  if (rc) return rc;
  if (found) return PROTO_E_TABLE_EXISTS;
  struct alloc_scheme *s;
  struct proto_alloc_row *rows = NULL;
  if ((rc = header_scheme(c->b, t->header_index, &s))) return rc;
  rc = rows_load(c->b, t, &rows);
  if (rc == 0) {
    struct alloc_table_header h = {t->vintage, t->phase, PROTO_SCHEME_FINAL, t->bp_kind, t->bp};
    struct alloc_table_verdict v;
    rc = alloc_table_rows_check(s, &h, rows, (size_t)t->rows_count, &v);
  }
  free(rows);
  alloc_scheme_free(s);
  if (rc) return rc;
  uint8_t key[19], val[8];
  complete_key(t->instrument, t->sector, t->phase, key);
  be64_put(val, t->id);
  rc = overlay__put(c->b->ov, DB_ALLOC, key, sizeof(key), val, sizeof(val));
  t->status = LEDGER_TABLE_COMPLETE;
  return rc ? rc : table_put(c->b, t);
}

int rules__alloc_table_close(struct tx_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOC_TABLE_CLOSE);
  const struct proto_alloc_table_close *p = &c->tx->u.table_close;
  struct ledger_table t;
  int rc = operators_table(c, p->table, &t);
  if (rc) return rc;
  if (t.status != LEDGER_TABLE_OPEN) return PROTO_E_TABLE_NOT_OPEN;
  if (p->action == PROTO_TABLE_CLOSE) return close_table(c, &t);
  t.status = LEDGER_TABLE_ABANDONED;
  return table_put(c->b, &t);
}
