/* Allocation tables: the recomputation that the ledger (at publication) and the audit (at
 * replay) both run over a table's header and rows, so that the formula has one home. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/internal.h"

void alloc_unit_from_row(const struct proto_alloc_row *row, struct alloc_unit *u) {
  memset(u, 0, sizeof(*u));
  memcpy(u->uscc, row->uscc, sizeof(u->uscc));
  memcpy(u->unit_id, row->unit, sizeof(u->unit_id));
  u->sector = row->sector;
  u->category = row->category;
  u->flags = row->flags;
  u->emissions_unknown = !(row->present & PROTO_ROW_EMISSIONS);
  u->has_prev = (row->present & PROTO_ROW_PREV) != 0;
  /* proto_alloc_row_check keeps every input at or below INT64_MAX */
  u->emissions_e6 = (int64_t)row->emissions_e6;
  u->output_e6 = (int64_t)row->output_e6;
  u->prev_emissions_e6 = (int64_t)row->prev_emissions_e6;
  u->supplied_mwh_e6 = (int64_t)row->supplied_mwh_e6;
  u->heat_gj_e6 = (int64_t)row->heat_gj_e6;
  u->load_pct_e6 = (int64_t)row->load_pct_e6;
  u->carbide_slag_e6 = (int64_t)row->carbide_slag_e6;
}

void alloc_row_from_result(const struct alloc_run *run, size_t i, struct proto_alloc_row *row) {
  assert(i < run->count);
  const struct alloc_result *r = &run->results[i];
  const struct alloc_unit *u = &run->data->units[r->unit];
  memset(row, 0, sizeof(*row));
  memcpy(row->uscc, u->uscc, sizeof(row->uscc));
  memcpy(row->unit, u->unit_id, sizeof(row->unit));
  row->sector = u->sector;
  row->category = u->category;
  row->flags = (uint16_t)u->flags;
  row->present = (uint8_t)((u->emissions_unknown ? 0 : PROTO_ROW_EMISSIONS) |
                           (u->has_prev ? PROTO_ROW_PREV : 0));
  row->emissions_e6 = u->emissions_unknown ? 0 : (uint64_t)u->emissions_e6;
  row->output_e6 = (uint64_t)u->output_e6;
  row->prev_emissions_e6 = u->has_prev ? (uint64_t)u->prev_emissions_e6 : 0;
  row->supplied_mwh_e6 = (uint64_t)u->supplied_mwh_e6;
  row->heat_gj_e6 = (uint64_t)u->heat_gj_e6;
  row->load_pct_e6 = (uint64_t)u->load_pct_e6;
  row->carbide_slag_e6 = (uint64_t)u->carbide_slag_e6;
  row->pre = r->pre;
  row->quota = run->summary.pre_only ? 0 : r->quota;
}

static bool bp_equal(const char *a, const char *b) {
  alloc_dec x, y;
  return alloc__dec_parse(a, strlen(a), &x) == 0 && alloc__dec_parse(b, strlen(b), &y) == 0 &&
         x == y;
}

int alloc_table_header_check(const struct alloc_scheme *s, const struct alloc_table_header *h) {
  if (s->draft || h->status != PROTO_SCHEME_FINAL) return PROTO_E_DRAFT_SCHEME;
  if (s->year != h->vintage) return PROTO_E_ALLOC_MISMATCH;
  if (h->phase == PROTO_PHASE_PRE) {
    /* a pre-allocation has no balance value: it comes from last year's emissions alone */
    if (s->pre_share == 0) return PROTO_E_ALLOC_MISMATCH;
    return h->bp_kind == PROTO_BP_NONE ? 0 : PROTO_E_BP_MISMATCH;
  }
  if (s->method != ALLOC_INTENSITY_COEFFICIENT)
    return h->bp_kind == PROTO_BP_NONE ? 0 : PROTO_E_BP_MISMATCH;
  if (h->bp_kind == PROTO_BP_SOLVED) return s->has_bp ? PROTO_E_BP_MISMATCH : 0;
  if (h->bp_kind != PROTO_BP_PUBLISHED) return PROTO_E_BP_MISMATCH;
  /* a published value is taken as given, but a scheme that names one must agree with it */
  if (s->has_bp) {
    char text[ALLOC_TEXT_BYTES];
    if (alloc__dec_format(s->bp, -1, ALLOC_ROUND_TRUNC, text, sizeof(text)) <= 0)
      return PROTO_E_OVERFLOW;
    if (!bp_equal(text, h->bp)) return PROTO_E_BP_MISMATCH;
  }
  return 0;
}

