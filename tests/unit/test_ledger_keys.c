/* Hostile keys and names against the ledger: weak Ed25519 keys (tests/vectors/ed25519-keys.json)
 * at genesis and key registration, the forged signature the identity key would let through, a
 * genesis threshold no set of operators can meet, and bidi / C1 controls in names. Each refusal
 * has its code and leaves the ledger unchanged. */
#include "proto/proto_json.h"
#include "ledger_fixture.h"

static struct fx F;
static void teardown(void) { fx_free(&F); }

static json_t *key_vectors(void) {
  char path[512];
  json_error_t err;
  snprintf(path, sizeof(path), "%s/ed25519-keys.json", QUOTAD_VECTORS_DIR);
  json_t *j = json_load_file(path, 0, &err);
  cr_assert_not_null(j, "%s: %s", path, err.text);
  return j;
}

static void unhex(const json_t *obj, const char *key, uint8_t *out, size_t n) {
  const char *hex = json_string_value(json_object_get(obj, key));
  cr_assert_not_null(hex, "no %s", key);
  cr_assert_eq(proto_hex_decode(hex, strlen(hex), out, n), (long)n);
}

/* A representative key registration for account with raw public key pub. */
static void register_tx(struct proto_tx *tx, const uint8_t pub[PROTO_PUBKEY_BYTES], uint64_t account) {
  fx_tx(&F, tx, PROTO_TX_KEY_REGISTER);
  memcpy(tx->u.key_register.public_key, pub, PROTO_PUBKEY_BYTES);
  tx->u.key_register.role = PROTO_ROLE_REPRESENTATIVE;
  tx->u.key_register.scope = account;
  snprintf(tx->u.key_register.name, sizeof(tx->u.key_register.name), "representative");
}

/* Applies body (already encoded, maybe patched) with one signature record (key_hash, sig) made
 * by hand: what an attacker without the private key sends. */
static int apply_forged(const uint8_t *body, size_t blen, const uint8_t key_hash[32],
                        const uint8_t sig[64]) {
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen, .sigs_count = 1};
  memcpy(env.sigs[0].key_hash, key_hash, 32);
  memcpy(env.sigs[0].sig, sig, 64);
  static uint8_t out[PROTO_ENTRY_BYTES_MAX];
  long n = proto_envelope_encode(&env, out, sizeof(out));
  cr_assert_gt(n, 0, "%s", proto_err_name((int)n));
  struct ledger_submission sub = {.envelope = out, .envelope_len = (size_t)n};
  struct ledger_batch_info info;
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, &info), 0);
  return sub.result;
}

Test(weak_keys, the_identity_cannot_become_a_representative_nor_sign_a_transfer) {
  fx_world(&F);
  json_t *v = key_vectors();
  uint8_t id_pub[PROTO_PUBKEY_BYTES];
  unhex(v, "identity", id_pub, sizeof id_pub);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  struct proto_tx tx;
  register_tx(&tx, id_pub, FX_ENT_A);
  FX_REFUSED(&F, PROTO_E_BAD_KEY, &tx, F.op[0]);
  fx_assert_unchanged(&F, &before);
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(id_pub, sizeof id_pub, h);
  struct ledger_key k;
  cr_assert_eq(ledger_key_get(F.l, h, &k), PROTO_E_NOT_FOUND);
  /* the forgery: R = the identity, S = 0, which would verify under the identity for any body */
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_PART, "CEA-2025", 1000);
  static uint8_t body[PROTO_ENTRY_BYTES_MAX];
  long blen = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(blen, 0);
  uint8_t sig[PROTO_SIG_BYTES] = {0};
  memcpy(sig, id_pub, 32);
  int rc = apply_forged(body, (size_t)blen, h, sig);
  cr_assert_eq(rc, PROTO_E_UNKNOWN_KEY, "got %s", rc ? proto_err_name(rc) : "ok");
  fx_assert_unchanged(&F, &before);
  json_decref(v);
  teardown();
}

Test(weak_keys, every_refused_vector_is_refused_at_registration_and_every_valid_one_accepted) {
  fx_world(&F);
  json_t *root = key_vectors(), *v;
  size_t i;
  json_array_foreach(json_object_get(root, "vectors"), i, v) {
    uint8_t pub[PROTO_PUBKEY_BYTES];
    unhex(v, "hex", pub, sizeof pub);
    struct fx_snap before;
    fx_snapshot(&F, &before);
    struct proto_tx tx;
    register_tx(&tx, pub, FX_PART);
    int rc = FX_APPLY(&F, &tx, F.op[0]);
    const char *name = json_string_value(json_object_get(v, "name"));
    if (json_is_true(json_object_get(v, "valid"))) {
      cr_assert_eq(rc, 0, "%s: %s", name, proto_err_name(rc));
      continue;
    }
    cr_assert_eq(rc, PROTO_E_BAD_KEY, "%s: got %s", name, rc ? proto_err_name(rc) : "ok");
    fx_assert_unchanged(&F, &before);
  }
  json_decref(root);
  teardown();
}

