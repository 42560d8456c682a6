/* Hostile keys, ids and names at the proto level: the Ed25519 key vectors of
 * tests/vectors/ed25519-keys.json (computed in Python from the curve's definition), the two
 * attacks weak keys allow, the genesis check, derived ids, and bidi / C1 controls in text. */
#include "proto/proto_json.h"
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"

static json_t *load_keys(void) {
  char path[512];
  json_error_t err;
  snprintf(path, sizeof(path), "%s/ed25519-keys.json", QUOTAD_VECTORS_DIR);
  json_t *j = json_load_file(path, 0, &err);
  cr_assert_not_null(j, "%s: %s (line %d)", path, err.text, err.line);
  return j;
}

static void unhex(const json_t *obj, const char *key, uint8_t *out, size_t n) {
  const char *hex = json_string_value(json_object_get(obj, key));
  cr_assert_not_null(hex, "no %s", key);
  cr_assert_eq(proto_hex_decode(hex, strlen(hex), out, n), (long)n, "%s", key);
}

/* OpenSSL's own view of a raw key: it takes any 32 bytes, which is the problem. */
static int openssl_verify(const uint8_t pub[32], const uint8_t *msg, size_t len,
                          const uint8_t sig[64]) {
  EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
  cr_assert_not_null(pk, "OpenSSL refused the raw key itself");
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
           EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pk);
  return ok;
}

Test(keys, accepts_exactly_the_vectors_of_prime_order) {
  json_t *root = load_keys();
  json_t *arr = json_object_get(root, "vectors"), *v;
  size_t i, valid = 0, refused = 0;
  cr_assert_geq(json_array_size(arr), 40u);
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    uint8_t pub[PROTO_PUBKEY_BYTES];
    unhex(v, "hex", pub, sizeof pub);
    bool want = json_is_true(json_object_get(v, "valid"));
    int rc = proto_pubkey_check(pub);
    cr_assert_eq(rc, want ? 0 : PROTO_E_BAD_KEY, "%s: got %s", name, proto_err_name(rc));
    struct proto_key *k = proto_key_from_public(pub);
    cr_assert_eq(k != NULL, want, "%s: proto_key_from_public disagrees", name);
    proto_key_free(k);
    valid += want;
    refused += !want;
  }
  cr_assert_geq(valid, 4u);
  cr_assert_geq(refused, 8u + 7u + 2u, "small order, A + T and non-canonical vectors present");
  json_decref(root);
}

Test(keys, generated_keys_always_pass) {
  for (int i = 0; i < 64; i++) {
    struct proto_key *k = proto_key_generate();
    uint8_t pub[PROTO_PUBKEY_BYTES];
    proto_key_public(k, pub);
    cr_assert_eq(proto_pubkey_check(pub), 0);
    proto_key_free(k);
  }
}

/* The attack: with the identity as public key, R = identity and S = 0 verify for any message
 * (S B = R + k A holds for every k). OpenSSL accepts it; proto never builds such a key. */
Test(keys, the_identity_key_verifies_a_forged_signature_and_is_refused) {
  json_t *root = load_keys();
  uint8_t id_pub[PROTO_PUBKEY_BYTES], sig[PROTO_SIG_BYTES] = {0};
  unhex(root, "identity", id_pub, sizeof id_pub);
  memcpy(sig, id_pub, 32); /* R = the identity's encoding, S = 0 */
  const char *msgs[] = {"transfer 1000 t out of account 1001", "anything at all"};
  for (size_t i = 0; i < 2; i++)
    cr_assert(openssl_verify(id_pub, (const uint8_t *)msgs[i], strlen(msgs[i]), sig),
              "the forgery the check exists for");
  cr_assert_eq(proto_pubkey_check(id_pub), PROTO_E_BAD_KEY);
  cr_assert_null(proto_key_from_public(id_pub));
  json_decref(root);
}

/* The attack: A + T (T of order 2). The holder of a signs "as" A + T (the challenge k computed
 * over A + T); whenever k is even, k T vanishes and the signature verifies under A + T, while a's
 * ordinary signatures verify under A: one secret, two operators. The forgery was made in Python
 * (gen_key_vectors.py); OpenSSL accepts it, proto refuses the key. */
