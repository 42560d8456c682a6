/* The binary codec: every type round-trips both ways, every limit is reached both ways, and
 * every refusal has its own code and leaves the output zeroed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "tests/common/proto_samples.h"

static uint8_t buf[PROTO_ENTRY_BYTES_MAX];

static bool all_zero(const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}

static size_t encode_sample(unsigned type, unsigned variant, struct proto_tx *tx) {
  sample_tx(type, variant, tx);
  long n = proto_tx_encode(tx, buf, sizeof(buf));
  cr_assert_gt(n, 0, "type %u variant %u: %s", type, variant, proto_err_name((int)n));
  return (size_t)n;
}

Test(tx_codec, every_type_round_trips_struct_and_bytes) {
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) {
    if (!proto_tx_type_name(t)) continue; /* a reserved number */
    for (unsigned v = 0; v < SAMPLE_VARIANTS; v++) {
      struct proto_tx tx, back;
      size_t n = encode_sample(t, v, &tx);
      cr_assert_eq(proto_tx_decode(buf, n, &back), 0, "type %u variant %u", t, v);
      cr_assert(sample_tx_equal(&tx, &back), "type %u variant %u differs after decode", t, v);
      static uint8_t again[PROTO_ENTRY_BYTES_MAX];
      long m = proto_tx_encode(&back, again, sizeof(again));
      cr_assert_eq(m, (long)n);
      cr_assert_eq(memcmp(buf, again, n), 0, "type %u variant %u re-encodes differently", t, v);
      proto_tx_free(&tx);
      proto_tx_free(&back);
    }
  }
}

Test(tx_codec, transfer_body_has_the_documented_layout) {
  struct proto_tx tx;
  size_t n = encode_sample(PROTO_TX_TRANSFER, 0, &tx);
  cr_assert_eq(n, 20u + 8 + 8 + 16 + 8);
  cr_assert_eq(buf[0], 1);
  cr_assert_eq(buf[1], PROTO_TX_TRANSFER);
  cr_assert_eq(buf[2] | buf[3], 0);
  cr_assert_eq(memcmp(buf + 4, tx.id, 16), 0);
  cr_assert_eq(buf[20 + 7], 1001 & 0xFF); /* from, big-endian */
  cr_assert_eq(buf[20 + 6], 1001 >> 8);
  cr_assert_eq(memcmp(buf + 36, "CEA-2025\0\0\0\0\0\0\0\0", 16), 0);
  cr_assert_eq(buf[59], 125000 & 0xFF);
}

Test(tx_codec, settle_with_1000_legs_accepted_and_1001_refused) {
  struct proto_tx tx, back;
  size_t n = encode_sample(PROTO_TX_SETTLE, 1, &tx);
  cr_assert_eq(tx.u.settle.legs_count, 1000);
  cr_assert_eq(proto_tx_decode(buf, n, &back), 0);
  cr_assert_eq(back.u.settle.legs_count, 1000);
  proto_tx_free(&back);
  /* 1001 in the count field of the encoding */
  size_t at = 20 + 2 + 256;
  buf[at] = 1001 >> 8;
  buf[at + 1] = 1001 & 0xFF;
  cr_assert_eq(proto_tx_decode(buf, n, &back), PROTO_E_TOO_MANY_LEGS);
  cr_assert(all_zero(&back, sizeof(back)));
  tx.u.settle.legs_count = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_TOO_MANY_LEGS);
  tx.u.settle.legs_count = 1000;
  proto_tx_free(&tx);
}

Test(tx_codec, amount_2_pow_53_minus_1_accepted_2_pow_53_refused) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_TRANSFER, 0, &tx);
  tx.u.move.amount = PROTO_AMOUNT_MAX;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  tx.u.move.amount = PROTO_AMOUNT_MAX + 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_AMOUNT_TOO_LARGE);
  cr_assert_eq(proto_tx_encode(&tx, buf, sizeof(buf)), PROTO_E_AMOUNT_TOO_LARGE);
  tx.u.move.amount = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_ZERO_AMOUNT);
}

