/* Ledger basics: genesis, accounts, keys, instruments, issue, allocate, transfer and the reads
 * that show their effects; refusals carry their own code and leave the ledger unchanged. */
#include "ledger_fixture.h"

static struct fx F;
static void setup_world(void) { fx_world(&F); }
static void teardown(void) { fx_free(&F); }


Test(genesis, creates_national_account_operator_keys_and_meta) {
  fx_init_genesis(&F, 2, 2);
  cr_assert_eq(ledger_tree_size(F.l), 1);
  cr_assert_str_eq(ledger_origin(F.l), FX_ORIGIN);
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, FX_NATIONAL, &a), 0);
  cr_assert_eq(a.kind, PROTO_ACCOUNT_NATIONAL);
  uint8_t h[PROTO_HASH_BYTES];
  struct ledger_key k;
  proto_key_hash(F.op[1], h);
  cr_assert_eq(ledger_key_get(F.l, h, &k), 0);
  cr_assert_eq(k.role, PROTO_ROLE_OPERATOR);
  cr_assert_eq(k.registered_index, 0);
  uint8_t pub[PROTO_PUBKEY_BYTES], want[PROTO_PUBKEY_BYTES];
  cr_assert_eq(ledger_log_public_key(F.l, pub), 0);
  proto_key_public(F.log, want);
  cr_assert(memcmp(pub, want, sizeof(pub)) == 0);
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  cr_assert_gt(ledger_checkpoint_latest(F.l, note, sizeof(note)), 0);
  cr_assert_eq(tlog_checkpoint_verify(note, strlen(note), FX_ORIGIN, want, NULL), 0);
  teardown();
}

Test(genesis, refuses_a_second_genesis) {
  fx_init_genesis(&F, 1, 1);
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_GENESIS);
  snprintf(tx.u.genesis.origin, sizeof(tx.u.genesis.origin), "%s", FX_ORIGIN);
  proto_key_public(F.log, tx.u.genesis.log_public_key);
  tx.u.genesis.national_account = 7;
  tx.u.genesis.operator_threshold = 1;
  tx.u.genesis.operator_keys_count = 1;
  proto_key_public(F.op[0], tx.u.genesis.operator_keys[0]);
  FX_REFUSED(&F, PROTO_E_GENESIS_EXISTS, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 1);
  teardown();
}

Test(genesis, refuses_other_types_before_it_and_a_genesis_not_signed_by_the_log_key) {
  memset(&F, 0, sizeof(F));
  snprintf(F.dir, sizeof(F.dir), "/tmp/quotad-ledger-XXXXXX");
  cr_assert(mkdtemp(F.dir) != NULL);
  F.log = fx_key(1);
  F.op[0] = fx_key(10);
  fx_open(&F, 0, 0);
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_ISSUE);
  snprintf(tx.u.move.instrument, sizeof(tx.u.move.instrument), "CEA-2025");
  tx.u.move.amount = 5;
  FX_REFUSED(&F, PROTO_E_GENESIS_REQUIRED, &tx, F.op[0]);
  fx_tx(&F, &tx, PROTO_TX_GENESIS);
  snprintf(tx.u.genesis.origin, sizeof(tx.u.genesis.origin), "%s", FX_ORIGIN);
  proto_key_public(F.log, tx.u.genesis.log_public_key);
  tx.u.genesis.national_account = 1;
  tx.u.genesis.operator_threshold = 1;
  tx.u.genesis.operator_keys_count = 1;
  proto_key_public(F.op[0], tx.u.genesis.operator_keys[0]);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_LOG_KEY, &tx, F.op[0]);
  cr_assert_eq(ledger_tree_size(F.l), 0);
  FX_OK(&F, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 1);
  teardown();
}


Test(accounts, open_is_readable_by_id_uscc_and_province) {
  setup_world();
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, FX_ENT_A, &a), 0);
  cr_assert_eq(a.kind, PROTO_ACCOUNT_ENTERPRISE);
  cr_assert_eq(a.province, 44);
  cr_assert_str_eq(a.name, "Plant A");
  cr_assert_eq(ledger_account_by_uscc(F.l, "91350100M000100Y43", &a), 0);
  cr_assert_eq(a.id, FX_ENT_A);
  cr_assert_eq(ledger_account_by_province(F.l, 44, &a), 0);
  cr_assert_eq(a.id, FX_PROV44);
  cr_assert_eq(ledger_account_get(F.l, 999, &a), PROTO_E_NOT_FOUND);
  struct ledger_account list[16];
  long n = ledger_accounts_list(F.l, 0, PROTO_ACCOUNT_ENTERPRISE, 44, list, 16);
  cr_assert_eq(n, 2);
  cr_assert_eq(list[0].id, FX_ENT_A);
  cr_assert_eq(list[1].id, FX_ENT_B);
  n = ledger_accounts_list(F.l, FX_ENT_A, 0, 0, list, 16);
  cr_assert_eq(n, 3); /* 1002, 1101, 2001 */
  teardown();
}

