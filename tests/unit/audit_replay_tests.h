/* The rule tests of quota-audit's replay (audit/replay.c): each rule accepts what it
 * should and names the entry and the rule of each violation. Included by test_audit_replay.c
 * (decoded transactions) and test_audit_leaf.c (the same through real signed leaves, with
 * W_LEAF_MODE), so that one list of tests covers both paths. */
#ifndef QUOTAD_TESTS_AUDIT_REPLAY_TESTS_H
#define QUOTAD_TESTS_AUDIT_REPLAY_TESTS_H

#include "proto/proto_json.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/audit_fixture.h"

static struct world w;
static void setup(void) { w_standard(&w); }
static void teardown(void) { w_fini(&w); }


Test(audit_replay, recomputes_balances_and_totals_of_a_valid_history) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 30000);
  w_ok(&w, &tx, w.rep_a);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2025"), 70000);
  cr_assert_eq(w_registry(&w, W_ENT_B, "CEA-2025"), 130000);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), 200000);
  cr_assert_eq(w_registry(&w, W_NATIONAL, "CEA-2025"), 100000);
  struct audit_instrument in;
  cr_assert(audit_replay_instrument(w.r, "CEA-2025", &in));
  cr_assert_eq(in.issued, 500000);
  cr_assert_eq(audit_replay_entries(w.r), w.next);
  cr_assert_eq(audit_replay_finish(w.r, &w.fail), 0, "%s", w.fail.text);
  teardown();
}

Test(audit_replay, names_issue_over_the_cap) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 500001);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_CAP_EXCEEDED);
  cr_assert(strstr(w.fail.text, "cap 1000000") != NULL, "%s", w.fail.text);
  teardown();
}

Test(audit_replay, names_an_overdraw_with_expected_and_found) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 100050);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_INSUFFICIENT_BALANCE);
  char want[128];
  snprintf(want, sizeof(want), "balance of account %u CEA-2025 registry would be -50: amount "
           "100050 exceeds available 100000", W_ENT_A);
  cr_assert(strstr(w.fail.text, want) != NULL, "%s", w.fail.text);
  cr_assert(strncmp(w.fail.text, "entry ", 6) == 0);
  teardown();
}

Test(audit_replay, names_a_transfer_of_frozen_units) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_FREEZE, W_ENT_A, 0, "CEA-2025", 90000);
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 20000);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_FROZEN); /* held but frozen, as the ledger says */
  cr_assert(strstr(w.fail.text, "frozen") != NULL, "%s", w.fail.text);
  teardown();
}

Test(audit_replay, names_an_unfreeze_above_the_frozen_amount) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_FREEZE, W_ENT_A, 0, "CEA-2025", 10);
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_UNFREEZE, W_ENT_A, 0, "CEA-2025", 11);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_NOT_FROZEN);
  teardown();
}

Test(audit_replay, names_ccer_above_five_percent) {
  setup();
  struct proto_tx tx = w_emissions(W_ENT_A, 2025, 60000);
  w_ok(&w, &tx, w.auth);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CCER-2024", 3000); /* exactly 5% */
  w_ok(&w, &tx, w.rep_a);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CCER-2024", 1);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_CCER_LIMIT);
  teardown();
}

Test(audit_replay, names_a_transfer_signed_by_the_wrong_role) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  w_refused(&w, &tx, &w.rep_b, 1, PROTO_E_WRONG_ROLE);
  struct proto_tx tx2 = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  struct world w2;
  w_standard(&w2);
  w_refused(&w2, &tx2, &w2.auth, 1, PROTO_E_WRONG_ROLE);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, names_a_surrender_of_an_ineligible_vintage) {
  setup();
  struct proto_tx tx = w_emissions(W_ENT_A, 2025, 60000);
  w_ok(&w, &tx, w.auth);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2024", 100);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_INELIGIBLE_VINTAGE);
  teardown();
}