/* Encodes a valid sample, sets the byte at `at` to value, expects `want` from decode. */
static void expect_decode_error(unsigned type, unsigned variant, size_t at, uint8_t value,
                                int want) {
  struct proto_tx tx, out;
  size_t n = encode_sample(type, variant, &tx);
  proto_tx_free(&tx);
  cr_assert_lt(at, n);
  buf[at] = value;
  memset(&out, 0xAB, sizeof(out));
  int rc = proto_tx_decode(buf, n, &out);
  cr_assert_eq(rc, want, "type %u byte %zu=%u: got %s want %s", type, at, value,
               proto_err_name(rc), proto_err_name(want));
  if (want) cr_assert(all_zero(&out, sizeof(out)), "a failed decode leaves the tx zeroed");
  else proto_tx_free(&out);
}

Test(tx_decode, refuses_header_faults) {
  expect_decode_error(PROTO_TX_TRANSFER, 0, 0, 2, PROTO_E_BAD_VERSION);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 1, 0, PROTO_E_UNKNOWN_TYPE);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 1, PROTO_TX_TYPE_MAX + 1, PROTO_E_UNKNOWN_TYPE);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 2, 1, PROTO_E_RESERVED_NONZERO);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 3, 0x80, PROTO_E_RESERVED_NONZERO);
}

Test(tx_decode, refuses_every_truncation_and_a_trailing_byte) {
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) {
    if (!proto_tx_type_name(t)) continue; /* a reserved number */
    struct proto_tx tx, out;
    size_t n = encode_sample(t, 0, &tx);
    proto_tx_free(&tx);
    for (size_t cut = 0; cut < n; cut++) {
      int rc = proto_tx_decode(buf, cut, &out);
      cr_assert_eq(rc, PROTO_E_TRUNCATED, "type %u cut %zu: %s", t, cut, proto_err_name(rc));
    }
    buf[n] = 0;
    cr_assert_eq(proto_tx_decode(buf, n + 1, &out), PROTO_E_TRAILING_BYTES);
    cr_assert(all_zero(&out, sizeof(out)));
  }
}

Test(tx_decode, refuses_field_faults) {
  /* transfer: from 20..27, to 28..35, instrument 36..51, amount 52..59 */
  expect_decode_error(PROTO_TX_TRANSFER, 0, 38, 'a', PROTO_E_BAD_INSTRUMENT_CODE);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 51, 'X', PROTO_E_BAD_INSTRUMENT_CODE);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 36, 0, PROTO_E_BAD_INSTRUMENT_CODE);
  expect_decode_error(PROTO_TX_TRANSFER, 0, 52, 0x00, 0); /* 125000 still < 2^53 */
  expect_decode_error(PROTO_TX_TRANSFER, 0, 53, 0x20, PROTO_E_AMOUNT_TOO_LARGE);
  /* account_open variant 0: account 20..27, kind 28, province 29, sector 30, threshold 31,
   * uscc 32..49, name length 50..51, name 52.. */
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 28, 9, PROTO_E_BAD_ENUM);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 29, 10, PROTO_E_BAD_PROVINCE);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 30, 5, PROTO_E_BAD_ENUM);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 31, 0, PROTO_E_BAD_ARGUMENT);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 31, 9, PROTO_E_BAD_ARGUMENT);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 49, '4', PROTO_E_BAD_USCC);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 32, 0, PROTO_E_BAD_USCC);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 52, 0x1F, PROTO_E_BAD_TEXT);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 52, 0x7F, PROTO_E_BAD_TEXT);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 52, 0, PROTO_E_BAD_TEXT);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 52, 0xC0, PROTO_E_BAD_TEXT);
  expect_decode_error(PROTO_TX_ACCOUNT_OPEN, 0, 50, 1, PROTO_E_FIELD_TOO_LONG); /* 256 + 16 */
  /* instrument_create: code 20..35, kind 36, vintage 37..38 */
  expect_decode_error(PROTO_TX_INSTRUMENT_CREATE, 0, 36, 3, PROTO_E_BAD_ENUM);
  expect_decode_error(PROTO_TX_INSTRUMENT_CREATE, 0, 37, 0x08, PROTO_E_BAD_YEAR);
  /* transfer from == 0 */
  struct proto_tx tx;
  sample_tx(PROTO_TX_TRANSFER, 2, &tx);
  tx.u.move.from = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ARGUMENT);
}