/* A ledger with its log key and operator keys but no entry yet. */
static void empty_ledger(void) {
  memset(&F, 0, sizeof(F));
  snprintf(F.dir, sizeof(F.dir), "/tmp/quotad-ledger-XXXXXX");
  cr_assert(mkdtemp(F.dir) != NULL);
  F.time_ms = FX_T0;
  F.log = fx_key(1);
  F.op[0] = fx_key(10);
  F.op[1] = fx_key(11);
  fx_open(&F, 0, 0);
}

static void genesis_tx(struct proto_tx *tx, unsigned threshold) {
  fx_tx(&F, tx, PROTO_TX_GENESIS);
  struct proto_genesis *g = &tx->u.genesis;
  snprintf(g->origin, sizeof(g->origin), "%s", FX_ORIGIN);
  proto_key_public(F.log, g->log_public_key);
  g->national_account = FX_NATIONAL;
  g->operator_threshold = (uint8_t)threshold;
  g->operator_keys_count = 2;
  proto_key_public(F.op[0], g->operator_keys[0]);
  proto_key_public(F.op[1], g->operator_keys[1]);
}

Test(weak_keys, a_genesis_with_a_and_a_plus_t_as_two_of_two_is_refused) {
  empty_ledger();
  json_t *v = key_vectors();
  struct proto_tx tx;
  genesis_tx(&tx, 2);
  unhex(v, "a", tx.u.genesis.operator_keys[0], PROTO_PUBKEY_BYTES);
  unhex(v, "a_plus_t2", tx.u.genesis.operator_keys[1], PROTO_PUBKEY_BYTES);
  FX_REFUSED(&F, PROTO_E_BAD_KEY, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 0);
  unhex(v, "a_plus_t2", tx.u.genesis.operator_keys[0], PROTO_PUBKEY_BYTES);
  proto_key_public(F.op[1], tx.u.genesis.operator_keys[1]);
  FX_REFUSED(&F, PROTO_E_BAD_KEY, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 0);
  genesis_tx(&tx, 2);
  FX_OK(&F, &tx, F.log);
  json_decref(v);
  teardown();
}

Test(genesis_threshold, above_the_operator_keys_is_refused) {
  empty_ledger();
  struct proto_tx tx;
  genesis_tx(&tx, 3);
  FX_REFUSED(&F, PROTO_E_BAD_THRESHOLD, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 0);
  genesis_tx(&tx, 8);
  FX_REFUSED(&F, PROTO_E_BAD_THRESHOLD, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 0);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  cr_assert_neq(ledger_log_public_key(F.l, pub), 0, "no genesis stored");
  genesis_tx(&tx, 2);
  FX_OK(&F, &tx, F.log);
  cr_assert_eq(ledger_tree_size(F.l), 1);
  teardown();
}

/* An account open whose name holds `bytes` at the place of "XXX" (3 bytes), encoded by hand:
 * proto_tx_encode itself refuses such a name. */
static int open_with_name_bytes(const char *bytes3) {
  struct proto_tx tx;
  fx_account_tx(&F, &tx, 3001, PROTO_ACCOUNT_PARTICIPANT, 0, NULL, "Trader XXX Ltd");
  static uint8_t body[PROTO_ENTRY_BYTES_MAX];
  long blen = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(blen, 0);
  uint8_t *at = memmem(body, (size_t)blen, "XXX", 3);
  cr_assert_not_null(at);
  memcpy(at, bytes3, 3);
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)blen};
  cr_assert_eq(proto_envelope_sign(&env, FX_ORIGIN, F.op[0]), 0);
  static uint8_t out[PROTO_ENTRY_BYTES_MAX];
  long n = proto_envelope_encode(&env, out, sizeof(out));
  cr_assert_gt(n, 0);
  struct ledger_submission sub = {.envelope = out, .envelope_len = (size_t)n};
  struct ledger_batch_info info;
  cr_assert_eq(ledger_apply(F.l, &sub, 1, F.time_ms, &info), 0);
  return sub.result;
}

Test(names, a_bidi_override_or_c1_control_in_a_name_is_refused) {
  fx_world(&F);
  struct fx_snap before;
  fx_snapshot(&F, &before);
  static const char *const bad[] = {"\xE2\x80\xAE", "\xE2\x80\xAA", "\xE2\x81\xA6", "\xE2\x81\xA9",
                                    "a\xC2\x85", "\xC2\x80z", "\xC2\x9F-"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    int rc = open_with_name_bytes(bad[i]);
    cr_assert_eq(rc, PROTO_E_TEXT_CONTROL, "case %zu: %s", i, rc ? proto_err_name(rc) : "ok");
    fx_assert_unchanged(&F, &before);
  }
  struct ledger_account a;
  cr_assert_eq(ledger_account_get(F.l, 3001, &a), PROTO_E_NOT_FOUND);
  cr_assert_eq(open_with_name_bytes("\xE2\x81\xAA"), 0, "U+206A is not a control we refuse");
  teardown();
}