Test(audit_replay, names_a_surrender_without_an_open_year_or_an_obligation) {
  setup();
  struct proto_tx tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2025", 100);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_NO_OBLIGATION);
  struct world w2;
  w_standard(&w2);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2026, "CEA-2025", 100);
  w_refused(&w2, &tx, &w2.rep_a, 1, PROTO_E_UNKNOWN_YEAR);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, names_a_revoked_key_signing) {
  setup();
  struct proto_tx tx = {.type = PROTO_TX_KEY_REVOKE};
  proto_key_hash(w.rep_a, tx.u.key_revoke.key_hash);
  strcpy(tx.u.key_revoke.reason, "left the company");
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_REVOKED_KEY);
  teardown();
}

Test(audit_replay, names_an_unknown_account) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, 999, "CEA-2025", 10);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_UNKNOWN_ACCOUNT);
  teardown();
}

Test(audit_replay, names_too_few_signatures_for_a_threshold) {
  setup();
  struct proto_tx tx = w_account(W_ENT_A, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE,
                                 "91350100M000100Y43", 2);
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_INSUFFICIENT_SIGNATURES);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  struct world w2;
  w_standard(&w2);
  struct proto_tx up = w_account(W_ENT_A, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE,
                                 "91350100M000100Y43", 2);
  up.type = PROTO_TX_ACCOUNT_UPDATE;
  w_ok(&w2, &up, w2.op1);
  struct proto_key *both[] = {w2.rep_a, w2.rep_a2};
  cr_assert_eq(w_step_w(&w2, &tx, 0, both, 2), 0, "%s", w2.fail.text);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, names_an_operator_act_below_the_operator_threshold) {
  setup();
  struct world w2;
  w_init(&w2);
  struct proto_tx tx = w_genesis(&w2, 2);
  w_ok(&w2, &tx, w2.log);
  tx = w_instrument("CEA-2025", PROTO_INSTRUMENT_CEA, 2025, 10, 2025, 2100);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_INSUFFICIENT_SIGNATURES);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, withholds_against_a_deduction_and_names_a_wrong_withheld) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_DEDUCT, W_ENT_A, 0, "", 7000);
  tx.u.move.year = 2024;
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 5000);
  cr_assert_eq(w_step_w(&w, &tx, 5000, &w.auth, 1), 0, "%s", w.fail.text);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2025"), 100000);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 5000);
  cr_assert_eq(w_step_w(&w, &tx, 2000, &w.auth, 1), 0, "%s", w.fail.text);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2025"), 103000);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), 197000);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 5000);
  uint64_t at = w.next;
  cr_assert_eq(w_step_w(&w, &tx, 1, &w.auth, 1), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(w.fail.index, at);
  cr_assert(strstr(w.fail.text, "withheld") != NULL, "%s", w.fail.text);
  teardown();
}

Test(audit_replay, names_allocation_to_another_province) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_OTHER, "CEA-2025", 10);
  w_refused(&w, &tx, &w.auth, 1, PROTO_E_PROVINCE_MISMATCH);
  teardown();
}

Test(audit_replay, names_an_authority_of_another_province) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 10);
  w_refused(&w, &tx, &w.auth_other, 1, PROTO_E_WRONG_ROLE);
  teardown();
}

Test(audit_replay, settles_all_legs_and_names_a_bad_leg) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_POSITION_MOVE, W_ENT_A, 0, "CEA-2025", 1000);
  tx.u.move.kind = PROTO_POSITION_TRADING;
  w_ok(&w, &tx, w.rep_a);
  struct proto_leg legs[2] = {{W_ENT_A, W_ENT_B, "CEA-2025", 600}, {W_ENT_B, W_ENT_A, "CEA-2025", 600}};
  struct proto_tx s = {.type = PROTO_TX_SETTLE};
  strcpy(s.u.settle.ref, "day 1");
  s.u.settle.legs_count = 2;
  s.u.settle.legs = legs;
  w_ok(&w, &s, w.exch);
  struct audit_balance b;
  cr_assert(audit_replay_balance(w.r, W_ENT_A, "CEA-2025", &b));
  cr_assert_eq(b.trading, 1000);
  legs[1].amount = 601;
  s.id[0] = 0;
  w_refused(&w, &s, &w.exch, 1, PROTO_E_INSUFFICIENT_BALANCE);
  cr_assert(strstr(w.fail.text, "leg 1: account 102 sells 601") != NULL, "%s", w.fail.text);
  /* Nothing of the refused settlement applied, not even its good first leg. */
  cr_assert(audit_replay_balance(w.r, W_ENT_A, "CEA-2025", &b));
  cr_assert_eq(b.trading, 1000);
  teardown();
}

