/* proto_vectors_gen: writes tests/vectors/proto-valid.json and proto-invalid.json from the
 * codec, so that other implementations can check themselves against ours. test_proto_vectors
 * includes this file (with GEN_VECTORS_NO_MAIN) to regenerate both in memory and fail on drift.
 * Everything is deterministic: sample values are fixed and Ed25519 signatures are too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_json.h"
#include "tests/common/proto_samples.h"

#define GEN_ORIGIN "registry.cets.example/quotad"

/* Signing seeds: those of RFC 8032 section 7.1 TEST 1, 2 and 3, so anyone can rebuild them. */
static const char *const gen_seeds[] = {
  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
  "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
};

_Noreturn static void gen_die(const char *what, int rc) {
  fprintf(stderr, "proto_vectors_gen: %s: %s\n", what, proto_err_name(rc));
  abort();
}

static json_t *gen_hex(const uint8_t *b, size_t n) {
  char *text = malloc(2 * n + 1);
  if (!text || proto_hex_encode(b, n, text, 2 * n + 1) < 0) gen_die("hex", PROTO_E_NO_MEMORY);
  json_t *s = json_string(text);
  free(text);
  return s;
}

static json_t *gen_sha256(const uint8_t *b, size_t n) {
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(b, n, h);
  return gen_hex(h, sizeof(h));
}

/* RFC 6962 leaf hash: SHA-256(0x00 || entry bytes). */
static json_t *gen_leaf_hash(const uint8_t *b, size_t n) {
  const uint8_t zero = 0;
  const void *parts[] = {&zero, b};
  const size_t lens[] = {1, n};
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 2, h);
  return gen_hex(h, sizeof(h));
}

static long gen_body(unsigned type, unsigned variant, uint8_t *out, size_t cap) {
  struct proto_tx tx;
  sample_tx(type, variant, &tx);
  long n = proto_tx_encode(&tx, out, cap);
  proto_tx_free(&tx);
  if (n < 0) gen_die("encode sample", (int)n);
  return n;
}

static json_t *gen_transactions(void) {
  static uint8_t body[PROTO_BODY_BYTES_MAX];
  static const unsigned variants[] = {0, 2, 3}; /* 1 has u64 values JSON cannot carry */
  json_t *arr = json_array();
  for (unsigned t = PROTO_TX_TYPE_MIN; t <= PROTO_TX_TYPE_MAX; t++) {
    if (!proto_tx_type_name(t)) continue; /* a reserved number */
    for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
      struct proto_tx tx;
      long n = gen_body(t, variants[k], body, sizeof(body));
      int rc = proto_tx_decode(body, (size_t)n, &tx);
      if (rc) gen_die("decode sample", rc);
      char name[64];
      snprintf(name, sizeof(name), "%s/%s", proto_tx_type_name(t),
               variants[k] == 0 ? "typical" : variants[k] == 2 ? "minimum" : "maximum");
      json_t *v = json_object();
      json_object_set_new(v, "name", json_string(name));
      json_object_set_new(v, "body", gen_hex(body, (size_t)n));
      json_object_set_new(v, "body_hash", gen_sha256(body, (size_t)n));
      json_object_set_new(v, "json", proto_tx_to_json(&tx));
      json_array_append_new(arr, v);
      proto_tx_free(&tx);
    }
  }
  return arr;
}

/* An envelope of a sample body signed by the first `signers` seeds. */
static long gen_envelope(unsigned type, size_t signers, uint8_t *out, size_t cap, json_t **keys) {
  static uint8_t body[PROTO_BODY_BYTES_MAX];
  long n = gen_body(type, 0, body, sizeof(body));
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)n};
  if (signers > sizeof(gen_seeds) / sizeof(gen_seeds[0])) gen_die("signers", PROTO_E_BAD_ARGUMENT);
  *keys = json_array();
  for (size_t i = 0; i < signers; i++) {
    uint8_t seed[PROTO_SEED_BYTES], pub[PROTO_PUBKEY_BYTES];
    (void)proto_hex_decode(gen_seeds[i], 64, seed, sizeof(seed));
    struct proto_key *key = proto_key_from_seed(seed);
    if (!key) gen_die("key", PROTO_E_CRYPTO);
    int rc = proto_envelope_sign(&env, GEN_ORIGIN, key);
    if (rc) gen_die("sign", rc);
    proto_key_public(key, pub);
    json_array_append_new(*keys, gen_hex(pub, sizeof(pub)));
    proto_key_free(key);
  }
  long m = proto_envelope_encode(&env, out, cap);
  if (m < 0) gen_die("envelope", (int)m);
  return m;
}

static const struct {
  unsigned type;
  size_t signers;
  uint64_t index, time_ms, withheld;
} gen_entry_cases[] = {
  {PROTO_TX_GENESIS, 1, 0, UINT64_C(1764087600000), 0},
  {PROTO_TX_ALLOCATE, 2, 41, UINT64_C(1764087600123), 2500},
  {PROTO_TX_TRANSFER, 1, 1000000, UINT64_C(1764087601000), 0},
  {PROTO_TX_SETTLE, 3, 1000001, UINT64_C(1764087601000), 0},
};

