/* The audit's rules about allocation tables, re-implemented apart from ledger/rules_tables.c:
 * headers, chunks, closing entries and re-determinations, recomputed with alloc/ again; and
 * what each allocation unit has received, which allocations and claw-backs are held to. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/alloc.h"
#include "audit/internal.h"

struct audit_table {
  uint8_t status, phase, sector, bp_kind; /* status: 1 open, 2 complete, 3 abandoned */
  uint16_t vintage;
  uint64_t rows_count, received;
  uint8_t hash[PROTO_HASH_BYTES], rows_hash[PROTO_HASH_BYTES];
  proto_instrument_t instrument;
  char bp[PROTO_BP_BYTES_MAX + 1];
  char *scheme;                 /* heap: the header's text */
  struct proto_alloc_row *rows; /* heap: rows_count of them, the latest version of each */
};
enum { T_OPEN = 1, T_COMPLETE = 2, T_ABANDONED = 3 };

struct audit_unit {
  uint64_t pre, total;
};

struct audit_tables {
  struct audit_map tables;   /* id (8 BE) -> audit_table */
  struct audit_map units;    /* instrument (16) || SHA-256(uscc 0 unit)[0..15] -> audit_unit */
  struct audit_map complete; /* instrument (16) || sector || phase -> uint64_t table id */
  struct audit_map held;     /* account (8 BE) || instrument (16) -> uint64_t held for it */
};

static struct audit_tables *tables_of(struct audit_ctx *c) {
  struct audit_replay *r = c->r;
  if (r->tables) return r->tables;
  struct audit_tables *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  audit_map_init(&t->tables, 8, sizeof(struct audit_table));
  audit_map_init(&t->units, 32, sizeof(struct audit_unit));
  audit_map_init(&t->complete, 18, sizeof(uint64_t));
  audit_map_init(&t->held, 8 + PROTO_INSTRUMENT_BYTES, sizeof(uint64_t));
  r->tables = t;
  return t;
}

void audit__tables_free(struct audit_replay *r) {
  struct audit_tables *t = r->tables;
  if (!t) return;
  for (size_t i = 0; i < t->tables.count; i++) {
    struct audit_table *tb = audit_map_at(&t->tables, i, NULL);
    free(tb->scheme);
    free(tb->rows);
  }
  audit_map_free(&t->tables);
  audit_map_free(&t->units);
  audit_map_free(&t->complete);
  audit_map_free(&t->held);
  free(t);
  r->tables = NULL;
}

static struct audit_table *table_find(struct audit_ctx *c, uint64_t id) {
  struct audit_tables *t = tables_of(c);
  uint8_t key[8];
  audit__account_key(id, key);
  return t ? audit_map_get(&t->tables, key) : NULL;
}

static void complete_key(const char *instrument, uint8_t sector, uint8_t phase, uint8_t key[18]) {
  audit__code_key(instrument, key);
  key[16] = sector;
  key[17] = phase;
}

static bool complete_exists(struct audit_ctx *c, const char *instrument, uint8_t sector,
                            uint8_t phase) {
  uint8_t key[18];
  complete_key(instrument, sector, phase, key);
  return audit_map_get(&tables_of(c)->complete, key) != NULL;
}

static int need_table_instrument(struct audit_ctx *c, const char *code, struct audit_instr_rec **in) {
  int rc = audit__need_instrument(c, code, in);
  if (rc) return rc;
  if ((*in)->kind != PROTO_INSTRUMENT_CEA)
    return audit__fail(c, PROTO_E_INSTRUMENT_KIND, "%s is not a CEA vintage: CCER is never allocated",
                       code);
  return 0;
}