Test(audit_replay, names_a_settle_not_signed_by_the_exchange) {
  setup();
  struct proto_leg legs[1] = {{W_ENT_A, W_ENT_B, "CEA-2025", 1}};
  struct proto_tx s = {.type = PROTO_TX_SETTLE};
  strcpy(s.u.settle.ref, "day 1");
  s.u.settle.legs_count = 1;
  s.u.settle.legs = legs;
  w_refused(&w, &s, &w.rep_a, 1, PROTO_E_WRONG_ROLE);
  teardown();
}

/* A sells 2,000 CEA-2024 to B: its net sales in the window. */
static void sell_old_vintage(struct world *v) {
  struct proto_tx sale = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2024", 2000);
  w_ok(v, &sale, v->rep_a);
}

Test(audit_replay, carries_over_within_the_cap_and_names_each_excess) {
  setup();
  sell_old_vintage(&w);
  struct proto_tx tx = {.type = PROTO_TX_CARRY_OVER};
  tx.u.carry_over.account = W_ENT_A;
  strcpy(tx.u.carry_over.from_instrument, "CEA-2024");
  strcpy(tx.u.carry_over.to_instrument, "CEA-2025");
  tx.u.carry_over.amount = 12000;
  tx.u.carry_over.net_sales = 2000;
  tx.u.carry_over.cap = 13000;
  tx.u.carry_over.window_start_ms = W_T0;
  tx.u.carry_over.window_end_ms = W_DEADLINE_2025;
  struct proto_tx bad = tx;
  bad.u.carry_over.cap = 13001; /* 10,000 + 1.5 * 2,000 = 13,000 */
  w_refused(&w, &bad, &w.op1, 1, PROTO_E_CARRYOVER_MISMATCH);
  struct world w2;
  w_standard(&w2);
  sell_old_vintage(&w2);
  w_ok(&w2, &tx, w2.op1);
  struct audit_instrument from, to;
  cr_assert(audit_replay_instrument(w2.r, "CEA-2024", &from));
  cr_assert(audit_replay_instrument(w2.r, "CEA-2025", &to));
  cr_assert_eq(from.carried_over, 12000);
  cr_assert_eq(to.issued, 512000);
  cr_assert_eq(w_registry(&w2, W_ENT_A, "CEA-2025"), 112000);
  cr_assert_eq(w_registry(&w2, W_ENT_A, "CEA-2024"), 36000);
  struct proto_tx more = tx;
  memset(more.id, 0, sizeof(more.id));
  more.u.carry_over.amount = 1001;
  w_refused(&w2, &more, &w2.op1, 1, PROTO_E_CARRYOVER_CAP);
  cr_assert_eq(audit_replay_finish(w2.r, &w2.fail), PROTO_E_CARRYOVER_CAP, "terminal");
  w_fini(&w2);
  teardown();
}

