/* Allocation tables on the ledger: publication in chunks, the recomputation with alloc/, and
 * allocations and claw-backs held to their table row. Each refusal has its code and leaves the
 * ledger unchanged. */
#include "tables_fixture.h"


/* Applies tx, which must be refused with code, and checks that nothing changed. */
static void refused(struct fx *f, struct proto_tx *tx, int code, struct proto_key *signer) {
  struct fx_snap before;
  fx_snapshot(f, &before);
  struct ledger_balance s1 = fx_balance(f, TF_S1, "CEA-2025"), s2 = fx_balance(f, TF_S2, "CEA-2025");
  int rc = fx_apply_keys(f, tx, &signer, 1);
  cr_assert_eq(rc, code, "expected %s, got %s", proto_err_name(code), rc ? proto_err_name(rc) : "ok");
  fx_assert_unchanged(f, &before);
  struct ledger_balance s1n = fx_balance(f, TF_S1, "CEA-2025"), s2n = fx_balance(f, TF_S2, "CEA-2025");
  cr_assert(fx_bal_eq(&s1, &s1n) && fx_bal_eq(&s2, &s2n), "a steel balance changed");
  proto_tx_free(tx);
}

static void ok(struct fx *f, struct proto_tx *tx, struct proto_key *signer) {
  int rc = fx_apply_keys(f, tx, &signer, 1);
  cr_assert_eq(rc, 0, "refused: %s", proto_err_name(rc));
  proto_tx_free(tx);
}

Test(tables, a_table_published_in_chunks_is_complete_only_after_its_closing_entry) {
  struct fx f;
  tf_world(&f);
  struct proto_alloc_row rows[2];
  tf_row(&rows[0], 0, true);
  tf_row(&rows[1], 1, true);
  struct proto_tx tx;
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 0, rows, 1);
  ok(&f, &tx, f.op[0]);
  struct ledger_table t;
  cr_assert_eq(ledger_table_get(f.l, TF_TABLE_FINAL, &t), 0);
  cr_assert(t.status == LEDGER_TABLE_OPEN && t.rows_received == 1 && t.sector == PROTO_SECTOR_STEEL);
  tf_alloc_tx(&f, &tx, TF_S1, 1000, PROTO_ALLOC_FINAL, TF_TABLE_FINAL, 0);
  refused(&f, &tx, PROTO_E_TABLE_INCOMPLETE, f.auth44);
  tf_close_tx(&f, &tx, TF_TABLE_FINAL, PROTO_TABLE_CLOSE);
  refused(&f, &tx, PROTO_E_TABLE_ROWS, f.op[0]); /* a row is missing */
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 0, &rows[1], 1);
  refused(&f, &tx, PROTO_E_TABLE_ROWS, f.op[0]); /* chunks come in order */
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 1, &rows[1], 1);
  ok(&f, &tx, f.op[0]);
  tf_close_tx(&f, &tx, TF_TABLE_FINAL, PROTO_TABLE_CLOSE);
  ok(&f, &tx, f.op[0]);
  cr_assert_eq(ledger_table_get(f.l, TF_TABLE_FINAL, &t), 0);
  cr_assert_eq(t.status, LEDGER_TABLE_COMPLETE);
  struct proto_alloc_row back;
  uint16_t version;
  uint64_t index;
  cr_assert_eq(ledger_table_row(f.l, TF_TABLE_FINAL, 1, &back, &version, &index), 0);
  cr_assert(back.quota == 970000 && version == 1);
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 0, rows, 2);
  refused(&f, &tx, PROTO_E_TABLE_ROWS, f.op[0]); /* a complete table takes single-row versions */
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 2, rows, 1);
  refused(&f, &tx, PROTO_E_UNKNOWN_ROW, f.op[0]);
  fx_free(&f);
}

Test(tables, refuses_amounts_that_differ_from_the_allocator_and_allows_abandoning) {
  struct fx f;
  tf_world(&f);
  struct proto_alloc_row rows[2];
  tf_row(&rows[0], 0, true);
  tf_row(&rows[1], 1, true);
  rows[1].quota += 1; /* one tonne more than I = 2 at BP 1.6 gives */
  struct proto_tx tx;
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 0, rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_close_tx(&f, &tx, TF_TABLE_FINAL, PROTO_TABLE_CLOSE);
  refused(&f, &tx, PROTO_E_TABLE_MISMATCH, f.op[0]);
  tf_close_tx(&f, &tx, TF_TABLE_FINAL, PROTO_TABLE_ABANDON);
  ok(&f, &tx, f.op[0]);
  tf_close_tx(&f, &tx, TF_TABLE_FINAL, PROTO_TABLE_CLOSE);
  refused(&f, &tx, PROTO_E_TABLE_NOT_OPEN, f.op[0]);
  rows[1].quota -= 1;
  cr_assert_eq(tf_publish(&f, TF_TABLE_FINAL + 1, "steel-2025", PROTO_PHASE_FINAL,
                          PROTO_BP_PUBLISHED, "1.6", rows, 2), 0, "a new table replaces it");
  fx_free(&f);
}