int audit__rule_table_open(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOC_TABLE_OPEN);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_alloc_table_open *p = &c->tx->u.table_open;
  struct audit_instr_rec *in = NULL;
  int rc = audit__need_operators(c, "publish an allocation table");
  if (rc) return rc;
  if (!tables_of(c)) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (table_find(c, p->table))
    return audit__fail(c, PROTO_E_TABLE_EXISTS, "allocation table %llu exists", LLU(p->table));
  if ((rc = need_table_instrument(c, p->instrument, &in))) return rc;
  struct alloc_scheme *s;
  if ((rc = alloc_scheme_parse(p->scheme, &s, NULL)))
    return audit__fail(c, rc, "the scheme text of table %llu does not parse", LLU(p->table));
  struct alloc_table_header h = {in->vintage, p->phase, p->status, p->bp_kind, p->bp};
  rc = alloc_table_header_check(s, &h);
  uint8_t sector = (uint8_t)alloc_scheme_sector(s);
  alloc_scheme_free(s);
  if (rc) return audit__fail(c, rc, "table %llu's header disagrees with its scheme", LLU(p->table));
  if (complete_exists(c, p->instrument, sector, p->phase))
    return audit__fail(c, PROTO_E_TABLE_EXISTS, "a complete %s table of %s for that sector exists",
                       proto_table_phase_name(p->phase), p->instrument);
  uint8_t key[8];
  audit__account_key(p->table, key);
  struct audit_table *t = audit_map_put(&tables_of(c)->tables, key, NULL);
  char *scheme = strdup(p->scheme);
  struct proto_alloc_row *rows = calloc((size_t)p->rows_count, sizeof(*rows));
  if (!t || !scheme || !rows) {
    free(scheme);
    free(rows);
    return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  }
  *t = (struct audit_table){T_OPEN, p->phase, sector, p->bp_kind, in->vintage, p->rows_count, 0,
                            {0}, {0}, {0}, {0}, scheme, rows};
  proto_alloc_rows_hash_start(t->hash);
  memcpy(t->rows_hash, p->rows_hash, PROTO_HASH_BYTES);
  memcpy(t->instrument, p->instrument, sizeof(t->instrument));
  memcpy(t->bp, p->bp, sizeof(t->bp));
  return 0;
}

static int recompute(struct audit_ctx *c, const struct audit_table *t, const struct alloc_table_header *h,
                     const struct proto_alloc_row *rows, size_t n) {
  struct alloc_scheme *s;
  int rc = alloc_scheme_parse(t->scheme, &s, NULL);
  if (rc) return audit__fail(c, rc, "the table's scheme no longer parses");
  struct alloc_table_verdict v;
  rc = alloc_table_rows_check(s, h, rows, n, &v);
  alloc_scheme_free(s);
  if (rc == PROTO_E_TABLE_MISMATCH)
    return audit__fail(c, rc, "row %zu: the allocator computes pre %llu and quota %llu", v.row,
                       LLU(v.pre), LLU(v.quota));
  if (rc == PROTO_E_BP_MISMATCH)
    return audit__fail(c, rc, "balance value %s, but the rows solve to %s", h->bp, v.bp);
  return rc ? audit__fail(c, rc, "row %zu does not recompute", v.row) : 0;
}

static int redetermine(struct audit_ctx *c, struct audit_table *t) {
  const struct proto_alloc_table_rows *p = &c->tx->u.table_rows;
  if (p->rows_count != 1)
    return audit__fail(c, PROTO_E_TABLE_ROWS, "a re-determination publishes one row, not %u",
                       p->rows_count);
  if (p->first_row >= t->rows_count)
    return audit__fail(c, PROTO_E_UNKNOWN_ROW, "no row %llu", LLU(p->first_row));
  const struct proto_alloc_row *old = &t->rows[p->first_row], *r = &p->rows[0];
  if (strcmp(old->uscc, r->uscc) != 0 || strcmp(old->unit, r->unit) != 0 || old->sector != r->sector)
    return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "row %llu is another unit", LLU(p->first_row));
  unsigned kind = t->bp_kind == PROTO_BP_SOLVED ? PROTO_BP_PUBLISHED : t->bp_kind;
  struct alloc_table_header h = {t->vintage, t->phase, PROTO_SCHEME_FINAL, kind, t->bp};
  int rc = recompute(c, t, &h, r, 1);
  if (rc == 0) t->rows[p->first_row] = *r;
  return rc;
}

