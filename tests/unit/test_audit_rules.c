/* The audit's mirror of closure and at-risk rules: what the ledger refuses (closing an account
 * that owes, reopening an open one, at-risk status by the wrong role, a provincial surrender for
 * an enterprise not at risk) fails the replay at that entry with the same code. */
#include "tests/unit/audit_fixture.h"

static struct world w;

static struct proto_tx close_tx(uint8_t type, uint64_t account) {
  struct proto_tx tx = {.type = type};
  tx.u.account_close.account = account;
  strcpy(tx.u.account_close.reason, "ceased operation");
  return tx;
}

static struct proto_tx at_risk_tx(uint64_t account, uint8_t set) {
  struct proto_tx tx = {.type = PROTO_TX_AT_RISK};
  tx.u.at_risk.account = account;
  tx.u.at_risk.set = set;
  strcpy(tx.u.at_risk.reason, "closed down in 2025");
  return tx;
}

/* B gives its units back to the province, so that it holds nothing. */
static void empty_b(void) {
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_B, W_ENT_A, "CEA-2025", 100000);
  w_ok(&w, &tx, w.rep_b);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_B, W_ENT_A, "CCER-2024", 5000);
  w_ok(&w, &tx, w.rep_b);
}

static void refused(struct proto_tx *tx, struct proto_key *key, int code) {
  w_refused(&w, tx, &key, 1, code);
  w_fini(&w);
}

Test(audit_close, refuses_an_enterprise_short_in_a_year) {
  w_standard(&w);
  empty_b();
  struct proto_tx tx = w_emissions(W_ENT_B, 2025, 500);
  w_ok(&w, &tx, w.auth);
  tx = close_tx(PROTO_TX_ACCOUNT_CLOSE, W_ENT_B);
  refused(&tx, w.op1, PROTO_E_ACCOUNT_OWES);
}

Test(audit_close, refuses_an_enterprise_owing_a_deduction) {
  w_standard(&w);
  empty_b();
  struct proto_tx tx = w_move(PROTO_TX_DEDUCT, W_ENT_B, 0, "", 300);
  tx.u.move.year = 2025;
  w_ok(&w, &tx, w.op1);
  tx = close_tx(PROTO_TX_ACCOUNT_CLOSE, W_ENT_B);
  refused(&tx, w.op1, PROTO_E_ACCOUNT_OWES);
}

Test(audit_close, closes_a_compliant_empty_enterprise_and_reopens_it) {
  w_standard(&w);
  empty_b();
  struct proto_tx tx = w_emissions(W_ENT_B, 2025, 0);
  w_ok(&w, &tx, w.auth);
  tx = close_tx(PROTO_TX_ACCOUNT_CLOSE, W_ENT_B);
  w_ok(&w, &tx, w.op1);
  struct audit_account a;
  cr_assert(audit_replay_account(w.r, W_ENT_B, &a) && a.closed);
  tx = close_tx(PROTO_TX_ACCOUNT_REOPEN, W_ENT_B);
  w_ok(&w, &tx, w.op1);
  cr_assert(audit_replay_account(w.r, W_ENT_B, &a) && !a.closed);
  cr_assert_str_eq(a.uscc, "91110000802100433B");
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  w_ok(&w, &tx, w.rep_a);
  tx = close_tx(PROTO_TX_ACCOUNT_REOPEN, W_ENT_B);
  refused(&tx, w.op1, PROTO_E_ACCOUNT_OPEN);
}

Test(audit_close, reopen_needs_the_operators) {
  w_standard(&w);
  empty_b();
  struct proto_tx tx = close_tx(PROTO_TX_ACCOUNT_CLOSE, W_ENT_B);
  w_ok(&w, &tx, w.op1);
  tx = close_tx(PROTO_TX_ACCOUNT_REOPEN, W_ENT_B);
  refused(&tx, w.auth, PROTO_E_WRONG_ROLE);
}

Test(audit_at_risk, set_by_the_authority_cleared_by_operators) {
  w_standard(&w);
  struct proto_tx tx = at_risk_tx(W_ENT_A, 1);
  w_ok(&w, &tx, w.auth);
  struct audit_account a;
  cr_assert(audit_replay_account(w.r, W_ENT_A, &a) && a.at_risk);
  tx = at_risk_tx(W_ENT_A, 0);
  w_ok(&w, &tx, w.op1);
  cr_assert(audit_replay_account(w.r, W_ENT_A, &a) && !a.at_risk);
  tx = at_risk_tx(W_ENT_A, 0);
  refused(&tx, w.op1, PROTO_E_AT_RISK_UNCHANGED);
}

Test(audit_at_risk, another_province_authority_is_refused) {
  w_standard(&w);
  struct proto_tx tx = at_risk_tx(W_ENT_A, 1);
  refused(&tx, w.auth_other, PROTO_E_WRONG_ROLE);
}

Test(audit_at_risk, only_enterprises) {
  w_standard(&w);
  struct proto_tx tx = at_risk_tx(W_PROVINCIAL, 1);
  refused(&tx, w.op1, PROTO_E_ACCOUNT_KIND);
}

