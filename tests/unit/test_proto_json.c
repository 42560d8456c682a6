/* The JSON mapping: every type both ways, the exact forms, and each JSON refusal with the field
 * it blames. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_json.h"
#include "tests/common/proto_samples.h"

static bool all_zero(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

static json_t *parse(const char *text) {
  json_error_t err;
  json_t *j = json_loads(text, 0, &err);
  cr_assert_not_null(j, "test JSON does not parse: %s: %s", text, err.text);
  return j;
}

Test(tx_json, every_type_round_trips_through_json_text) {
  const unsigned variants[] = {0, 2, 3};
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) {
    if (!proto_tx_type_name(t)) continue; /* a reserved number */
    for (size_t k = 0; k < 3; k++) {
      struct proto_tx tx, back;
      sample_tx(t, variants[k], &tx);
      json_t *j = proto_tx_to_json(&tx);
      cr_assert_not_null(j, "type %u variant %u", t, variants[k]);
      char *text = json_dumps(j, JSON_COMPACT);
      json_t *reread = parse(text);
      const char *where = NULL;
      int rc = proto_tx_from_json(reread, &back, &where);
      cr_assert_eq(rc, 0, "type %u variant %u: %s at %s", t, variants[k], proto_err_name(rc),
                   where ? where : "-");
      cr_assert(sample_tx_equal(&tx, &back), "type %u variant %u differs", t, variants[k]);
      json_t *again = proto_tx_to_json(&back);
      cr_assert(json_equal(j, again));
      json_decref(again);
      json_decref(reread);
      json_decref(j);
      free(text);
      proto_tx_free(&tx);
      proto_tx_free(&back);
    }
  }
}

Test(tx_json, u64_above_2_63_has_no_json_form) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_ACCOUNT_CLOSE, 1, &tx);
  cr_assert_eq(tx.u.account_close.account, UINT64_MAX);
  cr_assert_null(proto_tx_to_json(&tx));
  tx.u.account_close.account = (uint64_t)INT64_MAX;
  json_t *j = proto_tx_to_json(&tx);
  cr_assert_not_null(j);
  json_decref(j);
}

Test(tx_json, transfer_has_the_documented_form) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_TRANSFER, 0, &tx);
  memset(tx.id, 0xAB, sizeof(tx.id));
  json_t *j = proto_tx_to_json(&tx);
  json_t *want = parse("{\"type\":\"transfer\",\"id\":\"abababababababababababababababab\","
                       "\"from\":1001,\"to\":2002,\"instrument\":\"CEA-2025\",\"amount\":125000}");
  cr_assert(json_equal(j, want), "%s", json_dumps(j, 0));
  json_decref(j);
  json_decref(want);
}

Test(tx_json, accepts_uppercase_id_sector_none_and_omitted_optional_text) {
  json_t *j = parse("{\"type\":\"account_open\",\"id\":\"ABABABABABABABABABABABABABABABAB\","
                    "\"account\":7,\"kind\":\"participant\",\"province\":0,\"sector\":\"none\","
                    "\"threshold\":2,\"name\":\"Trader \\u78b3\"}");
  struct proto_tx tx;
  cr_assert_eq(proto_tx_from_json(j, &tx, NULL), 0);
  cr_assert_eq(tx.id[15], 0xAB);
  cr_assert_eq(tx.u.account.sector, PROTO_SECTOR_NONE);
  cr_assert_str_eq(tx.u.account.name, "Trader \xE7\xA2\xB3");
  cr_assert_str_empty(tx.u.account.uscc);
  cr_assert_str_empty(tx.u.account.note);
  json_decref(j);
}

/* Sets key to the JSON value text in a valid sample of the type (or deletes it when value is
 * NULL) and expects want, blamed on `blame`. */
static void expect_json_error(unsigned type, const char *key, const char *value, int want,
                              const char *blame) {
  struct proto_tx tx;
  sample_tx(type, 0, &tx);
  json_t *j = proto_tx_to_json(&tx);
  proto_tx_free(&tx);
  cr_assert_not_null(j);
  if (value) {
    json_t *v = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    cr_assert_not_null(v, "test value %s does not parse", value);
    json_object_set_new(j, key, v);
  } else {
    json_object_del(j, key);
  }
  const char *where = NULL;
  memset(&tx, 0x5A, sizeof(tx));
  int rc = proto_tx_from_json(j, &tx, &where);
  cr_assert_eq(rc, want, "%s=%s: got %s want %s", key, value ? value : "(deleted)",
               proto_err_name(rc), proto_err_name(want));
  cr_assert(all_zero(&tx, sizeof(tx)), "a refused JSON leaves the tx zeroed");
  if (blame) cr_assert_str_eq(where, blame);
  json_decref(j);
}

