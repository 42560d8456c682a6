/* quota-audit's rules for allocation tables, against the ledger's: the log the ledger wrote for
 * each scenario replays without a failure to the same balances, and each entry the ledger
 * refused, forced into the log, fails the audit with the same code. */
#include "tables_fixture.h"

#include "audit/audit.h"
#include "rogue_writer.h"

/* A replay of every entry the ledger holds (which must all pass). */
static struct audit_replay *replay_ledger(struct fx *f) {
  struct audit_replay *r = audit_replay_new();
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(f->log, pub);
  audit_replay_set_log_key(r, pub);
  static uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  uint64_t n = ledger_tree_size(f->l);
  for (uint64_t i = 0; i < n; i++) {
    long len = ledger_entry_get(f->l, i, leaf, sizeof(leaf));
    cr_assert_gt(len, 0);
    struct audit_failure fail;
    int rc = audit_replay_leaf(r, leaf, (size_t)len, NULL, &fail);
    cr_assert_eq(rc, 0, "entry %llu: %s", (unsigned long long)i, fail.text);
  }
  return r;
}

static void balances_agree(struct fx *f, struct audit_replay *r) {
  const uint64_t ids[] = {FX_PROV44, TF_S1, TF_S2, FX_ENT_A};
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    struct ledger_balance l = fx_balance(f, ids[i], "CEA-2025");
    struct audit_balance a = {0};
    (void)audit_replay_balance(r, ids[i], "CEA-2025", &a);
    cr_assert(a.registry == l.registry && a.trading == l.trading && a.frozen == l.frozen,
              "account %llu: ledger %llu, audit %llu", (unsigned long long)ids[i],
              (unsigned long long)l.registry, (unsigned long long)a.registry);
  }
}

/* The ledger refuses tx with code; forced into the log as its next entry, the audit fails it
 * with the same code. */
static void both_refuse(struct fx *f, struct proto_tx *tx, struct proto_key *key, int code) {
  int rc = fx_apply_keys(f, tx, &key, 1);
  cr_assert_eq(rc, code, "ledger: expected %s, got %s", proto_err_name(code), rc ? proto_err_name(rc) : "ok");
  struct audit_replay *r = replay_ledger(f);
  static uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  size_t len = rogue_leaf(tx, ledger_tree_size(f->l), f->time_ms, 0, &key, 1, FX_ORIGIN, leaf,
                          sizeof(leaf));
  struct audit_failure fail;
  rc = audit_replay_leaf(r, leaf, len, NULL, &fail);
  cr_assert_eq(rc, code, "audit: expected %s, got %s (%s)", proto_err_name(code),
               rc ? proto_err_name(rc) : "ok", rc ? fail.text : "");
  audit_replay_free(r);
  proto_tx_free(tx);
}

static void ok(struct fx *f, struct proto_tx *tx, struct proto_key *signer) {
  int rc = fx_apply_keys(f, tx, &signer, 1);
  cr_assert_eq(rc, 0, "refused: %s", proto_err_name(rc));
  proto_tx_free(tx);
}

Test(audit_tables, replays_tables_allocations_and_claw_backs_to_the_ledgers_state) {
  struct fx f;
  tf_world(&f);
  tf_tables(&f);
  struct proto_tx tx;
  tf_alloc_tx(&f, &tx, TF_S1, 665000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 0);
  ok(&f, &tx, f.auth44);
  tf_alloc_tx(&f, &tx, TF_S1, 342500, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 0);
  ok(&f, &tx, f.auth44);
  tf_alloc_tx(&f, &tx, TF_S2, 700000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 1);
  ok(&f, &tx, f.auth44);
  struct proto_alloc_row row;
  tf_row(&row, 1, true);
  row.emissions_e6 = UINT64_C(600000000000);
  row.quota = 618000;
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 1, &row, 1);
  ok(&f, &tx, f.op[0]);
  tf_clawback_tx(&f, &tx, TF_S2, 82000, TF_TABLE_FINAL, 1);
  ok(&f, &tx, f.auth44);
  struct audit_replay *r = replay_ledger(&f);
  balances_agree(&f, r);
  struct audit_failure fail;
  cr_assert_eq(audit_replay_finish(r, &fail), 0, "%s", fail.text);
  audit_replay_free(r);
  fx_free(&f);
}

