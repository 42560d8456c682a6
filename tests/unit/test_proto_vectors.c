/* The committed test vectors (tests/vectors/proto-valid.json, proto-invalid.json): every one is
 * checked against the codec, and the generator is rerun in memory so the files cannot drift. */
#include "proto/proto_json.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The generator itself, without its main, so the test regenerates exactly what it writes. */
#include "tlog/tlog.h"

#define GEN_VECTORS_NO_MAIN
#include "tests/vectors/gen_vectors.c" // NOLINT(bugprone-suspicious-include)

static json_t *load(const char *name) {
  char path[512];
  json_error_t err;
  snprintf(path, sizeof(path), "%s/%s", QUOTAD_VECTORS_DIR, name);
  json_t *j = json_load_file(path, 0, &err);
  cr_assert_not_null(j, "%s: %s (line %d)", path, err.text, err.line);
  return j;
}

static char *slurp(const char *name) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", QUOTAD_VECTORS_DIR, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
  text[n] = '\0';
  fclose(f);
  return text;
}

static size_t unhex_field(const json_t *v, const char *key, uint8_t *out, size_t cap) {
  const char *hex = json_string_value(json_object_get(v, key));
  cr_assert_not_null(hex, "vector without %s", key);
  long n = proto_hex_decode(hex, strlen(hex), out, cap);
  cr_assert_geq(n, 0);
  return (size_t)n;
}

static uint8_t bytes[PROTO_ENTRY_BYTES_MAX + 8], again[PROTO_ENTRY_BYTES_MAX + 8];

Test(vectors, valid_transactions_decode_hash_and_map_to_json) {
  json_t *root = load("proto-valid.json");
  json_t *arr = json_object_get(root, "transactions");
  size_t known = 0;
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) known += proto_tx_type_name(t) != NULL;
  cr_assert_geq(json_array_size(arr), 3u * known);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    size_t n = unhex_field(v, "body", bytes, sizeof(bytes));
    struct proto_tx tx, from_json;
    cr_assert_eq(proto_tx_decode(bytes, n, &tx), 0, "%s", name);
    cr_assert_eq(proto_tx_encode(&tx, again, sizeof(again)), (long)n, "%s", name);
    cr_assert_eq(memcmp(bytes, again, n), 0, "%s", name);
    uint8_t hash[PROTO_HASH_BYTES], want[PROTO_HASH_BYTES];
    proto_body_hash(bytes, n, hash);
    unhex_field(v, "body_hash", want, sizeof(want));
    cr_assert_eq(memcmp(hash, want, sizeof(hash)), 0, "%s", name);
    json_t *j = proto_tx_to_json(&tx);
    cr_assert(json_equal(j, json_object_get(v, "json")), "%s", name);
    cr_assert_eq(proto_tx_from_json(json_object_get(v, "json"), &from_json, NULL), 0, "%s", name);
    cr_assert_eq(proto_tx_encode(&from_json, again, sizeof(again)), (long)n);
    cr_assert_eq(memcmp(bytes, again, n), 0, "%s: JSON gives the same body", name);
    json_decref(j);
    proto_tx_free(&tx);
    proto_tx_free(&from_json);
  }
  json_decref(root);
}

Test(vectors, valid_envelopes_carry_verifiable_signatures) {
  json_t *root = load("proto-valid.json");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "envelopes"), i, v) {
    size_t n = unhex_field(v, "hex", bytes, sizeof(bytes));
    struct proto_envelope env;
    cr_assert_eq(proto_envelope_decode(bytes, n, &env), 0);
    json_t *keys = json_object_get(v, "signer_public_keys");
    cr_assert_eq(json_array_size(keys), env.sigs_count);
    static uint8_t msg[PROTO_BODY_BYTES_MAX + 200];
    long m = proto_signing_message(json_string_value(json_object_get(v, "origin")), env.body,
                                   env.body_len, msg, sizeof(msg));
    cr_assert_gt(m, 0);
    for (size_t k = 0; k < env.sigs_count; k++) {
      uint8_t pub[PROTO_PUBKEY_BYTES], hash[PROTO_HASH_BYTES];
      const char *hex = json_string_value(json_array_get(keys, k));
      cr_assert_eq(proto_hex_decode(hex, strlen(hex), pub, sizeof(pub)), 32);
      struct proto_key *key = proto_key_from_public(pub);
      proto_key_hash(key, hash);
      cr_assert_eq(memcmp(hash, env.sigs[k].key_hash, sizeof(hash)), 0);
      cr_assert_eq(proto_verify(key, msg, (size_t)m, env.sigs[k].sig), 0);
      proto_key_free(key);
    }
    cr_assert_eq(proto_envelope_encode(&env, again, sizeof(again)), (long)n);
    cr_assert_eq(memcmp(bytes, again, n), 0);
  }
  json_decref(root);
}

