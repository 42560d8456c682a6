/* The audit's mirror of carry-over rules, carry-overs that cite them and the two kinds of
 * deduction: what the ledger refuses fails the replay at that entry with the same code and has
 * no effect (keep-going mode, so that one world shows several refusals). */
#include "tests/unit/audit_fixture.h"

static struct world w;

#define WINDOW_END (W_T0 + 86400000ull)

/* A refused entry: its code, recorded, and the replay goes on past it. */
static void refuse(struct proto_tx *tx, struct proto_key *key, int code) {
  int rc = w_step(&w, tx, key);
  cr_assert_eq(rc, code, "expected %s, got %s: %s", proto_err_name(code), proto_err_name(rc),
               w.fail.text);
  w.next++;
}

static void start(void) {
  w_standard(&w);
  audit_replay_keep_going(w.r, true);
}

static struct proto_tx rule_tx(void) {
  struct proto_tx tx = {.type = PROTO_TX_CARRY_OVER_RULE};
  tx.u.carry_over_rule = (struct proto_carry_over_rule){
      2019, 2024, "CEA-2025", W_T0, WINDOW_END, 10000, 1500, 1u << PROTO_SECTOR_STEEL, "scheme"};
  return tx;
}

static struct proto_tx carry_v2(const struct proto_tx *rule, uint64_t account, uint64_t amount,
                                uint64_t cap, uint64_t ns) {
  struct proto_tx tx = {.type = PROTO_TX_CARRY_OVER, .version = 2};
  struct proto_carry_over *c = &tx.u.carry_over;
  c->account = account;
  memcpy(c->rule, rule->id, PROTO_ID_BYTES);
  strcpy(c->from_instrument, "CEA-2024");
  strcpy(c->to_instrument, "CEA-2025");
  c->amount = amount, c->cap = cap, c->net_sales = ns;
  return tx;
}

/* The reproduced bug: B only bought, and claims net sales of 200,000,000 t. */
Test(audit_carry, refuses_invented_net_sales_of_a_buyer_in_both_versions) {
  start();
  struct proto_tx tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2024", 2000);
  w_ok(&w, &tx, w.rep_a);
  tx = (struct proto_tx){.type = PROTO_TX_CARRY_OVER};
  tx.u.carry_over = (struct proto_carry_over){W_ENT_B, "CEA-2024", "CEA-2025", 2000, 2000,
                                              200000000, W_T0, WINDOW_END, {0}};
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_MISMATCH);
  struct proto_tx rule = rule_tx();
  w_ok(&w, &rule, w.op1);
  w.time_ms = WINDOW_END;
  tx = carry_v2(&rule, W_ENT_B, 2000, 2000, 200000000);
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_MISMATCH);
  cr_assert_eq(w_registry(&w, W_ENT_B, "CEA-2024"), 2000, "nothing moved");
  cr_assert_eq(w_registry(&w, W_ENT_B, "CEA-2025"), 100000);
  tx = carry_v2(&rule, W_ENT_B, 2000, 2000, 0); /* NS 0, T = min(10,000, 2,000) */
  w_ok(&w, &tx, w.op1);
  cr_assert_eq(w_registry(&w, W_ENT_B, "CEA-2025"), 102000);
  cr_assert_eq(audit_replay_failures_count(w.r), 2);
  w_fini(&w);
}

Test(audit_carry, recomputes_ns_and_t_and_names_each_refusal) {
  start();
  struct proto_tx rule = rule_tx(), tx;
  tx = rule;
  strcpy(tx.u.carry_over_rule.to_instrument, "CCER-2024");
  refuse(&tx, w.op1, PROTO_E_INSTRUMENT_KIND);
  tx = rule;
  refuse(&tx, w.auth, PROTO_E_WRONG_ROLE);
  w_ok(&w, &rule, w.op1);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2024", 3000);
  w_ok(&w, &tx, w.rep_a);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_B, W_ENT_A, "CEA-2024", 1000);
  w_ok(&w, &tx, w.rep_b); /* A: NS 2,000, limit 13,000, holding 48,000 */
  tx = carry_v2(&rule, W_ENT_A, 13000, 13000, 2000);
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_EARLY);
  w.time_ms = WINDOW_END;
  tx = carry_v2(&rule, W_ENT_A, 13000, 13000, 2001);
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_MISMATCH);
  tx = carry_v2(&rule, W_ENT_A, 13000, 13001, 2000);
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_MISMATCH);
  tx = carry_v2(&rule, W_ENT_A, 13001, 13000, 2000);
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_CAP);
  tx = carry_v2(&rule, W_ENT_A, 1, 13000, 2000);
  memset(tx.u.carry_over.rule, 0xee, PROTO_ID_BYTES);
  refuse(&tx, w.op1, PROTO_E_UNKNOWN_RULE);
  tx = (struct proto_tx){.type = PROTO_TX_CARRY_OVER};
  tx.u.carry_over = (struct proto_carry_over){W_ENT_A, "CEA-2024", "CEA-2025", 1, 10000, 0, 0, 0, {0}};
  refuse(&tx, w.op1, PROTO_E_RULE_REQUIRED);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2024"), 48000, "nothing moved");
  tx = carry_v2(&rule, W_ENT_A, 13000, 13000, 2000);
  w_ok(&w, &tx, w.op1);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2024"), 35000);
  cr_assert_eq(w_registry(&w, W_ENT_A, "CEA-2025"), 113000);
  tx = carry_v2(&rule, W_ENT_A, 1, 13000, 2000); /* T is still 13,000, but 13,001 in all */
  refuse(&tx, w.op1, PROTO_E_CARRYOVER_CAP);
  cr_assert_eq(audit_replay_failures_count(w.r), 9);
  w_fini(&w);
}