Test(keys, a_plus_t_accepts_a_forgery_by_the_holder_of_a_and_is_refused) {
  json_t *root = load_keys();
  uint8_t seed[PROTO_SEED_BYTES], a[PROTO_PUBKEY_BYTES], at[PROTO_PUBKEY_BYTES];
  unhex(root, "seed_a", seed, sizeof seed);
  unhex(root, "a", a, sizeof a);
  unhex(root, "a_plus_t2", at, sizeof at);
  json_t *forgery = json_object_get(root, "a_plus_t2_forgery");
  uint8_t msg[64], sig[PROTO_SIG_BYTES];
  const char *msg_hex = json_string_value(json_object_get(forgery, "message"));
  long n = proto_hex_decode(msg_hex, strlen(msg_hex), msg, sizeof msg);
  cr_assert_gt(n, 0);
  unhex(forgery, "signature", sig, sizeof sig);
  struct proto_key *k = proto_key_from_seed(seed);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(k, pub);
  cr_assert_eq(memcmp(pub, a, 32), 0, "a's public key is A");
  cr_assert(openssl_verify(at, msg, (size_t)n, sig), "the second 'operator' signs");
  uint8_t own[PROTO_SIG_BYTES];
  cr_assert_eq(proto_sign(k, msg, (size_t)n, own), 0);
  cr_assert(openssl_verify(a, msg, (size_t)n, own), "the first signs as usual");
  cr_assert_eq(proto_pubkey_check(at), PROTO_E_BAD_KEY);
  cr_assert_null(proto_key_from_public(at));
  proto_key_free(k);
  json_decref(root);
}

static struct proto_genesis genesis_of(const uint8_t keys[][32], unsigned n, unsigned threshold) {
  struct proto_genesis g;
  memset(&g, 0, sizeof g);
  struct proto_key *log = proto_key_generate();
  proto_key_public(log, g.log_public_key);
  proto_key_free(log);
  g.operator_keys_count = (uint8_t)n;
  g.operator_threshold = (uint8_t)threshold;
  for (unsigned i = 0; i < n; i++) memcpy(g.operator_keys[i], keys[i], 32);
  return g;
}

Test(genesis_check, refuses_weak_keys_and_thresholds_above_the_distinct_keys) {
  json_t *root = load_keys();
  uint8_t keys[3][32];
  unhex(root, "a", keys[0], 32);
  unhex(root, "a_plus_t2", keys[1], 32);
  int bad = 0;
  struct proto_genesis g = genesis_of(keys, 2, 2);
  cr_assert_eq(proto_genesis_check(&g, &bad), PROTO_E_BAD_KEY, "A and A + T as 2 of 2");
  cr_assert_eq(bad, 1);
  unhex(root, "identity", g.log_public_key, 32);
  cr_assert_eq(proto_genesis_check(&g, &bad), PROTO_E_BAD_KEY);
  cr_assert_eq(bad, -1, "the log key is named");
  struct proto_key *b = proto_key_generate();
  proto_key_public(b, keys[1]);
  proto_key_free(b);
  g = genesis_of(keys, 2, 2);
  cr_assert_eq(proto_genesis_check(&g, &bad), 0);
  g = genesis_of(keys, 2, 3);
  cr_assert_eq(proto_genesis_check(&g, &bad), PROTO_E_BAD_THRESHOLD, "3 of 2 can never act");
  memcpy(keys[1], keys[0], 32);
  g = genesis_of(keys, 2, 2);
  cr_assert_eq(proto_genesis_check(&g, &bad), PROTO_E_BAD_THRESHOLD, "one key listed twice");
  json_decref(root);
}