/* Envelopes and the entries that wrap them, side by side. */
static void gen_envelopes_entries(json_t *envelopes, json_t *entries) {
  static uint8_t env[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  for (size_t i = 0; i < sizeof(gen_entry_cases) / sizeof(gen_entry_cases[0]); i++) {
    json_t *keys;
    long n = gen_envelope(gen_entry_cases[i].type, gen_entry_cases[i].signers, env, sizeof(env),
                          &keys);
    char name[64];
    snprintf(name, sizeof(name), "%s signed by %zu", proto_tx_type_name(gen_entry_cases[i].type),
             gen_entry_cases[i].signers);
    json_t *v = json_object();
    json_object_set_new(v, "name", json_string(name));
    json_object_set_new(v, "origin", json_string(GEN_ORIGIN));
    json_object_set_new(v, "signer_public_keys", keys);
    json_object_set_new(v, "hex", gen_hex(env, (size_t)n));
    json_array_append_new(envelopes, v);
    struct proto_entry e = {.index = gen_entry_cases[i].index,
                            .time_ms = gen_entry_cases[i].time_ms,
                            .withheld = gen_entry_cases[i].withheld,
                            .envelope = env,
                            .envelope_len = (uint16_t)n};
    long m = proto_entry_encode(&e, leaf, sizeof(leaf));
    if (m < 0) gen_die("entry", (int)m);
    v = json_object();
    json_object_set_new(v, "name", json_string(name));
    json_object_set_new(v, "index", json_integer((json_int_t)e.index));
    json_object_set_new(v, "time_ms", json_integer((json_int_t)e.time_ms));
    json_object_set_new(v, "withheld", json_integer((json_int_t)e.withheld));
    json_object_set_new(v, "hex", gen_hex(leaf, (size_t)m));
    json_object_set_new(v, "leaf_hash", gen_leaf_hash(leaf, (size_t)m));
    json_array_append_new(entries, v);
  }
}

static json_t *gen_valid(void) {
  json_t *root = json_object(), *envelopes = json_array(), *entries = json_array();
  json_object_set_new(root, "about",
                      json_string("Generated by proto_vectors_gen (tests/vectors/gen_vectors.c); "
                                  "see proto/FORMAT.md. transactions: canonical body hex, "
                                  "SHA-256 body hash, JSON form. envelopes: signed over "
                                  "'quotad/tx/v1\\n' || origin || '\\n' || body by the RFC 8032 "
                                  "TEST 1..3 keys. entries: leaf data and RFC 6962 leaf hash."));
  json_object_set_new(root, "transactions", gen_transactions());
  gen_envelopes_entries(envelopes, entries);
  json_object_set_new(root, "envelopes", envelopes);
  json_object_set_new(root, "entries", entries);
  return root;
}

/* ------------------------------------------------------------------------------------------
 * Invalid inputs: a valid encoding with one fault, and the error a decoder must give.
 * ---------------------------------------------------------------------------------------- */
struct gen_fault {
  const char *name;
  const char *kind; /* "tx", "envelope" or "entry" */
  unsigned type, variant;
  long at;           /* first byte to overwrite (-1: none) */
  const char *patch; /* the bytes written there, hex */
  long cut;          /* bytes to drop from the end (negative: append that many zeros) */
  int error;
};

/* Offsets (see FORMAT.md). Body header 20 bytes. transfer: from 20, to 28, instrument 36,
 * amount 52. account_open (typical): account 20, kind 28, province 29, sector 30, threshold 31,
 * uscc 32..49, name length 50, name 52. key_revoke (minimum): reason length 52. settle
 * (typical): ref length 20, ref 22..44, legs count 45; settle (minimum): legs count 23, first
 * leg from 25, to 33. instrument_create: kind 36, vintage 37, cap 39, first year 47, last year
 * 49. genesis (typical): origin 22..49; genesis (minimum): keys count 64. Envelope: version 0,
 * count 1, body length 2. Entry: version 0, reserved 1, withheld 18, envelope length 26,
 * envelope 28. Envelope variant 1 means: its one signature record repeated. */
static const struct gen_fault gen_faults[] = {
  {"body truncated by one byte", "tx", PROTO_TX_TRANSFER, 0, -1, "", 1, PROTO_E_TRUNCATED},
  {"body header only", "tx", PROTO_TX_TRANSFER, 0, -1, "", 40, PROTO_E_TRUNCATED},
  {"body with a trailing byte", "tx", PROTO_TX_TRANSFER, 0, -1, "", -1, PROTO_E_TRAILING_BYTES},
  {"body version 2", "tx", PROTO_TX_TRANSFER, 0, 0, "02", 0, PROTO_E_BAD_VERSION},
  {"body version 0", "tx", PROTO_TX_TRANSFER, 0, 0, "00", 0, PROTO_E_BAD_VERSION},
  {"type 0", "tx", PROTO_TX_TRANSFER, 0, 1, "00", 0, PROTO_E_UNKNOWN_TYPE},
  {"type 40 (beyond every reserved number)", "tx", PROTO_TX_TRANSFER, 0, 1, "28", 0, PROTO_E_UNKNOWN_TYPE},
  {"reserved byte not zero", "tx", PROTO_TX_TRANSFER, 0, 3, "01", 0, PROTO_E_RESERVED_NONZERO},
  {"transfer amount zero", "tx", PROTO_TX_TRANSFER, 2, 59, "00", 0, PROTO_E_ZERO_AMOUNT},
  {"transfer amount 2^53", "tx", PROTO_TX_TRANSFER, 2, 52, "0020000000000000", 0,
   PROTO_E_AMOUNT_TOO_LARGE},
  {"transfer amount 2^64 - 1", "tx", PROTO_TX_TRANSFER, 2, 52, "ffffffffffffffff", 0,
   PROTO_E_AMOUNT_TOO_LARGE},
  {"transfer from 0", "tx", PROTO_TX_TRANSFER, 2, 27, "00", 0, PROTO_E_BAD_ARGUMENT},
  {"transfer to itself", "tx", PROTO_TX_TRANSFER, 2, 35, "01", 0, PROTO_E_SAME_ACCOUNT},
  {"instrument lower case", "tx", PROTO_TX_TRANSFER, 0, 37, "65", 0, PROTO_E_BAD_INSTRUMENT_CODE},
  {"instrument with a space", "tx", PROTO_TX_TRANSFER, 0, 39, "20", 0,
   PROTO_E_BAD_INSTRUMENT_CODE},
  {"instrument padding not zero", "tx", PROTO_TX_TRANSFER, 0, 51, "58", 0,
   PROTO_E_BAD_INSTRUMENT_CODE},
  {"instrument empty", "tx", PROTO_TX_TRANSFER, 2, 36, "00", 0, PROTO_E_BAD_INSTRUMENT_CODE},
  {"account kind 9", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 28, "09", 0, PROTO_E_BAD_ENUM},
  {"account kind national", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 28, "01", 0, PROTO_E_BAD_ENUM},
  {"sector 5", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 30, "05", 0, PROTO_E_BAD_ENUM},
  {"province 10", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 29, "0a", 0, PROTO_E_BAD_PROVINCE},
  {"enterprise in province 0", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 29, "00", 0, PROTO_E_BAD_PROVINCE},
  {"provincial account with a USCC", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 28, "02", 0,
   PROTO_E_FIELD_NONZERO},
  {"threshold 0", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 31, "00", 0, PROTO_E_BAD_ARGUMENT},
  {"threshold 9", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 31, "09", 0, PROTO_E_BAD_ARGUMENT},
  {"USCC wrong check character", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 49, "34", 0, PROTO_E_BAD_USCC},
  {"USCC with letter O", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 39, "4f", 0, PROTO_E_BAD_USCC},
  {"USCC partly zero", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 32, "00", 0, PROTO_E_BAD_USCC},
  {"name over 256 bytes", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 50, "01", 0, PROTO_E_FIELD_TOO_LONG},
  {"name with a line feed", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "0a", 0, PROTO_E_BAD_TEXT},
  {"name with DEL", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 53, "7f", 0, PROTO_E_BAD_TEXT},
  {"name with NUL", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 53, "00", 0, PROTO_E_BAD_TEXT},
  {"name bad UTF-8: lone continuation byte", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "80", 0,
   PROTO_E_BAD_TEXT},
  {"name bad UTF-8: overlong '/' (c0 af)", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "c0af", 0,
   PROTO_E_BAD_TEXT},
  {"name bad UTF-8: surrogate U+D800 (ed a0 80)", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "eda080", 0,
   PROTO_E_BAD_TEXT},
  {"name with U+202E RIGHT-TO-LEFT OVERRIDE", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "e280ae", 0,
   PROTO_E_TEXT_CONTROL},
  {"name with U+202A LEFT-TO-RIGHT EMBEDDING", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 55, "e280aa", 0,
   PROTO_E_TEXT_CONTROL},
  {"name with U+2066 LEFT-TO-RIGHT ISOLATE", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "e281a6", 0,
   PROTO_E_TEXT_CONTROL},
  {"name with U+2069 POP DIRECTIONAL ISOLATE", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 60, "e281a9", 0,
   PROTO_E_TEXT_CONTROL},
  {"name with C1 control U+0080", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "c280", 0,
   PROTO_E_TEXT_CONTROL},
  {"name with C1 control U+0085 (next line)", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 56, "c285", 0,
   PROTO_E_TEXT_CONTROL},
  {"name with C1 control U+009F", "tx", PROTO_TX_ACCOUNT_OPEN, 0, 52, "c29f", 0,
   PROTO_E_TEXT_CONTROL},
  {"reason over 256 bytes", "tx", PROTO_TX_KEY_REVOKE, 2, 52, "0101", 0, PROTO_E_FIELD_TOO_LONG},
  {"reason empty", "tx", PROTO_TX_KEY_REVOKE, 2, 52, "0000", 1, PROTO_E_EMPTY_FIELD},
  {"settle with 1001 legs", "tx", PROTO_TX_SETTLE, 0, 45, "03e9", 0, PROTO_E_TOO_MANY_LEGS},
  {"settle with 0 legs", "tx", PROTO_TX_SETTLE, 0, 45, "0000", 0, PROTO_E_TOO_MANY_LEGS},
  {"settle leg to its own seller", "tx", PROTO_TX_SETTLE, 2, 33, "00000000000003e8", 0,
   PROTO_E_SAME_ACCOUNT},
  {"vintage 1999", "tx", PROTO_TX_INSTRUMENT_CREATE, 2, 37, "07cf", 0, PROTO_E_BAD_YEAR},
  {"vintage 2101", "tx", PROTO_TX_INSTRUMENT_CREATE, 2, 37, "0835", 0, PROTO_E_BAD_YEAR},
  {"instrument kind 3", "tx", PROTO_TX_INSTRUMENT_CREATE, 2, 36, "03", 0, PROTO_E_BAD_ENUM},
  {"last year before first year", "tx", PROTO_TX_INSTRUMENT_CREATE, 0, 49, "07e8", 0,
   PROTO_E_BAD_RANGE},
  {"genesis origin with a space", "tx", PROTO_TX_GENESIS, 0, 30, "20", 0, PROTO_E_BAD_ORIGIN},
  {"genesis with 9 operator keys", "tx", PROTO_TX_GENESIS, 2, 64, "09", 0, PROTO_E_FIELD_TOO_LONG},
  {"envelope version 2", "envelope", PROTO_TX_TRANSFER, 0, 0, "02", 0, PROTO_E_BAD_VERSION},
  {"envelope without signatures", "envelope", PROTO_TX_TRANSFER, 0, 1, "00", 0,
   PROTO_E_NO_SIGNATURES},
  {"envelope with 9 signatures", "envelope", PROTO_TX_TRANSFER, 0, 1, "09", 0,
   PROTO_E_TOO_MANY_SIGNATURES},
  {"envelope body length 65535", "envelope", PROTO_TX_TRANSFER, 0, 2, "ffff", 0,
   PROTO_E_ENTRY_TOO_LARGE},
  {"envelope truncated", "envelope", PROTO_TX_TRANSFER, 0, -1, "", 1, PROTO_E_TRUNCATED},
  {"envelope with a trailing byte", "envelope", PROTO_TX_TRANSFER, 0, -1, "", -1,
   PROTO_E_TRAILING_BYTES},
  {"envelope signed twice by one key", "envelope", PROTO_TX_TRANSFER, 1, -1, "", 0,
   PROTO_E_DUPLICATE_SIGNER},
  {"entry version 0", "entry", PROTO_TX_TRANSFER, 0, 0, "00", 0, PROTO_E_BAD_VERSION},
  {"entry reserved byte not zero", "entry", PROTO_TX_TRANSFER, 0, 1, "01", 0,
   PROTO_E_RESERVED_NONZERO},
  {"entry withheld 2^53", "entry", PROTO_TX_TRANSFER, 0, 18, "0020000000000000", 0,
   PROTO_E_AMOUNT_TOO_LARGE},
  {"entry envelope length 65508", "entry", PROTO_TX_TRANSFER, 0, 26, "ffe4", 0,
   PROTO_E_ENTRY_TOO_LARGE},
  {"entry truncated", "entry", PROTO_TX_TRANSFER, 0, -1, "", 1, PROTO_E_TRUNCATED},
  {"entry with a trailing byte", "entry", PROTO_TX_TRANSFER, 0, -1, "", -1,
   PROTO_E_TRAILING_BYTES},
  {"entry holding an envelope without signatures", "entry", PROTO_TX_TRANSFER, 0, 29, "00", 0,
   PROTO_E_NO_SIGNATURES},
};

/* The bytes of one fault case. */
static size_t gen_fault_bytes(const struct gen_fault *f, uint8_t *out, size_t cap) {
  static uint8_t env[PROTO_ENTRY_BYTES_MAX];
  long n;
  json_t *keys = NULL;
  if (strcmp(f->kind, "tx") == 0) {
    n = gen_body(f->type, f->variant, out, cap);
  } else if (strcmp(f->kind, "envelope") == 0) {
    n = gen_envelope(f->type, 1, out, cap, &keys);
    if (f->variant == 1) { /* the same signature record twice */
      memcpy(out + n, out + n - PROTO_SIG_RECORD_BYTES, PROTO_SIG_RECORD_BYTES);
      n += PROTO_SIG_RECORD_BYTES;
      out[1] = 2;
    }
  } else {
    long m = gen_envelope(f->type, 1, env, sizeof(env), &keys);
    struct proto_entry e = {.index = 7, .time_ms = UINT64_C(1764087600000), .envelope = env,
                            .envelope_len = (uint16_t)m};
    n = proto_entry_encode(&e, out, cap);
  }
  json_decref(keys);
  if (n < 0) gen_die(f->name, (int)n);
  if (f->at >= 0) {
    long p = proto_hex_decode(f->patch, strlen(f->patch), out + f->at, (size_t)(n - f->at));
    if (p <= 0) gen_die(f->name, (int)p);
  }
  if (f->cut < 0) memset(out + n, 0, (size_t)-f->cut);
  return (size_t)(n - f->cut);
}

/* What a decoder of the kind answers for the bytes. */
static int gen_decode(const char *kind, const uint8_t *b, size_t n) {
  if (strcmp(kind, "tx") == 0) {
    struct proto_tx tx;
    int rc = proto_tx_decode(b, n, &tx);
    proto_tx_free(&tx);
    return rc;
  }
  if (strcmp(kind, "envelope") == 0) {
    struct proto_envelope env;
    return proto_envelope_decode(b, n, &env);
  }
  struct proto_entry e;
  return proto_entry_decode(b, n, &e);
}

static json_t *gen_invalid(void) {
  static uint8_t b[PROTO_ENTRY_BYTES_MAX + 8];
  json_t *root = json_object(), *arr = json_array();
  json_object_set_new(root, "about",
                      json_string("Generated by proto_vectors_gen (tests/vectors/gen_vectors.c); "
                                  "see proto/FORMAT.md. Each vector is a valid encoding with one "
                                  "fault; a decoder of that kind (tx body, envelope, entry) must "
                                  "refuse it with that error."));
  for (size_t i = 0; i < sizeof(gen_faults) / sizeof(gen_faults[0]); i++) {
    const struct gen_fault *f = &gen_faults[i];
    size_t n = gen_fault_bytes(f, b, sizeof(b));
    /* the table states intent; the codec must agree, or the generator refuses to write */
    int rc = gen_decode(f->kind, b, n);
    if (rc != f->error) {
      fprintf(stderr, "proto_vectors_gen: %s: decoder says %s, table says %s\n", f->name,
              proto_err_name(rc), proto_err_name(f->error));
      abort();
    }
    json_t *v = json_object();
    json_object_set_new(v, "name", json_string(f->name));
    json_object_set_new(v, "kind", json_string(f->kind));
    json_object_set_new(v, "hex", gen_hex(b, n));
    json_object_set_new(v, "error", json_string(proto_err_name(f->error)));
    json_array_append_new(arr, v);
  }
  json_object_set_new(root, "vectors", arr);
  return root;
}

/* ---------------------------------------------------------------------------------------------
 * Settlement legs (FORMAT.md "Settlement legs"): version 2 settle bodies with the legs blob that
 * travels beside them. The root is computed here from the RFC's definition (recursive MTH over
 * the leaf hashes), apart from tlog's code, which the test then checks against it.
 * ------------------------------------------------------------------------------------------- */
static void gen_mth(const uint8_t (*h)[PROTO_HASH_BYTES], size_t n, uint8_t out[PROTO_HASH_BYTES]) {
  if (n == 1) {
    memcpy(out, h[0], PROTO_HASH_BYTES);
    return;
  }
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  uint8_t node[1 + 2 * PROTO_HASH_BYTES];
  node[0] = 0x01;
  gen_mth(h, k, node + 1);
  gen_mth(h + k, n - k, node + 1 + PROTO_HASH_BYTES);
  proto_sha256(node, sizeof(node), out);
}

/* Leg i of a sample settlement: accounts and amounts vary, salts are SHA-256("salt" || i). */
static void gen_leg(size_t i, struct proto_leg *leg) {
  memset(leg, 0, sizeof(*leg));
  leg->from = 101 + i % 3;
  leg->to = 900 + i;
  snprintf(leg->instrument, sizeof(leg->instrument), i % 2 ? "CEA-2024" : "CEA-2025");
  leg->amount = 1000 + 7 * i;
  uint8_t h[PROTO_HASH_BYTES], in[5] = {'s', 'a', 'l', 't', (uint8_t)i};
  proto_sha256(in, sizeof(in), h);
  memcpy(leg->salt, h, PROTO_SALT_BYTES);
}

/* A version 2 settle body over legs (its root as the RFC defines it) and the legs blob. */
static void gen_settle_v2(const struct proto_leg *legs, size_t n, uint8_t *body, long *blen,
                          uint8_t *blob, long *llen, uint8_t root[PROTO_HASH_BYTES]) {
  uint8_t(*hashes)[PROTO_HASH_BYTES] = malloc(n * PROTO_HASH_BYTES);
  if (!hashes) gen_die("legs", PROTO_E_NO_MEMORY);
  for (size_t i = 0; i < n; i++) {
    uint8_t leaf[1 + PROTO_LEG_LEAF_BYTES] = {0};
    proto_leg_leaf(&legs[i], leaf + 1);
    proto_sha256(leaf, sizeof(leaf), hashes[i]);
  }
  gen_mth((const uint8_t(*)[PROTO_HASH_BYTES])hashes, n, root);
  free(hashes);
  struct proto_tx tx = {.type = PROTO_TX_SETTLE, .version = 2};
  memset(tx.id, 0x5e, PROTO_ID_BYTES);
  snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "SEEE clearing 2025-11-25");
  tx.u.settle.legs_count = (uint16_t)n;
  memcpy(tx.u.settle.legs_root, root, PROTO_HASH_BYTES);
  *blen = proto_tx_encode(&tx, body, PROTO_BODY_BYTES_MAX);
  if (*blen < 0) gen_die("settle v2 body", (int)*blen);
  *llen = proto_legs_encode(legs, n, blob, PROTO_LEGS_BYTES_MAX);
  if (*llen < 0) gen_die("legs blob", (int)*llen);
}

