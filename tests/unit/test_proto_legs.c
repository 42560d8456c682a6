/* Settlement legs in proto and tlog: the version 2 settle body (binary and JSON), the legs blob
 * and its JSON form, the salted leaf, and the root over the legs. Each refusal has its code. */
#include "proto/proto_json.h"
#include <criterion/criterion.h>
#include <string.h>

#include "proto/proto.h"
#include "tlog/tlog.h"

static void legs_sample(struct proto_leg *legs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    legs[i] = (struct proto_leg){.from = 101, .to = 200 + i, .instrument = "CEA-2025", .amount = 1 + i};
    memset(legs[i].salt, (int)(i + 1), PROTO_SALT_BYTES);
  }
}

static void v2_tx(struct proto_tx *tx, const struct proto_leg *legs, uint16_t n) {
  memset(tx, 0, sizeof(*tx));
  tx->type = PROTO_TX_SETTLE;
  tx->version = 2;
  memset(tx->id, 7, PROTO_ID_BYTES);
  snprintf(tx->u.settle.ref, sizeof(tx->u.settle.ref), "batch");
  tx->u.settle.legs_count = n;
  tlog_legs_root(legs, n, tx->u.settle.legs_root);
}

Test(settle_v2_body, encodes_version_2_and_round_trips_binary_and_json) {
  struct proto_leg legs[3];
  legs_sample(legs, 3);
  struct proto_tx tx, back, fromj;
  v2_tx(&tx, legs, 3);
  uint8_t body[512], again[512];
  long n = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_eq(n, 20 + 2 + 5 + 2 + 32);
  cr_assert_eq(body[0], 2);
  cr_assert_eq(body[1], PROTO_TX_SETTLE);
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &back), 0);
  cr_assert_eq(back.version, 2);
  cr_assert_null(back.u.settle.legs);
  cr_assert_eq(proto_tx_encode(&back, again, sizeof(again)), n);
  cr_assert_eq(memcmp(body, again, (size_t)n), 0);
  json_t *j = proto_tx_to_json(&back);
  cr_assert_eq(json_integer_value(json_object_get(j, "version")), 2);
  cr_assert_eq(json_integer_value(json_object_get(j, "legs_count")), 3);
  cr_assert_null(json_object_get(j, "legs"));
  cr_assert_eq(proto_tx_from_json(j, &fromj, NULL), 0);
  cr_assert_eq(proto_tx_encode(&fromj, again, sizeof(again)), n);
  cr_assert_eq(memcmp(body, again, (size_t)n), 0);
  json_decref(j);
}

Test(settle_v2_body, version_2_exists_for_settle_only_and_counts_are_1_to_1000) {
  uint8_t body[512];
  struct proto_tx tx;
  memset(&tx, 0, sizeof(tx));
  tx.type = PROTO_TX_TRANSFER;
  tx.version = 2;
  tx.u.move = (struct proto_movement){.from = 1, .to = 2, .instrument = "CEA-2025", .amount = 1};
  cr_assert_eq(proto_tx_encode(&tx, body, sizeof(body)), PROTO_E_BAD_VERSION);
  tx.version = 1;
  long n = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(n, 0);
  body[0] = 2; /* a transfer has no version 2 */
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &tx), PROTO_E_BAD_VERSION);
  body[0] = 3;
  cr_assert_eq(proto_tx_decode(body, (size_t)n, &tx), PROTO_E_BAD_VERSION);
  struct proto_leg legs[1];
  legs_sample(legs, 1);
  v2_tx(&tx, legs, 1);
  tx.u.settle.legs_count = 0;
  cr_assert_eq(proto_tx_encode(&tx, body, sizeof(body)), PROTO_E_TOO_MANY_LEGS);
  tx.u.settle.legs_count = 1001;
  cr_assert_eq(proto_tx_encode(&tx, body, sizeof(body)), PROTO_E_TOO_MANY_LEGS);
  json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:i,s:s}", "type", "transfer", "id",
                        "0102030405060708090a0b0c0d0e0f10", "version", 2, "from", "1", "to", 2,
                        "instrument", "X");
  const char *where = NULL;
  cr_assert_eq(proto_tx_from_json(j, &tx, &where), PROTO_E_BAD_VERSION);
  cr_assert_str_eq(where, "version");
  json_decref(j);
}

Test(settle_legs, blob_round_trips_and_refuses_each_fault) {
  struct proto_leg legs[4], out[4];
  legs_sample(legs, 4);
  uint8_t blob[PROTO_LEGS_BYTES_MAX];
  long n = proto_legs_encode(legs, 4, blob, sizeof(blob));
  cr_assert_eq(n, 4 + 4 * 56);
  size_t got = 0;
  cr_assert_eq(proto_legs_decode(blob, (size_t)n, out, 4, &got), 0);
  cr_assert_eq(got, 4);
  cr_assert_eq(memcmp(out[2].salt, legs[2].salt, PROTO_SALT_BYTES), 0);
  cr_assert_eq(proto_legs_decode(blob, (size_t)n, out, 3, &got), PROTO_E_TOO_MANY_LEGS);
  cr_assert_eq(proto_legs_decode(blob, (size_t)n - 1, out, 4, &got), PROTO_E_TRUNCATED);
  cr_assert_eq(proto_legs_decode(blob, 3, out, 4, &got), PROTO_E_TRUNCATED);
  blob[n] = 0;
  cr_assert_eq(proto_legs_decode(blob, (size_t)n + 1, out, 4, &got), PROTO_E_TRAILING_BYTES);
  memcpy(legs[3].salt, legs[1].salt, PROTO_SALT_BYTES);
  cr_assert_eq(proto_legs_encode(legs, 4, blob, sizeof(blob)), PROTO_E_DUPLICATE_SALT);
  cr_assert_eq(proto_legs_encode(legs, 3, blob, 10), PROTO_E_FIELD_TOO_LONG);
  cr_assert_eq(proto_legs_encode(legs, 0, blob, sizeof(blob)), PROTO_E_TOO_MANY_LEGS);
  legs[0].to = legs[0].from;
  cr_assert_eq(proto_legs_encode(legs, 1, blob, sizeof(blob)), PROTO_E_SAME_ACCOUNT);
}