Test(tx_decode, refuses_over_long_text_and_empty_required_text) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_KEY_REVOKE, 1, &tx); /* reason at its 256-byte limit */
  cr_assert_eq(proto_tx_validate(&tx), 0);
  memset(tx.u.key_revoke.reason, 'a', sizeof(tx.u.key_revoke.reason));
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_TOO_LONG);
  tx.u.key_revoke.reason[0] = '\0';
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_EMPTY_FIELD);
  size_t n = encode_sample(PROTO_TX_KEY_REVOKE, 2, &tx); /* reason "x": length at 52..53 */
  buf[53] = 0;
  struct proto_tx out;
  cr_assert_eq(proto_tx_decode(buf, n - 1, &out), PROTO_E_EMPTY_FIELD);
}

static int validate_text(const char *s) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_KEY_REVOKE, 0, &tx);
  strcpy(tx.u.key_revoke.reason, s);
  return proto_tx_validate(&tx);
}

Test(tx_validate, text_is_strict_utf8) {
  cr_assert_eq(validate_text("\xE7\xA2\xB3 ok"), 0);
  cr_assert_eq(validate_text("\xF0\x9F\x8C\x8D"), 0);    /* U+1F30D */
  cr_assert_eq(validate_text("\xC2\x80"), PROTO_E_TEXT_CONTROL); /* U+0080: C1, its own code */
  cr_assert_eq(validate_text("\xC2\xA0"), 0);            /* U+00A0, just past C1 */
  cr_assert_eq(validate_text("\xC1\xBF"), PROTO_E_BAD_TEXT); /* overlong */
  cr_assert_eq(validate_text("\xE0\x80\xAF"), PROTO_E_BAD_TEXT);
  cr_assert_eq(validate_text("\xF0\x80\x80\xAF"), PROTO_E_BAD_TEXT);
  cr_assert_eq(validate_text("\xED\xA0\x80"), PROTO_E_BAD_TEXT); /* surrogate */
  cr_assert_eq(validate_text("\xF4\x90\x80\x80"), PROTO_E_BAD_TEXT); /* > U+10FFFF */
  cr_assert_eq(validate_text("\xE7\xA2"), PROTO_E_BAD_TEXT);     /* cut short */
  cr_assert_eq(validate_text("\x80"), PROTO_E_BAD_TEXT);
  cr_assert_eq(validate_text("a\tb"), PROTO_E_BAD_TEXT);
  cr_assert_eq(validate_text("a\nb"), PROTO_E_BAD_TEXT);
  cr_assert_eq(validate_text("\x7F"), PROTO_E_BAD_TEXT);
}

Test(tx_validate, account_kind_rules) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_ACCOUNT_OPEN, 0, &tx); /* enterprise */
  struct proto_account *a = &tx.u.account;
  a->uscc[0] = '\0';
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_EMPTY_FIELD);
  strcpy(a->uscc, SAMPLE_USCC_A);
  a->sector = PROTO_SECTOR_NONE;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ENUM);
  a->sector = PROTO_SECTOR_STEEL;
  a->province = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_PROVINCE);
  a->province = 35;
  a->kind = PROTO_ACCOUNT_PROVINCIAL;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_NONZERO);
  a->uscc[0] = '\0';
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_NONZERO); /* sector */
  a->sector = PROTO_SECTOR_NONE;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  a->province = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_PROVINCE);
  a->kind = PROTO_ACCOUNT_PARTICIPANT;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  a->province = 44;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  a->sector = PROTO_SECTOR_POWER;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_NONZERO);
  a->sector = PROTO_SECTOR_NONE;
  a->kind = PROTO_ACCOUNT_NATIONAL;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ENUM);
  tx.type = PROTO_TX_ACCOUNT_UPDATE;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ENUM);
}

