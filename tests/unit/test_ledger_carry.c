/* Carry-over rules and carry-overs that cite them (the ledger computes NS and T from its own
 * history), and the two kinds of deduction with the withholding that follows. */
#include "ledger_fixture.h"

static struct fx F;
static void teardown(void) { fx_free(&F); }

#define DAY_MS UINT64_C(86400000)
#define WINDOW_END (FX_T0 + 10 * DAY_MS)

/* The carry-over rule of the power 2023-2024 scheme, its window around the fixture's clock. */
static void rule_tx(struct proto_tx *tx) {
  fx_tx(&F, tx, PROTO_TX_CARRY_OVER_RULE);
  struct proto_carry_over_rule *r = &tx->u.carry_over_rule;
  r->vintage_from = 2019;
  r->vintage_to = 2024;
  strcpy(r->to_instrument, "CEA-2025");
  r->window_start_ms = FX_T0;
  r->window_end_ms = WINDOW_END;
  r->base = 10000;
  r->factor_milli = 1500;
  r->sectors = 1u << PROTO_SECTOR_POWER;
  strcpy(r->ref, "power allocation scheme 2023-2024");
}

static void carry_v2(struct proto_tx *tx, const uint8_t rule[PROTO_ID_BYTES], uint64_t account,
                     uint64_t amount, uint64_t cap, uint64_t ns) {
  fx_tx(&F, tx, PROTO_TX_CARRY_OVER);
  tx->version = 2;
  struct proto_carry_over *c = &tx->u.carry_over;
  c->account = account;
  memcpy(c->rule, rule, PROTO_ID_BYTES);
  strcpy(c->from_instrument, "CEA-2024");
  strcpy(c->to_instrument, "CEA-2025");
  c->amount = amount;
  c->cap = cap;
  c->net_sales = ns;
}

/* A sells 3,000 of CEA-2024 to the trader and buys 1,000 back, sells 1,000 to B on the exchange,
 * and sells 500 of CEA-2025 (not an eligible vintage): NS 3,000, T = min(14,500, 7,000). */
static void trade_in_window(void) {
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PART, "CEA-2024", 3000);
  FX_OK(&F, &tx, F.rep_a);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_PART, FX_ENT_A, "CEA-2024", 1000);
  FX_OK(&F, &tx, F.rep_part);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PART, "CEA-2025", 500);
  FX_OK(&F, &tx, F.rep_a);
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2024", 1000);
  tx.u.move.kind = PROTO_POSITION_TRADING;
  FX_OK(&F, &tx, F.rep_a);
  struct proto_leg leg = {.from = FX_ENT_A, .to = FX_ENT_B, .instrument = "CEA-2024", .amount = 1000};
  fx_tx(&F, &tx, PROTO_TX_SETTLE);
  strcpy(tx.u.settle.ref, "day 1");
  tx.u.settle.legs_count = 1;
  tx.u.settle.legs = &leg;
  tx.u.settle.legs_borrowed = true;
  FX_OK(&F, &tx, F.exch);
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_B, 0, "CEA-2024", 1000);
  tx.u.move.kind = PROTO_POSITION_REGISTRY; /* B brings what it bought to its registry position */
  FX_OK(&F, &tx, F.rep_b);
}

Test(carry_rule, needs_the_operators_and_a_later_cea_target) {
  fx_world(&F);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  rule_tx(&tx);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth44);
  rule_tx(&tx);
  strcpy(tx.u.carry_over_rule.to_instrument, "CCER-2024");
  FX_REFUSED(&F, PROTO_E_INSTRUMENT_KIND, &tx, F.op[0]);
  rule_tx(&tx);
  tx.u.carry_over_rule.vintage_to = 2025;
  FX_REFUSED(&F, PROTO_E_INELIGIBLE_VINTAGE, &tx, F.op[0]);
  rule_tx(&tx);
  strcpy(tx.u.carry_over_rule.to_instrument, "CEA-2099");
  FX_REFUSED(&F, PROTO_E_UNKNOWN_INSTRUMENT, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  rule_tx(&tx);
  FX_OK(&F, &tx, F.op[0]);
  teardown();
}