Test(tables, refuses_a_draft_scheme_a_wrong_hash_and_a_ccer_table) {
  struct fx f;
  tf_world(&f);
  struct proto_alloc_row rows[2];
  tf_row(&rows[0], 0, true);
  tf_row(&rows[1], 1, true);
  struct proto_tx tx;
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2026-draft", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  refused(&f, &tx, PROTO_E_DRAFT_SCHEME, f.op[0]);
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  tx.u.table_open.status = PROTO_SCHEME_DRAFT;
  refused(&f, &tx, PROTO_E_DRAFT_SCHEME, f.op[0]);
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  strcpy(tx.u.table_open.instrument, "CCER-2024");
  refused(&f, &tx, PROTO_E_INSTRUMENT_KIND, f.op[0]);
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  refused(&f, &tx, PROTO_E_WRONG_ROLE, f.auth44);
  tf_open_tx(&f, &tx, TF_TABLE_FINAL, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 1);
  ok(&f, &tx, f.op[0]); /* commits to row 0 alone */
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 0, &rows[1], 1);
  ok(&f, &tx, f.op[0]);
  tf_close_tx(&f, &tx, TF_TABLE_FINAL, PROTO_TABLE_CLOSE);
  refused(&f, &tx, PROTO_E_TABLE_ROWS, f.op[0]);
  fx_free(&f);
}

Test(tables, a_solved_balance_value_must_be_the_ledgers_own_solve) {
  struct fx f;
  tf_world(&f);
  /* equal E at I = 1 and I = 2: the sector balances at exactly 1.25 */
  struct proto_alloc_row rows[2];
  tf_row(&rows[0], 0, true);
  tf_row(&rows[1], 1, true);
  rows[0].output_e6 = UINT64_C(1000000000000);
  rows[0].quota = 1030000;
  rows[1].quota = 970000;
  cr_assert_eq(tf_publish(&f, 1, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_SOLVED, "1.26", rows, 2),
               PROTO_E_BP_MISMATCH);
  cr_assert_eq(tf_publish(&f, 2, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_SOLVED, "1.25", rows, 2), 0);
  fx_free(&f);
}

Test(tables, allocations_are_held_to_their_row) {
  struct fx f;
  tf_world(&f);
  tf_tables(&f);
  struct proto_tx tx;
  tf_alloc_tx(&f, &tx, TF_S1, 665001, PROTO_ALLOC_PRE, TF_TABLE_PRE, 0);
  refused(&f, &tx, PROTO_E_OVER_ALLOCATION, f.auth44);
  tf_alloc_tx(&f, &tx, TF_S1, 665000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 0);
  ok(&f, &tx, f.auth44);
  tf_alloc_tx(&f, &tx, TF_S1, 1, PROTO_ALLOC_PRE, TF_TABLE_PRE, 0);
  refused(&f, &tx, PROTO_E_OVER_ALLOCATION, f.auth44);
  tf_alloc_tx(&f, &tx, TF_S1, 1000, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_PRE, 0);
  refused(&f, &tx, PROTO_E_ALLOC_MISMATCH, f.auth44); /* a supplement cites the final table */
  tf_alloc_tx(&f, &tx, TF_S1, 1000, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 1);
  refused(&f, &tx, PROTO_E_ALLOC_MISMATCH, f.auth44); /* S2's row */
  tf_alloc_tx(&f, &tx, TF_S1, 342501, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 0);
  refused(&f, &tx, PROTO_E_OVER_ALLOCATION, f.auth44); /* 665,000 + 342,501 > 1,007,500 */
  tf_alloc_tx(&f, &tx, TF_S1, 342500, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 0);
  ok(&f, &tx, f.auth44);
  cr_assert_eq(fx_balance(&f, TF_S1, "CEA-2025").registry, 1007500);
  tf_alloc_tx(&f, &tx, TF_S1, 1000, PROTO_ALLOC_FINAL, TF_TABLE_FINAL, 7);
  refused(&f, &tx, PROTO_E_UNKNOWN_ROW, f.auth44);
  tf_alloc_tx(&f, &tx, TF_S1, 1000, PROTO_ALLOC_FINAL, 99, 0);
  refused(&f, &tx, PROTO_E_UNKNOWN_TABLE, f.auth44);
  fx_free(&f);
}

Test(tables, year_and_kind_agree_with_the_instrument_and_ccer_is_never_allocated) {
  struct fx f;
  tf_world(&f);
  struct proto_tx tx;
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 10);
  tx.u.move.year = 2024;
  refused(&f, &tx, PROTO_E_ALLOC_MISMATCH, f.auth44);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CCER-2024", 10);
  refused(&f, &tx, PROTO_E_INSTRUMENT_KIND, f.op[0]);
  tf_tables(&f);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, TF_S1, "CEA-2025", 10);
  refused(&f, &tx, PROTO_E_ALLOC_MISMATCH, f.auth44); /* version 1 no longer, once tables exist */
  tf_alloc_tx(&f, &tx, TF_S1, 10, PROTO_ALLOC_FINAL, 0, 0);
  refused(&f, &tx, PROTO_E_UNKNOWN_TABLE, f.auth44);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 10);
  ok(&f, &tx, f.auth44); /* power has no table of CEA-2025 here */
  fx_free(&f);
}