Test(tx_json, refuses_missing_unknown_and_wrong_types) {
  expect_json_error(PROTO_TX_TRANSFER, "amount", NULL, PROTO_E_JSON_MISSING, "amount");
  expect_json_error(PROTO_TX_TRANSFER, "type", NULL, PROTO_E_JSON_MISSING, "type");
  expect_json_error(PROTO_TX_TRANSFER, "id", NULL, PROTO_E_JSON_MISSING, "id");
  expect_json_error(PROTO_TX_TRANSFER, "bogus", "1", PROTO_E_JSON_UNKNOWN, "bogus");
  expect_json_error(PROTO_TX_TRANSFER, "year", "2025", PROTO_E_JSON_UNKNOWN, "year");
  expect_json_error(PROTO_TX_TRANSFER, "amount", "\"5\"", PROTO_E_JSON_TYPE, "amount");
  expect_json_error(PROTO_TX_TRANSFER, "amount", "5.0", PROTO_E_JSON_TYPE, "amount");
  expect_json_error(PROTO_TX_TRANSFER, "amount", "-5", PROTO_E_JSON_TYPE, "amount");
  expect_json_error(PROTO_TX_TRANSFER, "amount", "null", PROTO_E_JSON_TYPE, "amount");
  expect_json_error(PROTO_TX_TRANSFER, "type", "12", PROTO_E_JSON_TYPE, "type");
  expect_json_error(PROTO_TX_TRANSFER, "type", "\"teleport\"", PROTO_E_UNKNOWN_TYPE, "type");
  expect_json_error(PROTO_TX_TRANSFER, "instrument", "7", PROTO_E_JSON_TYPE, "instrument");
  expect_json_error(PROTO_TX_KEY_REGISTER, "role", "2", PROTO_E_JSON_TYPE, "role");
  expect_json_error(PROTO_TX_GENESIS, "operator_keys", "\"00\"", PROTO_E_JSON_TYPE,
                    "operator_keys");
  expect_json_error(PROTO_TX_SETTLE, "legs", "{}", PROTO_E_JSON_TYPE, "legs");
}

Test(tx_json, refuses_values_out_of_their_limits) {
  expect_json_error(PROTO_TX_TRANSFER, "amount", "9007199254740992", PROTO_E_AMOUNT_TOO_LARGE,
                    "amount");
  expect_json_error(PROTO_TX_TRANSFER, "amount", "0", PROTO_E_ZERO_AMOUNT, "amount");
  expect_json_error(PROTO_TX_TRANSFER, "to", "1001", PROTO_E_SAME_ACCOUNT, "to");
  expect_json_error(PROTO_TX_TRANSFER, "from", "0", PROTO_E_BAD_ARGUMENT, "from");
  expect_json_error(PROTO_TX_TRANSFER, "instrument", "\"cea-2025\"",
                    PROTO_E_BAD_INSTRUMENT_CODE, "instrument");
  expect_json_error(PROTO_TX_TRANSFER, "instrument", "\"CEA-2025-XXXXXXXX\"",
                    PROTO_E_BAD_INSTRUMENT_CODE, "instrument");
  expect_json_error(PROTO_TX_TRANSFER, "id", "\"abab\"", PROTO_E_BAD_HEX, "id");
  expect_json_error(PROTO_TX_TRANSFER, "id", "\"zzababababababababababababababab\"",
                    PROTO_E_BAD_HEX, "id");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "threshold", "300", PROTO_E_BAD_ARGUMENT, "threshold");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "threshold", "9", PROTO_E_BAD_ARGUMENT, "threshold");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "province", "300", PROTO_E_BAD_PROVINCE, "province");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "province", "10", PROTO_E_BAD_PROVINCE, "province");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "kind", "\"martian\"", PROTO_E_BAD_ENUM, "kind");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "kind", "\"national\"", PROTO_E_BAD_ENUM, "kind");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "sector", "\"none\"", PROTO_E_BAD_ENUM, "sector");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "uscc", "\"91350100M000100Y44\"", PROTO_E_BAD_USCC,
                    "uscc");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "uscc", NULL, PROTO_E_EMPTY_FIELD, "uscc");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "name", NULL, PROTO_E_JSON_MISSING, "name");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "name", "\"\"", PROTO_E_EMPTY_FIELD, "name");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "name", "\"a\\u0000b\"", PROTO_E_BAD_TEXT, "name");
  expect_json_error(PROTO_TX_ACCOUNT_OPEN, "name", "\"tab\\there\"", PROTO_E_BAD_TEXT, "name");
  expect_json_error(PROTO_TX_INSTRUMENT_CREATE, "vintage", "1999", PROTO_E_BAD_YEAR, "vintage");
  expect_json_error(PROTO_TX_INSTRUMENT_CREATE, "vintage", "70000", PROTO_E_BAD_YEAR, "vintage");
  expect_json_error(PROTO_TX_INSTRUMENT_CREATE, "last_year", "2024", PROTO_E_BAD_RANGE,
                    "last_year");
  expect_json_error(PROTO_TX_KEY_REGISTER, "public_key", "\"00\"", PROTO_E_BAD_HEX, "public_key");
  expect_json_error(PROTO_TX_GENESIS, "origin", "\"has space\"", PROTO_E_BAD_ORIGIN, "origin");
  expect_json_error(PROTO_TX_GENESIS, "operator_keys", "[]", PROTO_E_EMPTY_FIELD,
                    "operator_keys");
  expect_json_error(PROTO_TX_GENESIS, "operator_keys", "[\"xx\"]", PROTO_E_BAD_HEX,
                    "operator_keys");
}