Test(tx_validate, cross_field_rules) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_INSTRUMENT_CREATE, 0, &tx);
  tx.u.instrument.last_year = 2024;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_RANGE);
  sample_tx(PROTO_TX_CARRY_OVER, 0, &tx);
  tx.u.carry_over.window_end_ms = tx.u.carry_over.window_start_ms - 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_RANGE);
  unsigned same[] = {PROTO_TX_ALLOCATE, PROTO_TX_CLAWBACK, PROTO_TX_TRANSFER};
  for (size_t i = 0; i < 3; i++) {
    sample_tx(same[i], 0, &tx);
    tx.u.move.to = tx.u.move.from;
    cr_assert_eq(proto_tx_validate(&tx), PROTO_E_SAME_ACCOUNT);
    cr_assert_eq(proto_tx_encode(&tx, buf, sizeof(buf)), PROTO_E_SAME_ACCOUNT);
  }
  sample_tx(PROTO_TX_GENESIS, 0, &tx);
  memcpy(tx.u.genesis.operator_keys[2], tx.u.genesis.operator_keys[0], PROTO_PUBKEY_BYTES);
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_DUPLICATE_SIGNER);
  tx.u.genesis.operator_keys_count = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_EMPTY_FIELD);
  tx.u.genesis.operator_keys_count = 9;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_FIELD_TOO_LONG);
  sample_tx(PROTO_TX_GENESIS, 0, &tx);
  strcpy(tx.u.genesis.origin, "has space");
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ORIGIN);
  tx.u.genesis.origin[0] = '\0';
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ORIGIN);
}

Test(tx_validate, settle_leg_rules) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_SETTLE, 0, &tx);
  tx.u.settle.legs[1].to = tx.u.settle.legs[1].from;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_SAME_ACCOUNT);
  tx.u.settle.legs[1].to = 77;
  tx.u.settle.legs[2].amount = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_ZERO_AMOUNT);
  tx.u.settle.legs[2].amount = PROTO_AMOUNT_MAX + 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_AMOUNT_TOO_LARGE);
  tx.u.settle.legs[2].amount = 5;
  strcpy(tx.u.settle.legs[0].instrument, "CEA 2025");
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_INSTRUMENT_CODE);
  proto_tx_free(&tx);
  cr_assert_null(tx.u.settle.legs);
  proto_tx_free(&tx); /* twice is harmless */
}

Test(tx_validate, unknown_type_never_encodes) {
  struct proto_tx tx;
  memset(&tx, 0, sizeof(tx));
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_UNKNOWN_TYPE);
  tx.type = 40; /* beyond every reserved number */
  cr_assert_eq(proto_tx_encode(&tx, buf, sizeof(buf)), PROTO_E_UNKNOWN_TYPE);
  proto_tx_free(&tx);
}

Test(tx_encode, small_buffer_is_refused) {
  struct proto_tx tx;
  size_t n = encode_sample(PROTO_TX_TRANSFER, 0, &tx);
  cr_assert_eq(proto_tx_encode(&tx, buf, n - 1), PROTO_E_FIELD_TOO_LONG);
  cr_assert_eq(proto_tx_encode(&tx, buf, n), (long)n);
}

/* ------------------------------------------------------------------------------------------ */

static size_t make_envelope(uint8_t *out, size_t cap, size_t sigs) {
  struct proto_tx tx;
  size_t n = encode_sample(PROTO_TX_TRANSFER, 0, &tx);
  struct proto_envelope env = {.body = buf, .body_len = (uint16_t)n, .sigs_count = (uint8_t)sigs};
  for (size_t i = 0; i < sigs; i++) {
    memset(env.sigs[i].key_hash, (int)(i + 1), PROTO_HASH_BYTES);
    memset(env.sigs[i].sig, (int)(0x40 + i), PROTO_SIG_BYTES);
  }
  long m = proto_envelope_encode(&env, out, cap);
  cr_assert_gt(m, 0, "%s", proto_err_name((int)m));
  return (size_t)m;
}

Test(envelope, round_trips_with_one_to_eight_signatures) {
  static uint8_t e[PROTO_ENTRY_BYTES_MAX], again[PROTO_ENTRY_BYTES_MAX];
  for (size_t s = 1; s <= PROTO_SIGS_MAX; s++) {
    size_t n = make_envelope(e, sizeof(e), s);
    cr_assert_eq(n, 4 + 60 + 96 * s);
    struct proto_envelope env;
    cr_assert_eq(proto_envelope_decode(e, n, &env), 0);
    cr_assert_eq(env.sigs_count, s);
    cr_assert_eq(env.body, e + 4, "the body is borrowed from the input");
    cr_assert_eq(proto_envelope_encode(&env, again, sizeof(again)), (long)n);
    cr_assert_eq(memcmp(e, again, n), 0);
  }
}

