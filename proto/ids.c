/* Transaction ids that tools derive from a deterministic signature (FORMAT.md "Deriving ids"):
 * the same on every rerun, unpredictable to anyone who does not hold the id key. */
#include <string.h>

#include "proto/internal.h"

static const char id_seed_domain[] = "quotad/id-seed/v1\n";
static const char id_domain[] = "quotad/id/v1\n";

/* The message the id key signs; returns its length or FIELD_TOO_LONG. */
static long id_seed(const char *origin, unsigned type, const char *const *fields, size_t n,
                    uint8_t out[PROTO_ID_SEED_BYTES_MAX]) {
  size_t dlen = sizeof(id_seed_domain) - 1, olen = strlen(origin), len = dlen;
  PROTO_ASSERT(olen <= PROTO_ORIGIN_BYTES_MAX); /* the caller checked the origin */
  memcpy(out, id_seed_domain, dlen);
  for (size_t i = 0; i < olen; i++) out[len++] = (uint8_t)origin[i];
  out[len++] = '\n';
  out[len++] = (uint8_t)type;
  for (size_t i = 0; i < n; i++) {
    size_t flen = strlen(fields[i]);
    if (flen > 0xFFFF || flen + 2 > PROTO_ID_SEED_BYTES_MAX - len) return PROTO_E_FIELD_TOO_LONG;
    out[len++] = (uint8_t)(flen >> 8);
    out[len++] = (uint8_t)flen;
    memcpy(out + len, fields[i], flen);
    len += flen;
  }
  PROTO_ASSERT(len <= PROTO_ID_SEED_BYTES_MAX);
  return (long)len;
}

int proto_id_derive(const struct proto_key *id_key, const char *origin, unsigned type,
                    const char *const *fields, size_t fields_count, uint8_t id[PROTO_ID_BYTES]) {
  int rc = proto__origin_check(origin);
  if (rc) return rc;
  if (!proto_tx_type_name(type)) return PROTO_E_UNKNOWN_TYPE;
  uint8_t msg[PROTO_ID_SEED_BYTES_MAX], sig[PROTO_SIG_BYTES];
  long len = id_seed(origin, type, fields, fields_count, msg);
  if (len < 0) return (int)len;
  /* Ed25519 is deterministic (RFC 8032): the same key and message give the same signature */
  if ((rc = proto_sign(id_key, msg, (size_t)len, sig))) return rc;
  const void *parts[2] = {id_domain, sig};
  const size_t lens[2] = {sizeof(id_domain) - 1, sizeof(sig)};
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 2, h);
  memcpy(id, h, PROTO_ID_BYTES);
  explicit_bzero(sig, sizeof(sig));
  return 0;
}