Test(accounts, refuses_taken_id_uscc_and_province) {
  setup_world();
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_account_tx(&F, &tx, FX_ENT_A, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, "dup id");
  FX_REFUSED(&F, PROTO_E_ACCOUNT_EXISTS, &tx, F.op[0]);
  fx_account_tx(&F, &tx, 3000, PROTO_ACCOUNT_ENTERPRISE, 44, "91350100M000100Y43", "dup uscc");
  FX_REFUSED(&F, PROTO_E_ACCOUNT_EXISTS, &tx, F.op[0]);
  fx_account_tx(&F, &tx, 3001, PROTO_ACCOUNT_PROVINCIAL, 44, NULL, "dup province");
  FX_REFUSED(&F, PROTO_E_ACCOUNT_EXISTS, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  teardown();
}

Test(accounts, update_keeps_kind_and_moves_the_uscc_index) {
  setup_world();
  struct proto_tx tx;
  char uscc[PROTO_USCC_BYTES + 1];
  fx_uscc("91440000MA0000009", uscc);
  fx_account_tx(&F, &tx, FX_ENT_B, PROTO_ACCOUNT_ENTERPRISE, 44, uscc, "Plant B merged");
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_account a;
  cr_assert_eq(ledger_account_by_uscc(F.l, uscc, &a), 0);
  cr_assert_str_eq(a.name, "Plant B merged");
  cr_assert_eq(ledger_account_by_uscc(F.l, "91110000802100433B", &a), PROTO_E_NOT_FOUND);
  fx_account_tx(&F, &tx, FX_ENT_B, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, "kind change");
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.op[0]);
  fx_account_tx(&F, &tx, 4242, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, "nobody");
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.op[0]);
  teardown();
}

Test(accounts, close_needs_empty_holdings_then_refuses_use) {
  setup_world();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_ACCOUNT_CLOSE);
  tx.u.account_close.account = FX_ENT_A;
  snprintf(tx.u.account_close.reason, sizeof(tx.u.account_close.reason), "closed");
  FX_REFUSED(&F, PROTO_E_ACCOUNT_NOT_EMPTY, &tx, F.op[0]);
  fx_tx(&F, &tx, PROTO_TX_ACCOUNT_CLOSE);
  tx.u.account_close.account = FX_ENT_B;
  snprintf(tx.u.account_close.reason, sizeof(tx.u.account_close.reason), "closed");
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, FX_ENT_B, &a), 0);
  cr_assert(a.closed);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 10);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_CLOSED, &tx, F.rep_a);
  fx_tx(&F, &tx, PROTO_TX_ACCOUNT_CLOSE);
  tx.u.account_close.account = FX_ENT_B;
  snprintf(tx.u.account_close.reason, sizeof(tx.u.account_close.reason), "again");
  FX_REFUSED(&F, PROTO_E_ACCOUNT_CLOSED, &tx, F.op[0]);
  teardown();
}

Test(accounts, open_needs_an_operator) {
  setup_world();
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_account_tx(&F, &tx, 5000, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, "x");
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth44);
  fx_assert_unchanged(&F, &before);
  teardown();
}


Test(keys, register_refuses_existing_bad_scope_and_unknown_account) {
  setup_world();
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_register_tx(&F, &tx, F.rep_a, PROTO_ROLE_REPRESENTATIVE, FX_ENT_A);
  FX_REFUSED(&F, PROTO_E_KEY_EXISTS, &tx, F.op[0]);
  struct proto_key *k = fx_key(90);
  fx_register_tx(&F, &tx, k, PROTO_ROLE_AUTHORITY, 99);
  FX_REFUSED(&F, PROTO_E_BAD_PROVINCE, &tx, F.op[0]);
  fx_register_tx(&F, &tx, k, PROTO_ROLE_REPRESENTATIVE, 777);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.op[0]);
  fx_register_tx(&F, &tx, k, PROTO_ROLE_EXCHANGE, 5);
  FX_REFUSED(&F, PROTO_E_FIELD_NONZERO, &tx, F.op[0]);
  fx_register_tx(&F, &tx, k, PROTO_ROLE_AUDITOR, 0);
  memset(tx.u.key_register.public_key, 0xff, PROTO_PUBKEY_BYTES); /* not a curve point */
  int rc = FX_APPLY(&F, &tx, F.op[0]);
  cr_assert(rc == PROTO_E_BAD_KEY, "got %s", proto_err_name(rc));
  fx_assert_unchanged(&F, &before);
  proto_key_free(k);
  teardown();
}