Test(audit_replay, computes_compliance_status_across_the_deadline) {
  setup();
  struct proto_tx tx = w_emissions(W_ENT_A, 2025, 100000);
  w_ok(&w, &tx, w.auth);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2025", 90000);
  w_ok(&w, &tx, w.rep_a);
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CCER-2024", 5000);
  w_ok(&w, &tx, w.rep_a);
  struct audit_compliance c;
  cr_assert(audit_replay_compliance(w.r, W_ENT_A, 2025, W_T0, &c));
  cr_assert_eq(c.counted, 95000);
  cr_assert_eq(c.shortfall, 5000);
  cr_assert_eq(c.status, 2);
  cr_assert(audit_replay_compliance(w.r, W_ENT_A, 2025, W_DEADLINE_2025 + 1, &c));
  cr_assert_eq(c.status, 4);
  w.time_ms = W_DEADLINE_2025 + 1000; /* a late surrender is accepted and marked late */
  tx = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2025", 5000);
  w_ok(&w, &tx, w.rep_a);
  cr_assert(audit_replay_compliance(w.r, W_ENT_A, 2025, W_DEADLINE_2025 + 5000, &c));
  cr_assert_eq(c.status, 3);
  cr_assert_eq(c.shortfall, 0);
  struct audit_instrument in;
  cr_assert(audit_replay_instrument(w.r, "CEA-2025", &in));
  cr_assert_eq(in.surrendered, 95000);
  cr_assert_eq(audit_replay_finish(w.r, &w.fail), 0, "%s", w.fail.text);
  teardown();
}

Test(audit_replay, lets_the_province_surrender_for_an_enterprise_of_its_own_only) {
  setup();
  struct proto_tx tx = w_emissions(W_ENT_A, 2025, 100);
  w_ok(&w, &tx, w.auth);
  tx = (struct proto_tx){.type = PROTO_TX_AT_RISK}; /* the province answers only for these */
  tx.u.at_risk.account = W_ENT_A;
  tx.u.at_risk.set = 1;
  strcpy(tx.u.at_risk.reason, "closed down");
  w_ok(&w, &tx, w.auth);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 100); /* held for A */
  w_ok(&w, &tx, w.auth);
  tx = w_surrender(W_ENT_A, W_PROVINCIAL, 2025, "CEA-2025", 100);
  w_ok(&w, &tx, w.auth);
  tx = w_surrender(W_ENT_A, W_PROVINCIAL_OTHER, 2025, "CEA-2025", 100);
  w_refused(&w, &tx, &w.auth_other, 1, PROTO_E_PROVINCE_MISMATCH);
  teardown();
}

Test(audit_replay, names_a_bad_or_unknown_signature) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  struct audit_signer s;
  proto_key_hash(w.rep_a, s.key_hash);
  s.status = AUDIT_SIG_BAD;
  w_id(&w, &tx);
  cr_assert_eq(audit_replay_tx(w.r, &tx, w.next, w.time_ms, 0, &s, 1, &w.fail),
               PROTO_E_BAD_SIGNATURE);
  struct world w2;
  w_standard(&w2);
  struct proto_key *stranger = proto_key_generate();
  struct proto_tx tx2 = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  w_refused(&w2, &tx2, &stranger, 1, PROTO_E_UNKNOWN_KEY);
  proto_key_free(stranger);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, a_failure_is_terminal) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 500001);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_CAP_EXCEEDED);
  uint64_t at = w.fail.index;
  tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 1);
  cr_assert_eq(w_step(&w, &tx, w.op1), PROTO_E_CAP_EXCEEDED);
  cr_assert_eq(w.fail.index, at);
  teardown();
}

Test(audit_replay, names_entries_out_of_sequence) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 1);
  struct audit_signer s;
  proto_key_hash(w.op1, s.key_hash);
  s.status = 0;
  w_id(&w, &tx);
  cr_assert_eq(audit_replay_tx(w.r, &tx, w.next + 1, w.time_ms, 0, &s, 1, &w.fail),
               PROTO_E_BAD_ARGUMENT);
  struct world w2;
  w_standard(&w2);
  w2.time_ms = W_T0 - 1; /* before the entries already replayed */
  tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 1);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_BAD_ARGUMENT);
  cr_assert(strstr(w2.fail.text, "goes back") != NULL, "%s", w2.fail.text);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, names_a_reused_transaction_id) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_ISSUE, 0, 0, "CEA-2025", 1);
  w_ok(&w, &tx, w.op1);
  tx.u.move.amount = 2; /* same id, other body */
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_ID_CONFLICT);
  teardown();
}

