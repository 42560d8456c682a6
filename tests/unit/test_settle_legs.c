/* Version 2 settlements through the ledger: legs beside the envelope, checked against the signed
 * root, applied, stored apart from the entry and read back checked; every way legs can be wrong
 * refuses the settlement with its own code and changes nothing. Version 1 still applies. */
#include <lmdb.h>

#include "ledger_fixture.h"
#include "audit/audit.h"
#include "tlog/tlog.h"

static struct fx F;
static uint8_t env_buf[PROTO_ENTRY_BYTES_MAX], legs_buf[PROTO_LEGS_BYTES_MAX];

static void world_with_trading(void) {
  fx_world(&F);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_POSITION_MOVE, FX_ENT_A, 0, "CEA-2025", 50000);
  FX_OK(&F, &tx, F.rep_a);
}

/* n legs from A to B / the participant, salted, and the version 2 body over them. */
static void settle_v2(struct proto_tx *tx, struct proto_leg *legs, uint16_t n) {
  fx_tx(&F, tx, PROTO_TX_SETTLE);
  tx->version = 2;
  snprintf(tx->u.settle.ref, sizeof(tx->u.settle.ref), "SEEE day 2");
  for (uint16_t i = 0; i < n; i++) {
    legs[i] = (struct proto_leg){.from = FX_ENT_A, .to = i % 2 ? FX_ENT_B : FX_PART,
                                 .instrument = "CEA-2025", .amount = 1u + i % 5u};
    cr_assert_eq(proto_random_bytes(legs[i].salt, PROTO_SALT_BYTES), 0);
  }
  tx->u.settle.legs_count = n;
  tlog_legs_root(legs, n, tx->u.settle.legs_root);
}

/* Applies tx with the legs blob beside it (blob NULL: none) as one batch. */
static int apply_with(const struct proto_tx *tx, const uint8_t *blob, size_t blob_len, bool verified) {
  size_t len = fx_envelope(tx, FX_SIGNERS(F.exch), 1, FX_ORIGIN, env_buf, sizeof(env_buf));
  struct ledger_submission sub = {.envelope = env_buf, .envelope_len = len, .legs = blob,
                                  .legs_len = blob_len, .legs_verified = verified};
  int rc = ledger_apply(F.l, &sub, 1, F.time_ms, NULL);
  cr_assert_eq(rc, 0, "ledger_apply: %s", proto_err_name(rc));
  F.last = sub;
  return sub.result;
}

static size_t blob_of(const struct proto_leg *legs, size_t n) {
  long len = proto_legs_encode(legs, n, legs_buf, sizeof(legs_buf));
  cr_assert_gt(len, 0, "%s", proto_err_name((int)len));
  return (size_t)len;
}

Test(settle_v2, applies_the_legs_and_stores_them_apart_from_the_entry) {
  world_with_trading();
  struct proto_leg legs[5];
  struct proto_tx tx;
  settle_v2(&tx, legs, 5);
  size_t len = blob_of(legs, 5);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), 0);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").trading, 2 + 4);
  cr_assert_eq(fx_balance(&F, FX_PART, "CEA-2025").trading, 1 + 3 + 5);
  uint8_t got[PROTO_LEGS_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  cr_assert_eq(ledger_entry_legs(F.l, F.last.index, got, sizeof(got)), (long)len);
  cr_assert_eq(memcmp(got, legs_buf, len), 0);
  /* the entry itself holds no leg: no account id of a buyer appears in its bytes */
  long elen = ledger_entry_get(F.l, F.last.index, leaf, sizeof(leaf));
  uint8_t part_be[8] = {0, 0, 0, 0, 0, 0, FX_PART >> 8, FX_PART & 0xff};
  for (long i = 0; i + 8 <= elen; i++) cr_assert_neq(memcmp(leaf + i, part_be, 8), 0, "at %ld", i);
  cr_assert_eq(ledger_entry_legs(F.l, F.last.index - 1, got, sizeof(got)), PROTO_E_NOT_FOUND);
  uint64_t hist[4];
  cr_assert_eq(ledger_account_history(F.l, FX_PART, F.last.index, hist, 4), 1);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  fx_reopen(&F);
  cr_assert_eq(ledger_entry_legs(F.l, F.last.index, got, sizeof(got)), (long)len);
  fx_free(&F);
}