Test(tables, a_claw_back_takes_only_what_was_allocated_above_the_final_quota) {
  struct fx f;
  tf_world(&f);
  tf_tables(&f);
  struct proto_tx tx;
  tf_alloc_tx(&f, &tx, TF_S2, 700000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 1);
  ok(&f, &tx, f.auth44);
  fx_move_tx(&f, &tx, PROTO_TX_TRANSFER, FX_ENT_A, TF_S2, "CEA-2025", 50000);
  ok(&f, &tx, f.rep_a); /* S2 also bought 50,000 */
  tf_clawback_tx(&f, &tx, TF_S2, 1, TF_TABLE_FINAL, 1);
  refused(&f, &tx, PROTO_E_CLAWBACK_BOUND, f.auth44); /* 700,000 allocated < 970,000 */
  /* a re-determination lowers S2's verified emissions: E 600,000 at I = 1.2 (output 500,000) */
  struct proto_alloc_row row;
  tf_row(&row, 1, true);
  row.emissions_e6 = UINT64_C(600000000000);
  row.quota = 618000; /* X = 25%: +3% */
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 1, &row, 1);
  struct proto_tx bad = tx;
  bad.u.table_rows.rows = calloc(1, sizeof(row));
  row.quota += 1;
  memcpy(bad.u.table_rows.rows, &row, sizeof(row));
  row.quota -= 1;
  fx_new_id(&f, &bad);
  refused(&f, &bad, PROTO_E_TABLE_MISMATCH, f.op[0]);
  ok(&f, &tx, f.op[0]);
  tf_clawback_tx(&f, &tx, TF_S2, 82001, TF_TABLE_FINAL, 1);
  refused(&f, &tx, PROTO_E_CLAWBACK_BOUND, f.auth44);
  tf_clawback_tx(&f, &tx, TF_S2, 82000, TF_TABLE_FINAL, 1);
  ok(&f, &tx, f.auth44);
  cr_assert_eq(fx_balance(&f, TF_S2, "CEA-2025").registry, 700000 + 50000 - 82000);
  struct proto_alloc_row back;
  uint16_t version;
  cr_assert_eq(ledger_table_row(f.l, TF_TABLE_FINAL, 1, &back, &version, NULL), 0);
  cr_assert(version == 2 && back.quota == 618000);
  fx_free(&f);
}

Test(tables, withheld_units_count_as_allocated) {
  struct fx f;
  tf_world(&f);
  tf_tables(&f);
  struct proto_tx tx;
  fx_move_tx(&f, &tx, PROTO_TX_DEDUCT, TF_S1, 0, "", 5000);
  ok(&f, &tx, f.op[0]);
  tf_alloc_tx(&f, &tx, TF_S1, 1007500, PROTO_ALLOC_FINAL, TF_TABLE_FINAL, 0);
  ok(&f, &tx, f.auth44);
  cr_assert_eq(f.last.withheld, 5000);
  cr_assert_eq(fx_balance(&f, TF_S1, "CEA-2025").registry, 1002500);
  tf_alloc_tx(&f, &tx, TF_S1, 1, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 0);
  refused(&f, &tx, PROTO_E_OVER_ALLOCATION, f.auth44); /* the withheld 5,000 were allocated */
  fx_free(&f);
}

/* Makes the enterprise at risk with its own transaction type, signed by its authority. */
static void set_at_risk(struct fx *f, uint64_t account) {
  struct proto_tx tx;
  fx_tx(f, &tx, PROTO_TX_AT_RISK);
  tx.u.at_risk.account = account;
  tx.u.at_risk.set = 1;
  snprintf(tx.u.at_risk.reason, sizeof(tx.u.at_risk.reason), "closed down");
  ok(f, &tx, f->auth44);
}

Test(tables, an_allocation_to_an_at_risk_enterprise_stays_with_its_province) {
  struct fx f;
  tf_world(&f);
  tf_tables(&f);
  set_at_risk(&f, TF_S2);
  uint64_t prov = fx_balance(&f, FX_PROV44, "CEA-2025").registry;
  struct proto_tx tx;
  tf_alloc_tx(&f, &tx, TF_S2, 700000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 1);
  ok(&f, &tx, f.auth44);
  cr_assert_eq(fx_balance(&f, TF_S2, "CEA-2025").registry, 0);
  cr_assert_eq(fx_balance(&f, FX_PROV44, "CEA-2025").registry, prov, "held in the province");
  tf_alloc_tx(&f, &tx, TF_S2, 1, PROTO_ALLOC_PRE, TF_TABLE_PRE, 1);
  refused(&f, &tx, PROTO_E_OVER_ALLOCATION, f.auth44); /* held units count as allocated */
  fx_free(&f);
}
