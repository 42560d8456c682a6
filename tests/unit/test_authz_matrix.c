/* The authorization matrix: every transaction type signed by every role (operator, authority of
 * the right province, authority of another province, representative of the account,
 * representative of another account, exchange, auditor), accepted or refused exactly as
 * docs/RULES.md's table says, with a refusal leaving the ledger unchanged. Thresholds too. */
#include "ledger_fixture.h"

enum { R_OP, R_AUTH44, R_AUTH11, R_REP_A, R_REP_B, R_EXCH, R_AUDITOR, ROLES };

static const char *const role_names[ROLES] = {
    "operator", "authority 44", "authority 11", "representative of A",
    "representative of B", "exchange", "auditor"};

#define OK 0
#define WR PROTO_E_WRONG_ROLE

/* Everyone but the one allowed role is refused with wrong_role. */
#define ONLY(r) {[R_OP] = (r) == R_OP ? OK : WR, [R_AUTH44] = (r) == R_AUTH44 ? OK : WR,           \
                 [R_AUTH11] = (r) == R_AUTH11 ? OK : WR, [R_REP_A] = (r) == R_REP_A ? OK : WR,     \
                 [R_REP_B] = (r) == R_REP_B ? OK : WR, [R_EXCH] = (r) == R_EXCH ? OK : WR,         \
                 [R_AUDITOR] = (r) == R_AUDITOR ? OK : WR}

static struct proto_key *role_key(struct fx *f, int r) {
  struct proto_key *keys[ROLES] = {f->op[0], f->auth44, f->auth11, f->rep_a,
                                   f->rep_b, f->exch,   f->auditor};
  return keys[r];
}

/* Signs tx (with a fresh id) by role r alone and checks the result; a refusal must leave the
 * tree, every instrument and every balance of the world as they were. */
static void cell(struct fx *f, struct proto_tx *tx, int r, int want, const char *row) {
  struct fx_snap before;
  fx_snapshot(f, &before);
  fx_new_id(f, tx);
  int got = FX_APPLY(f, tx, role_key(f, r));
  cr_assert_eq(got, want, "%s signed by %s: expected %s, got %s", row, role_names[r],
               want == 0 ? "ok" : proto_err_name(want), got == 0 ? "ok" : proto_err_name(got));
  if (want != 0) fx_assert_unchanged(f, &before);
  else cr_assert_eq(ledger_tree_size(f->l), before.size + 1, "%s: accepted but not appended", row);
}

/* Refusals first (they change nothing), then the accepted cells. */
static void run_row(struct fx *f, struct proto_tx *tx, const int want[ROLES], const char *row) {
  for (int r = 0; r < ROLES; r++)
    if (want[r] != OK) cell(f, tx, r, want[r], row);
  for (int r = 0; r < ROLES; r++)
    if (want[r] == OK) cell(f, tx, r, OK, row);
}

/* Each authz test starts from the fixture's world (its own temporary ledger). */
static struct fx F;
static void init(void) { fx_world(&F); }
static void fini(void) { fx_free(&F); }

Test(authz, key_register_only_operator) {
  init();
  struct proto_tx tx;
  struct proto_key *k = fx_key(90);
  fx_register_tx(&F, &tx, k, PROTO_ROLE_REPRESENTATIVE, FX_ENT_B);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "key_register");
  proto_key_free(k);
  fini();
}

Test(authz, key_revoke_only_operator) {
  init();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_KEY_REVOKE);
  proto_key_hash(F.rep_c, tx.u.key_revoke.key_hash);
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "left the company");
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "key_revoke");
  fini();
}

Test(authz, account_open_only_operator) {
  init();
  struct proto_tx tx;
  char uscc[PROTO_USCC_BYTES + 1];
  fx_uscc("91440000MA0000009", uscc);
  fx_account_tx(&F, &tx, 1003, PROTO_ACCOUNT_ENTERPRISE, 44, uscc, "Plant D");
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "account_open");
  fini();
}