Test(settle_v2, legs_that_do_not_match_are_refused_and_change_nothing) {
  world_with_trading();
  struct proto_leg legs[4];
  struct proto_tx tx;
  settle_v2(&tx, legs, 4);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  uint64_t size = ledger_tree_size(F.l);
  legs[3].amount++; /* not what the exchange signed */
  size_t len = blob_of(legs, 4);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), PROTO_E_LEGS_ROOT);
  legs[3].amount--;
  len = blob_of(legs, 3);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), PROTO_E_LEGS_COUNT);
  cr_assert_eq(apply_with(&tx, NULL, 0, false), PROTO_E_LEGS_MISSING);
  fx_assert_unchanged(&F, &before);
  cr_assert_eq(ledger_tree_size(F.l), size);
  fx_free(&F);
}

Test(settle_v2, duplicate_salts_are_refused) {
  world_with_trading();
  struct proto_leg legs[2];
  struct proto_tx tx;
  settle_v2(&tx, legs, 2);
  size_t len = blob_of(legs, 2);
  memcpy(legs_buf + 4 + PROTO_LEGS_RECORD_BYTES, legs_buf + 4, PROTO_SALT_BYTES);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), PROTO_E_DUPLICATE_SALT);
  cr_assert_eq(ledger_verify_legs(env_buf, F.last.envelope_len, legs_buf, len), PROTO_E_DUPLICATE_SALT);
  fx_free(&F);
}

Test(settle_v2, legs_beside_any_other_transaction_are_refused) {
  world_with_trading();
  struct proto_leg legs[1];
  struct proto_tx tx, v2;
  settle_v2(&v2, legs, 1);
  size_t len = blob_of(legs, 1);
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  size_t elen = fx_envelope(&tx, FX_SIGNERS(F.rep_a), 1, FX_ORIGIN, env_buf, sizeof(env_buf));
  struct ledger_submission sub = {.envelope = env_buf, .envelope_len = elen, .legs = legs_buf, .legs_len = len};
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, NULL), 0);
  cr_assert_eq(sub.result, PROTO_E_LEGS_UNEXPECTED);
  cr_assert_eq(ledger_verify_legs(env_buf, elen, legs_buf, len), PROTO_E_LEGS_UNEXPECTED);
  cr_assert_eq(ledger_verify_legs(env_buf, elen, NULL, 0), 0);
  fx_free(&F);
}

Test(settle_v2, the_callers_verdict_spares_the_writer_the_hashing) {
  world_with_trading();
  struct proto_leg legs[3];
  struct proto_tx tx;
  settle_v2(&tx, legs, 3);
  size_t len = blob_of(legs, 3);
  size_t elen = fx_envelope(&tx, FX_SIGNERS(F.exch), 1, FX_ORIGIN, env_buf, sizeof(env_buf));
  cr_assert_eq(ledger_verify_legs(env_buf, elen, legs_buf, len), 0);
  cr_assert_eq(ledger_verify_legs(env_buf, elen, NULL, 0), PROTO_E_LEGS_MISSING);
  cr_assert_eq(apply_with(&tx, legs_buf, len, true), 0);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").trading, 2);
  fx_free(&F);
}

Test(settle_v2, stored_legs_changed_on_disk_read_as_corrupt) {
  world_with_trading();
  struct proto_leg legs[2];
  struct proto_tx tx;
  settle_v2(&tx, legs, 2);
  size_t len = blob_of(legs, 2);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), 0);
  uint64_t index = F.last.index;
  ledger_close(F.l);
  F.l = NULL;
  /* one amount byte changed in the stored blob, through LMDB itself */
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  fx_raw_begin(&F, "legs", 0, &env, &txn, &dbi);
  uint8_t key[8] = {0};
  for (int i = 0; i < 8; i++) key[7 - i] = (uint8_t)(index >> (8 * i));
  MDB_val k = {8, key}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  uint8_t changed[PROTO_LEGS_BYTES_MAX];
  memcpy(changed, v.mv_data, v.mv_size);
  changed[v.mv_size - 1] ^= 1;
  MDB_val nv = {v.mv_size, changed};
  cr_assert_eq(mdb_put(txn, dbi, &k, &nv, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  /* the writer's open check walks the legs and refuses the store; past it, the read does */
  struct ledger_check_report rep;
  cr_assert_eq(fx_open_as(&F, 0, 0, false, &rep), PROTO_E_CORRUPT);
  cr_assert(strncmp(rep.why, "legs", 4) == 0, "why: %s", rep.why);
  cr_assert_eq(fx_open_as(&F, 0, 0, true, NULL), 0);
  uint8_t got[PROTO_LEGS_BYTES_MAX];
  cr_assert_eq(ledger_entry_legs(F.l, index, got, sizeof(got)), PROTO_E_CORRUPT);
  fx_free(&F);
}

Test(settle_v2, a_1000_leg_settlement_applies_and_version_1_still_does) {
  world_with_trading();
  struct proto_leg *legs = calloc(PROTO_LEGS_MAX, sizeof(*legs));
  struct proto_tx tx;
  settle_v2(&tx, legs, PROTO_LEGS_MAX);
  size_t len = blob_of(legs, PROTO_LEGS_MAX);
  cr_assert_eq(len, PROTO_LEGS_BYTES_MAX);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), 0);
  /* version 1: the legs in the body, nothing beside */
  fx_tx(&F, &tx, PROTO_TX_SETTLE);
  snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "old style");
  tx.u.settle.legs_count = 1;
  tx.u.settle.legs = legs;
  tx.u.settle.legs_borrowed = true;
  FX_OK(&F, &tx, F.exch);
  uint8_t got[PROTO_LEGS_BYTES_MAX];
  cr_assert_eq(ledger_entry_legs(F.l, F.last.index, got, sizeof(got)), PROTO_E_NOT_FOUND);
  cr_assert_eq(ledger_check_invariants(F.l, NULL, 0), 0);
  free(legs);
  fx_free(&F);
}