Test(vectors, valid_entries_decode_and_have_their_leaf_hash) {
  json_t *root = load("proto-valid.json");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "entries"), i, v) {
    size_t n = unhex_field(v, "hex", bytes, sizeof(bytes));
    struct proto_entry e;
    cr_assert_eq(proto_entry_decode(bytes, n, &e), 0);
    cr_assert_eq(e.index, (uint64_t)json_integer_value(json_object_get(v, "index")));
    cr_assert_eq(e.time_ms, (uint64_t)json_integer_value(json_object_get(v, "time_ms")));
    cr_assert_eq(e.withheld, (uint64_t)json_integer_value(json_object_get(v, "withheld")));
    cr_assert_eq(proto_entry_encode(&e, again, sizeof(again)), (long)n);
    cr_assert_eq(memcmp(bytes, again, n), 0);
    uint8_t prefixed[PROTO_ENTRY_BYTES_MAX + 1], hash[32], want[32];
    prefixed[0] = 0x00; /* RFC 6962 leaf prefix */
    memcpy(prefixed + 1, bytes, n);
    proto_sha256(prefixed, n + 1, hash);
    unhex_field(v, "leaf_hash", want, sizeof(want));
    cr_assert_eq(memcmp(hash, want, 32), 0);
    json_t *j = proto_entry_to_json(bytes, n);
    cr_assert_not_null(j);
    json_decref(j);
  }
  json_decref(root);
}

Test(vectors, every_invalid_vector_is_refused_with_its_error) {
  json_t *root = load("proto-invalid.json");
  json_t *arr = json_object_get(root, "vectors");
  cr_assert_geq(json_array_size(arr), 40);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *kind = json_string_value(json_object_get(v, "kind"));
    int want = proto_err_from_name(json_string_value(json_object_get(v, "error")));
    cr_assert_lt(want, 0, "%s: unknown error name", name);
    size_t n = unhex_field(v, "hex", bytes, sizeof(bytes));
    int rc = gen_decode(kind, bytes, n);
    cr_assert_eq(rc, want, "%s: got %s", name, proto_err_name(rc));
  }
  json_decref(root);
}

static void expect_no_drift(const char *name, json_t *generated) {
  json_t *file = load(name);
  cr_assert(json_equal(file, generated), "%s differs from the generator: rebuild the "
                                         "proto_vectors target and commit", name);
  char *text = json_dumps(generated, GEN_JSON_FLAGS);
  char *committed = slurp(name);
  cr_assert_str_eq(committed, text, "%s: same values, different text", name);
  free(text);
  free(committed);
  json_decref(file);
  json_decref(generated);
}

Test(vectors, committed_files_match_the_generator) {
  expect_no_drift("proto-valid.json", gen_valid());
  expect_no_drift("proto-invalid.json", gen_invalid());
  expect_no_drift("settle-legs.json", gen_legs());
  expect_no_drift("web-entries.json", gen_web_entries());
}

/* settle-legs.json: every valid settlement's legs hash (by tlog's code) to the root the vector
 * states, computed by the generator from the RFC's definition; every leg has an audit path. */