/* Each row has this year's emissions in a final table and none in a pre-allocation table. */
static int rows_phase(const struct alloc_table_header *h, const struct proto_alloc_row *rows,
                      size_t n, struct alloc_table_verdict *v) {
  for (size_t i = 0; i < n; i++) {
    bool has = (rows[i].present & PROTO_ROW_EMISSIONS) != 0;
    if (has != (h->phase == PROTO_PHASE_FINAL)) {
      v->row = i;
      return PROTO_E_ALLOC_MISMATCH;
    }
  }
  return 0;
}

static int compare_rows(const struct alloc_run *run, const struct proto_alloc_row *rows,
                        struct alloc_table_verdict *v) {
  for (size_t i = 0; i < run->count; i++) {
    const struct alloc_result *r = &run->results[i];
    uint64_t quota = run->summary.pre_only ? 0 : r->quota;
    if (rows[i].pre != r->pre || rows[i].quota != quota) {
      v->row = i;
      v->pre = r->pre;
      v->quota = quota;
      return PROTO_E_TABLE_MISMATCH;
    }
  }
  return 0;
}

/* A solved table: the ledger's own solve over the rows, truncated to 18 places as published,
 * must be the header's value. */
static int solve_check(const struct alloc_scheme *s, const struct alloc_data *d,
                       const struct alloc_table_header *h, struct alloc_table_verdict *v) {
  struct alloc_run *run;
  struct alloc_diag diag;
  int err = alloc_compute(s, d, NULL, &run, &diag);
  if (err) {
    v->row = diag.line ? diag.line - 1 : 0;
    return err;
  }
  memcpy(v->bp, run->summary.bp, sizeof(v->bp));
  alloc_run_free(run);
  return bp_equal(v->bp, h->bp) ? 0 : PROTO_E_BP_MISMATCH;
}

static int cmp_row(const void *a, const void *b) {
  const struct proto_alloc_row *x = *(const struct proto_alloc_row *const *)a;
  const struct proto_alloc_row *y = *(const struct proto_alloc_row *const *)b;
  int c = strcmp(x->uscc, y->uscc);
  return c ? c : strcmp(x->unit, y->unit);
}

/* A unit is named by (USCC, unit id): allocations are held to it, so it appears once. */
static int rows_unique(const struct proto_alloc_row *rows, size_t n, struct alloc_table_verdict *v) {
  if (n < 2) return 0;
  const struct proto_alloc_row **order = malloc(n * sizeof(*order));
  if (!order) return PROTO_E_NO_MEMORY;
  for (size_t i = 0; i < n; i++) order[i] = &rows[i];
  qsort(order, n, sizeof(*order), cmp_row);
  int err = 0;
  for (size_t i = 1; i < n && !err; i++) {
    if (cmp_row(&order[i - 1], &order[i]) != 0) continue;
    v->row = (size_t)(order[i] > order[i - 1] ? order[i] - rows : order[i - 1] - rows);
    err = PROTO_E_TABLE_ROWS;
  }
  free(order);
  return err;
}

int alloc_table_rows_check(const struct alloc_scheme *s, const struct alloc_table_header *h,
                           const struct proto_alloc_row *rows, size_t n,
                           struct alloc_table_verdict *v) {
  memset(v, 0, sizeof(*v));
  int err = rows_phase(h, rows, n, v);
  if (!err) err = rows_unique(rows, n, v);
  if (err) return err;
  struct alloc_data d = {calloc(n ? n : 1, sizeof(struct alloc_unit)), n};
  if (!d.units) return PROTO_E_NO_MEMORY;
  for (size_t i = 0; i < n; i++) alloc_unit_from_row(&rows[i], &d.units[i]);
  if (h->bp_kind == PROTO_BP_SOLVED) err = solve_check(s, &d, h, v);
  struct alloc_run *run = NULL;
  struct alloc_diag diag = {0};
  const char *bp = h->bp_kind == PROTO_BP_NONE ? NULL : h->bp;
  if (!err) err = alloc_compute(s, &d, bp, &run, &diag);
  if (err && !run) v->row = v->row ? v->row : (diag.line ? diag.line - 1 : 0);
  if (!err) err = compare_rows(run, rows, v);
  alloc_run_free(run);
  free(d.units);
  return err;
}