int audit__rule_table_rows(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOC_TABLE_ROWS);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_alloc_table_rows *p = &c->tx->u.table_rows;
  int rc = audit__need_operators(c, "publish allocation table rows");
  if (rc) return rc;
  struct audit_table *t = table_find(c, p->table);
  if (!t) return audit__fail(c, PROTO_E_UNKNOWN_TABLE, "no allocation table %llu", LLU(p->table));
  if (t->status == T_COMPLETE) return redetermine(c, t);
  if (t->status != T_OPEN)
    return audit__fail(c, PROTO_E_TABLE_NOT_OPEN, "table %llu was abandoned", LLU(p->table));
  if (p->first_row != t->received || p->rows_count > t->rows_count - t->received)
    return audit__fail(c, PROTO_E_TABLE_ROWS, "rows from %llu: table %llu has %llu of %llu",
                       LLU(p->first_row), LLU(p->table), LLU(t->received), LLU(t->rows_count));
  uint8_t hash[PROTO_HASH_BYTES];
  memcpy(hash, t->hash, sizeof(hash));
  for (size_t i = 0; i < p->rows_count; i++) {
    if (p->rows[i].sector != t->sector)
      return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "row %llu is of another sector",
                         LLU(p->first_row + i));
    if ((rc = proto_alloc_rows_hash_step(hash, &p->rows[i]))) return audit__fail(c, rc, "bad row");
  }
  memcpy(t->hash, hash, sizeof(hash));
  memcpy(&t->rows[t->received], p->rows, p->rows_count * sizeof(*p->rows));
  t->received += p->rows_count;
  return 0;
}

int audit__rule_table_close(struct audit_ctx *c) {
  PROTO_ASSERT(c->tx->type == PROTO_TX_ALLOC_TABLE_CLOSE);
  PROTO_ASSERT(c->r->genesis_done); /* replay.c judges the genesis before any rule */
  const struct proto_alloc_table_close *p = &c->tx->u.table_close;
  int rc = audit__need_operators(c, "close an allocation table");
  if (rc) return rc;
  struct audit_table *t = table_find(c, p->table);
  if (!t) return audit__fail(c, PROTO_E_UNKNOWN_TABLE, "no allocation table %llu", LLU(p->table));
  if (t->status != T_OPEN)
    return audit__fail(c, PROTO_E_TABLE_NOT_OPEN, "table %llu is not open", LLU(p->table));
  if (p->action == PROTO_TABLE_ABANDON) {
    t->status = T_ABANDONED;
    return 0;
  }
  if (t->received != t->rows_count || memcmp(t->hash, t->rows_hash, PROTO_HASH_BYTES) != 0)
    return audit__fail(c, PROTO_E_TABLE_ROWS, "table %llu: %llu of %llu rows, or their hash differs "
                       "from the header's", LLU(p->table), LLU(t->received), LLU(t->rows_count));
  if (complete_exists(c, t->instrument, t->sector, t->phase))
    return audit__fail(c, PROTO_E_TABLE_EXISTS, "a complete table of that kind exists");
  struct alloc_table_header h = {t->vintage, t->phase, PROTO_SCHEME_FINAL, t->bp_kind, t->bp};
  if ((rc = recompute(c, t, &h, t->rows, (size_t)t->rows_count))) return rc;
  uint8_t key[18];
  complete_key(t->instrument, t->sector, t->phase, key);
  uint64_t *id = audit_map_put(&tables_of(c)->complete, key, NULL);
  if (!id) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  *id = p->table;
  t->status = T_COMPLETE;
  return 0;
}

/* ---- what allocations are held to ------------------------------------------------------- */

static struct audit_unit *unit_of(struct audit_ctx *c, const char *instrument,
                                  const struct proto_alloc_row *row) {
  uint8_t key[32], zero = 0, h[PROTO_HASH_BYTES];
  const void *parts[] = {row->uscc, &zero, row->unit};
  size_t lens[] = {strlen(row->uscc), 1, strlen(row->unit)};
  proto_sha256_parts(parts, lens, 3, h);
  audit__code_key(instrument, key);
  memcpy(key + 16, h, 16);
  return audit_map_put(&tables_of(c)->units, key, NULL);
}

static int cited_row(struct audit_ctx *c, const struct audit_account_rec *e, unsigned kind,
                     const struct proto_alloc_row **row) {
  const struct proto_movement *m = &c->tx->u.move;
  const struct audit_table *t = m->table ? table_find(c, m->table) : NULL;
  if (!t) return audit__fail(c, PROTO_E_UNKNOWN_TABLE, "no allocation table %llu", LLU(m->table));
  if (t->status != T_COMPLETE)
    return audit__fail(c, PROTO_E_TABLE_INCOMPLETE, "table %llu is not complete", LLU(m->table));
  unsigned phase = kind == PROTO_ALLOC_PRE ? PROTO_PHASE_PRE : PROTO_PHASE_FINAL;
  if (strcmp(t->instrument, m->instrument) != 0 || t->phase != phase)
    return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "table %llu is the %s table of %s",
                       LLU(m->table), proto_table_phase_name(t->phase), t->instrument);
  if (m->row >= t->rows_count)
    return audit__fail(c, PROTO_E_UNKNOWN_ROW, "table %llu has no row %llu", LLU(m->table), LLU(m->row));
  *row = &t->rows[m->row];
  if (strcmp((*row)->uscc, e->uscc) != 0 || (*row)->sector != e->sector)
    return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "row %llu is not enterprise %llu's",
                       LLU(m->row), LLU(e->id));
  return 0;
}