Test(keys, unknown_signer_and_bad_signature_are_refused) {
  setup_world();
  struct proto_key *stranger = fx_key(91);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 5);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_KEY, &tx, stranger);
  /* A signature over another registry's origin does not verify here. */
  uint8_t env[PROTO_ENTRY_BYTES_MAX];
  size_t len = fx_envelope(&tx, FX_SIGNERS(F.rep_a), 1, "other.registry", env, sizeof(env));
  struct ledger_submission sub = {.envelope = env, .envelope_len = len};
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, NULL), 0);
  cr_assert_eq(sub.result, PROTO_E_BAD_SIGNATURE);
  cr_assert_eq(ledger_verify_envelope(F.l, env, len), PROTO_E_BAD_SIGNATURE);
  len = fx_envelope(&tx, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, env, sizeof(env));
  cr_assert_eq(ledger_verify_envelope(F.l, env, len), 0);
  proto_key_free(stranger);
  teardown();
}

Test(keys, revoked_key_signs_nothing_after_revocation) {
  setup_world();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_KEY_REVOKE);
  proto_key_hash(F.rep_a, tx.u.key_revoke.key_hash);
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "lost");
  FX_OK(&F, &tx, F.op[0]);
  struct ledger_key k;
  uint8_t h[PROTO_HASH_BYTES];
  proto_key_hash(F.rep_a, h);
  cr_assert_eq(ledger_key_get(F.l, h, &k), 0);
  cr_assert(k.revoked);
  cr_assert_eq(k.revoked_index, F.last.index);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 5);
  FX_REFUSED(&F, PROTO_E_REVOKED_KEY, &tx, F.rep_a);
  fx_tx(&F, &tx, PROTO_TX_KEY_REVOKE);
  memcpy(tx.u.key_revoke.key_hash, h, PROTO_HASH_BYTES);
  snprintf(tx.u.key_revoke.reason, sizeof(tx.u.key_revoke.reason), "again");
  FX_REFUSED(&F, PROTO_E_REVOKED_KEY, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  teardown();
}


Test(thresholds, operator_acts_need_two_of_three) {
  fx_init_genesis(&F, 3, 2);
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_INSTRUMENT_CREATE);
  snprintf(tx.u.instrument.code, sizeof(tx.u.instrument.code), "CEA-2025");
  tx.u.instrument.kind = PROTO_INSTRUMENT_CEA;
  tx.u.instrument.vintage = 2025;
  tx.u.instrument.cap = 100;
  tx.u.instrument.first_year = 2025;
  tx.u.instrument.last_year = 2025;
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_SIGNATURES, &tx, F.op[2]);
  cr_assert_eq(ledger_tree_size(F.l), 1);
  FX_OK(&F, &tx, F.op[2], F.op[0]);
  cr_assert_eq(fx_inst(&F, "CEA-2025").cap, 100);
  teardown();
}

Test(thresholds, account_threshold_counts_only_its_representatives) {
  fx_world(&F);
  struct proto_tx tx;
  fx_account_tx(&F, &tx, FX_ENT_A, PROTO_ACCOUNT_ENTERPRISE, 44, "91350100M000100Y43", "A");
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  tx.u.account.threshold = 2;
  FX_OK(&F, &tx, F.op[0]);
  struct proto_key *rep2 = fx_key(95);
  fx_register(&F, rep2, PROTO_ROLE_REPRESENTATIVE, FX_ENT_A);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 7);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_SIGNATURES, &tx, F.rep_a, F.rep_b);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_b);
  FX_OK(&F, &tx, F.rep_a, rep2);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 7);
  proto_key_free(rep2);
  teardown();
}


