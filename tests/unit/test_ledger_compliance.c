/* Compliance rules: verified emissions, surrender (eligibility, CCER 5%, on behalf of at-risk
 * enterprises), statuses across the deadline, cancellation, carry-over and deductions. */
#include "ledger_fixture.h"

static struct fx F;
static void setup_world(void) { fx_world(&F); }
static void teardown(void) { fx_free(&F); }

static void emissions(uint64_t account, unsigned year, uint64_t tonnes, struct proto_key *k) {
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx.u.emissions.account = account;
  tx.u.emissions.year = (uint16_t)year;
  tx.u.emissions.emissions = tonnes;
  FX_OK(&F, &tx, k);
}

static void surrender_tx(struct proto_tx *tx, uint64_t account, uint64_t from, unsigned year,
                         const char *code, uint64_t amount) {
  fx_tx(&F, tx, PROTO_TX_SURRENDER);
  tx->u.surrender.account = account;
  tx->u.surrender.from = from;
  tx->u.surrender.year = (uint16_t)year;
  snprintf(tx->u.surrender.instrument, sizeof(tx->u.surrender.instrument), "%s", code);
  tx->u.surrender.amount = amount;
}

static struct ledger_compliance status_at(uint64_t account, unsigned year, uint64_t now) {
  struct ledger_compliance c;
  int rc = ledger_compliance_get(F.l, account, year, now, &c);
  cr_assert_eq(rc, 0, "compliance_get: %s", proto_err_name(rc));
  return c;
}

/* A's CCER-2024 holding: issued to A as the project owner (CCER is never allocated). */
static void give_ccer(uint64_t amount) {
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_ISSUE, 0, FX_ENT_A, "CCER-2024", amount);
  tx.version = 2;
  FX_OK(&F, &tx, F.op[0]);
}


Test(emissions, later_record_supersedes_and_needs_the_province_authority) {
  setup_world();
  emissions(FX_ENT_A, 2025, 50000, F.auth44);
  emissions(FX_ENT_A, 2025, 60000, F.auth44);
  cr_assert_eq(status_at(FX_ENT_A, 2025, FX_T0).emissions, 60000);
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx.u.emissions.account = FX_ENT_A;
  tx.u.emissions.year = 2025;
  tx.u.emissions.emissions = 1;
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth11);
  tx.u.emissions.account = FX_PART;
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.auth44);
  cr_assert_eq(status_at(FX_ENT_A, 2025, FX_T0).emissions, 60000);
  teardown();
}


Test(surrender, moves_units_to_the_sink_and_completes_the_obligation) {
  setup_world();
  emissions(FX_ENT_A, 2025, 80000, F.auth44);
  struct ledger_compliance c = status_at(FX_ENT_A, 2025, FX_T0);
  cr_assert_eq(c.status, LEDGER_SHORT);
  cr_assert_eq(c.shortfall, 80000);
  struct proto_tx tx;
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 80000);
  FX_OK(&F, &tx, F.rep_a);
  cr_assert_eq(fx_inst(&F, "CEA-2025").surrendered, 80000);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 20000);
  c = status_at(FX_ENT_A, 2025, FX_T0);
  cr_assert_eq(c.status, LEDGER_COMPLIANT);
  cr_assert_eq(c.counted, 80000);
  cr_assert_eq(c.shortfall, 0);
  cr_assert_eq(c.completed_ms, FX_T0);
  cr_assert_eq(status_at(FX_ENT_A, 2025, FX_DEADLINE_2025 + 1).status, LEDGER_COMPLIANT);
  struct ledger_compliance list[8];
  cr_assert_eq(ledger_compliance(F.l, 2025, FX_T0, 0, list, 8), 1);
  cr_assert_eq(list[0].account, FX_ENT_A);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

