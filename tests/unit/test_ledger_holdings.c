/* Holdings rules: position moves, settlement (all legs or none), freeze and unfreeze, claw back,
 * and idempotency of resubmitted transactions, including inside one batch. */
#include "ledger_fixture.h"

static struct fx F;
static void setup_world(void) { fx_world(&F); }
static void teardown(void) { fx_free(&F); }


Test(position, moves_between_registry_and_trading_of_one_account) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 30000);
  FX_OK(&F, &tx, F.rep_a);
  struct ledger_balance b = fx_balance(&F, FX_ENT_A, "CEA-2025");
  cr_assert_eq(b.registry, 70000);
  cr_assert_eq(b.trading, 30000);
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 30001);
  tx.u.move.kind = PROTO_POSITION_REGISTRY;
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.rep_a);
  cr_assert_eq(F.last.aux, 30000);
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 10000);
  tx.u.move.kind = PROTO_POSITION_REGISTRY;
  FX_OK(&F, &tx, F.rep_a);
  b = fx_balance(&F, FX_ENT_A, "CEA-2025");
  cr_assert_eq(b.registry, 80000);
  cr_assert_eq(b.trading, 20000);
  teardown();
}

/* A's trading position gets `amount` CEA-2025. */
static void to_trading(uint64_t amount) {
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", amount);
  FX_OK(&F, &tx, F.rep_a);
}

static void settle_tx(struct proto_tx *tx, struct proto_leg *legs, uint16_t n) {
  fx_tx(&F, tx, PROTO_TX_SETTLE);
  snprintf(tx->u.settle.ref, sizeof(tx->u.settle.ref), "day 1");
  tx->u.settle.legs_count = n;
  tx->u.settle.legs = legs;
}


Test(settle, applies_every_leg_between_trading_positions) {
  setup_world();
  to_trading(50000);
  struct proto_leg legs[3] = {
      {.from = FX_ENT_A, .to = FX_PART, .instrument = "CEA-2025", .amount = 100},
      {.from = FX_PART, .to = FX_ENT_B, .instrument = "CEA-2025", .amount = 60},
      {.from = FX_ENT_A, .to = FX_ENT_B, .instrument = "CEA-2025", .amount = 5},
  };
  struct proto_tx tx;
  settle_tx(&tx, legs, 3);
  FX_OK(&F, &tx, F.exch);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").trading, 50000 - 105);
  cr_assert_eq(fx_balance(&F, FX_PART, "CEA-2025").trading, 40);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").trading, 65);
  uint64_t hist[8];
  cr_assert_eq(ledger_account_history(F.l, FX_ENT_B, F.last.index, hist, 8), 1);
  teardown();
}

Test(settle, one_bad_leg_of_1000_refuses_all) {
  setup_world();
  to_trading(50000);
  struct proto_leg *legs = calloc(1000, sizeof(*legs));
  for (int i = 0; i < 1000; i++) {
    legs[i].from = FX_ENT_A;
    legs[i].to = i % 2 ? FX_ENT_B : FX_PART;
    snprintf(legs[i].instrument, sizeof(legs[i].instrument), "CEA-2025");
    legs[i].amount = 10;
  }
  legs[999].amount = 50000; /* after 999 legs of 10, A has 40,010 left */
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  settle_tx(&tx, legs, 1000);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.exch);
  cr_assert_eq(F.last.aux, 50000 - 9990);
  fx_assert_unchanged(&F, &before);
  legs[999].amount = 10;
  settle_tx(&tx, legs, 1000);
  FX_OK(&F, &tx, F.exch);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").trading, 40000);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  free(legs);
  teardown();
}

Test(settle, needs_an_exchange_key_and_holder_accounts) {
  setup_world();
  to_trading(100);
  struct proto_leg legs[1] = {
      {.from = FX_ENT_A, .to = FX_PROV44, .instrument = "CEA-2025", .amount = 1}};
  struct proto_tx tx;
  settle_tx(&tx, legs, 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.exch);
  legs[0].to = FX_ENT_B;
  settle_tx(&tx, legs, 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.op[0]);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auditor);
  teardown();
}


Test(freeze, frozen_units_never_move_until_unfrozen) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_FREEZE, FX_ENT_A, 0, "CEA-2025", 99000);
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_balance b = fx_balance(&F, FX_ENT_A, "CEA-2025");
  cr_assert_eq(b.frozen, 99000);
  cr_assert_eq(b.registry, 100000);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1001);
  FX_REFUSED(&F, PROTO_E_FROZEN, &tx, F.rep_a); /* held, but frozen */
  cr_assert_eq(F.last.aux, 1000);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 100001);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.rep_a); /* not held at all */
  cr_assert_eq(F.last.aux, 1000);
  fx_move_tx(&F, &tx, PROTO_TX_FREEZE, FX_ENT_A, 0, "CEA-2025", 1001);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_UNFREEZE, FX_ENT_A, 0, "CEA-2025", 99001);
  FX_REFUSED(&F, PROTO_E_NOT_FROZEN, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_FREEZE, FX_ENT_A, 0, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_a);
  fx_assert_unchanged(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_UNFREEZE, FX_ENT_A, 0, "CEA-2025", 99000);
  FX_OK(&F, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 100000);
  FX_OK(&F, &tx, F.rep_a);
  teardown();
}