Test(authz, account_update_only_operator) {
  init();
  struct proto_tx tx;
  fx_account_tx(&F, &tx, FX_ENT_A, PROTO_ACCOUNT_ENTERPRISE, 44, "91350100M000100Y43", "Plant A2");
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "account_update");
  fini();
}

Test(authz, account_close_only_operator) {
  init();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_ACCOUNT_CLOSE);
  tx.u.account_close.account = FX_PART;
  snprintf(tx.u.account_close.reason, sizeof(tx.u.account_close.reason), "left");
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "account_close");
  fini();
}

Test(authz, instrument_create_only_operator) {
  init();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_INSTRUMENT_CREATE);
  snprintf(tx.u.instrument.code, sizeof(tx.u.instrument.code), "CEA-2026");
  tx.u.instrument.kind = PROTO_INSTRUMENT_CEA;
  tx.u.instrument.vintage = 2026;
  tx.u.instrument.cap = 1000;
  tx.u.instrument.first_year = 2026;
  tx.u.instrument.last_year = 2030;
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "instrument_create");
  fini();
}

Test(authz, compliance_year_only_operator) {
  init();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_COMPLIANCE_YEAR);
  tx.u.compliance_year.year = 2026;
  tx.u.compliance_year.deadline_ms = FX_DEADLINE_2025 + UINT64_C(31536000000);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "compliance_year");
  fini();
}

Test(authz, issue_only_operator) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2025", 10);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "issue");
  fini();
}

Test(authz, allocate_national_to_provincial_only_operator) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CEA-2025", 10);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "allocate national -> 44");
  fini();
}

Test(authz, allocate_provincial_to_enterprise_only_its_authority) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 10);
  run_row(&F, &tx, (int[ROLES])ONLY(R_AUTH44), "allocate 44 -> A");
  fini();
}

Test(authz, clawback_only_the_province_authority) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_CLAWBACK, FX_ENT_A, FX_PROV44, "CEA-2025", 10);
  run_row(&F, &tx, (int[ROLES])ONLY(R_AUTH44), "clawback A -> 44");
  fini();
}

Test(authz, transfer_only_the_account_representative) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  run_row(&F, &tx, (int[ROLES])ONLY(R_REP_A), "transfer A -> B");
  fini();
}

Test(authz, position_move_only_the_account_representative) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, FX_ENT_A, "CEA-2025", 10);
  tx.u.move.to = 0;
  tx.u.move.from = FX_ENT_A;
  run_row(&F, &tx, (int[ROLES])ONLY(R_REP_A), "position_move A");
  fini();
}

Test(authz, settle_only_the_exchange) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 1000);
  FX_OK(&F, &tx, F.rep_a);
  struct proto_leg leg = {.from = FX_ENT_A, .to = FX_ENT_B, .amount = 10};
  snprintf(leg.instrument, sizeof(leg.instrument), "CEA-2025");
  fx_tx(&F, &tx, PROTO_TX_SETTLE);
  snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "day 1");
  tx.u.settle.legs_count = 1;
  tx.u.settle.legs = &leg;
  run_row(&F, &tx, (int[ROLES])ONLY(R_EXCH), "settle A -> B");
  fini();
}

Test(authz, freeze_and_unfreeze_only_operator) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_FREEZE, FX_ENT_A, 0, "CEA-2025", 100);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "freeze A");
  fx_move_tx(&F, &tx, PROTO_TX_UNFREEZE, FX_ENT_A, 0, "CEA-2025", 50);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "unfreeze A");
  fini();
}

static void emissions_tx(struct fx *f, struct proto_tx *tx, uint64_t account, uint64_t e) {
  fx_tx(f, tx, PROTO_TX_VERIFIED_EMISSIONS);
  tx->u.emissions.account = account;
  tx->u.emissions.year = 2025;
  tx->u.emissions.emissions = e;
  snprintf(tx->u.emissions.ref, sizeof(tx->u.emissions.ref), "verification 2025");
}

Test(authz, verified_emissions_only_the_province_authority) {
  init();
  struct proto_tx tx;
  emissions_tx(&F, &tx, FX_ENT_A, 5000);
  run_row(&F, &tx, (int[ROLES])ONLY(R_AUTH44), "verified_emissions A");
  fini();
}