Test(envelope, refuses_structural_faults) {
  static uint8_t e[PROTO_ENTRY_BYTES_MAX];
  struct proto_envelope env;
  size_t n = make_envelope(e, sizeof(e), 2);
  e[0] = 0;
  cr_assert_eq(proto_envelope_decode(e, n, &env), PROTO_E_BAD_VERSION);
  cr_assert(all_zero(&env, sizeof(env)));
  e[0] = 1;
  e[1] = 0;
  cr_assert_eq(proto_envelope_decode(e, n, &env), PROTO_E_NO_SIGNATURES);
  e[1] = 9;
  cr_assert_eq(proto_envelope_decode(e, n, &env), PROTO_E_TOO_MANY_SIGNATURES);
  e[1] = 3;
  cr_assert_eq(proto_envelope_decode(e, n, &env), PROTO_E_TRUNCATED);
  e[1] = 2;
  cr_assert_eq(proto_envelope_decode(e, n - 1, &env), PROTO_E_TRUNCATED);
  cr_assert_eq(proto_envelope_decode(e, n + 1, &env), PROTO_E_TRAILING_BYTES);
  memset(e + 4 + 60 + 96, 1, PROTO_HASH_BYTES); /* second key hash = first */
  cr_assert_eq(proto_envelope_decode(e, n, &env), PROTO_E_DUPLICATE_SIGNER);
  e[2] = 0xFF;
  e[3] = 0xFF;
  cr_assert_eq(proto_envelope_decode(e, n, &env), PROTO_E_ENTRY_TOO_LARGE);
}

Test(envelope, encode_refuses_bad_signature_counts) {
  struct proto_envelope env;
  memset(&env, 0, sizeof(env));
  env.body = buf;
  env.body_len = 20;
  cr_assert_eq(proto_envelope_encode(&env, buf + 100, 1000), PROTO_E_NO_SIGNATURES);
  env.sigs_count = 9;
  cr_assert_eq(proto_envelope_encode(&env, buf + 100, 1000), PROTO_E_TOO_MANY_SIGNATURES);
  env.sigs_count = 2; /* both key hashes zero */
  cr_assert_eq(proto_envelope_encode(&env, buf + 100, 1000), PROTO_E_DUPLICATE_SIGNER);
}

Test(envelope, sign_appends_verifiable_signatures) {
  static uint8_t body[PROTO_BODY_BYTES_MAX], msg[PROTO_BODY_BYTES_MAX + 200];
  struct proto_tx tx;
  size_t n = encode_sample(PROTO_TX_SETTLE, 0, &tx);
  proto_tx_free(&tx);
  memcpy(body, buf, n);
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)n};
  uint8_t seed[PROTO_SEED_BYTES];
  struct proto_key *keys[PROTO_SIGS_MAX + 1];
  for (size_t i = 0; i <= PROTO_SIGS_MAX; i++) {
    memset(seed, (int)(i + 1), sizeof(seed));
    keys[i] = proto_key_from_seed(seed);
    cr_assert_not_null(keys[i]);
  }
  for (size_t i = 0; i < PROTO_SIGS_MAX; i++)
    cr_assert_eq(proto_envelope_sign(&env, "quotad.example/test", keys[i]), 0);
  cr_assert_eq(proto_envelope_sign(&env, "quotad.example/test", keys[8]),
               PROTO_E_TOO_MANY_SIGNATURES);
  long m = proto_signing_message("quotad.example/test", body, n, msg, sizeof(msg));
  cr_assert_eq(m, (long)(13 + 19 + 1 + n));
  cr_assert_eq(memcmp(msg, "quotad/tx/v1\nquotad.example/test\n", 33), 0);
  for (size_t i = 0; i < PROTO_SIGS_MAX; i++) {
    uint8_t h[PROTO_HASH_BYTES];
    proto_key_hash(keys[i], h);
    cr_assert_eq(memcmp(env.sigs[i].key_hash, h, sizeof(h)), 0);
    cr_assert_eq(proto_verify(keys[i], msg, (size_t)m, env.sigs[i].sig), 0);
    /* another registry's origin does not verify: no replay across registries */
    long o = proto_signing_message("other.example", body, n, msg, sizeof(msg));
    cr_assert_eq(proto_verify(keys[i], msg, (size_t)o, env.sigs[i].sig), PROTO_E_BAD_SIGNATURE);
    m = proto_signing_message("quotad.example/test", body, n, msg, sizeof(msg));
  }
  env.sigs_count = 1;
  cr_assert_eq(proto_envelope_sign(&env, "quotad.example/test", keys[0]),
               PROTO_E_DUPLICATE_SIGNER);
  cr_assert_eq(env.sigs_count, 1, "a refused signature leaves the envelope unchanged");
  cr_assert_eq(proto_envelope_sign(&env, "bad origin", keys[1]), PROTO_E_BAD_ORIGIN);
  cr_assert_eq(env.sigs_count, 1);
  for (size_t i = 0; i <= PROTO_SIGS_MAX; i++) proto_key_free(keys[i]);
}