static json_t *gen_legs_valid(size_t n) {
  static uint8_t body[PROTO_BODY_BYTES_MAX], blob[PROTO_LEGS_BYTES_MAX];
  struct proto_leg legs[8];
  uint8_t root[PROTO_HASH_BYTES];
  long blen, llen;
  if (n < 1 || n > 8) gen_die("legs count", PROTO_E_TOO_MANY_LEGS);
  memset(legs, 0, sizeof(legs));
  for (size_t i = 0; i < n; i++) gen_leg(i, &legs[i]);
  gen_settle_v2(legs, n, body, &blen, blob, &llen, root);
  json_t *v = json_object(), *leaves = json_array();
  char name[32];
  snprintf(name, sizeof(name), "%zu leg%s", n, n == 1 ? "" : "s");
  for (size_t i = 0; i < n; i++) {
    uint8_t leaf[PROTO_LEG_LEAF_BYTES];
    proto_leg_leaf(&legs[i], leaf);
    json_array_append_new(leaves, gen_hex(leaf, sizeof(leaf)));
  }
  json_object_set_new(v, "name", json_string(name));
  json_object_set_new(v, "legs", proto_legs_to_json(legs, n, true));
  json_object_set_new(v, "leaves", leaves);
  json_object_set_new(v, "legs_root", gen_hex(root, sizeof(root)));
  json_object_set_new(v, "body", gen_hex(body, (size_t)blen));
  json_object_set_new(v, "legs_blob", gen_hex(blob, (size_t)llen));
  return v;
}