Test(tx_json, refuses_bad_legs) {
  const char *l = "{\"from\":1,\"to\":2,\"instrument\":\"CEA-2025\",\"amount\":5}";
  char text[256];
  expect_json_error(PROTO_TX_SETTLE, "legs", "[]", PROTO_E_TOO_MANY_LEGS, "legs");
  snprintf(text, sizeof(text), "[%s, 7]", l);
  expect_json_error(PROTO_TX_SETTLE, "legs", text, PROTO_E_JSON_TYPE, "legs");
  expect_json_error(PROTO_TX_SETTLE, "legs", "[{\"from\":1,\"to\":2,\"amount\":5}]",
                    PROTO_E_JSON_MISSING, "legs");
  expect_json_error(PROTO_TX_SETTLE, "legs",
                    "[{\"from\":1,\"to\":2,\"instrument\":\"C\",\"amount\":5,\"x\":1}]",
                    PROTO_E_JSON_UNKNOWN, "legs");
  expect_json_error(PROTO_TX_SETTLE, "legs",
                    "[{\"from\":1,\"to\":1,\"instrument\":\"C\",\"amount\":5}]",
                    PROTO_E_SAME_ACCOUNT, "legs");
  expect_json_error(PROTO_TX_SETTLE, "legs",
                    "[{\"from\":1,\"to\":2,\"instrument\":\"C\",\"amount\":0}]",
                    PROTO_E_ZERO_AMOUNT, "legs");
  /* 1001 legs */
  json_t *legs = json_array();
  for (size_t i = 0; i < PROTO_LEGS_MAX + 1; i++) json_array_append_new(legs, parse(l));
  struct proto_tx tx;
  sample_tx(PROTO_TX_SETTLE, 0, &tx);
  json_t *j = proto_tx_to_json(&tx);
  proto_tx_free(&tx);
  json_object_set_new(j, "legs", legs);
  const char *where;
  cr_assert_eq(proto_tx_from_json(j, &tx, &where), PROTO_E_TOO_MANY_LEGS);
  json_array_remove(legs, 0);
  cr_assert_eq(proto_tx_from_json(j, &tx, &where), 0);
  cr_assert_eq(tx.u.settle.legs_count, 1000);
  proto_tx_free(&tx);
  json_decref(j);
}

Test(tx_json, refuses_a_non_object) {
  json_t *j = parse("[1,2]");
  struct proto_tx tx;
  cr_assert_eq(proto_tx_from_json(j, &tx, NULL), PROTO_E_JSON_TYPE);
  json_decref(j);
}

/* ------------------------------------------------------------------------------------------ */

static uint8_t body[PROTO_BODY_BYTES_MAX];

static struct proto_envelope sample_envelope(size_t sigs) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_TRANSFER, 0, &tx);
  long n = proto_tx_encode(&tx, body, sizeof(body));
  cr_assert_gt(n, 0);
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)n, .sigs_count = (uint8_t)sigs};
  for (size_t i = 0; i < sigs; i++) {
    memset(env.sigs[i].key_hash, (int)(i + 1), PROTO_HASH_BYTES);
    memset(env.sigs[i].sig, (int)(0x40 + i), PROTO_SIG_BYTES);
  }
  return env;
}

Test(envelope_json, round_trips) {
  struct proto_envelope env = sample_envelope(3), back;
  json_t *j = proto_envelope_to_json(&env);
  cr_assert_not_null(j);
  cr_assert_eq(json_array_size(json_object_get(j, "signatures")), 3);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "signatures"), 0), "key")),
                   "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
  static uint8_t buf[PROTO_BODY_BYTES_MAX];
  cr_assert_eq(proto_envelope_from_json(j, &back, buf, sizeof(buf)), 0);
  cr_assert_eq(back.body, buf);
  cr_assert_eq(back.body_len, env.body_len);
  cr_assert_eq(memcmp(buf, body, env.body_len), 0);
  cr_assert_eq(back.sigs_count, 3);
  cr_assert_eq(memcmp(back.sigs, env.sigs, sizeof(env.sigs[0]) * 3), 0);
  json_decref(j);
}

