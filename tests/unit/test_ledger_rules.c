/* The rules of closure and at-risk status in the ledger: closing is refused while anything is
 * held or owed, a closed account keeps its USCC and can be reopened, at-risk status is set by
 * the operators or the enterprise's authority, and only an at-risk enterprise's obligations are
 * answered from its provincial account. */
#include "ledger_fixture.h"

static struct fx F;

static void close_tx(struct proto_tx *tx, unsigned type, uint64_t account) {
  fx_tx(&F, tx, type);
  tx->u.account_close.account = account;
  snprintf(tx->u.account_close.reason, sizeof(tx->u.account_close.reason), "ceased operation");
}

static void at_risk_tx(struct proto_tx *tx, uint64_t account, unsigned set) {
  fx_tx(&F, tx, PROTO_TX_AT_RISK);
  tx->u.at_risk.account = account;
  tx->u.at_risk.set = (uint8_t)set;
  snprintf(tx->u.at_risk.reason, sizeof(tx->u.at_risk.reason), "closed down in 2025");
}

static void emissions(uint64_t account, uint64_t tonnes) {
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx.u.emissions.account = account;
  tx.u.emissions.year = 2025;
  tx.u.emissions.emissions = tonnes;
  FX_OK(&F, &tx, F.auth44);
}

static void surrender_tx(struct proto_tx *tx, uint64_t account, uint64_t from, uint64_t amount) {
  fx_tx(&F, tx, PROTO_TX_SURRENDER);
  tx->u.surrender.account = account;
  tx->u.surrender.from = from;
  tx->u.surrender.year = 2025;
  snprintf(tx->u.surrender.instrument, sizeof(tx->u.surrender.instrument), "CEA-2025");
  tx->u.surrender.amount = amount;
}

static struct ledger_account account(uint64_t id) {
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, id, &a), 0);
  return a;
}

Test(close, refused_while_short_in_a_compliance_year) {
  fx_world(&F);
  emissions(FX_ENT_B, 500); /* B holds nothing and owes 500 t for 2025 */
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  close_tx(&tx, PROTO_TX_ACCOUNT_CLOSE, FX_ENT_B);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_OWES, &tx, F.op[0]);
  F.time_ms = FX_DEADLINE_2025 + 1; /* overdue now: still refused */
  close_tx(&tx, PROTO_TX_ACCOUNT_CLOSE, FX_ENT_B);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_OWES, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  cr_assert(!account(FX_ENT_B).closed);
  fx_free(&F);
}

Test(close, refused_while_a_deduction_is_owed) {
  fx_world(&F);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_ENT_B, 0, "", 300);
  FX_OK(&F, &tx, F.op[0]);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  close_tx(&tx, PROTO_TX_ACCOUNT_CLOSE, FX_ENT_B);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_OWES, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  fx_free(&F);
}

Test(close, refused_while_holding_units) {
  fx_world(&F);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  close_tx(&tx, PROTO_TX_ACCOUNT_CLOSE, FX_ENT_A);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_NOT_EMPTY, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  fx_free(&F);
}

Test(close, compliant_enterprise_closes_keeps_its_uscc_and_reopens) {
  fx_world(&F);
  emissions(FX_ENT_B, 0); /* compliant with nothing to surrender */
  struct proto_tx tx;
  close_tx(&tx, PROTO_TX_ACCOUNT_REOPEN, FX_ENT_B);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_OPEN, &tx, F.op[0]);
  close_tx(&tx, PROTO_TX_ACCOUNT_CLOSE, FX_ENT_B);
  FX_OK(&F, &tx, F.op[0]);
  cr_assert(account(FX_ENT_B).closed);
  /* The USCC stays with the closed account: another account cannot take it. */
  fx_account_tx(&F, &tx, 1003, PROTO_ACCOUNT_ENTERPRISE, 44, "91110000802100433B", "Copy");
  FX_REFUSED(&F, PROTO_E_ACCOUNT_EXISTS, &tx, F.op[0]);
  close_tx(&tx, PROTO_TX_ACCOUNT_REOPEN, FX_ENT_B);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth44);
  close_tx(&tx, PROTO_TX_ACCOUNT_REOPEN, 999);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.op[0]);
  close_tx(&tx, PROTO_TX_ACCOUNT_REOPEN, FX_ENT_B);
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_account b = account(FX_ENT_B);
  cr_assert(!b.closed);
  cr_assert_str_eq(b.uscc, "91110000802100433B");
  struct ledger_account by;
  cr_assert_eq(ledger_account_by_uscc(F.l, "91110000802100433B", &by), 0);
  cr_assert_eq(by.id, FX_ENT_B);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 10);
  FX_OK(&F, &tx, F.auth44); /* open again: it receives units */
  fx_reopen(&F);
  cr_assert(!account(FX_ENT_B).closed);
  fx_free(&F);
}