/* One invalid pair: a body and the legs beside it (NULL: none), and the error a receiver gives
 * (decode the body, attach the legs, compare the root, in that order). */
struct gen_legs_fault {
  const char *name;
  int error;
  int what; /* 0 wrong root, 1 a leg fewer, 2 no legs, 3 duplicate salt, 4 two bytes patched */
  int at;   /* 4: offset into the blob of the two bytes */
  uint16_t value; /* 4: their new value, big-endian */
};

/* Blob offsets: 0 version, 1 reserved, 2 count; leg 0 at 4: salt 4..19, from 20..27, to 28..35,
 * instrument 36..51 ("CEA-2025" then zero padding), amount 52..59. */
static const struct gen_legs_fault gen_legs_faults[] = {
  {"legs that do not hash to legs_root (an amount changed)", PROTO_E_LEGS_ROOT, 0, 0, 0},
  {"one leg fewer than legs_count", PROTO_E_LEGS_COUNT, 1, 0, 0},
  {"no legs beside the body", PROTO_E_LEGS_MISSING, 2, 0, 0},
  {"two legs with the same salt", PROTO_E_DUPLICATE_SALT, 3, 0, 0},
  {"blob version 2", PROTO_E_BAD_VERSION, 4, 0, 0x0200},
  {"blob reserved byte set", PROTO_E_RESERVED_NONZERO, 4, 0, 0x0101},
  {"blob count 0", PROTO_E_TOO_MANY_LEGS, 4, 2, 0x0000},
  {"blob count 1001", PROTO_E_TOO_MANY_LEGS, 4, 2, 1001},
  {"instrument padding not zero", PROTO_E_BAD_INSTRUMENT_CODE, 4, 50, 0x0058},
  {"a leg sells to its own account", PROTO_E_SAME_ACCOUNT, 4, 34, 101},
  {"a leg of amount 0", PROTO_E_ZERO_AMOUNT, 4, 58, 0},
};