static void expect_envelope_error(const char *key, const char *value, int want) {
  struct proto_envelope env = sample_envelope(2), back;
  json_t *j = proto_envelope_to_json(&env);
  if (value) json_object_set_new(j, key, json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL));
  else json_object_del(j, key);
  static uint8_t buf[PROTO_BODY_BYTES_MAX];
  int rc = proto_envelope_from_json(j, &back, buf, sizeof(buf));
  cr_assert_eq(rc, want, "%s: got %s want %s", key, proto_err_name(rc), proto_err_name(want));
  cr_assert(all_zero(&back, sizeof(back)));
  json_decref(j);
}

Test(envelope_json, refusals) {
  expect_envelope_error("body", NULL, PROTO_E_JSON_MISSING);
  expect_envelope_error("signatures", NULL, PROTO_E_JSON_MISSING);
  expect_envelope_error("extra", "1", PROTO_E_JSON_UNKNOWN);
  expect_envelope_error("body", "\"AQ=\"", PROTO_E_BAD_BASE64);
  expect_envelope_error("body", "\"AR==\"", PROTO_E_BAD_BASE64); /* non-zero unused bits */
  expect_envelope_error("body", "5", PROTO_E_JSON_TYPE);
  expect_envelope_error("signatures", "[]", PROTO_E_NO_SIGNATURES);
  expect_envelope_error("signatures", "{}", PROTO_E_JSON_TYPE);
  expect_envelope_error("signatures", "[{\"key\":\"AQ==\",\"sig\":\"AQ==\"}]", PROTO_E_BAD_BASE64);
  char many[2048] = "[";
  for (int i = 0; i < 9; i++) {
    char one[200];
    snprintf(one, sizeof(one), "%s{\"key\":\"%c%s\",\"sig\":\"%s\"}", i ? "," : "", 'A' + i,
             "QEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=",
             "QEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQA==");
    strcat(many, one);
  }
  strcat(many, "]");
  expect_envelope_error("signatures", many, PROTO_E_TOO_MANY_SIGNATURES);
}

Test(envelope_json, refuses_a_duplicate_signer) {
  struct proto_envelope env = sample_envelope(2), back;
  json_t *j = proto_envelope_to_json(&env);
  json_t *sigs = json_object_get(j, "signatures");
  json_t *first_key = json_object_get(json_array_get(sigs, 0), "key");
  json_object_set(json_array_get(sigs, 1), "key", first_key);
  static uint8_t buf[PROTO_BODY_BYTES_MAX];
  cr_assert_eq(proto_envelope_from_json(j, &back, buf, sizeof(buf)), PROTO_E_DUPLICATE_SIGNER);
  json_decref(j);
}

Test(entry_json, shows_index_leaf_tx_and_signatures) {
  struct proto_envelope env = sample_envelope(2);
  static uint8_t e[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  long n = proto_envelope_encode(&env, e, sizeof(e));
  struct proto_entry entry = {.index = 41, .time_ms = 1764087600000, .withheld = 0,
                              .envelope = e, .envelope_len = (uint16_t)n};
  long m = proto_entry_encode(&entry, leaf, sizeof(leaf));
  json_t *j = proto_entry_to_json(leaf, (size_t)m);
  cr_assert_not_null(j);
  cr_assert_eq(json_integer_value(json_object_get(j, "index")), 41);
  cr_assert_eq(json_integer_value(json_object_get(j, "time_ms")), 1764087600000);
  cr_assert_eq(json_integer_value(json_object_get(j, "withheld")), 0);
  const char *b64 = json_string_value(json_object_get(j, "leaf"));
  static uint8_t decoded[PROTO_ENTRY_BYTES_MAX];
  cr_assert_eq(proto_base64_decode(b64, strlen(b64), decoded, sizeof(decoded)), m);
  cr_assert_eq(memcmp(decoded, leaf, (size_t)m), 0);
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "tx"), "type")),
                   "transfer");
  cr_assert_eq(json_array_size(json_object_get(j, "signatures")), 2);
  json_decref(j);
  leaf[0] = 9;
  cr_assert_null(proto_entry_to_json(leaf, (size_t)m));
  leaf[0] = 1;
  leaf[28 + 4] = 7; /* the body's version byte */
  cr_assert_null(proto_entry_to_json(leaf, (size_t)m));
}