Test(carry_rule, the_encoding_refuses_reversed_ranges_and_sector_none) {
  struct proto_tx tx = {.type = PROTO_TX_CARRY_OVER_RULE};
  struct proto_carry_over_rule *r = &tx.u.carry_over_rule;
  *r = (struct proto_carry_over_rule){2019, 2024, "CEA-2025", 1, 2, 10000, 1500, 2, "ref"};
  cr_assert_eq(proto_tx_validate(&tx), 0);
  r->vintage_from = 2025;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_RANGE);
  r->vintage_from = 2019, r->window_start_ms = 3;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_RANGE);
  r->window_start_ms = 1, r->sectors = 3; /* bit 0: sector none */
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_RESERVED_NONZERO);
  r->sectors = 2, r->factor_milli = PROTO_CARRY_FACTOR_MILLI_MAX + 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ARGUMENT);
}

/* The reproduced bug: an account that only bought claimed net sales of 200,000,000 t. */
Test(carry_over, refuses_invented_net_sales_of_a_buyer_in_both_versions) {
  fx_world(&F);
  trade_in_window(); /* B bought 1,000 of CEA-2024 and sold nothing */
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_CARRY_OVER);
  struct proto_carry_over *c = &tx.u.carry_over;
  c->account = FX_ENT_B;
  strcpy(c->from_instrument, "CEA-2024");
  strcpy(c->to_instrument, "CEA-2025");
  c->amount = 1000, c->cap = 1000, c->net_sales = 200000000;
  c->window_start_ms = FX_T0, c->window_end_ms = WINDOW_END;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  FX_REFUSED(&F, PROTO_E_CARRYOVER_MISMATCH, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  struct proto_tx rule;
  rule_tx(&rule);
  FX_OK(&F, &rule, F.op[0]);
  F.time_ms = WINDOW_END;
  fx_snapshot(&F, &before);
  carry_v2(&tx, rule.id, FX_ENT_B, 1000, 1000, 200000000);
  FX_REFUSED(&F, PROTO_E_CARRYOVER_MISMATCH, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  carry_v2(&tx, rule.id, FX_ENT_B, 1000, 1000, 0); /* what its history gives: NS 0, T 1,000 */
  FX_OK(&F, &tx, F.op[0]);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 1000);
  teardown();
}