static int gen_legs_answer(const uint8_t *body, size_t blen, const uint8_t *blob, size_t llen) {
  struct proto_tx tx;
  int rc = proto_tx_decode(body, blen, &tx);
  if (!rc) rc = blob ? proto_settle_attach_legs(&tx, blob, llen) : PROTO_E_LEGS_MISSING;
  if (!rc) {
    uint8_t root[PROTO_HASH_BYTES];
    uint8_t(*h)[PROTO_HASH_BYTES] = malloc(tx.u.settle.legs_count * PROTO_HASH_BYTES);
    for (size_t i = 0; h && i < tx.u.settle.legs_count; i++) {
      uint8_t leaf[1 + PROTO_LEG_LEAF_BYTES] = {0};
      proto_leg_leaf(&tx.u.settle.legs[i], leaf + 1);
      proto_sha256(leaf, sizeof(leaf), h[i]);
    }
    if (!h) gen_die("legs", PROTO_E_NO_MEMORY);
    gen_mth((const uint8_t(*)[PROTO_HASH_BYTES])h, tx.u.settle.legs_count, root);
    free(h);
    rc = memcmp(root, tx.u.settle.legs_root, PROTO_HASH_BYTES) ? PROTO_E_LEGS_ROOT : 0;
  }
  proto_tx_free(&tx);
  return rc;
}