Test(at_risk, set_by_operators_or_the_authority_of_its_province_and_kept_on_disk) {
  fx_world(&F);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  at_risk_tx(&tx, FX_ENT_A, 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth11);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_a);
  at_risk_tx(&tx, FX_ENT_A, 0);
  FX_REFUSED(&F, PROTO_E_AT_RISK_UNCHANGED, &tx, F.op[0]);
  at_risk_tx(&tx, FX_PART, 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.op[0]);
  at_risk_tx(&tx, 999, 1);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  at_risk_tx(&tx, FX_ENT_A, 1);
  FX_OK(&F, &tx, F.auth44);
  cr_assert(account(FX_ENT_A).at_risk);
  at_risk_tx(&tx, FX_ENT_A, 1);
  FX_REFUSED(&F, PROTO_E_AT_RISK_UNCHANGED, &tx, F.op[0]);
  fx_reopen(&F);
  cr_assert(account(FX_ENT_A).at_risk);
  at_risk_tx(&tx, FX_ENT_A, 0);
  FX_OK(&F, &tx, F.op[0]);
  cr_assert(!account(FX_ENT_A).at_risk);
  fx_free(&F);
}

Test(at_risk, authority_surrenders_only_for_an_at_risk_enterprise) {
  fx_world(&F);
  emissions(FX_ENT_B, 700);
  struct proto_tx tx;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  surrender_tx(&tx, FX_ENT_B, FX_PROV44, 700);
  FX_REFUSED(&F, PROTO_E_NOT_AT_RISK, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  at_risk_tx(&tx, FX_ENT_B, 1);
  FX_OK(&F, &tx, F.op[0]);
  /* Nothing is held for it yet: the province may not answer from its own units. */
  fx_snapshot(&F, &before);
  surrender_tx(&tx, FX_ENT_B, FX_PROV44, 700);
  FX_REFUSED(&F, PROTO_E_NOT_HELD, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  /* An allocation to it stays in the province, held for it. */
  uint64_t prov = fx_balance(&F, FX_PROV44, "CEA-2025").registry;
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_B, "CEA-2025", 700);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(fx_balance(&F, FX_PROV44, "CEA-2025").registry, prov, "held in the province");
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 0);
  fx_snapshot(&F, &before);
  surrender_tx(&tx, FX_ENT_B, FX_PROV44, 701);
  FX_REFUSED(&F, PROTO_E_NOT_HELD, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  surrender_tx(&tx, FX_ENT_B, FX_PROV44, 700);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(fx_balance(&F, FX_PROV44, "CEA-2025").registry, prov - 700);
  surrender_tx(&tx, FX_ENT_B, FX_PROV44, 1);
  FX_REFUSED(&F, PROTO_E_NOT_HELD, &tx, F.auth44); /* what was held is used up */
  struct ledger_compliance c;
  cr_assert_eq(ledger_compliance_get(F.l, FX_ENT_B, 2025, FX_T0, &c), 0);
  cr_assert_eq(c.status, LEDGER_COMPLIANT);
  /* Compliant, nothing held: now it may close, and stays closed for the province too. */
  close_tx(&tx, PROTO_TX_ACCOUNT_CLOSE, FX_ENT_B);
  FX_OK(&F, &tx, F.op[0]);
  fx_free(&F);
}