static void surrender_tx(struct fx *f, struct proto_tx *tx, uint64_t from) {
  fx_tx(f, tx, PROTO_TX_SURRENDER);
  tx->u.surrender.account = FX_ENT_A;
  tx->u.surrender.from = from;
  tx->u.surrender.year = 2025;
  snprintf(tx->u.surrender.instrument, sizeof(tx->u.surrender.instrument), "CEA-2025");
  tx->u.surrender.amount = 100;
}

Test(authz, surrender_from_the_enterprise_only_its_representative) {
  init();
  struct proto_tx tx;
  emissions_tx(&F, &tx, FX_ENT_A, 5000);
  FX_OK(&F, &tx, F.auth44);
  surrender_tx(&F, &tx, FX_ENT_A);
  run_row(&F, &tx, (int[ROLES])ONLY(R_REP_A), "surrender A from A");
  fini();
}

Test(authz, surrender_from_the_provincial_account_only_its_authority) {
  init();
  struct proto_tx tx;
  emissions_tx(&F, &tx, FX_ENT_A, 5000);
  FX_OK(&F, &tx, F.auth44);
  fx_tx(&F, &tx, PROTO_TX_AT_RISK); /* the province answers only for an at-risk enterprise */
  tx.u.at_risk.account = FX_ENT_A;
  tx.u.at_risk.set = 1;
  snprintf(tx.u.at_risk.reason, sizeof(tx.u.at_risk.reason), "closed down");
  FX_OK(&F, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 100); /* held for A */
  FX_OK(&F, &tx, F.auth44);
  surrender_tx(&F, &tx, FX_PROV44);
  run_row(&F, &tx, (int[ROLES])ONLY(R_AUTH44), "surrender A from 44");
  fini();
}

Test(authz, cancel_only_the_account_representative) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_CANCEL, FX_ENT_A, 0, "CEA-2025", 10);
  snprintf(tx.u.move.ref, sizeof(tx.u.move.ref), "voluntary");
  run_row(&F, &tx, (int[ROLES])ONLY(R_REP_A), "cancel A");
  fini();
}

Test(authz, carry_over_only_operator) {
  init();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_CARRY_OVER);
  struct proto_carry_over *c = &tx.u.carry_over;
  c->account = FX_ENT_A;
  snprintf(c->from_instrument, sizeof(c->from_instrument), "CEA-2024");
  snprintf(c->to_instrument, sizeof(c->to_instrument), "CEA-2025");
  c->amount = 100;
  c->cap = 10000;
  c->net_sales = 0;
  c->window_start_ms = UINT64_C(1704067200000);
  c->window_end_ms = UINT64_C(1767225600000);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "carry_over A");
  fini();
}

Test(authz, deduct_only_operator) {
  init();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_DEDUCT, FX_ENT_A, 0, "", 10);
  run_row(&F, &tx, (int[ROLES])ONLY(R_OP), "deduct A");
  fini();
}

Test(authz, genesis_again_refused_for_every_role) {
  init();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_GENESIS);
  struct proto_genesis *g = &tx.u.genesis;
  snprintf(g->origin, sizeof(g->origin), "%s", FX_ORIGIN);
  proto_key_public(F.log, g->log_public_key);
  g->national_account = 7;
  g->operator_threshold = 1;
  g->operator_keys_count = 1;
  proto_key_public(F.op[0], g->operator_keys[0]);
  int want[ROLES];
  for (int r = 0; r < ROLES; r++) want[r] = PROTO_E_GENESIS_EXISTS;
  run_row(&F, &tx, want, "genesis");
  cell(&F, &tx, R_OP, PROTO_E_GENESIS_EXISTS, "genesis");
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_new_id(&F, &tx);
  cr_assert_eq(FX_APPLY(&F, &tx, F.log), PROTO_E_GENESIS_EXISTS, "genesis by the log key again");
  fx_assert_unchanged(&F, &before);
  fini();
}

/* ---- thresholds: two-person approval ---- */

static void threshold_world(struct fx *f) {
  fx_init_genesis(f, 3, 2);
}

