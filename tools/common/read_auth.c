/* Builds and signs the Authorization header of an authenticated API read. */
#include "tools/common/read_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long read_auth_header(const struct proto_key *key, const char *origin, const char *method,
                      const char *path_query, uint64_t unix_s, char *out, size_t cap) {
  if (path_query && strlen(path_query) > READ_AUTH_PATH_BYTES_MAX) return PROTO_E_FIELD_TOO_LONG;
  uint8_t msg[READ_AUTH_PATH_BYTES_MAX + PROTO_ORIGIN_BYTES_MAX + 64];
  long len = proto_read_message(origin, method, path_query, unix_s, msg, sizeof(msg));
  if (len < 0) return len;
  uint8_t sig[PROTO_SIG_BYTES], hash[PROTO_HASH_BYTES];
  int rc = proto_sign(key, msg, (size_t)len, sig);
  if (rc) return rc;
  proto_key_hash(key, hash);
  char key_b64[64], sig_b64[128];
  if (proto_base64_encode(hash, sizeof(hash), key_b64, sizeof(key_b64)) < 0 ||
      proto_base64_encode(sig, sizeof(sig), sig_b64, sizeof(sig_b64)) < 0)
    return PROTO_E_FIELD_TOO_LONG;
  int n = snprintf(out, cap, "Authorization: Quotad-Ed25519 key=%s, time=%llu, sig=%s", key_b64,
                   (unsigned long long)unix_s, sig_b64);
  if (n < 0 || (size_t)n >= cap) return PROTO_E_FIELD_TOO_LONG;
  return n;
}

#define READ_AUTH_PREFIX "Authorization: Quotad-Ed25519 key="

/* Copies [from, to) into out as a string when it fits and is not empty. */
static int copy_part(const char *from, const char *to, char *out, size_t cap) {
  size_t n = (size_t)(to - from);
  if (n == 0 || n >= cap) return PROTO_E_BAD_REQUEST;
  memcpy(out, from, n);
  out[n] = '\0';
  return 0;
}

int read_auth_header_parse(const char *line, char *key, size_t key_cap, uint64_t *unix_s, char *sig,
                           size_t sig_cap) {
  const char *p = strstr(line, READ_AUTH_PREFIX);
  if (!p) return PROTO_E_BAD_REQUEST;
  p += strlen(READ_AUTH_PREFIX);
  const char *comma = strstr(p, ", time=");
  if (!comma || copy_part(p, comma, key, key_cap)) return PROTO_E_BAD_REQUEST;
  p = comma + strlen(", time=");
  if (*p < '0' || *p > '9') return PROTO_E_BAD_REQUEST;
  char *end;
  unsigned long long t = strtoull(p, &end, 10);
  if (strncmp(end, ", sig=", 6) != 0) return PROTO_E_BAD_REQUEST;
  p = end + 6;
  if (copy_part(p, p + strcspn(p, "\r\n"), sig, sig_cap)) return PROTO_E_BAD_REQUEST;
  *unix_s = t;
  return 0;
}
