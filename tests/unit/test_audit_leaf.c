/* Every rule test of audit_replay_tests.h again, but through real leaves: each step is encoded,
 * signed with real Ed25519 keys and replayed by audit_replay_leaf (decode, canonical re-encode,
 * signature verification, rules), as a rogue writer's log would be. */
#define W_LEAF_MODE true
#include "proto/proto_json.h"
#include "tests/unit/audit_replay_tests.h"

/* ---- leaves a rogue writer makes by hand (proto's encoder refuses to make them) ---- */

/* Appends the leaf of body with signature records (key_hash, sig) as the next entry of w's log
 * and replays it. */
static int replay_hand_leaf(struct world *v, const uint8_t *body, size_t blen,
                            const uint8_t (*key_hash)[32], const uint8_t (*sig)[64], size_t n) {
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen, .sigs_count = (uint8_t)n};
  for (size_t i = 0; i < n; i++) {
    memcpy(env.sigs[i].key_hash, key_hash[i], 32);
    memcpy(env.sigs[i].sig, sig[i], 64);
  }
  static uint8_t env_bytes[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  long elen = proto_envelope_encode(&env, env_bytes, sizeof(env_bytes));
  cr_assert_gt(elen, 0);
  struct proto_entry e = {.index = v->rlog.count, .time_ms = v->time_ms,
                          .envelope = env_bytes, .envelope_len = (uint16_t)elen};
  long len = proto_entry_encode(&e, leaf, sizeof(leaf));
  cr_assert_gt(len, 0);
  rogue_push(&v->rlog, leaf, (size_t)len);
  v->time_ms += 1000;
  return audit_replay_leaf(v->r, v->rlog.leaves[v->rlog.count - 1], (size_t)len, NULL, &v->fail);
}

/* The attack the registry once accepted: the identity registered as A's representative, then a
 * transfer out of A "signed" R = identity, S = 0. The audit names the registration. */
Test(audit_leaf_hostile, names_the_identity_registered_before_its_forged_transfer) {
  setup();
  json_t *root = key_vectors();
  uint8_t id_pub[PROTO_PUBKEY_BYTES];
  key_hex(root, "identity", id_pub);
  uint64_t reg_at = w.next;
  struct proto_tx tx = raw_key_register(id_pub, W_ENT_A);
  w_id(&w, &tx);
  (void)rogue_append(&w.rlog, &tx, w.time_ms, 0, &w.op1, 1);
  int rc = audit_replay_leaf(w.r, w.rlog.leaves[reg_at], w.rlog.lens[reg_at], NULL, &w.fail);
  cr_assert_eq(rc, PROTO_E_BAD_KEY, "got %s: %s", proto_err_name(rc), w.fail.text);
  cr_assert_eq(w.fail.index, reg_at);
  tx = w_move(PROTO_TX_TRANSFER, W_ENT_A, W_ENT_B, "CEA-2025", 1000);
  w_id(&w, &tx);
  static uint8_t body[PROTO_ENTRY_BYTES_MAX];
  long blen = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(blen, 0);
  uint8_t hash[1][32], sig[1][64] = {{0}};
  proto_sha256(id_pub, 32, hash[0]);
  memcpy(sig[0], id_pub, 32);
  rc = replay_hand_leaf(&w, body, (size_t)blen, hash, sig, 1);
  cr_assert_eq(rc, PROTO_E_BAD_KEY, "a failure is terminal: still the registration");
  cr_assert_eq(w.fail.index, reg_at);
  json_decref(root);
  teardown();
}

Test(audit_leaf_hostile, names_a_bidi_override_in_an_account_name) {
  setup();
  struct proto_tx tx = w_account(600, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, 1);
  strcpy(tx.u.account.name, "Trader XXX Ltd");
  w_id(&w, &tx);
  static uint8_t body[PROTO_ENTRY_BYTES_MAX];
  long blen = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(blen, 0);
  uint8_t *at = memmem(body, (size_t)blen, "XXX", 3);
  cr_assert_not_null(at);
  memcpy(at, "\xE2\x80\xAE", 3); /* U+202E RIGHT-TO-LEFT OVERRIDE */
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen};
  cr_assert_eq(proto_envelope_sign(&env, ROGUE_ORIGIN, w.op1), 0);
  uint8_t hash[1][32], sig[1][64];
  memcpy(hash[0], env.sigs[0].key_hash, 32);
  memcpy(sig[0], env.sigs[0].sig, 64);
  uint64_t expect_at = w.next;
  int rc = replay_hand_leaf(&w, body, (size_t)blen, hash, sig, 1);
  cr_assert_eq(rc, PROTO_E_TEXT_CONTROL, "got %s: %s", proto_err_name(rc), w.fail.text);
  cr_assert_eq(w.fail.index, expect_at);
  teardown();
}