Test(audit_replay, names_genesis_out_of_place_and_a_foreign_log_key) {
  setup();
  struct proto_tx g = w_genesis(&w, 1);
  w_refused(&w, &g, &w.log, 1, PROTO_E_GENESIS_EXISTS);
  struct world w2;
  w_init(&w2);
  struct proto_tx tx = w_instrument("X", PROTO_INSTRUMENT_CEA, 2025, 1, 2025, 2025);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_GENESIS_REQUIRED);
  w_fini(&w2);
  w_init(&w2);
  g = w_genesis(&w2, 1);
  w_refused(&w2, &g, &w2.op1, 1, PROTO_E_UNKNOWN_LOG_KEY); /* not signed by the log key */
  w_fini(&w2);
  w_init(&w2);
  g = w_genesis(&w2, 1);
  proto_key_public(w2.op2, g.u.genesis.log_public_key); /* not the verifier key's */
  w_refused(&w2, &g, &w2.op2, 1, PROTO_E_UNKNOWN_LOG_KEY);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, names_account_rules) {
  setup();
  struct proto_tx tx = w_account(W_ENT_A, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, 1);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_ACCOUNT_EXISTS);
  struct world w2;
  w_standard(&w2);
  tx = w_account(300, PROTO_ACCOUNT_ENTERPRISE, W_PROVINCE, "91350100M000100Y43", 1);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_ACCOUNT_EXISTS); /* USCC taken */
  w_fini(&w2);
  w_standard(&w2);
  tx = w_account(300, PROTO_ACCOUNT_PROVINCIAL, W_PROVINCE, NULL, 1);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_ACCOUNT_EXISTS); /* province taken */
  w_fini(&w2);
  w_standard(&w2);
  tx = (struct proto_tx){.type = PROTO_TX_ACCOUNT_CLOSE};
  tx.u.account_close.account = W_ENT_A;
  strcpy(tx.u.account_close.reason, "closed");
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_ACCOUNT_NOT_EMPTY);
  w_fini(&w2);
  w_standard(&w2);
  tx = w_account(W_ENT_A, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, 1);
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_ACCOUNT_KIND);
  w_fini(&w2);
  teardown();
}

Test(audit_replay, names_a_transfer_out_of_a_closed_account) {
  setup();
  struct proto_tx tx = w_account(500, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, 1);
  w_ok(&w, &tx, w.op1);
  tx = (struct proto_tx){.type = PROTO_TX_ACCOUNT_CLOSE};
  tx.u.account_close.account = 500;
  strcpy(tx.u.account_close.reason, "closed");
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, 500, "CEA-2025", 1);
  w_refused(&w, &tx, &w.rep_a, 1, PROTO_E_ACCOUNT_CLOSED);
  teardown();
}

Test(audit_replay, names_key_register_rules) {
  setup();
  struct proto_key *k = proto_key_generate();
  struct proto_tx tx = w_key(k, PROTO_ROLE_AUTHORITY, 99);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_BAD_PROVINCE);
  struct world w2;
  w_standard(&w2);
  tx = w_key(w2.rep_a, PROTO_ROLE_REPRESENTATIVE, W_ENT_A);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_KEY_EXISTS);
  w_fini(&w2);
  w_standard(&w2);
  tx = w_key(k, PROTO_ROLE_EXCHANGE, 5);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_FIELD_NONZERO);
  w_fini(&w2);
  w_standard(&w2);
  tx = w_key(k, PROTO_ROLE_REPRESENTATIVE, 4242);
  w_refused(&w2, &tx, &w2.op1, 1, PROTO_E_UNKNOWN_ACCOUNT);
  w_fini(&w2);
  proto_key_free(k);
  teardown();
}

Test(audit_replay, names_a_deadline_moved_earlier) {
  setup();
  struct proto_tx tx = w_year(2025, W_DEADLINE_2025 - 1);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_DEADLINE_EARLIER);
  teardown();
}

