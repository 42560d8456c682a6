/* Bodies written by hand from proto/FORMAT.md (tests/vectors/proto-handmade.json): the codec
 * must read each to its stated JSON form and write that form back to the same bytes, so the
 * specification and the code cannot disagree unnoticed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_json.h"

static json_t *load_handmade(void) {
  json_error_t err;
  json_t *j = json_load_file(QUOTAD_VECTORS_DIR "/proto-handmade.json", 0, &err);
  cr_assert_not_null(j, "proto-handmade.json: %s (line %d)", err.text, err.line);
  return j;
}

/* Concatenates the hex of every field. */
static size_t assemble(const json_t *fields, uint8_t *out, size_t cap) {
  size_t n = 0, i;
  json_t *f;
  json_array_foreach(fields, i, f) {
    const char *hex = json_string_value(json_object_get(f, "hex"));
    cr_assert_not_null(hex);
    long got = proto_hex_decode(hex, strlen(hex), out + n, cap - n);
    cr_assert_gt(got, 0, "field %zu: bad hex", i);
    n += (size_t)got;
  }
  return n;
}

Test(handmade, every_type_has_a_hand_written_vector) {
  json_t *root = load_handmade();
  bool seen[PROTO_TX_TYPE_MAX + 1] = {false};
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "vectors"), i, v) {
    const char *type = json_string_value(json_object_get(json_object_get(v, "json"), "type"));
    seen[proto_tx_type_from_name(type)] = true;
  }
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++)
    cr_assert(seen[t] || !proto_tx_type_name(t), "no hand-written vector for %s", proto_tx_type_name(t));
  json_decref(root);
}

Test(handmade, bytes_decode_to_the_stated_json_and_back) {
  json_t *root = load_handmade();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(root, "vectors"), i, v) {
    static uint8_t body[PROTO_BODY_BYTES_MAX], again[PROTO_BODY_BYTES_MAX];
    const char *name = json_string_value(json_object_get(v, "name"));
    size_t n = assemble(json_object_get(v, "fields"), body, sizeof(body));
    struct proto_tx tx, from_json;
    int rc = proto_tx_decode(body, n, &tx);
    cr_assert_eq(rc, 0, "%s: %s", name, proto_err_name(rc));
    json_t *j = proto_tx_to_json(&tx);
    char *got = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    char *want = json_dumps(json_object_get(v, "json"), JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert_str_eq(got, want, "%s", name);
    const char *where = NULL;
    rc = proto_tx_from_json(json_object_get(v, "json"), &from_json, &where);
    cr_assert_eq(rc, 0, "%s: %s at %s", name, proto_err_name(rc), where ? where : "-");
    cr_assert_eq(proto_tx_encode(&from_json, again, sizeof(again)), (long)n, "%s", name);
    cr_assert_eq(memcmp(body, again, n), 0, "%s: JSON encodes to other bytes", name);
    free(got);
    free(want);
    json_decref(j);
    proto_tx_free(&tx);
    proto_tx_free(&from_json);
  }
  json_decref(root);
}

static size_t unhex_key(const json_t *obj, const char *key, uint8_t *out, size_t cap) {
  const char *hex = json_string_value(json_object_get(obj, key));
  cr_assert_not_null(hex, "worked example without %s", key);
  long n = proto_hex_decode(hex, strlen(hex), out, cap);
  cr_assert_geq(n, 0);
  return (size_t)n;
}

/* FORMAT.md's worked example was computed with sha256sum and openssl; proto must agree. */
Test(handmade, worked_example_signing_message_envelope_and_entry) {
  json_t *root = load_handmade();
  json_t *ex = json_object_get(root, "worked_example");
  static uint8_t body[512], want[512], got[512];
  const char *origin = json_string_value(json_object_get(ex, "origin"));
  size_t body_len = unhex_key(ex, "body", body, sizeof(body));
  uint8_t seed[32], hash[32], want_hash[32];
  unhex_key(ex, "seed", seed, sizeof(seed));
  proto_body_hash(body, body_len, hash);
  unhex_key(ex, "body_hash", want_hash, sizeof(want_hash));
  cr_assert_eq(memcmp(hash, want_hash, 32), 0);
  size_t n = unhex_key(ex, "signing_message", want, sizeof(want));
  cr_assert_eq(proto_signing_message(origin, body, body_len, got, sizeof(got)), (long)n);
  cr_assert_eq(memcmp(got, want, n), 0);
  struct proto_key *key = proto_key_from_seed(seed);
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)body_len};
  cr_assert_eq(proto_envelope_sign(&env, origin, key), 0);
  n = unhex_key(ex, "envelope", want, sizeof(want));
  static uint8_t envelope[512];
  cr_assert_eq(proto_envelope_encode(&env, envelope, sizeof(envelope)), (long)n);
  cr_assert_eq(memcmp(envelope, want, n), 0, "envelope differs from the openssl-made one");
  struct proto_entry e = {.index = (uint64_t)json_integer_value(json_object_get(ex, "entry_index")),
                          .time_ms = (uint64_t)json_integer_value(json_object_get(ex, "entry_time_ms")),
                          .envelope = envelope, .envelope_len = (uint16_t)n};
  n = unhex_key(ex, "entry", want, sizeof(want));
  cr_assert_eq(proto_entry_encode(&e, got, sizeof(got)), (long)n);
  cr_assert_eq(memcmp(got, want, n), 0);
  uint8_t leaf[513];
  leaf[0] = 0;
  memcpy(leaf + 1, got, n);
  proto_sha256(leaf, n + 1, hash);
  unhex_key(ex, "leaf_hash", want_hash, sizeof(want_hash));
  cr_assert_eq(memcmp(hash, want_hash, 32), 0);
  proto_key_free(key);
  json_decref(root);
}