Test(carry_over, cites_its_rule_and_agrees_with_the_ledgers_ns_and_t) {
  fx_world(&F);
  struct proto_tx rule, tx;
  rule_tx(&rule);
  FX_OK(&F, &rule, F.op[0]);
  trade_in_window();
  carry_v2(&tx, rule.id, FX_ENT_A, 7000, 7000, 3000);
  FX_REFUSED(&F, PROTO_E_CARRYOVER_EARLY, &tx, F.op[0]);
  F.time_ms = WINDOW_END;
  /* a sale after the window does not count */
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PART, "CEA-2024", 100);
  FX_OK(&F, &tx, F.rep_a);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_PART, FX_ENT_A, "CEA-2024", 100);
  FX_OK(&F, &tx, F.rep_part);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  carry_v2(&tx, rule.id, FX_ENT_A, 7000, 7000, 3001);
  FX_REFUSED(&F, PROTO_E_CARRYOVER_MISMATCH, &tx, F.op[0]);
  carry_v2(&tx, rule.id, FX_ENT_A, 7000, 14500, 3000); /* T is capped at the registry holding */
  FX_REFUSED(&F, PROTO_E_CARRYOVER_MISMATCH, &tx, F.op[0]);
  carry_v2(&tx, rule.id, FX_ENT_A, 7001, 7000, 3000);
  FX_REFUSED(&F, PROTO_E_CARRYOVER_CAP, &tx, F.op[0]);
  uint8_t no_rule[PROTO_ID_BYTES];
  memset(no_rule, 0xee, sizeof(no_rule));
  carry_v2(&tx, no_rule, FX_ENT_A, 7000, 7000, 3000);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_RULE, &tx, F.op[0]);
  carry_v2(&tx, rule.id, FX_ENT_A, 1, 7000, 3000);
  strcpy(tx.u.carry_over.from_instrument, "CEA-2025");
  fx_instrument(&F, "CEA-2026", PROTO_INSTRUMENT_CEA, 2026, 1000, 2026, 2030);
  fx_snapshot(&F, &before);
  strcpy(tx.u.carry_over.to_instrument, "CEA-2026");
  FX_REFUSED(&F, PROTO_E_CARRYOVER_RULE, &tx, F.op[0]); /* 2025 is not an eligible vintage */
  carry_v2(&tx, rule.id, FX_ENT_C, 1, 0, 0); /* C holds none: T = 0 */
  FX_REFUSED(&F, PROTO_E_CARRYOVER_CAP, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  carry_v2(&tx, rule.id, FX_ENT_A, 7000, 7000, 3000);
  FX_OK(&F, &tx, F.op[0]);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2024").registry, 0);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 106500);
  cr_assert_eq(fx_inst(&F, "CEA-2024").carried_over, 7000);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

Test(carry_over, version_1_is_refused_once_a_rule_exists) {
  fx_world(&F);
  struct proto_tx rule, tx;
  rule_tx(&rule);
  FX_OK(&F, &rule, F.op[0]);
  fx_tx(&F, &tx, PROTO_TX_CARRY_OVER);
  struct proto_carry_over *c = &tx.u.carry_over;
  c->account = FX_ENT_A;
  strcpy(c->from_instrument, "CEA-2024");
  strcpy(c->to_instrument, "CEA-2025");
  c->amount = 1, c->cap = 10000, c->net_sales = 0, c->window_end_ms = FX_T0;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  FX_REFUSED(&F, PROTO_E_RULE_REQUIRED, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  teardown();
}

static void deduct_v2(struct proto_tx *tx, uint64_t account, unsigned kind, unsigned year,
                      uint64_t amount, unsigned percent) {
  fx_tx(&F, tx, PROTO_TX_DEDUCT);
  tx->version = 2;
  tx->u.move.from = account;
  tx->u.move.kind = (uint8_t)kind;
  tx->u.move.year = (uint16_t)year;
  tx->u.move.amount = amount;
  tx->u.move.percent = (uint8_t)percent;
  strcpy(tx->u.move.ref, "court ruling 2026/7");
}

/* A owes 150,000 t for 2025 and surrendered 40,000 of them: short 110,000. */
static void a_short_in_2025(void) {
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx.u.emissions.account = FX_ENT_A;
  tx.u.emissions.year = 2025;
  tx.u.emissions.emissions = 150000;
  FX_OK(&F, &tx, F.auth44);
  fx_tx(&F, &tx, PROTO_TX_SURRENDER);
  tx.u.surrender = (struct proto_surrender){FX_ENT_A, FX_ENT_A, 2025, "CEA-2025", 40000};
  FX_OK(&F, &tx, F.rep_a);
}

Test(deduct, shortfall_is_bounded_by_the_overdue_shortfall_once_per_year) {
  fx_world(&F);
  a_short_in_2025();
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  deduct_v2(&tx, FX_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 1000, 0);
  FX_REFUSED(&F, PROTO_E_NOT_OVERDUE, &tx, F.op[0]); /* before the deadline: short, not overdue */
  F.time_ms = FX_DEADLINE_2025 + 1;
  deduct_v2(&tx, FX_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 110001, 0);
  FX_REFUSED(&F, PROTO_E_DEDUCTION_BOUND, &tx, F.op[0]);
  deduct_v2(&tx, FX_ENT_A, PROTO_DEDUCT_SHORTFALL, 2024, 1, 0);
  FX_REFUSED(&F, PROTO_E_NO_OBLIGATION, &tx, F.op[0]);
  deduct_v2(&tx, FX_ENT_B, PROTO_DEDUCT_SHORTFALL, 2025, 1, 0);
  FX_REFUSED(&F, PROTO_E_NO_OBLIGATION, &tx, F.op[0]);
  deduct_v2(&tx, FX_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 1, 0);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  deduct_v2(&tx, FX_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 110000, 0);
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, FX_ENT_A, &a), 0);
  cr_assert_eq(a.deduction_outstanding, 110000);
  fx_snapshot(&F, &before);
  deduct_v2(&tx, FX_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 1, 0);
  FX_REFUSED(&F, PROTO_E_DEDUCTION_EXISTS, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 2000);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 2000);
  teardown();
}