static json_t *gen_legs_fault(const struct gen_legs_fault *f) {
  static uint8_t body[PROTO_BODY_BYTES_MAX], blob[PROTO_LEGS_BYTES_MAX], other[PROTO_LEGS_BYTES_MAX];
  struct proto_leg legs[3];
  uint8_t root[PROTO_HASH_BYTES];
  long blen, llen, olen;
  for (size_t i = 0; i < 3; i++) gen_leg(i, &legs[i]);
  gen_settle_v2(legs, 3, body, &blen, blob, &llen, root);
  if (f->what == 0) legs[2].amount++;
  if (f->what == 0 || f->what == 1) {
    olen = proto_legs_encode(legs, f->what == 1 ? 2 : 3, other, sizeof(other));
    if (olen < 0) gen_die(f->name, (int)olen);
    memcpy(blob, other, (size_t)olen);
    llen = olen;
  } else if (f->what == 3) {
    memcpy(blob + 4 + 56, blob + 4, PROTO_SALT_BYTES); /* leg 1 takes leg 0's salt */
  } else if (f->what == 4) {
    blob[f->at] = (uint8_t)(f->value >> 8);
    blob[f->at + 1] = (uint8_t)f->value;
  }
  const uint8_t *sent = f->what == 2 ? NULL : blob;
  int rc = gen_legs_answer(body, (size_t)blen, sent, (size_t)llen);
  if (rc != f->error) {
    fprintf(stderr, "proto_vectors_gen: %s: receiver says %s, table says %s\n", f->name,
            proto_err_name(rc), proto_err_name(f->error));
    abort();
  }
  json_t *v = json_object();
  json_object_set_new(v, "name", json_string(f->name));
  json_object_set_new(v, "body", gen_hex(body, (size_t)blen));
  json_object_set_new(v, "legs_blob", sent ? gen_hex(blob, (size_t)llen) : json_null());
  json_object_set_new(v, "error", json_string(proto_err_name(f->error)));
  return v;
}