Test(audit_at_risk, provincial_surrender_needs_an_at_risk_enterprise) {
  w_standard(&w);
  struct proto_tx tx = w_emissions(W_ENT_B, 2025, 700);
  w_ok(&w, &tx, w.auth);
  tx = at_risk_tx(W_ENT_A, 1); /* another enterprise at risk does not do */
  w_ok(&w, &tx, w.auth);
  tx = w_surrender(W_ENT_B, W_PROVINCIAL, 2025, "CEA-2025", 700);
  refused(&tx, w.auth, PROTO_E_NOT_AT_RISK);
}

/* A refusal in keep-going mode: the code, no effect, and the replay goes on. */
static void refused_go_on(struct proto_tx *tx, struct proto_key *key, int code) {
  cr_assert_eq(w_step(&w, tx, key), code, "%s", w.fail.text);
  w.next++; /* it counts as replayed */
}

Test(audit_at_risk, provincial_surrender_for_an_at_risk_enterprise_is_accepted_up_to_what_is_held) {
  w_standard(&w);
  audit_replay_keep_going(w.r, true);
  struct proto_tx tx = w_emissions(W_ENT_B, 2025, 700);
  w_ok(&w, &tx, w.auth);
  tx = at_risk_tx(W_ENT_B, 1);
  w_ok(&w, &tx, w.auth);
  /* nothing is held for it yet: the province may not answer from its own units */
  uint64_t prov = w_registry(&w, W_PROVINCIAL, "CEA-2025");
  tx = w_surrender(W_ENT_B, W_PROVINCIAL, 2025, "CEA-2025", 700);
  refused_go_on(&tx, w.auth, PROTO_E_NOT_HELD);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), prov, "the refusal moved nothing");
  /* an allocation to it stays in the province, held for it: 700 may then be surrendered */
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_B, "CEA-2025", 700);
  w_ok(&w, &tx, w.auth);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), prov, "held in the province");
  cr_assert_eq(w_registry(&w, W_ENT_B, "CEA-2025"), 100000, "B's own units unchanged");
  tx = w_surrender(W_ENT_B, W_PROVINCIAL, 2025, "CEA-2025", 701);
  refused_go_on(&tx, w.auth, PROTO_E_NOT_HELD);
  tx = w_surrender(W_ENT_B, W_PROVINCIAL, 2025, "CEA-2025", 700);
  w_ok(&w, &tx, w.auth);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), prov - 700);
  tx = w_surrender(W_ENT_B, W_PROVINCIAL, 2025, "CEA-2025", 1);
  refused_go_on(&tx, w.auth, PROTO_E_NOT_HELD); /* what was held is used up */
  cr_assert_eq(audit_replay_failures_count(w.r), 3);
  struct audit_compliance c;
  cr_assert(audit_replay_compliance(w.r, W_ENT_B, 2025, W_T0, &c));
  cr_assert_eq(c.shortfall, 0);
  w_fini(&w);
}

/* Keep-going mode (quota-audit's): each failing entry is recorded with its rule, has no effect,
 * counts as replayed, and the replay goes on; a structural fault still stops it. */
Test(audit_keep_going, records_every_failing_entry_and_goes_on) {
  w_standard(&w);
  audit_replay_keep_going(w.r, true);
  uint64_t a_before = w_registry(&w, W_ENT_A, "CEA-2025");
  uint64_t first = w.next;
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", a_before + 1);
  cr_assert_eq(w_step(&w, &tx, w.rep_a), PROTO_E_INSUFFICIENT_BALANCE);
  w.next++; /* it counts as replayed */
  tx = close_tx(PROTO_TX_ACCOUNT_REOPEN, W_ENT_A);
  cr_assert_eq(w_step(&w, &tx, w.op1), PROTO_E_ACCOUNT_OPEN);
  w.next++;
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 10);
  w_ok(&w, &tx, w.rep_a);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2025"), a_before - 10, "only the good entry moved units");
  cr_assert_eq(audit_replay_failures_count(w.r), 2);
  struct audit_failure f;
  cr_assert(audit_replay_failure_at(w.r, 0, &f));
  cr_assert_eq(f.index, first);
  cr_assert_eq(f.code, PROTO_E_INSUFFICIENT_BALANCE);
  cr_assert(audit_replay_failure_at(w.r, 1, &f));
  cr_assert_eq(f.index, first + 1);
  cr_assert_eq(f.code, PROTO_E_ACCOUNT_OPEN);
  cr_assert(!audit_replay_failure_at(w.r, 2, &f));
  cr_assert(!audit_replay_stopped(w.r));
  cr_assert_eq(audit_replay_entries(w.r), first + 3);
  /* A structural fault (an index out of sequence) stops the replay for good. */
  w.next += 5;
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 1);
  cr_assert_eq(w_step(&w, &tx, w.rep_a), PROTO_E_BAD_ARGUMENT);
  cr_assert(audit_replay_stopped(w.r));
  cr_assert_eq(audit_replay_failures_count(w.r), 2);
  w_fini(&w);
}