Test(authz_threshold, operator_threshold_two_refuses_one_signer) {
  struct fx f;
  threshold_world(&f);
  struct proto_tx tx;
  fx_tx(&f, &tx, PROTO_TX_INSTRUMENT_CREATE);
  snprintf(tx.u.instrument.code, sizeof(tx.u.instrument.code), "CEA-2025");
  tx.u.instrument.kind = PROTO_INSTRUMENT_CEA;
  tx.u.instrument.vintage = 2025;
  tx.u.instrument.cap = 1000;
  tx.u.instrument.first_year = 2025;
  tx.u.instrument.last_year = 2030;
  uint64_t size = ledger_tree_size(f.l);
  FX_REFUSED(&f, PROTO_E_INSUFFICIENT_SIGNATURES, &tx, f.op[0]);
  FX_REFUSED(&f, PROTO_E_INSUFFICIENT_SIGNATURES, &tx, f.op[2]);
  cr_assert_eq(ledger_tree_size(f.l), size);
  struct ledger_instrument none = fx_inst(&f, "CEA-2025");
  cr_assert_eq(none.code[0], '\0', "a refused instrument_create left an instrument");
  fx_new_id(&f, &tx);
  FX_OK(&f, &tx, f.op[0], f.op[2]);
  cr_assert_eq(ledger_tree_size(f.l), size + 1);
  fx_free(&f);
}

Test(authz_threshold, account_threshold_two_refuses_one_representative) {
  struct fx f;
  fx_init_genesis(&f, 1, 1);
  fx_instrument(&f, "CEA-2025", PROTO_INSTRUMENT_CEA, 2025, 10000, 2025, 2030);
  fx_account(&f, FX_PROV44, PROTO_ACCOUNT_PROVINCIAL, 44, NULL, "Guangdong");
  struct proto_tx tx;
  fx_account_tx(&f, &tx, FX_ENT_A, PROTO_ACCOUNT_ENTERPRISE, 44, "91350100M000100Y43", "A");
  tx.u.account.threshold = 2;
  FX_OK(&f, &tx, f.op[0]);
  fx_account(&f, FX_ENT_B, PROTO_ACCOUNT_ENTERPRISE, 44, "91110000802100433B", "B");
  fx_register(&f, f.auth44, PROTO_ROLE_AUTHORITY, 44);
  fx_register(&f, f.rep_a, PROTO_ROLE_REPRESENTATIVE, FX_ENT_A);
  fx_register(&f, f.rep_b, PROTO_ROLE_REPRESENTATIVE, FX_ENT_A); /* a second person for A */
  fx_move_tx(&f, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2025", 1000);
  FX_OK(&f, &tx, f.op[0]);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_PROV44, "CEA-2025", 1000);
  FX_OK(&f, &tx, f.op[0]);
  fx_move_tx(&f, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 500);
  FX_OK(&f, &tx, f.auth44);
  struct fx_snap before;
  fx_snapshot(&f, &before);
  fx_move_tx(&f, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  FX_REFUSED(&f, PROTO_E_INSUFFICIENT_SIGNATURES, &tx, f.rep_a);
  fx_assert_unchanged(&f, &before);
  fx_new_id(&f, &tx);
  FX_OK(&f, &tx, f.rep_a, f.rep_b);
  cr_assert_eq(fx_balance(&f, FX_ENT_B, "CEA-2025").registry, 10);
  fx_free(&f);
}

Test(authz_threshold, revoked_key_signs_nothing_after_its_revocation) {
  struct fx f;
  fx_world(&f);
  struct proto_tx tx;
  fx_tx(&f, &tx, PROTO_TX_KEY_REVOKE);
  proto_key_hash(f.rep_a, tx.u.key_revoke.key_hash);
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "lost");
  FX_OK(&f, &tx, f.op[0]);
  struct fx_snap before;
  fx_snapshot(&f, &before);
  fx_move_tx(&f, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  FX_REFUSED(&f, PROTO_E_REVOKED_KEY, &tx, f.rep_a);
  fx_assert_unchanged(&f, &before);
  fx_free(&f);
}