Test(surrender, refusals_each_have_their_code_and_change_nothing) {
  setup_world();
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 10);
  FX_REFUSED(&F, PROTO_E_NO_OBLIGATION, &tx, F.rep_a);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2026, "CEA-2025", 10);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_YEAR, &tx, F.rep_a);
  fx_assert_unchanged(&F, &before);
  emissions(FX_ENT_A, 2025, 1000, F.auth44);
  fx_snapshot(&F, &before);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2024", 10); /* 2024 vintage settles <= 2024 */
  FX_REFUSED(&F, PROTO_E_INELIGIBLE_VINTAGE, &tx, F.rep_a);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 100001);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.rep_a);
  cr_assert_eq(F.last.aux, 100000);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 10);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_b);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_B, 2025, "CEA-2025", 10);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.rep_b);
  fx_assert_unchanged(&F, &before);
  teardown();
}

Test(surrender, ccer_counts_up_to_five_percent_of_the_obligation) {
  setup_world();
  emissions(FX_ENT_A, 2025, 10039, F.auth44); /* 5% = 501.95 -> 501 */
  give_ccer(1000);
  struct proto_tx tx;
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CCER-2024", 502);
  FX_REFUSED(&F, PROTO_E_CCER_LIMIT, &tx, F.rep_a);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CCER-2024", 500);
  FX_OK(&F, &tx, F.rep_a);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CCER-2024", 2);
  FX_REFUSED(&F, PROTO_E_CCER_LIMIT, &tx, F.rep_a);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CCER-2024", 1);
  FX_OK(&F, &tx, F.rep_a);
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 9538);
  FX_OK(&F, &tx, F.rep_a);
  struct ledger_compliance c = status_at(FX_ENT_A, 2025, FX_T0);
  cr_assert_eq(c.surrendered_ccer, 501);
  cr_assert_eq(c.counted, 10039);
  cr_assert_eq(c.status, LEDGER_COMPLIANT);
  /* A re-determination downwards lowers the CCER limit: counted CCER shrinks with it. */
  emissions(FX_ENT_A, 2025, 5000, F.auth44);
  c = status_at(FX_ENT_A, 2025, FX_T0);
  cr_assert_eq(c.counted, 9538 + 250);
  cr_assert_eq(c.status, LEDGER_COMPLIANT);
  teardown();
}

Test(surrender, statuses_across_the_deadline) {
  setup_world();
  emissions(FX_ENT_A, 2025, 1000, F.auth44);
  emissions(FX_ENT_B, 2025, 1000, F.auth44);
  struct proto_tx tx;
  surrender_tx(&tx, FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 1000);
  FX_OK(&F, &tx, F.rep_a);
  cr_assert_eq(status_at(FX_ENT_B, 2025, FX_DEADLINE_2025).status, LEDGER_SHORT);
  cr_assert_eq(status_at(FX_ENT_B, 2025, FX_DEADLINE_2025 + 1).status, LEDGER_OVERDUE);
  cr_assert_eq(status_at(FX_ENT_B, 2025, FX_DEADLINE_2025 + 1).shortfall, 1000);
  /* B gets units and surrenders late: accepted, and marked late. */
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1000);
  FX_OK(&F, &tx, F.rep_a);
  F.time_ms = FX_DEADLINE_2025 + 5000;
  surrender_tx(&tx, FX_ENT_B, FX_ENT_B, 2025, "CEA-2025", 1000);
  FX_OK(&F, &tx, F.rep_b);
  struct ledger_compliance b = status_at(FX_ENT_B, 2025, FX_DEADLINE_2025 + 6000);
  cr_assert_eq(b.status, LEDGER_COMPLIANT_LATE);
  cr_assert_eq(b.completed_ms, FX_DEADLINE_2025 + 5000);
  cr_assert_eq(status_at(FX_ENT_A, 2025, FX_DEADLINE_2025 + 6000).status, LEDGER_COMPLIANT);
  /* Extending the deadline past B's surrender makes it on time; shortening is refused. */
  fx_tx(&F, &tx, PROTO_TX_COMPLIANCE_YEAR);
  tx.u.compliance_year.year = 2025;
  tx.u.compliance_year.deadline_ms = FX_DEADLINE_2025 - 1;
  FX_REFUSED(&F, PROTO_E_DEADLINE_EARLIER, &tx, F.op[0]);
  tx.u.compliance_year.deadline_ms = FX_DEADLINE_2025 + 10000;
  FX_OK(&F, &tx, F.op[0]);
  cr_assert_eq(status_at(FX_ENT_B, 2025, FX_DEADLINE_2025 + 20000).status, LEDGER_COMPLIANT);
  struct ledger_year y;
  cr_assert_eq(ledger_year_get(F.l, 2025, &y), 0);
  cr_assert_eq(y.deadline_ms, FX_DEADLINE_2025 + 10000);
  teardown();
}

