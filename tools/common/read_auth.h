/* The signed read header of quotad's API (docs/API.md "Read authorization"; the signed message is
 * proto_read_message, proto/FORMAT.md), shared by the tools that read from a registry. */
#ifndef QUOTAD_TOOLS_READ_AUTH_H
#define QUOTAD_TOOLS_READ_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define READ_AUTH_HEADER_BYTES_MAX 256u /* the whole "Authorization: ..." line */
#define READ_AUTH_PATH_BYTES_MAX 2048u

/* Signs a read with key (over proto_read_message) and writes the whole header line, NUL-terminated:
 *   "Authorization: Quotad-Ed25519 key=<base64 SHA-256 of the public key>, time=<t>, sig=<base64>"
 * path_query is the request target as sent ("/v1/entries?start=0&limit=1000"). Returns the
 * length, or a negative code (FIELD_TOO_LONG when cap is small, BAD_KEY without a private key). */
long read_auth_header(const struct proto_key *key, const char *origin, const char *method,
                      const char *path_query, uint64_t unix_s, char *out, size_t cap);

/* Splits a header line made by read_auth_header (for tests and diagnostics): the base64 key
 * hash into key[0..key_cap), the time, the base64 signature into sig[0..sig_cap). The line may
 * end at NUL, CR or LF. Returns 0 or BAD_REQUEST. */
int read_auth_header_parse(const char *line, char *key, size_t key_cap, uint64_t *unix_s, char *sig,
                           size_t sig_cap);

#endif /* QUOTAD_TOOLS_READ_AUTH_H */