/* Version 1 is allowed only while the vintage has no complete table for the sector. */
static int no_table(struct audit_ctx *c, const struct audit_account_rec *e) {
  const char *code = c->tx->u.move.instrument;
  if (!tables_of(c)) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (complete_exists(c, code, e->sector, PROTO_PHASE_PRE) ||
      complete_exists(c, code, e->sector, PROTO_PHASE_FINAL))
    return audit__fail(c, PROTO_E_ALLOC_MISMATCH, "%s has an allocation table: cite its row", code);
  return 0;
}

/* Checks an allocation against its row; apply records it (called again once the entry's debit
 * succeeded, so that a refused entry leaves the unit's totals as they were, as in the ledger). */
int audit__hold_to_row(struct audit_ctx *c, const struct audit_account_rec *to, bool apply) {
  const struct proto_movement *m = &c->tx->u.move;
  if (c->tx->version < 2) return no_table(c, to);
  const struct proto_alloc_row *row = NULL;
  int rc = cited_row(c, to, m->kind, &row);
  if (rc) return rc;
  struct audit_unit *u = unit_of(c, m->instrument, row);
  if (!u) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  bool pre = m->kind == PROTO_ALLOC_PRE;
  uint64_t bound = pre ? row->pre : row->quota, given = pre ? u->pre : u->total;
  if (m->amount > bound || given > bound - m->amount)
    return audit__fail(c, PROTO_E_OVER_ALLOCATION, "%llu more to a unit given %llu of its %llu",
                       LLU(m->amount), LLU(given), LLU(bound));
  if (!apply) return 0;
  if (pre) u->pre += m->amount;
  return audit__add_checked(c, &u->total, m->amount, "a unit's allocations");
}

/* Checks a claw-back against its row's bound; apply takes it from the unit (as above). */
int audit__clawback_bound(struct audit_ctx *c, const struct audit_account_rec *from, bool apply) {
  const struct proto_movement *m = &c->tx->u.move;
  if (c->tx->version < 2) return no_table(c, from);
  const struct proto_alloc_row *row = NULL;
  int rc = cited_row(c, from, PROTO_ALLOC_FINAL, &row);
  if (rc) return rc;
  struct audit_unit *u = unit_of(c, m->instrument, row);
  if (!u) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  if (u->total <= row->quota || m->amount > u->total - row->quota)
    return audit__fail(c, PROTO_E_CLAWBACK_BOUND, "claws back %llu of a unit given %llu against a "
                       "final quota of %llu", LLU(m->amount), LLU(u->total), LLU(row->quota));
  if (apply) u->total -= m->amount;
  return 0;
}

int audit__held_add(struct audit_ctx *c, uint64_t account, const char *code, uint64_t amount) {
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(account, key);
  audit__code_key(code, key + 8);
  struct audit_tables *t = tables_of(c);
  uint64_t *held = t ? audit_map_put(&t->held, key, NULL) : NULL;
  if (!held) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  return audit__add_checked(c, held, amount, "units held for an at-risk enterprise");
}

int audit__held_take(struct audit_ctx *c, uint64_t account, const char *code, uint64_t amount,
                     bool apply) {
  uint8_t key[8 + PROTO_INSTRUMENT_BYTES];
  audit__account_key(account, key);
  audit__code_key(code, key + 8);
  struct audit_tables *t = tables_of(c);
  if (!t) return audit__fail(c, PROTO_E_NO_MEMORY, "out of memory");
  uint64_t *held = audit_map_get(&t->held, key);
  uint64_t have = held ? *held : 0;
  if (have < amount)
    return audit__fail(c, PROTO_E_NOT_HELD, "the province holds %llu of %s for account %llu, "
                       "not %llu", LLU(have), code, LLU(account), LLU(amount));
  if (apply && held) *held -= amount;
  return 0;
}