Test(issue, credits_the_national_account_up_to_the_cap) {
  setup_world();
  cr_assert_eq(fx_inst(&F, "CEA-2024").issued, 100000);
  cr_assert_eq(fx_balance(&F, FX_NATIONAL, "CEA-2024").registry, 50000);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2024", 900001);
  FX_REFUSED(&F, PROTO_E_CAP_EXCEEDED, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2099", 1);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_INSTRUMENT, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  fx_move_tx(&F, &tx, PROTO_TX_ISSUE, 0, 0, "CEA-2024", 900000);
  FX_OK(&F, &tx, F.op[0]);
  cr_assert_eq(fx_inst(&F, "CEA-2024").issued, 1000000);
  teardown();
}

Test(issue, instrument_codes_are_unique) {
  setup_world();
  struct proto_tx tx;
  fx_tx(&F, &tx, PROTO_TX_INSTRUMENT_CREATE);
  snprintf(tx.u.instrument.code, sizeof(tx.u.instrument.code), "CEA-2025");
  tx.u.instrument.kind = PROTO_INSTRUMENT_CEA;
  tx.u.instrument.vintage = 2025;
  tx.u.instrument.cap = 5;
  tx.u.instrument.first_year = 2025;
  tx.u.instrument.last_year = 2025;
  FX_REFUSED(&F, PROTO_E_INSTRUMENT_EXISTS, &tx, F.op[0]);
  teardown();
}


Test(allocate, national_to_provincial_then_provincial_to_its_enterprise) {
  setup_world();
  cr_assert_eq(fx_balance(&F, FX_PROV44, "CEA-2025").registry, 400000);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 100000);
  cr_assert_eq(fx_balance(&F, FX_NATIONAL, "CEA-2025").registry, 500000);
  teardown();
}

Test(allocate, refuses_wrong_kinds_provinces_and_roles) {
  setup_world();
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_NATIONAL, FX_ENT_A, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_C, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_PROVINCE_MISMATCH, &tx, F.auth44);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.auth11);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.op[0]);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, 9999, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.auth44);
  fx_move_tx(&F, &tx, PROTO_TX_ALLOCATE, FX_PROV44, FX_ENT_A, "CEA-2025", 400001);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.auth44);
  cr_assert_eq(F.last.aux, 400000);
  fx_assert_unchanged(&F, &before);
  teardown();
}


Test(transfer, moves_registry_units_between_holders) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PART, "CEA-2025", 2500);
  FX_OK(&F, &tx, F.rep_a);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, 97500);
  cr_assert_eq(fx_balance(&F, FX_PART, "CEA-2025").registry, 2500);
  uint64_t idx;
  cr_assert_eq(ledger_tx_lookup(F.l, tx.id, &idx), 0);
  cr_assert_eq(idx, F.last.index);
  uint64_t hist[64];
  long n = ledger_account_history(F.l, FX_PART, 0, hist, 64);
  cr_assert_gt(n, 0);
  cr_assert_eq(hist[n - 1], idx);
  n = ledger_account_history(F.l, FX_PART, idx + 1, hist, 64);
  cr_assert_eq(n, 0);
  uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  long len = ledger_entry_get(F.l, idx, leaf, sizeof(leaf));
  cr_assert_gt(len, 0);
  struct proto_entry e;
  cr_assert_eq(proto_entry_decode(leaf, (size_t)len, &e), 0);
  cr_assert_eq(e.index, idx);
  cr_assert_eq(e.time_ms, F.time_ms);
  teardown();
}

Test(transfer, refuses_amount_above_available) {
  setup_world();
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 100001);
  FX_REFUSED(&F, PROTO_E_INSUFFICIENT_BALANCE, &tx, F.rep_a);
  cr_assert_eq(F.last.aux, 100000);
  fx_assert_unchanged(&F, &before);
  teardown();
}

Test(transfer, refuses_non_holder_accounts_and_other_representatives) {
  setup_world();
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PROV44, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_ACCOUNT_KIND, &tx, F.rep_a);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_WRONG_ROLE, &tx, F.rep_b);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, 4444, "CEA-2025", 1);
  FX_REFUSED(&F, PROTO_E_UNKNOWN_ACCOUNT, &tx, F.rep_a);
  fx_assert_unchanged(&F, &before);
  teardown();
}

Test(transfer, state_survives_reopen) {
  setup_world();
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 42);
  FX_OK(&F, &tx, F.rep_a);
  uint64_t size = ledger_tree_size(F.l);
  uint8_t root[PROTO_HASH_BYTES], root2[PROTO_HASH_BYTES];
  cr_assert_eq(ledger_root(F.l, size, root), 0);
  fx_reopen(&F);
  cr_assert_eq(ledger_tree_size(F.l), size);
  cr_assert_eq(ledger_root(F.l, size, root2), 0);
  cr_assert(memcmp(root, root2, sizeof(root)) == 0);
  cr_assert_str_eq(ledger_origin(F.l), FX_ORIGIN);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 42);
  cr_assert_eq(FX_APPLY(&F, &tx, F.rep_a), LEDGER_EXISTS); /* same id, same body */
  cr_assert_eq(F.last.index, size - 1);
  teardown();
}