Test(deduct, fraud_withholds_its_percentage_of_the_years_allocations) {
  fx_world(&F);
  struct proto_tx tx;
  deduct_v2(&tx, FX_ENT_B, PROTO_DEDUCT_FRAUD, 2025, 0, 60);
  FX_OK(&F, &tx, F.op[0]);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  deduct_v2(&tx, FX_ENT_B, PROTO_DEDUCT_FRAUD, 2025, 0, 100);
  FX_REFUSED(&F, PROTO_E_DEDUCTION_EXISTS, &tx, F.op[0]);
  deduct_v2(&tx, FX_PART, PROTO_DEDUCT_FRAUD, 2025, 0, 50);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 1001);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 600, "floor(1,001 x 60%%)");
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 401);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2024", 1000);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 0, "the fraud deduction cuts 2025 allocations only");
  /* with a shortfall deduction outstanding as well: the fraud part first, then the rest */
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_ENT_B, 0, "", 100);
  FX_OK(&F, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 1000);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(F.last.withheld, 700);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

Test(deduct, the_encoding_ties_amount_and_percent_to_the_kind) {
  struct proto_tx tx = {.type = PROTO_TX_DEDUCT, .version = 2};
  struct proto_movement *m = &tx.u.move;
  m->from = 1, m->kind = PROTO_DEDUCT_FRAUD, m->year = 2025, m->percent = 49;
  strcpy(m->ref, "ruling");
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ARGUMENT);
  m->percent = 101;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ARGUMENT);
  m->percent = 50;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  m->amount = 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_NONZERO);
  m->kind = PROTO_DEDUCT_SHORTFALL;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_NONZERO); /* a percent on a shortfall */
  m->percent = 0, m->amount = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_ZERO_AMOUNT);
  m->kind = 3;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ENUM);
}

static int full_check(void) {
  struct ledger_check_options opt = {.depth = LEDGER_CHECK_FULL};
  struct ledger_check_report rep;
  memset(&rep, 0, sizeof(rep));
  return ledger_check_dir(F.dir, &opt, &rep);
}

/* The store check decodes the new records: net sales, rules, the rule marker and deductions. */
Test(carry_store, the_check_reads_every_carry_and_deduction_record) {
  fx_world(&F);
  struct proto_tx rule, tx;
  rule_tx(&rule);
  FX_OK(&F, &rule, F.op[0]);
  trade_in_window();
  deduct_v2(&tx, FX_ENT_B, PROTO_DEDUCT_FRAUD, 2025, 0, 60);
  FX_OK(&F, &tx, F.op[0]);
  ledger_close(F.l);
  F.l = NULL;
  cr_assert_eq(full_check(), 0);
  uint8_t key[11] = {0, 0, 0, 0, 0, 0, 0x03, 0xea, 0x07, 0xe9, 2};
  uint8_t val[18] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 20}; /* a fraud of 20%: never written */
  fx_raw_put(&F, "deductions", key, sizeof(key), val, sizeof(val));
  cr_assert_eq(full_check(), PROTO_E_CORRUPT);
  val[9] = 60;
  fx_raw_put(&F, "deductions", key, sizeof(key), val, sizeof(val));
  cr_assert_eq(full_check(), 0);
  uint8_t skey[19] = {'n', 0, 0, 0, 0, 0, 0, 0x03, 0xe9, 0x07, 0xe8};
  uint8_t sval[17] = {2}; /* a net-sales record of an unknown version */
  fx_raw_put(&F, "carry", skey, sizeof(skey), sval, sizeof(sval));
  cr_assert_eq(full_check(), PROTO_E_CORRUPT);
  sval[0] = 1;
  fx_raw_put(&F, "carry", skey, sizeof(skey), sval, sizeof(sval));
  cr_assert_eq(full_check(), 0);
  fx_open(&F, 0, 0);
  teardown();
}