Test(surrender, authority_surrenders_from_the_provincial_account) {
  setup_world();
  emissions(FX_ENT_B, 2025, 700, F.auth44);
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_AT_RISK); /* only an at-risk enterprise's obligation */
  tx.u.at_risk.account = FX_ENT_B;
  tx.u.at_risk.set = 1;
  snprintf(tx.u.at_risk.reason, sizeof(tx.u.at_risk.reason), "closed down");
  FX_OK(&F, &tx, F.auth44);
  /* what the province answers with is what it holds for B: an allocation to it */
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 700);
  FX_OK(&F, &tx, F.auth44);
  surrender_tx(&tx, FX_ENT_B, FX_PROV44, 2025, "CEA-2025", 700);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_b);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(fx_balance(&F, FX_PROV44, "CEA-2025").registry, 400000 - 700);
  cr_assert_eq(status_at(FX_ENT_B, 2025, FX_T0).status, LEDGER_COMPLIANT);
  surrender_tx(&tx, FX_ENT_B, FX_PROV11, 2025, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_PROVINCE_MISMATCH, &tx, F.auth11);
  teardown();
}


Test(cancel, units_leave_circulation_for_good) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_CANCEL, FX_ENT_A, 0, "CEA-2025", 300);
  FX_OK(&F, &tx, F.rep_a);
  cr_assert_eq(fx_inst(&F, "CEA-2025").cancelled, 300);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 99700);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_CANCEL, FX_ENT_A, 0, "CEA-2025", 99701);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.rep_a);
  fx_move_tx(&F, &tx, PROTO_TX_CANCEL, FX_PROV44, 0, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

static void carry_tx(struct proto_tx *tx, const char *from, const char *to, uint64_t amount,
                     uint64_t cap, uint64_t ns) {
  fx_tx(&F, tx, PROTO_TX_CARRY_OVER);
  struct proto_carry_over *c = &tx->u.carry_over;
  c->account = FX_ENT_A;
  snprintf(c->from_instrument, sizeof(c->from_instrument), "%s", from);
  snprintf(c->to_instrument, sizeof(c->to_instrument), "%s", to);
  c->amount = amount;
  c->cap = cap;
  c->net_sales = ns;
  c->window_start_ms = UINT64_C(1704067200000);
  c->window_end_ms = FX_T0 + 1; /* the fixture's entries are committed at FX_T0 */
}


Test(carry_over, retires_old_vintage_and_creates_new_within_caps) {
  setup_world();
  struct proto_tx tx;
  /* A sells 2,000 of CEA-2024 in the window: NS = 2,000, T = 10,000 + 3,000 = 13,000 */
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PART, "CEA-2024", 2000);
  FX_OK(&F, &tx, F.rep_a);
  carry_tx(&tx, "CEA-2024", "CEA-2025", 4000, 13001, 2000);
  FX_REFUSED(&F, PROTO_E_CARRYOVER_MISMATCH, &tx, F.op[0]);
  carry_tx(&tx, "CEA-2024", "CEA-2025", 4000, 13000, 2001); /* more sales than the ledger saw */
  FX_REFUSED(&F, PROTO_E_CARRYOVER_MISMATCH, &tx, F.op[0]);
  carry_tx(&tx, "CEA-2024", "CEA-2025", 4000, 13000, 2000);
  FX_OK(&F, &tx, F.op[0]);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2024").registry, 4000);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 104000);
  cr_assert_eq(fx_inst(&F, "CEA-2024").carried_over, 4000);
  cr_assert_eq(fx_inst(&F, "CEA-2025").issued, 1004000);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  carry_tx(&tx, "CEA-2024", "CEA-2025", 9001, 13000, 2000); /* 4,000 + 9,001 > 13,000 */
  FX_REFUSED(&F, PROTO_E_CARRYOVER_CAP, &tx, F.op[0]);
  carry_tx(&tx, "CEA-2024", "CEA-2025", 4001, 13000, 2000);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  carry_tx(&tx, "CEA-2025", "CEA-2024", 1, 10000, 0);
  FX_REFUSED(&F, PROTO_E_INELIGIBLE_VINTAGE, &tx, F.op[0]);
  carry_tx(&tx, "CCER-2024", "CEA-2025", 1, 10000, 0);
  FX_REFUSED(&F, PROTO_E_INSTRUMENT_KIND, &tx, F.op[0]);
  carry_tx(&tx, "CEA-2024", "CEA-2025", 1, 10000, 0);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_a);
  fx_assert_unchanged(&F, &before);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

