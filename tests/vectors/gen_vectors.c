/* proto_vectors_gen: writes tests/vectors/proto-valid.json and proto-invalid.json from the
 * codec, so that other implementations can check themselves against ours. test_proto_vectors
 * includes this file (with GEN_VECTORS_NO_MAIN) to regenerate both in memory and fail on drift.
 * Everything is deterministic: sample values are fixed and Ed25519 signatures are too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
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
  {"type 22", "tx", PROTO_TX_TRANSFER, 0, 1, "16", 0, PROTO_E_UNKNOWN_TYPE},
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
    fprintf(stderr, "usage: proto_vectors_gen DIR (writes DIR/proto-valid.json and "
                    "DIR/proto-invalid.json)\n");
    return 2;
  }
  if (gen_write(argv[1], "proto-valid.json", gen_valid()) != 0) return 1;
  if (gen_write(argv[1], "proto-invalid.json", gen_invalid()) != 0) return 1;
  return 0;
}
#endif