Test(settle_legs, identical_legs_with_distinct_salts_are_two_legs) {
  struct proto_leg legs[2];
  legs_sample(legs, 2);
  legs[1] = legs[0];
  legs[1].salt[0] ^= 0xff;
  uint8_t blob[PROTO_LEGS_BYTES_MAX], a[PROTO_HASH_BYTES], b[PROTO_HASH_BYTES];
  cr_assert_gt(proto_legs_encode(legs, 2, blob, sizeof(blob)), 0);
  tlog_legs_leaf_hash(&legs[0], a);
  tlog_legs_leaf_hash(&legs[1], b);
  cr_assert_neq(memcmp(a, b, PROTO_HASH_BYTES), 0, "the salt hides even an identical leg");
}

Test(settle_legs, root_is_rfc6962_over_the_salted_leaf_hashes) {
  struct proto_leg legs[13];
  legs_sample(legs, 13);
  for (size_t n = 1; n <= 13; n++) {
    uint8_t hashes[13][PROTO_HASH_BYTES], want[PROTO_HASH_BYTES], got[PROTO_HASH_BYTES];
    for (size_t i = 0; i < n; i++) {
      uint8_t leaf[PROTO_LEG_LEAF_BYTES];
      proto_leg_leaf(&legs[i], leaf);
      cr_assert_eq(memcmp(leaf, "quotad/leg/v1\n", 14), 0);
      cr_assert_eq(memcmp(leaf + 14, legs[i].salt, PROTO_SALT_BYTES), 0);
      tlog_leaf_hash(leaf, sizeof(leaf), hashes[i]);
    }
    tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])hashes, n, want);
    tlog_legs_root(legs, n, got);
    cr_assert_eq(memcmp(got, want, PROTO_HASH_BYTES), 0, "n = %zu", n);
  }
}

Test(settle_legs, attach_checks_count_and_kind_and_the_root_check_names_a_mismatch) {
  struct proto_leg legs[3];
  legs_sample(legs, 3);
  struct proto_tx tx;
  v2_tx(&tx, legs, 3);
  uint8_t blob[PROTO_LEGS_BYTES_MAX];
  long n = proto_legs_encode(legs, 2, blob, sizeof(blob));
  cr_assert_eq(proto_settle_attach_legs(&tx, blob, (size_t)n), PROTO_E_LEGS_COUNT);
  cr_assert_eq(proto_settle_attach_legs(&tx, NULL, 0), PROTO_E_LEGS_MISSING);
  cr_assert_eq(tlog_legs_check(&tx), PROTO_E_LEGS_MISSING);
  n = proto_legs_encode(legs, 3, blob, sizeof(blob));
  cr_assert_eq(proto_settle_attach_legs(&tx, blob, (size_t)n), 0);
  cr_assert_eq(tlog_legs_check(&tx), 0);
  cr_assert_eq(proto_settle_attach_legs(&tx, blob, (size_t)n), PROTO_E_LEGS_UNEXPECTED);
  tx.u.settle.legs[1].amount++;
  cr_assert_eq(tlog_legs_check(&tx), PROTO_E_LEGS_ROOT);
  proto_tx_free(&tx);
  tx.version = 1;
  cr_assert_eq(proto_settle_attach_legs(&tx, blob, (size_t)n), PROTO_E_LEGS_UNEXPECTED);
}

Test(settle_legs, json_form_names_every_field_and_refuses_others) {
  struct proto_leg legs[2], out[2];
  legs_sample(legs, 2);
  json_t *j = proto_legs_to_json(legs, 2, true);
  size_t n = 0;
  cr_assert_eq(proto_legs_from_json(j, out, 2, &n), 0);
  cr_assert_eq(n, 2);
  cr_assert_eq(memcmp(out[1].salt, legs[1].salt, PROTO_SALT_BYTES), 0);
  json_object_set_new(json_array_get(j, 0), "memo", json_string("x"));
  cr_assert_eq(proto_legs_from_json(j, out, 2, &n), PROTO_E_JSON_UNKNOWN);
  json_object_del(json_array_get(j, 0), "memo");
  json_object_set_new(json_array_get(j, 0), "salt", json_string("00"));
  cr_assert_eq(proto_legs_from_json(j, out, 2, &n), PROTO_E_BAD_HEX);
  json_object_del(json_array_get(j, 0), "salt");
  cr_assert_eq(proto_legs_from_json(j, out, 2, &n), PROTO_E_JSON_MISSING);
  json_decref(j);
  j = proto_legs_to_json(legs, 2, true);
  json_object_set(json_array_get(j, 1), "salt", json_object_get(json_array_get(j, 0), "salt"));
  cr_assert_eq(proto_legs_from_json(j, out, 2, &n), PROTO_E_DUPLICATE_SALT);
  json_t *empty = json_array();
  cr_assert_eq(proto_legs_from_json(empty, out, 2, &n), PROTO_E_TOO_MANY_LEGS);
  json_decref(empty);
  json_decref(j);
}
