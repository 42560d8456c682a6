/* libFuzzer target: arbitrary bytes as a signed checkpoint note, as a verifier key, and as proof
 * input to the Merkle verifiers. What verifies must re-sign and verify to the same fields; what
 * parses as a verifier key must format back to the same text. Seeds: tlog-vectors.json's note and
 * verifier key. Links tlog/checkpoint.c, tlog/merkle.c and proto. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the vectors' signing key: mutations of the vector note keep its signer */
static const uint8_t vector_seed[PROTO_SEED_BYTES] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const char vector_name[] = "registry.example/quotad";

static void check_note(const uint8_t *data, size_t size) {
  static struct proto_key *key;
  static uint8_t pub[PROTO_PUBKEY_BYTES];
  if (!key) {
    key = proto_key_from_seed(vector_seed);
    assert(key != NULL);
    proto_key_public(key, pub);
  }
  struct tlog_checkpoint cp;
  int rc = tlog_checkpoint_verify((const char *)data, size, vector_name, pub, &cp);
  assert(rc == 0 || rc == PROTO_E_BAD_CHECKPOINT || rc == PROTO_E_BAD_SIGNATURE);
  if (rc != 0) return;
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  long n = tlog_checkpoint_sign(&cp, vector_name, key, note, sizeof note);
  if (n <= 0) return; /* verify accepts UTF-8 origins that quotad does not sign */
  struct tlog_checkpoint back;
  assert(tlog_checkpoint_verify(note, (size_t)n, vector_name, pub, &back) == 0);
  assert(strcmp(back.origin, cp.origin) == 0 && back.size == cp.size &&
         memcmp(back.root, cp.root, PROTO_HASH_BYTES) == 0);
}

static void check_verifier_key(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return;
  memcpy(text, data, size);
  text[size] = '\0';
  char name[PROTO_ORIGIN_BYTES_MAX + 1], again[TLOG_VERIFIER_KEY_BYTES_MAX];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  if (tlog_verifier_key_parse(text, name, sizeof name, pub) == 0) {
    long n = tlog_verifier_key(name, pub, again, sizeof again);
    assert(n > 0 && strcmp(again, text) == 0);
  }
  free(text);
}

/* 8 bytes of index or first size, 8 of tree or second size, then 32-byte hashes: the first is
 * the leaf and the roots, all of them the proof. Only crashes and sanitizer reports matter. */
static void check_proofs(const uint8_t *data, size_t size) {
  if (size < 16 + PROTO_HASH_BYTES) return;
  uint64_t a = 0, b = 0;
  for (unsigned i = 0; i < 8; i++) {
    a = a << 8 | data[i];
    b = b << 8 | data[8 + i];
  }
  const uint8_t(*proof)[PROTO_HASH_BYTES] = (const uint8_t(*)[PROTO_HASH_BYTES])(data + 16);
  size_t n = (size - 16) / PROTO_HASH_BYTES;
  (void)tlog_verify_inclusion(a, b, proof[0], proof, n, proof[0]);
  (void)tlog_verify_consistency(a, b, proof[0], proof[0], proof, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_note(data, size);
  check_verifier_key(data, size);
  check_proofs(data, size);
  return 0;
}