Test(signing_message, refuses_bad_origin_and_small_buffer) {
  uint8_t out[64];
  const uint8_t body[4] = {1, 2, 3, 4};
  cr_assert_eq(proto_signing_message("a", body, 4, out, sizeof(out)), 13 + 1 + 1 + 4);
  cr_assert_eq(memcmp(out, "quotad/tx/v1\na\n\x01\x02\x03\x04", 19), 0);
  cr_assert_eq(proto_signing_message("", body, 4, out, sizeof(out)), PROTO_E_BAD_ORIGIN);
  cr_assert_eq(proto_signing_message("a b", body, 4, out, sizeof(out)), PROTO_E_BAD_ORIGIN);
  cr_assert_eq(proto_signing_message("\x7f", body, 4, out, sizeof(out)), PROTO_E_BAD_ORIGIN);
  char longest[PROTO_ORIGIN_BYTES_MAX + 2];
  memset(longest, 'o', sizeof(longest));
  longest[PROTO_ORIGIN_BYTES_MAX + 1] = '\0';
  static uint8_t big[512];
  cr_assert_eq(proto_signing_message(longest, body, 4, big, sizeof(big)), PROTO_E_BAD_ORIGIN);
  longest[PROTO_ORIGIN_BYTES_MAX] = '\0';
  cr_assert_eq(proto_signing_message(longest, body, 4, big, sizeof(big)), 13 + 128 + 1 + 4);
  cr_assert_eq(proto_signing_message("a", body, 4, out, 18), PROTO_E_FIELD_TOO_LONG);
}

Test(body_hash, is_sha256_of_the_body) {
  uint8_t h[PROTO_HASH_BYTES], want[PROTO_HASH_BYTES];
  proto_body_hash((const uint8_t *)"abc", 3, h);
  long n = proto_hex_decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 64,
                            want, sizeof(want));
  cr_assert_eq(n, 32);
  cr_assert_eq(memcmp(h, want, 32), 0);
}

/* ------------------------------------------------------------------------------------------ */

Test(entry, round_trips_and_borrows_the_envelope) {
  static uint8_t e[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX], again[PROTO_ENTRY_BYTES_MAX];
  size_t n = make_envelope(e, sizeof(e), 3);
  struct proto_entry in = {.index = UINT64_MAX, .time_ms = UINT64_C(1764087600000),
                           .withheld = PROTO_AMOUNT_MAX, .envelope = e, .envelope_len = (uint16_t)n};
  long m = proto_entry_encode(&in, leaf, sizeof(leaf));
  cr_assert_eq(m, (long)(28 + n));
  struct proto_entry out;
  cr_assert_eq(proto_entry_decode(leaf, (size_t)m, &out), 0);
  cr_assert_eq(out.index, UINT64_MAX);
  cr_assert_eq(out.time_ms, in.time_ms);
  cr_assert_eq(out.withheld, PROTO_AMOUNT_MAX);
  cr_assert_eq(out.envelope, leaf + 28);
  cr_assert_eq(out.envelope_len, n);
  cr_assert_eq(proto_entry_encode(&out, again, sizeof(again)), m);
  cr_assert_eq(memcmp(leaf, again, (size_t)m), 0);
}

