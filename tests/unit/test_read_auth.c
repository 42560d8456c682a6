/* The signed read header: exact message bytes, a signature that verifies over them, and
 * refusal of inputs that could make two requests share a message. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tools/common/read_auth.h"

Test(read_auth, message_is_the_documented_bytes) {
  uint8_t msg[256];
  long n = proto_read_message("reg.example/quotad", "GET", "/v1/entries?start=0&limit=10",
                             1764000000, msg, sizeof(msg));
  const char *want = "quotad/read/v1\nreg.example/quotad\nGET\n/v1/entries?start=0&limit=10\n1764000000";
  cr_assert_eq(n, (long)strlen(want));
  cr_assert(memcmp(msg, want, (size_t)n) == 0);
}

Test(read_auth, header_signature_verifies_over_the_message) {
  uint8_t seed[PROTO_SEED_BYTES];
  memset(seed, 7, sizeof(seed));
  struct proto_key *key = proto_key_from_seed(seed);
  char header[READ_AUTH_HEADER_BYTES_MAX];
  long n = read_auth_header(key, "reg.example/quotad", "GET", "/v1/accounts/7/balances", 1764000000,
                            header, sizeof(header));
  cr_assert(n > 0, "%s", proto_err_name((int)n));
  char key_b64[64], sig_b64[128];
  uint64_t t = 0;
  cr_assert_eq(read_auth_header_parse(header, key_b64, sizeof(key_b64), &t, sig_b64, sizeof(sig_b64)),
               0, "%s", header);
  cr_assert_eq(t, 1764000000u);
  uint8_t hash[PROTO_HASH_BYTES], want_hash[PROTO_HASH_BYTES], sig[PROTO_SIG_BYTES + 2];
  cr_assert_eq(proto_base64_decode(key_b64, strlen(key_b64), hash, sizeof(hash)), PROTO_HASH_BYTES);
  proto_key_hash(key, want_hash);
  cr_assert(memcmp(hash, want_hash, sizeof(hash)) == 0);
  cr_assert_eq(proto_base64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig)), PROTO_SIG_BYTES);
  uint8_t msg[256];
  long len = proto_read_message("reg.example/quotad", "GET", "/v1/accounts/7/balances", 1764000000,
                               msg, sizeof(msg));
  cr_assert_eq(proto_verify(key, msg, (size_t)len, sig), 0);
  msg[len - 1] ^= 1; /* another time */
  cr_assert_eq(proto_verify(key, msg, (size_t)len, sig), PROTO_E_BAD_SIGNATURE);
  proto_key_free(key);
}

Test(read_auth, refuses_newlines_and_relative_paths) {
  uint8_t msg[256];
  cr_assert_eq(proto_read_message("a\nb", "GET", "/v1/log", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message("a", "GET", "/v1/log\nGET", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message("a", "GET", "v1/log", 1, msg, sizeof(msg)), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(proto_read_message("a", "GET", "/v1/log", 1, msg, 8), PROTO_E_FIELD_TOO_LONG);
}

Test(read_auth, needs_a_private_key) {
  uint8_t seed[PROTO_SEED_BYTES], pub[PROTO_PUBKEY_BYTES];
  memset(seed, 9, sizeof(seed));
  struct proto_key *key = proto_key_from_seed(seed);
  proto_key_public(key, pub);
  struct proto_key *pub_only = proto_key_from_public(pub);
  char header[READ_AUTH_HEADER_BYTES_MAX];
  cr_assert_eq(read_auth_header(pub_only, "o", "GET", "/v1/log", 1, header, sizeof(header)),
               PROTO_E_BAD_KEY);
  proto_key_free(key);
  proto_key_free(pub_only);
}

Test(read_auth, parse_refuses_malformed_headers) {
  char k[64], sig[128];
  uint64_t t;
  cr_assert_eq(read_auth_header_parse("Authorization: Bearer x", k, sizeof(k), &t, sig, sizeof(sig)),
               PROTO_E_BAD_REQUEST);
  cr_assert_eq(read_auth_header_parse("Authorization: Quotad-Ed25519 key=abc, time=x, sig=y", k,
                                      sizeof(k), &t, sig, sizeof(sig)), PROTO_E_BAD_REQUEST);
  cr_assert_eq(read_auth_header_parse("Authorization: Quotad-Ed25519 key=abc, time=5, sig=", k,
                                      sizeof(k), &t, sig, sizeof(sig)), PROTO_E_BAD_REQUEST);
  cr_assert_eq(read_auth_header_parse("Authorization: Quotad-Ed25519 key=abc, time=5, sig=zz\r\n", k,
                                      sizeof(k), &t, sig, sizeof(sig)), 0);
  cr_assert_str_eq(sig, "zz");
  cr_assert_eq(t, 5);
}