Test(audit_replay, names_a_sum_past_two_to_the_53) {
  setup();
  struct proto_tx tx = w_instrument("BIG", PROTO_INSTRUMENT_CEA, 2025, PROTO_AMOUNT_MAX, 2025, 2100);
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_ISSUE, 0, 0, "BIG", PROTO_AMOUNT_MAX);
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_DEDUCT, W_ENT_A, 0, "", PROTO_AMOUNT_MAX);
  tx.u.move.year = 2025;
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_DEDUCT, W_ENT_A, 0, "", 1);
  tx.u.move.year = 2025;
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_OVERFLOW);
  teardown();
}

Test(audit_replay, names_a_second_revocation_of_a_key) {
  setup();
  struct proto_tx tx = {.type = PROTO_TX_KEY_REVOKE};
  proto_key_hash(w.rep_b, tx.u.key_revoke.key_hash);
  strcpy(tx.u.key_revoke.reason, "lost");
  w_ok(&w, &tx, w.op1);
  memset(tx.id, 0, sizeof(tx.id));
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_REVOKED_KEY);
  teardown();
}

Test(audit_replay, names_a_deadline_that_is_not_later) {
  setup();
  struct proto_tx tx = w_year(2025, W_DEADLINE_2025 + 1);
  w_ok(&w, &tx, w.op1);
  tx = w_year(2025, W_DEADLINE_2025 + 1);
  w_refused(&w, &tx, &w.op1, 1, PROTO_E_DEADLINE_EARLIER);
  teardown();
}

Test(audit_replay, withholding_still_needs_the_whole_amount_available) {
  setup();
  struct proto_tx tx = w_move(PROTO_TX_DEDUCT, W_ENT_A, 0, "", 300000);
  tx.u.move.year = 2024;
  w_ok(&w, &tx, w.op1);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), 200000);
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_A, "CEA-2025", 250000);
  uint64_t at = w.next;
  cr_assert_eq(w_step_w(&w, &tx, 250000, &w.auth, 1), PROTO_E_INSUFFICIENT_BALANCE, "%s", w.fail.text);
  cr_assert_eq(w.fail.index, at);
  teardown();
}

Test(audit_replay, names_a_position_move_outside_holding_accounts) {
  setup();
  struct proto_key *rep = proto_key_generate();
  struct proto_tx tx = w_key(rep, PROTO_ROLE_REPRESENTATIVE, W_PROVINCIAL);
  w_ok(&w, &tx, w.op1);
  tx = w_move(PROTO_TX_POSITION_MOVE, W_PROVINCIAL, 0, "CEA-2025", 1);
  tx.u.move.kind = PROTO_POSITION_TRADING;
  w_refused(&w, &tx, &rep, 1, PROTO_E_ACCOUNT_KIND);
  proto_key_free(rep);
  teardown();
}

Test(audit_replay, names_net_sales_the_log_does_not_show) {
  setup();
  sell_old_vintage(&w);
  struct proto_tx buy = w_move(PROTO_TX_TRANSFER, W_ENT_B, W_ENT_A, "CEA-2024", 500);
  w_ok(&w, &buy, w.rep_b); /* net sales of A: 2,000 - 500 = 1,500 */
  struct proto_tx tx = {.type = PROTO_TX_CARRY_OVER};
  tx.u.carry_over.account = W_ENT_A;
  strcpy(tx.u.carry_over.from_instrument, "CEA-2024");
  strcpy(tx.u.carry_over.to_instrument, "CEA-2025");
  tx.u.carry_over.amount = 100;
  tx.u.carry_over.net_sales = 1500;
  tx.u.carry_over.cap = 12250;
  tx.u.carry_over.window_start_ms = W_T0;
  tx.u.carry_over.window_end_ms = W_DEADLINE_2025;
  struct proto_tx inflated = tx;
  inflated.u.carry_over.net_sales = 1501;
  w_refused(&w, &inflated, &w.op1, 1, PROTO_E_CARRYOVER_MISMATCH);
  cr_assert(strstr(w.fail.text, "net sales of 1500") != NULL, "%s", w.fail.text);
  struct world w2;
  w_standard(&w2);
  sell_old_vintage(&w2);
  buy.id[0] = 0;
  w_ok(&w2, &buy, w2.rep_b);
  w_ok(&w2, &tx, w2.op1);
  struct proto_tx outside = tx; /* the sales fall outside this window: NS 0 */
  memset(outside.id, 0, sizeof(outside.id));
  outside.u.carry_over.window_start_ms = 0;
  outside.u.carry_over.window_end_ms = W_T0;
  w_refused(&w2, &outside, &w2.op1, 1, PROTO_E_CARRYOVER_MISMATCH);
  w_fini(&w2);
  teardown();
}