Test(carry_over, new_vintage_cap_bounds_it) {
  setup_world();
  fx_instrument(&F, "CEA-2026", PROTO_INSTRUMENT_CEA, 2026, 100, 2026, 2030);
  struct proto_tx tx;
  carry_tx(&tx, "CEA-2024", "CEA-2026", 101, 10000, 0);
  FX_REFUSED(&F, PROTO_E_CAP_EXCEEDED, &tx, F.op[0]);
  carry_tx(&tx, "CEA-2024", "CEA-2026", 100, 10000, 0);
  FX_OK(&F, &tx, F.op[0]);
  cr_assert_eq(fx_inst(&F, "CEA-2026").issued, 100);
  teardown();
}


Test(deduct, later_allocations_are_withheld_until_the_deduction_is_met) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_ENT_B, 0, "", 1500);
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, FX_ENT_B, &a), 0);
  cr_assert_eq(a.deduction_outstanding, 1500);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 1000);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 1000);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 0);
  cr_assert_eq(fx_balance(&F, FX_PROV44, "CEA-2025").registry, 400000);
  uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  long len = ledger_entry_get(F.l, F.last.index, leaf, sizeof(leaf));
  struct proto_entry e;
  cr_assert_eq(proto_entry_decode(leaf, (size_t)len, &e), 0);
  cr_assert_eq(e.withheld, 1000);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 2000);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 500);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 1500);
  cr_assert_eq(ledger_account_get(F.l, FX_ENT_B, &a), 0);
  cr_assert_eq(a.deduction_outstanding, 0);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 10);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 0);
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_PART, 0, "", 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.op[0]);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

Test(deduct, overflow_is_refused) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_ENT_B, 0, "", PROTO_AMOUNT_MAX);
  FX_OK(&F, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_ENT_B, 0, "", 1);
  FX_REFUSED(&F, PROTO_E_OVERFLOW, &tx, F.op[0]);
  teardown();
}

Test(emissions, enterprise_of_a_province_without_provincial_account_has_no_authority_yet) {
  setup_world();
  char uscc[PROTO_USCC_BYTES + 1];
  fx_uscc("91310000MA0000003", uscc);
  fx_account(&F, 3101, PROTO_ACCOUNT_ENTERPRISE, 31, uscc, "Shanghai plant");
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx.u.emissions.account = 3101;
  tx.u.emissions.year = 2025;
  tx.u.emissions.emissions = 10;
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.auth44);
  struct ledger_compliance c;
  cr_assert_eq(ledger_compliance_get(F.l, 3101, 2025, FX_T0, &c), PROTO_E_NOT_FOUND);
  teardown();
}