Test(clawback, returns_units_to_the_provincial_account_of_the_enterprise) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_CLAWBACK, FX_ENT_A, FX_PROV44, "CEA-2025", 400);
  FX_OK(&F, &tx, F.auth44);
  cr_assert_eq(fx_balance(&F, FX_PROV44, "CEA-2025").registry, 400400);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 99600);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_CLAWBACK, FX_ENT_A, FX_PROV11, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_PROVINCE_MISMATCH, &tx, F.auth11);
  fx_move_tx(&F, &tx, PROTO_TX_CLAWBACK, FX_ENT_A, FX_PROV44, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_a);
  fx_move_tx(&F, &tx, PROTO_TX_CLAWBACK, FX_PART, FX_PROV44, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  teardown();
}


Test(idempotency, same_body_exists_other_body_conflicts) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  FX_OK(&F, &tx, F.rep_a);
  uint64_t idx = F.last.index;
  struct fx_snap before;
  fx_snapshot(&F, &before);
  cr_assert_eq(FX_APPLY(&F, &tx, F.rep_a), LEDGER_EXISTS);
  cr_assert_eq(F.last.index, idx);
  tx.u.move.amount = 11;
  FX_REFUSED(&F, PROTO_E_ID_CONFLICT, &tx, F.rep_a);
  fx_assert_unchanged(&F, &before);
  teardown();
}

Test(idempotency, within_one_batch) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  static uint8_t env1[PROTO_ENTRY_BYTES_MAX], env3[PROTO_ENTRY_BYTES_MAX];
  size_t l1 = fx_envelope(&tx, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, env1, sizeof(env1));
  tx.u.move.amount = 12;
  size_t l3 = fx_envelope(&tx, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, env3, sizeof(env3));
  struct ledger_submission subs[3] = {
      {.envelope = env1, .envelope_len = l1},
      {.envelope = env1, .envelope_len = l1},
      {.envelope = env3, .envelope_len = l3},
  };
  uint64_t size = ledger_tree_size(F.l);
  struct ledger_batch_info info;
  cr_assert_eq(ledger_apply(F.l, subs, 3, F.time_ms, &info), 0);
  cr_assert_eq(subs[0].result, 0);
  cr_assert_eq(subs[0].index, size);
  cr_assert_eq(subs[1].result, LEDGER_EXISTS);
  cr_assert_eq(subs[1].index, size);
  cr_assert_eq(subs[2].result, PROTO_E_ID_CONFLICT);
  cr_assert_eq(info.accepted, 1);
  cr_assert_eq(info.exists, 1);
  cr_assert_eq(info.refused, 1);
  cr_assert_eq(info.tree_size, size + 1);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 10);
  teardown();
}

Test(idempotency, refused_transaction_does_not_take_its_id) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 100001);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.rep_a);
  tx.u.move.amount = 5;
  FX_OK(&F, &tx, F.rep_a);
  teardown();
}

Test(idempotency, refusals_in_a_batch_leave_no_trace_between_accepted_ones) {
  setup_world();
  struct proto_tx t1, t2, t3;
  fx_move_tx(&F, &t1, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 60000);
  fx_move_tx(&F, &t2, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 60000);
  fx_move_tx(&F, &t3, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 40000);
  static uint8_t e1[PROTO_ENTRY_BYTES_MAX], e2[PROTO_ENTRY_BYTES_MAX], e3[PROTO_ENTRY_BYTES_MAX];
  struct ledger_submission subs[3] = {
      {.envelope = e1, .envelope_len = fx_envelope(&t1, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, e1, sizeof(e1))},
      {.envelope = e2, .envelope_len = fx_envelope(&t2, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, e2, sizeof(e2))},
      {.envelope = e3, .envelope_len = fx_envelope(&t3, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, e3, sizeof(e3))},
  };
  cr_assert_eq(ledger_apply(F.l, subs, 3, F.time_ms, NULL), 0);
  cr_assert_eq(subs[0].result, 0);
  cr_assert_eq(subs[1].result, PROTO_E_INSUFFICIENT_BALANCE);
  cr_assert_eq(subs[1].aux, 40000);
  cr_assert_eq(subs[2].result, 0);
  cr_assert_eq(subs[2].index, subs[0].index + 1);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 0);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 100000);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  teardown();
}

Test(idempotency, pre_verified_envelopes_skip_crypto_but_not_key_checks) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  static uint8_t env[PROTO_ENTRY_BYTES_MAX];
  size_t len = fx_envelope(&tx, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, env, sizeof(env));
  cr_assert_eq(ledger_verify_envelope(F.l, env, len), 0);
  struct ledger_submission sub = {.envelope = env, .envelope_len = len, .signatures_verified = true};
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, NULL), 0);
  cr_assert_eq(sub.result, 0);
  struct proto_key *stranger = fx_key(99);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  len = fx_envelope(&tx, FX_SIGNERS(stranger), 1, FX_ORIGIN, env, sizeof(env));
  cr_assert_eq(ledger_verify_envelope(F.l, env, len), PROTO_E_UNKNOWN_KEY);
  sub = (struct ledger_submission){.envelope = env, .envelope_len = len, .signatures_verified = true};
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, NULL), 0);
  cr_assert_eq(sub.result, PROTO_E_UNKNOWN_KEY);
  proto_key_free(stranger);
  teardown();
}

Test(idempotency, undecodable_envelope_is_refused_with_its_decode_error) {
  setup_world();
  uint8_t junk[8] = {1, 1, 0, 200, 0, 0, 0, 0};
  struct ledger_submission sub = {.envelope = junk, .envelope_len = sizeof(junk)};
  uint64_t size = ledger_tree_size(F.l);
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, NULL), 0);
  cr_assert_lt(sub.result, 0);
  cr_assert_eq(ledger_tree_size(F.l), size);
  teardown();
}