/* ---- hostile keys: tests/vectors/ed25519-keys.json ---- */
static json_t *key_vectors(void) {
  char path[512];
  json_error_t err;
  snprintf(path, sizeof(path), "%s/ed25519-keys.json", QUOTAD_VECTORS_DIR);
  json_t *j = json_load_file(path, 0, &err);
  cr_assert_not_null(j, "%s: %s", path, err.text);
  return j;
}

static void key_hex(const json_t *obj, const char *key, uint8_t out[PROTO_PUBKEY_BYTES]) {
  const char *hex = json_string_value(json_object_get(obj, key));
  cr_assert_not_null(hex, "no %s", key);
  cr_assert_eq(proto_hex_decode(hex, strlen(hex), out, PROTO_PUBKEY_BYTES), PROTO_PUBKEY_BYTES);
}

static struct proto_tx raw_key_register(const uint8_t pub[PROTO_PUBKEY_BYTES], uint64_t account) {
  struct proto_tx tx = {.type = PROTO_TX_KEY_REGISTER};
  memcpy(tx.u.key_register.public_key, pub, PROTO_PUBKEY_BYTES);
  tx.u.key_register.role = PROTO_ROLE_REPRESENTATIVE;
  tx.u.key_register.scope = account;
  strcpy(tx.u.key_register.name, "representative");
  return tx;
}

Test(audit_replay, names_the_registration_of_every_weak_key) {
  json_t *root = key_vectors(), *v;
  size_t i, refused = 0;
  json_array_foreach(json_object_get(root, "vectors"), i, v) {
    if (json_is_true(json_object_get(v, "valid"))) continue;
    uint8_t pub[PROTO_PUBKEY_BYTES];
    key_hex(v, "hex", pub);
    setup();
    struct proto_tx tx = raw_key_register(pub, W_ENT_A);
    w_refused(&w, &tx, &w.op1, 1, PROTO_E_BAD_KEY);
    teardown();
    refused++;
  }
  cr_assert_geq(refused, 17u);
  setup();
  uint8_t a[PROTO_PUBKEY_BYTES];
  key_hex(root, "a", a);
  struct proto_tx tx = raw_key_register(a, W_ENT_A);
  w_ok(&w, &tx, w.op1);
  teardown();
  json_decref(root);
}

Test(audit_replay, names_a_genesis_whose_operators_are_a_and_a_plus_t) {
  json_t *root = key_vectors();
  struct world w2;
  w_init(&w2);
  struct proto_tx g = w_genesis(&w2, 2);
  g.u.genesis.operator_keys_count = 2;
  key_hex(root, "a", g.u.genesis.operator_keys[0]);
  key_hex(root, "a_plus_t2", g.u.genesis.operator_keys[1]);
  w_refused(&w2, &g, &w2.log, 1, PROTO_E_BAD_KEY);
  cr_assert(strstr(w2.fail.text, "operator key 1") != NULL, "%s", w2.fail.text);
  w_fini(&w2);
  json_decref(root);
}

Test(audit_replay, names_a_genesis_threshold_above_its_distinct_operator_keys) {
  struct world w2;
  w_init(&w2);
  struct proto_tx g = w_genesis(&w2, 4); /* three operator keys */
  w_refused(&w2, &g, &w2.log, 1, PROTO_E_BAD_THRESHOLD);
  w_fini(&w2);
  w_init(&w2);
  g = w_genesis(&w2, 3);
  w_ok(&w2, &g, w2.log);
  w_fini(&w2);
}

#endif /* QUOTAD_TESTS_AUDIT_REPLAY_TESTS_H */
