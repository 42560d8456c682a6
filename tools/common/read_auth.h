/* The signed read header (api.md "Read authentication"): how a tool proves which key reads. */
#ifndef QUOTAD_TOOLS_READ_AUTH_H
#define QUOTAD_TOOLS_READ_AUTH_H

#include <stddef.h>

#include "proto/proto.h"

/* Enough for "Quotad-Ed25519 key=<44>, time=<20>, sig=<88>". */
#define READ_AUTH_HEADER_BYTES_MAX 256u

/* Writes the value of the Authorization header (without "Authorization: ") that signs
 *   "quotad/read/v1\n<origin>\n<METHOD>\n<path with query>\n<time>"
 * with key, as "Quotad-Ed25519 key=<base64 key hash>, time=<unix seconds>, sig=<base64>".
 * path_query is the request target exactly as sent ("/v1/accounts/7/balances?x=1").
 * Returns the length written (NUL-terminated) or a negative code: FIELD_TOO_LONG when cap or
 * the message buffer is too small, BAD_ORIGIN, CRYPTO / BAD_KEY from signing. */
int read_auth_header(const struct proto_key *key, const char *origin, const char *method,
                     const char *path_query, long unix_time, char *out, size_t cap);

#endif /* QUOTAD_TOOLS_READ_AUTH_H */