static struct proto_tx deduct_v2(uint64_t account, uint8_t kind, uint16_t year, uint64_t amount,
                                 uint8_t percent) {
  struct proto_tx tx = {.type = PROTO_TX_DEDUCT, .version = 2};
  struct proto_movement *m = &tx.u.move;
  m->from = account, m->kind = kind, m->year = year, m->amount = amount, m->percent = percent;
  strcpy(m->ref, "ruling");
  return tx;
}

static uint64_t deduction_of(uint64_t account) {
  struct audit_account a;
  cr_assert(audit_replay_account(w.r, account, &a));
  return a.deduction_outstanding;
}

/* A owes 150,000 t for 2025 and surrendered 40,000: short 110,000. */
static void a_short_in_2025(void) {
  struct proto_tx owed = w_emissions(W_ENT_A, 2025, 150000);
  struct proto_tx paid = w_surrender(W_ENT_A, W_ENT_A, 2025, "CEA-2025", 40000);
  w_ok(&w, &owed, w.auth);
  w_ok(&w, &paid, w.rep_a);
}

Test(audit_deduct, shortfall_bounded_by_the_overdue_shortfall_once_per_year) {
  start();
  a_short_in_2025();
  struct proto_tx tx = deduct_v2(W_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 1000, 0);
  refuse(&tx, w.op1, PROTO_E_NOT_OVERDUE);
  w.time_ms = W_DEADLINE_2025 + 1000;
  tx = deduct_v2(W_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 110001, 0);
  refuse(&tx, w.op1, PROTO_E_DEDUCTION_BOUND);
  tx = deduct_v2(W_ENT_B, PROTO_DEDUCT_SHORTFALL, 2025, 1, 0);
  refuse(&tx, w.op1, PROTO_E_NO_OBLIGATION);
  cr_assert_eq(deduction_of(W_ENT_A), 0);
  tx = deduct_v2(W_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 110000, 0);
  w_ok(&w, &tx, w.op1);
  cr_assert_eq(deduction_of(W_ENT_A), 110000);
  tx = deduct_v2(W_ENT_A, PROTO_DEDUCT_SHORTFALL, 2025, 1, 0);
  refuse(&tx, w.op1, PROTO_E_DEDUCTION_EXISTS);
  cr_assert_eq(deduction_of(W_ENT_A), 110000);
  cr_assert_eq(audit_replay_failures_count(w.r), 4);
  w_fini(&w);
}

Test(audit_deduct, fraud_withholds_its_percentage_and_the_entry_must_record_it) {
  start();
  struct proto_tx tx = deduct_v2(W_ENT_B, PROTO_DEDUCT_FRAUD, 2025, 0, 60);
  w_ok(&w, &tx, w.op1);
  tx = deduct_v2(W_ENT_B, PROTO_DEDUCT_FRAUD, 2025, 0, 70);
  refuse(&tx, w.op1, PROTO_E_DEDUCTION_EXISTS);
  uint64_t prov = w_registry(&w, W_PROVINCIAL, "CEA-2025");
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_B, "CEA-2025", 1001);
  cr_assert_eq(w_step_w(&w, &tx, 0, &w.auth, 1), PROTO_E_BAD_ARGUMENT, "withheld 0 recorded");
  w.next++;
  tx = w_move(PROTO_TX_ALLOCATE, W_PROVINCIAL, W_ENT_B, "CEA-2025", 1001);
  cr_assert_eq(w_step_w(&w, &tx, 600, &w.auth, 1), 0, "%s", w.fail.text);
  cr_assert_eq(w_registry(&w, W_ENT_B, "CEA-2025"), 100401);
  cr_assert_eq(w_registry(&w, W_PROVINCIAL, "CEA-2025"), prov - 401);
  w_fini(&w);
}
