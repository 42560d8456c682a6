/* Test helper for allocation tables: two steel enterprises of province 44 on top of the ledger
 * fixture's world, table rows with the worked examples' figures, and builders for the header,
 * chunks, closing entry and the allocations that cite a row. Static functions only. */
#ifndef QUOTAD_TEST_TABLES_FIXTURE_H
#define QUOTAD_TEST_TABLES_FIXTURE_H

#include "ledger_fixture.h"
#include "scheme_text.h"

#define TF_S1 1003u /* steel enterprise of 44: I = 1.52 */
#define TF_S2 1004u /* steel enterprise of 44: I = 2 */
#define TF_TABLE_FINAL 202501u
#define TF_TABLE_PRE 202500u

static char tf_uscc1[PROTO_USCC_BYTES + 1], tf_uscc2[PROTO_USCC_BYTES + 1];

/* The text of schemes/NAME.ini (caller frees). */
static inline char *tf_scheme_text(const char *name) { return test_scheme_text(name); }

/* The world, two steel enterprises, and 2,000,000 more CEA-2025 in province 44. */
static inline void tf_world(struct fx *f) {
  fx_world(f);
  fx_uscc("91440300MA0000001", tf_uscc1);
  fx_uscc("91440300MA0000002", tf_uscc2);
  const uint64_t ids[2] = {TF_S1, TF_S2};
  const char *usccs[2] = {tf_uscc1, tf_uscc2};
  struct proto_tx tx;
  for (int i = 0; i < 2; i++) {
    fx_account_tx(f, &tx, ids[i], PROTO_ACCOUNT_ENTERPRISE, 44, usccs[i], "Steel works");
    tx.u.account.sector = PROTO_SECTOR_STEEL;
    FX_OK(f, &tx, f->op[0]);
  }
  fx_move_tx(f, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2025", 3000000);
  FX_OK(f, &tx, f->op[0]);
  fx_move_tx(f, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CEA-2025", 2000000);
  FX_OK(f, &tx, f->op[0]);
}

/* Row i (0: S1, 1: S2) of the final table, steel-2025 with BP 1.6: S1 E 1,000,000 and output
 * 657,894.736842 (I = 1.52, X = 5%, quota 1,007,500), S2 E 1,000,000 and output 500,000 (I = 2,
 * X = -25%, quota 970,000); pre-allocations 70% of 950,000 and of 1,000,000. */
static inline void tf_row(struct proto_alloc_row *r, int i, bool final) {
  memset(r, 0, sizeof(*r));
  strcpy(r->uscc, i == 0 ? tf_uscc1 : tf_uscc2);
  strcpy(r->unit, "BF");
  r->sector = PROTO_SECTOR_STEEL;
  r->present = PROTO_ROW_PREV | (final ? PROTO_ROW_EMISSIONS : 0);
  r->prev_emissions_e6 = i == 0 ? UINT64_C(950000000000) : UINT64_C(1000000000000);
  r->pre = i == 0 ? 665000 : 700000;
  if (!final) return;
  r->emissions_e6 = UINT64_C(1000000000000);
  r->output_e6 = i == 0 ? UINT64_C(657894736842) : UINT64_C(500000000000);
  r->quota = i == 0 ? 1007500 : 970000;
}

/* The header of a table of `rows` rows; the scheme text is owned by tx. */
static inline void tf_open_tx(struct fx *f, struct proto_tx *tx, uint64_t table, const char *scheme,
                              unsigned phase, unsigned bp_kind, const char *bp,
                              const struct proto_alloc_row *rows, size_t n) {
  fx_tx(f, tx, PROTO_TX_ALLOC_TABLE_OPEN);
  struct proto_alloc_table_open *t = &tx->u.table_open;
  t->table = table;
  strcpy(t->instrument, "CEA-2025");
  t->phase = (uint8_t)phase;
  t->status = PROTO_SCHEME_FINAL;
  t->bp_kind = (uint8_t)bp_kind;
  snprintf(t->bp, sizeof(t->bp), "%s", bp);
  t->rows_count = n;
  cr_assert_eq(proto_alloc_rows_hash(rows, n, t->rows_hash), 0);
  t->scheme = tf_scheme_text(scheme);
}

static inline void tf_rows_tx(struct fx *f, struct proto_tx *tx, uint64_t table, uint64_t first,
                              const struct proto_alloc_row *rows, size_t n) {
  fx_tx(f, tx, PROTO_TX_ALLOC_TABLE_ROWS);
  tx->u.table_rows.table = table;
  tx->u.table_rows.first_row = first;
  tx->u.table_rows.rows_count = (uint16_t)n;
  tx->u.table_rows.rows = calloc(n, sizeof(*rows));
  memcpy(tx->u.table_rows.rows, rows, n * sizeof(*rows));
}

static inline void tf_close_tx(struct fx *f, struct proto_tx *tx, uint64_t table, unsigned action) {
  fx_tx(f, tx, PROTO_TX_ALLOC_TABLE_CLOSE);
  tx->u.table_close.table = table;
  tx->u.table_close.action = (uint8_t)action;
}

/* Publishes a whole table, one row a chunk; returns the closing entry's result. */
static inline int tf_publish(struct fx *f, uint64_t table, const char *scheme, unsigned phase,
                             unsigned bp_kind, const char *bp, const struct proto_alloc_row *rows,
                             size_t n) {
  struct proto_tx tx;
  tf_open_tx(f, &tx, table, scheme, phase, bp_kind, bp, rows, n);
  int rc = FX_APPLY(f, &tx, f->op[0]);
  proto_tx_free(&tx);
  cr_assert_eq(rc, 0, "open: %s", proto_err_name(rc));
  for (size_t i = 0; i < n; i++) {
    tf_rows_tx(f, &tx, table, i, &rows[i], 1);
    rc = FX_APPLY(f, &tx, f->op[0]);
    proto_tx_free(&tx);
    cr_assert_eq(rc, 0, "rows: %s", proto_err_name(rc));
  }
  tf_close_tx(f, &tx, table, PROTO_TABLE_CLOSE);
  return FX_APPLY(f, &tx, f->op[0]);
}

/* The final table (S1, S2 with BP 1.6 published) and the pre-allocation table. */
static inline void tf_tables(struct fx *f) {
  struct proto_alloc_row rows[2];
  tf_row(&rows[0], 0, false);
  tf_row(&rows[1], 1, false);
  cr_assert_eq(tf_publish(f, TF_TABLE_PRE, "steel-2025", PROTO_PHASE_PRE, PROTO_BP_NONE, "", rows, 2), 0);
  tf_row(&rows[0], 0, true);
  tf_row(&rows[1], 1, true);
  cr_assert_eq(tf_publish(f, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED,
                          "1.6", rows, 2), 0);
}

/* An allocate (version 2) from 44 to an enterprise, citing a table row. */
static inline void tf_alloc_tx(struct fx *f, struct proto_tx *tx, uint64_t to, uint64_t amount,
                               unsigned kind, uint64_t table, uint64_t row) {
  fx_move_tx(f, tx, PROTO_TX_ALLOCATE, FX_PROV44, to, "CEA-2025", amount);
  tx->version = 2;
  tx->u.move.kind = (uint8_t)kind;
  tx->u.move.table = table;
  tx->u.move.row = row;
}

static inline void tf_clawback_tx(struct fx *f, struct proto_tx *tx, uint64_t from, uint64_t amount,
                                  uint64_t table, uint64_t row) {
  fx_move_tx(f, tx, PROTO_TX_CLAWBACK, from, FX_PROV44, "CEA-2025", amount);
  tx->version = 2;
  tx->u.move.table = table;
  tx->u.move.row = row;
}

#endif
