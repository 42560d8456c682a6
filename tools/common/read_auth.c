/* The signed read header: an Ed25519 signature over the request line, the origin and the time,
 * so that a captured header cannot be replayed against another path, registry or time. */
#include "tools/common/read_auth.h"

#include <stdio.h>
#include <string.h>

#define READ_AUTH_DOMAIN "quotad/read/v1\n"
#define READ_AUTH_MESSAGE_BYTES_MAX 4096u

int read_auth_header(const struct proto_key *key, const char *origin, const char *method,
                     const char *path_query, long unix_time, char *out, size_t cap) {
  size_t origin_len = strlen(origin);
  if (origin_len == 0 || origin_len > PROTO_ORIGIN_BYTES_MAX) return PROTO_E_BAD_ORIGIN;
  char msg[READ_AUTH_MESSAGE_BYTES_MAX];
  int mlen = snprintf(msg, sizeof(msg), READ_AUTH_DOMAIN "%s\n%s\n%s\n%ld", origin, method,
                      path_query, unix_time);
  if (mlen < 0 || (size_t)mlen >= sizeof(msg)) return PROTO_E_FIELD_TOO_LONG;
  uint8_t sig[PROTO_SIG_BYTES];
  int rc = proto_sign(key, msg, (size_t)mlen, sig);
  if (rc) return rc;
  uint8_t hash[PROTO_HASH_BYTES];
  proto_key_hash(key, hash);
  char hash_b64[64], sig_b64[128];
  if (proto_base64_encode(hash, sizeof(hash), hash_b64, sizeof(hash_b64)) < 0 ||
      proto_base64_encode(sig, sizeof(sig), sig_b64, sizeof(sig_b64)) < 0) {
    return PROTO_E_FIELD_TOO_LONG;
  }
  int n = snprintf(out, cap, "Quotad-Ed25519 key=%s, time=%ld, sig=%s", hash_b64, unix_time,
                   sig_b64);
  if (n < 0 || (size_t)n >= cap) return PROTO_E_FIELD_TOO_LONG;
  return n;
}