static json_t *gen_legs(void) {
  json_t *root = json_object(), *valid = json_array(), *invalid = json_array();
  json_object_set_new(root, "about",
                      json_string("Generated by proto_vectors_gen (tests/vectors/gen_vectors.c); "
                                  "see proto/FORMAT.md \"Settlement legs\". valid: version 2 settle "
                                  "bodies, each leg's leaf data, the root and the legs blob. "
                                  "invalid: a body and the legs blob beside it (null: none) that a "
                                  "receiver must refuse with that error."));
  static const size_t sizes[] = {1, 2, 3, 7};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
    json_array_append_new(valid, gen_legs_valid(sizes[i]));
  for (size_t i = 0; i < sizeof(gen_legs_faults) / sizeof(gen_legs_faults[0]); i++)
    json_array_append_new(invalid, gen_legs_fault(&gen_legs_faults[i]));
  json_object_set_new(root, "valid", valid);
  json_object_set_new(root, "invalid", invalid);
  return root;
}

/*
 * web-entries.json: whole entries (leaf data) of the transaction types and body versions that
 * the public pages' decoder (web/assets/entry.js) learnt last (22-27; version 2 of issue,
 * allocate, clawback, carry_over and deduct), each with the JSON form of its transaction to compare against.
 */
static const struct {
  unsigned type, version;
} gen_web_cases[] = {
  {PROTO_TX_ACCOUNT_REOPEN, 1},   {PROTO_TX_AT_RISK, 1},         {PROTO_TX_ALLOC_TABLE_OPEN, 1},
  {PROTO_TX_ALLOC_TABLE_ROWS, 1}, {PROTO_TX_ALLOC_TABLE_CLOSE, 1}, {PROTO_TX_ISSUE, 2},
  {PROTO_TX_ALLOCATE, 2},         {PROTO_TX_CLAWBACK, 2},        {PROTO_TX_CARRY_OVER_RULE, 1},
  {PROTO_TX_CARRY_OVER, 2},       {PROTO_TX_DEDUCT, 2},
};