Test(entry, refuses_structural_faults) {
  static uint8_t e[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX + 8];
  size_t n = make_envelope(e, sizeof(e), 1);
  struct proto_entry in = {.index = 5, .time_ms = 6, .envelope = e, .envelope_len = (uint16_t)n};
  size_t m = (size_t)proto_entry_encode(&in, leaf, sizeof(leaf));
  struct proto_entry out;
  leaf[0] = 2;
  cr_assert_eq(proto_entry_decode(leaf, m, &out), PROTO_E_BAD_VERSION);
  cr_assert(all_zero(&out, sizeof(out)));
  leaf[0] = 1;
  leaf[1] = 1;
  cr_assert_eq(proto_entry_decode(leaf, m, &out), PROTO_E_RESERVED_NONZERO);
  leaf[1] = 0;
  cr_assert_eq(proto_entry_decode(leaf, m - 1, &out), PROTO_E_TRUNCATED);
  cr_assert_eq(proto_entry_decode(leaf, m + 1, &out), PROTO_E_TRAILING_BYTES);
  cr_assert_eq(proto_entry_decode(leaf, PROTO_ENTRY_BYTES_MAX + 1, &out), PROTO_E_ENTRY_TOO_LARGE);
  leaf[28 + 1] = 0; /* the envelope inside is checked too */
  cr_assert_eq(proto_entry_decode(leaf, m, &out), PROTO_E_NO_SIGNATURES);
  leaf[28 + 1] = 1;
  leaf[18] = 0xFF; /* withheld above 2^53 - 1 */
  cr_assert_eq(proto_entry_decode(leaf, m, &out), PROTO_E_AMOUNT_TOO_LARGE);
  in.withheld = PROTO_AMOUNT_MAX + 1;
  cr_assert_eq(proto_entry_encode(&in, leaf, sizeof(leaf)), PROTO_E_AMOUNT_TOO_LARGE);
}