Test(derived_ids, match_the_python_vector_and_need_the_secret) {
  json_t *root = load_keys();
  json_t *v = json_object_get(root, "derived_id");
  uint8_t seed[PROTO_SEED_BYTES], want[PROTO_ID_BYTES], id[PROTO_ID_BYTES];
  unhex(v, "id_key_seed", seed, sizeof seed);
  unhex(v, "id", want, sizeof want);
  const char *fields[8];
  json_t *arr = json_object_get(v, "fields"), *f;
  size_t i, n = json_array_size(arr);
  cr_assert_leq(n, 8u);
  json_array_foreach(arr, i, f) fields[i] = json_string_value(f);
  const char *origin = json_string_value(json_object_get(v, "origin"));
  unsigned type = (unsigned)json_integer_value(json_object_get(v, "type"));
  struct proto_key *k = proto_key_from_seed(seed);
  cr_assert_eq(proto_id_derive(k, origin, type, fields, n, id), 0);
  cr_assert_eq(memcmp(id, want, sizeof id), 0, "the id Python computed");
  uint8_t again[PROTO_ID_BYTES];
  cr_assert_eq(proto_id_derive(k, origin, type, fields, n, again), 0);
  cr_assert_eq(memcmp(id, again, sizeof id), 0, "a rerun derives the same id");
  /* another key, type, origin or field: another id */
  struct proto_key *other = proto_key_generate();
  cr_assert_eq(proto_id_derive(other, origin, type, fields, n, again), 0);
  cr_assert_neq(memcmp(id, again, sizeof id), 0);
  cr_assert_eq(proto_id_derive(k, origin, PROTO_TX_ALLOCATE, fields, n, again), 0);
  cr_assert_neq(memcmp(id, again, sizeof id), 0);
  cr_assert_eq(proto_id_derive(k, "other.example/quotad", type, fields, n, again), 0);
  cr_assert_neq(memcmp(id, again, sizeof id), 0);
  const char *moved[] = {"steel-202", "52025", "91350100M000100Y43", "BF1", "clawback"};
  cr_assert_eq(proto_id_derive(k, origin, type, moved, 5, again), 0);
  cr_assert_neq(memcmp(id, again, sizeof id), 0, "field boundaries are part of the seed");
  /* a public-only key cannot derive: the secret is the point */
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(k, pub);
  struct proto_key *pub_only = proto_key_from_public(pub);
  memset(again, 0x5a, sizeof again);
  cr_assert_eq(proto_id_derive(pub_only, origin, type, fields, n, again), PROTO_E_BAD_KEY);
  cr_assert_eq(again[0], 0x5a, "nothing written on failure");
  cr_assert_eq(proto_id_derive(k, "bad origin", type, fields, n, again), PROTO_E_BAD_ORIGIN);
  cr_assert_eq(proto_id_derive(k, origin, 0, fields, n, again), PROTO_E_UNKNOWN_TYPE);
  proto_key_free(pub_only);
  proto_key_free(other);
  proto_key_free(k);
  json_decref(root);
}

/* An account open whose name is name; validation's answer. */
static int name_check(const char *name) {
  struct proto_tx tx;
  memset(&tx, 0, sizeof tx);
  tx.type = PROTO_TX_ACCOUNT_OPEN;
  tx.u.account.account = 7;
  tx.u.account.kind = PROTO_ACCOUNT_PARTICIPANT;
  tx.u.account.threshold = 1;
  snprintf(tx.u.account.name, sizeof tx.u.account.name, "%s", name);
  return proto_tx_validate(&tx);
}

Test(names, refuse_bidi_and_c1_controls_with_their_own_code) {
  static const char *const refused[] = {
      "Plant \u202Eevil", "\u202A", "\u202B", "\u202C", "\u202D", "\u202E",
      "\u2066x", "\u2067", "\u2068", "x\u2069", "\xC2\x80", "a\xC2\x85", "\xC2\x9F"};
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
    cr_assert_eq(name_check(refused[i]), PROTO_E_TEXT_CONTROL, "case %zu", i);
  /* the neighbours stay allowed: no-break space, U+2029, U+206A, Chinese, Arabic */
  static const char *const allowed[] = {"\xC2\xA0", "a\u2029b", "\u206A", "\u2065",
                                        "华能国际电力股份有限公司", "\u0627\u0644", "\u2070"};
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
    cr_assert_eq(name_check(allowed[i]), 0, "case %zu: %s", i, proto_err_name(name_check(allowed[i])));
  cr_assert_eq(name_check("line\nfeed"), PROTO_E_BAD_TEXT, "C0 controls keep their code");
}

Test(names, a_bidi_override_in_json_is_refused_naming_the_field) {
  json_t *obj = json_pack("{s:s, s:s, s:I, s:s}", "type", "account_close", "id",
                          "000102030405060708090a0b0c0d0e0f", "account", (json_int_t)7,
                          "reason", "merged \u2066into 8\u2069");
  struct proto_tx tx;
  const char *where = NULL;
  cr_assert_eq(proto_tx_from_json(obj, &tx, &where), PROTO_E_TEXT_CONTROL);
  cr_assert_str_eq(where, "reason");
  json_decref(obj);
}