Test(vectors, settle_legs_valid_vectors_hash_to_their_root_with_paths) {
  json_t *root = load("settle-legs.json");
  json_t *arr = json_object_get(root, "valid");
  cr_assert_geq(json_array_size(arr), 4);
  size_t i;
  json_t *v;
  static uint8_t blob[PROTO_LEGS_BYTES_MAX], want[PROTO_HASH_BYTES];
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    size_t n = unhex_field(v, "body", bytes, sizeof(bytes));
    size_t bn = unhex_field(v, "legs_blob", blob, sizeof(blob));
    cr_assert_eq(unhex_field(v, "legs_root", want, sizeof(want)), PROTO_HASH_BYTES);
    struct proto_tx tx;
    cr_assert_eq(proto_tx_decode(bytes, n, &tx), 0, "%s", name);
    cr_assert_eq(tx.version, 2, "%s", name);
    cr_assert_eq(memcmp(tx.u.settle.legs_root, want, PROTO_HASH_BYTES), 0, "%s", name);
    cr_assert_eq(proto_settle_attach_legs(&tx, blob, bn), 0, "%s", name);
    cr_assert_eq(tlog_legs_check(&tx), 0, "%s", name);
    const struct proto_settle *s = &tx.u.settle;
    cr_assert_eq(proto_legs_encode(s->legs, s->legs_count, again, sizeof(again)), (long)bn, "%s", name);
    cr_assert_eq(memcmp(again, blob, bn), 0, "%s: decode then encode", name);
    json_t *legs = proto_legs_to_json(s->legs, s->legs_count, true);
    cr_assert(json_equal(legs, json_object_get(v, "legs")), "%s: legs JSON", name);
    json_decref(legs);
    struct tlog_memtree t;
    cr_assert_eq(tlog_legs_tree(s->legs, s->legs_count, &t), 0);
    for (size_t k = 0; k < s->legs_count; k++) {
      uint8_t leaf[PROTO_LEG_LEAF_BYTES], lh[PROTO_HASH_BYTES], path[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
      size_t plen = 0;
      proto_leg_leaf(&s->legs[k], leaf);
      const char *hex = json_string_value(json_array_get(json_object_get(v, "leaves"), k));
      char got[2 * PROTO_LEG_LEAF_BYTES + 1];
      proto_hex_encode(leaf, sizeof(leaf), got, sizeof(got));
      cr_assert_str_eq(got, hex, "%s: leaf %zu", name, k);
      tlog_legs_leaf_hash(&s->legs[k], lh);
      cr_assert_eq(tlog_memtree_inclusion(&t, k, path, &plen), 0);
      cr_assert_eq(tlog_verify_inclusion(k, s->legs_count, lh, (const uint8_t(*)[PROTO_HASH_BYTES])path,
                                         plen, want), 0, "%s: path of leg %zu", name, k);
    }
    tlog_memtree_free(&t);
    proto_tx_free(&tx);
  }
  json_decref(root);
}

Test(vectors, settle_legs_invalid_vectors_are_refused_with_their_error) {
  json_t *root = load("settle-legs.json");
  json_t *arr = json_object_get(root, "invalid");
  cr_assert_geq(json_array_size(arr), 8);
  size_t i;
  json_t *v;
  static uint8_t blob[PROTO_LEGS_BYTES_MAX];
  json_array_foreach(arr, i, v) {
    const char *name = json_string_value(json_object_get(v, "name"));
    int want = proto_err_from_name(json_string_value(json_object_get(v, "error")));
    cr_assert_lt(want, 0, "%s: unknown error name", name);
    size_t n = unhex_field(v, "body", bytes, sizeof(bytes));
    bool none = json_is_null(json_object_get(v, "legs_blob"));
    size_t bn = none ? 0 : unhex_field(v, "legs_blob", blob, sizeof(blob));
    struct proto_tx tx;
    cr_assert_eq(proto_tx_decode(bytes, n, &tx), 0, "%s", name);
    int rc = proto_settle_attach_legs(&tx, none ? NULL : blob, bn);
    if (rc == 0) rc = tlog_legs_check(&tx);
    cr_assert_eq(rc, want, "%s: got %s", name, proto_err_name(rc));
    proto_tx_free(&tx);
  }
  json_decref(root);
}