Test(entry, refuses_an_envelope_that_would_exceed_65535_bytes) {
  static uint8_t e[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  /* the largest envelope: a maximal body and 8 signatures, exactly fills the entry */
  static uint8_t body[PROTO_BODY_BYTES_MAX];
  struct proto_envelope env = {.body = body, .body_len = PROTO_BODY_BYTES_MAX, .sigs_count = 8};
  for (size_t i = 0; i < 8; i++) env.sigs[i].key_hash[0] = (uint8_t)i;
  long n = proto_envelope_encode(&env, e, sizeof(e));
  cr_assert_eq(n, (long)(PROTO_ENTRY_BYTES_MAX - PROTO_ENTRY_HEADER_BYTES));
  struct proto_entry in = {.envelope = e, .envelope_len = (uint16_t)n};
  cr_assert_eq(proto_entry_encode(&in, leaf, sizeof(leaf)), (long)PROTO_ENTRY_BYTES_MAX);
  in.envelope_len = (uint16_t)(n + 1);
  cr_assert_eq(proto_entry_encode(&in, leaf, sizeof(leaf)), PROTO_E_ENTRY_TOO_LARGE);
  env.body_len = PROTO_BODY_BYTES_MAX + 1;
  cr_assert_eq(proto_envelope_encode(&env, e, sizeof(e)), PROTO_E_ENTRY_TOO_LARGE);
}

/* ------------------------------------------------------------------------------------------ */

/* Encodes tx, then grows the text whose u16 length is at `len_at` by one byte `extra`. */
static size_t grow_text(struct proto_tx *tx, size_t len_at, uint8_t extra) {
  long encoded = proto_tx_encode(tx, buf, sizeof(buf));
  cr_assert_gt(encoded, 0);
  proto_tx_free(tx);
  size_t n = (size_t)encoded;
  size_t text_len = (size_t)buf[len_at] << 8 | buf[len_at + 1];
  size_t end = len_at + 2 + text_len;
  memmove(buf + end + 1, buf + end, n - end);
  buf[end] = extra;
  text_len++;
  buf[len_at] = (uint8_t)(text_len >> 8);
  buf[len_at + 1] = (uint8_t)text_len;
  return n + 1;
}

Test(tx_limits, text_and_origin_at_their_limit_accepted_one_more_byte_refused) {
  struct proto_tx tx, out;
  /* key_revoke: reason (length at 52) of 255 bytes grown to the 256 limit, then 256 to 257 */
  sample_tx(PROTO_TX_KEY_REVOKE, 0, &tx);
  sample_text(tx.u.key_revoke.reason, PROTO_REF_BYTES_MAX - 1);
  size_t n = grow_text(&tx, 52, 'x');
  cr_assert_eq(proto_tx_decode(buf, n, &out), 0);
  cr_assert_eq(strlen(out.u.key_revoke.reason), PROTO_REF_BYTES_MAX);
  sample_tx(PROTO_TX_KEY_REVOKE, 1, &tx);
  n = grow_text(&tx, 52, 'x');
  cr_assert_eq(proto_tx_decode(buf, n, &out), PROTO_E_FIELD_TOO_LONG);
  /* genesis: origin (length at 20) of 127 bytes grown to 128, then 128 to 129 */
  sample_tx(PROTO_TX_GENESIS, 0, &tx);
  memset(tx.u.genesis.origin, '~', PROTO_ORIGIN_BYTES_MAX - 1);
  n = grow_text(&tx, 20, '~');
  cr_assert_eq(proto_tx_decode(buf, n, &out), 0);
  cr_assert_eq(strlen(out.u.genesis.origin), PROTO_ORIGIN_BYTES_MAX);
  sample_tx(PROTO_TX_GENESIS, 1, &tx);
  n = grow_text(&tx, 20, '~');
  cr_assert_eq(proto_tx_decode(buf, n, &out), PROTO_E_BAD_ORIGIN);
  sample_tx(PROTO_TX_GENESIS, 0, &tx);
  n = grow_text(&tx, 20, ' ');
  cr_assert_eq(proto_tx_decode(buf, n, &out), PROTO_E_BAD_ORIGIN);
}

Test(tx_limits, numbers_at_their_limits_accepted_and_past_them_refused) {
  struct proto_tx tx;
  sample_tx(PROTO_TX_INSTRUMENT_CREATE, 0, &tx);
  struct proto_instrument_create *in = &tx.u.instrument;
  in->vintage = 2000;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  in->vintage = 1999;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_YEAR);
  in->vintage = 2100;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  in->vintage = 2101;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_YEAR);
  in->vintage = 2025;
  in->cap = PROTO_AMOUNT_MAX;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  in->cap = PROTO_AMOUNT_MAX + 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_AMOUNT_TOO_LARGE);
  in->cap = 1;
  strcpy(in->code, "ABCDEFGHIJKLMNOP"); /* 16 characters */
  cr_assert_eq(proto_tx_validate(&tx), 0);
  memset(in->code, 'A', sizeof(in->code)); /* 17 characters, no terminator */
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_INSTRUMENT_CODE);

  sample_tx(PROTO_TX_ACCOUNT_OPEN, 0, &tx);
  tx.u.account.threshold = PROTO_THRESHOLD_MAX;
  cr_assert_eq(proto_tx_validate(&tx), 0);
  tx.u.account.threshold = PROTO_THRESHOLD_MAX + 1;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ARGUMENT);

  sample_tx(PROTO_TX_GENESIS, 1, &tx);
  cr_assert_eq(tx.u.genesis.operator_keys_count, PROTO_GENESIS_KEYS_MAX);
  cr_assert_eq(proto_tx_validate(&tx), 0);

  sample_tx(PROTO_TX_VERIFIED_EMISSIONS, 2, &tx);
  cr_assert_eq(tx.u.emissions.emissions, 0, "emissions may be 0: its table min is 0");
  cr_assert_eq(proto_tx_validate(&tx), 0);
  sample_tx(PROTO_TX_COMPLIANCE_YEAR, 2, &tx);
  tx.u.compliance_year.deadline_ms = 0;
  cr_assert_eq(proto_tx_validate(&tx), PROTO_E_BAD_ARGUMENT);
}

Test(tx_codec, the_equality_used_above_sees_any_changed_field) {
  struct proto_tx a, b;
  sample_tx(PROTO_TX_SETTLE, 0, &a);
  sample_tx(PROTO_TX_SETTLE, 0, &b);
  cr_assert(sample_tx_equal(&a, &b));
  b.u.settle.legs[2].amount++;
  cr_assert_not(sample_tx_equal(&a, &b));
  proto_tx_free(&a);
  proto_tx_free(&b);
  sample_tx(PROTO_TX_ACCOUNT_OPEN, 0, &a);
  sample_tx(PROTO_TX_ACCOUNT_OPEN, 0, &b);
  b.u.account.name[3] = 'X';
  cr_assert_not(sample_tx_equal(&a, &b));
  b = a;
  b.u.account.province = 36;
  cr_assert_not(sample_tx_equal(&a, &b));
  b = a;
  b.id[15] ^= 1;
  cr_assert_not(sample_tx_equal(&a, &b));
}