Test(audit_tables, refuses_what_the_ledger_refuses_in_tables) {
  struct fx f;
  tf_world(&f);
  struct proto_alloc_row rows[2];
  tf_row(&rows[0], 0, true);
  tf_row(&rows[1], 1, true);
  struct proto_tx tx;
  tf_open_tx(&f, &tx, 7, "steel-2026-draft", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  both_refuse(&f, &tx, f.op[0], PROTO_E_DRAFT_SCHEME);
  tf_open_tx(&f, &tx, 7, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_SOLVED, "1.6", rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_rows_tx(&f, &tx, 7, 1, &rows[1], 1);
  both_refuse(&f, &tx, f.op[0], PROTO_E_TABLE_ROWS);
  tf_rows_tx(&f, &tx, 7, 0, rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_close_tx(&f, &tx, 7, PROTO_TABLE_CLOSE);
  both_refuse(&f, &tx, f.op[0], PROTO_E_BP_MISMATCH); /* these rows do not solve to 1.6 */
  tf_close_tx(&f, &tx, 7, PROTO_TABLE_ABANDON);
  ok(&f, &tx, f.op[0]);
  rows[0].quota -= 1;
  tf_open_tx(&f, &tx, 8, "steel-2025", PROTO_PHASE_FINAL, PROTO_BP_PUBLISHED, "1.6", rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_rows_tx(&f, &tx, 8, 0, rows, 2);
  ok(&f, &tx, f.op[0]);
  tf_close_tx(&f, &tx, 8, PROTO_TABLE_CLOSE);
  both_refuse(&f, &tx, f.op[0], PROTO_E_TABLE_MISMATCH);
  fx_free(&f);
}

Test(audit_tables, refuses_what_the_ledger_refuses_in_allocations) {
  struct fx f;
  tf_world(&f);
  struct proto_tx tx;
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CCER-2024", 10);
  both_refuse(&f, &tx, f.op[0], PROTO_E_INSTRUMENT_KIND);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 10);
  tx.u.move.year = 2024;
  both_refuse(&f, &tx, f.auth44, PROTO_E_ALLOC_MISMATCH);
  tf_tables(&f);
  tf_alloc_tx(&f, &tx, TF_S1, 665001, PROTO_ALLOC_PRE, TF_TABLE_PRE, 0);
  both_refuse(&f, &tx, f.auth44, PROTO_E_OVER_ALLOCATION);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, TF_S1, "CEA-2025", 10);
  both_refuse(&f, &tx, f.auth44, PROTO_E_ALLOC_MISMATCH);
  tf_alloc_tx(&f, &tx, TF_S2, 700000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 1);
  ok(&f, &tx, f.auth44);
  tf_clawback_tx(&f, &tx, TF_S2, 1, TF_TABLE_FINAL, 1);
  both_refuse(&f, &tx, f.auth44, PROTO_E_CLAWBACK_BOUND);
  tf_alloc_tx(&f, &tx, TF_S2, 270001, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 1);
  both_refuse(&f, &tx, f.auth44, PROTO_E_OVER_ALLOCATION);
  tf_alloc_tx(&f, &tx, TF_S2, 270000, PROTO_ALLOC_SUPPLEMENT, TF_TABLE_FINAL, 1);
  ok(&f, &tx, f.auth44);
  struct audit_replay *r = replay_ledger(&f);
  balances_agree(&f, r);
  audit_replay_free(r);
  fx_free(&f);
}

/* Feeds tx, signed by key, to the ledger (expecting code) and to a keep-going replay as entry
 * index at the ledger's time: the audit must answer the same. */
static void side_by_side(struct fx *f, struct audit_replay *r, uint64_t index, struct proto_tx *tx,
                         struct proto_key *key, int code) {
  int rc = fx_apply_keys(f, tx, &key, 1);
  cr_assert_eq(rc, code, "ledger: expected %s, got %s", proto_err_name(code), rc ? proto_err_name(rc) : "ok");
  static uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  size_t len = rogue_leaf(tx, index, f->time_ms, 0, &key, 1, FX_ORIGIN, leaf, sizeof(leaf));
  struct audit_failure fail = {0};
  rc = audit_replay_leaf(r, leaf, len, NULL, &fail);
  cr_assert_eq(rc, code, "audit: expected %s, got %s (%s)", proto_err_name(code),
               rc ? proto_err_name(rc) : "ok", fail.text);
  proto_tx_free(tx);
}

/* A claw-back within its bound but refused for the balance (the units were sold) leaves the
 * unit's allocated total as it was: the audit once took it anyway, and then refused the same
 * claw-back once the units were back (the differential test's seed 20261125). */
Test(audit_tables, a_refused_claw_back_leaves_the_units_total_as_it_was) {
  struct fx f;
  tf_world(&f);
  tf_tables(&f);
  struct proto_key *rep_s2 = fx_key(0x52);
  fx_register(&f, rep_s2, PROTO_ROLE_REPRESENTATIVE, TF_S2);
  struct proto_tx tx;
  tf_alloc_tx(&f, &tx, TF_S2, 700000, PROTO_ALLOC_PRE, TF_TABLE_PRE, 1);
  ok(&f, &tx, f.auth44);
  struct proto_alloc_row row;
  tf_row(&row, 1, true);
  row.emissions_e6 = UINT64_C(600000000000);
  row.quota = 618000; /* re-determined: 82,000 above the quota may come back */
  tf_rows_tx(&f, &tx, TF_TABLE_FINAL, 1, &row, 1);
  ok(&f, &tx, f.op[0]);
  fx_move_tx(&f, &tx, PROTO_TX_TRANSFER, TF_S2, FX_ENT_A, "CEA-2025", 690000);
  ok(&f, &tx, rep_s2);
  struct audit_replay *r = replay_ledger(&f);
  audit_replay_keep_going(r, true);
  uint64_t at = ledger_tree_size(f.l);
  tf_clawback_tx(&f, &tx, TF_S2, 82000, TF_TABLE_FINAL, 1);
  side_by_side(&f, r, at++, &tx, f.auth44, PROTO_E_INSUFFICIENT_BALANCE);
  fx_move_tx(&f, &tx, PROTO_TX_TRANSFER, FX_ENT_A, TF_S2, "CEA-2025", 690000);
  side_by_side(&f, r, at++, &tx, f.rep_a, 0);
  tf_clawback_tx(&f, &tx, TF_S2, 82000, TF_TABLE_FINAL, 1);
  side_by_side(&f, r, at++, &tx, f.auth44, 0);
  tf_clawback_tx(&f, &tx, TF_S2, 1, TF_TABLE_FINAL, 1);
  side_by_side(&f, r, at++, &tx, f.auth44, PROTO_E_CLAWBACK_BOUND);
  balances_agree(&f, r);
  audit_replay_free(r);
  proto_key_free(rep_s2);
  fx_free(&f);
}