/* The typical sample of the type (values a JavaScript number holds exactly), moved to version 2
 * with a table row cited. */
static void gen_web_tx(unsigned type, unsigned version, struct proto_tx *tx) {
  sample_tx(type, 0, tx);
  tx->version = (uint8_t)version;
  if (version == 2 && type == PROTO_TX_ISSUE) tx->u.move.to = 2001;
  if (version == 2 && (type == PROTO_TX_ALLOCATE || type == PROTO_TX_CLAWBACK))
    tx->u.move.table = 202502, tx->u.move.row = 7;
  if (version == 2 && type == PROTO_TX_CARRY_OVER) { /* cites its rule; the window is the rule's */
    struct proto_carry_over *c = &tx->u.carry_over;
    c->window_start_ms = c->window_end_ms = 0;
    for (unsigned i = 0; i < PROTO_ID_BYTES; i++) c->rule[i] = (uint8_t)(0xa0 + i);
  }
  if (version == 2 && type == PROTO_TX_DEDUCT) /* a fraud deduction: a percentage, no amount */
    tx->u.move.kind = PROTO_DEDUCT_FRAUD, tx->u.move.amount = 0, tx->u.move.percent = 60;
}

static json_t *gen_web_entry(unsigned type, unsigned version, uint64_t index) {
  static uint8_t body[PROTO_BODY_BYTES_MAX], env[PROTO_ENTRY_BYTES_MAX], leaf[PROTO_ENTRY_BYTES_MAX];
  struct proto_tx tx;
  gen_web_tx(type, version, &tx);
  long n = proto_tx_encode(&tx, body, sizeof(body));
  if (n < 0) gen_die("encode web sample", (int)n);
  struct proto_envelope e = {.body = body, .body_len = (uint16_t)n};
  uint8_t seed[PROTO_SEED_BYTES];
  (void)proto_hex_decode(gen_seeds[0], 64, seed, sizeof(seed));
  struct proto_key *key = proto_key_from_seed(seed);
  if (!key || proto_envelope_sign(&e, GEN_ORIGIN, key) != 0) gen_die("sign", PROTO_E_CRYPTO);
  proto_key_free(key);
  long m = proto_envelope_encode(&e, env, sizeof(env));
  if (m < 0) gen_die("envelope", (int)m);
  struct proto_entry en = {.index = index, .time_ms = UINT64_C(1764087602000), .envelope = env,
                           .envelope_len = (uint16_t)m};
  long k = proto_entry_encode(&en, leaf, sizeof(leaf));
  if (k < 0) gen_die("entry", (int)k);
  char name[64];
  snprintf(name, sizeof(name), "%s v%u", proto_tx_type_name(type), version);
  json_t *v = json_object();
  json_object_set_new(v, "name", json_string(name));
  json_object_set_new(v, "index", json_integer((json_int_t)index));
  json_object_set_new(v, "hex", gen_hex(leaf, (size_t)k));
  json_object_set_new(v, "json", proto_tx_to_json(&tx));
  proto_tx_free(&tx);
  return v;
}

static json_t *gen_web_entries(void) {
  json_t *root = json_object(), *arr = json_array();
  json_object_set_new(root, "about",
                      json_string("Generated by proto_vectors_gen (tests/vectors/gen_vectors.c); "
                                  "see proto/FORMAT.md. Entries (leaf data) of types 22-26 and "
                                  "of version 2 bodies, signed by the RFC 8032 TEST 1 key, with "
                                  "the JSON form of each transaction."));
  for (size_t i = 0; i < sizeof(gen_web_cases) / sizeof(gen_web_cases[0]); i++)
    json_array_append_new(arr, gen_web_entry(gen_web_cases[i].type, gen_web_cases[i].version, 500 + i));
  json_object_set_new(root, "entries", arr);
  return root;
}

#define GEN_JSON_FLAGS (JSON_INDENT(1) | JSON_ENSURE_ASCII)

#ifndef GEN_VECTORS_NO_MAIN
static int gen_write(const char *dir, const char *name, json_t *j) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  int rc = json_dump_file(j, path, GEN_JSON_FLAGS);
  json_decref(j);
  if (rc != 0) fprintf(stderr, "proto_vectors_gen: cannot write %s\n", path);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: proto_vectors_gen DIR (writes DIR/proto-valid.json, "
                    "DIR/proto-invalid.json, DIR/settle-legs.json and DIR/web-entries.json)\n");
    return 2;
  }
  if (gen_write(argv[1], "proto-valid.json", gen_valid()) != 0) return 1;
  if (gen_write(argv[1], "proto-invalid.json", gen_invalid()) != 0) return 1;
  if (gen_write(argv[1], "settle-legs.json", gen_legs()) != 0) return 1;
  if (gen_write(argv[1], "web-entries.json", gen_web_entries()) != 0) return 1;
  return 0;
}
#endif