/* The whole log through quota-audit's library with the legs stored beside it: it verifies, and
 * fails at the settlement when its legs are missing, changed, or put beside another entry. */
static int audit_with(uint8_t **leaves, size_t *lens, uint8_t **legs, size_t *legs_lens, size_t n,
                      struct audit_failure *fail) {
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(F.log, pub);
  struct audit_log *log = audit_log_new(pub, 1);
  cr_assert_not_null(log);
  int rc = audit_log_feed_legs(log, (const uint8_t *const *)leaves, lens, (const uint8_t *const *)legs,
                               legs_lens, n, fail);
  audit_log_free(log);
  return rc;
}

Test(settle_v2, quota_audit_checks_every_leg_against_the_signed_root) {
  world_with_trading();
  struct proto_leg legs[6];
  struct proto_tx tx;
  settle_v2(&tx, legs, 6);
  size_t len = blob_of(legs, 6);
  cr_assert_eq(apply_with(&tx, legs_buf, len, false), 0);
  uint64_t at = F.last.index, n = ledger_tree_size(F.l);
  uint8_t **leaves = calloc(n, sizeof(*leaves)), **lg = calloc(n, sizeof(*lg));
  size_t *lens = calloc(n, sizeof(*lens)), *lg_lens = calloc(n, sizeof(*lg_lens));
  for (uint64_t i = 0; i < n; i++) {
    leaves[i] = malloc(PROTO_ENTRY_BYTES_MAX);
    lens[i] = (size_t)ledger_entry_get(F.l, i, leaves[i], PROTO_ENTRY_BYTES_MAX);
    uint8_t *b = malloc(PROTO_LEGS_BYTES_MAX);
    long l = ledger_entry_legs(F.l, i, b, PROTO_LEGS_BYTES_MAX);
    cr_assert(l > 0 || l == PROTO_E_NOT_FOUND);
    if (l > 0) lg[i] = b, lg_lens[i] = (size_t)l;
    else free(b);
  }
  cr_assert_not_null(lg[at]);
  struct audit_failure fail;
  cr_assert_eq(audit_with(leaves, lens, lg, lg_lens, n, &fail), 0, "%s", fail.text);
  uint8_t *kept = lg[at];
  lg[at] = NULL;
  cr_assert_eq(audit_with(leaves, lens, lg, lg_lens, n, &fail), PROTO_E_LEGS_MISSING);
  cr_assert_eq(fail.index, at);
  lg[at] = kept;
  kept[lg_lens[at] - 1] ^= 2; /* the last leg's amount, 1 -> 3 */
  cr_assert_eq(audit_with(leaves, lens, lg, lg_lens, n, &fail), PROTO_E_LEGS_ROOT);
  cr_assert_eq(fail.index, at);
  kept[lg_lens[at] - 1] ^= 2;
  lg[at - 1] = kept, lg_lens[at - 1] = lg_lens[at];
  cr_assert_eq(audit_with(leaves, lens, lg, lg_lens, n, &fail), PROTO_E_LEGS_UNEXPECTED);
  cr_assert_eq(fail.index, at - 1);
  for (uint64_t i = 0; i < n; i++) {
    free(leaves[i]);
    if (i != at - 1) free(lg[i]);
  }
  free(leaves), free(lg), free(lens), free(lg_lens);
  fx_free(&F);
}
