/* Building a transaction's JSON from command-line flags by walking proto's field tables. Pure
 * except for the account resolver the caller passes, so that tests can drive it directly. */
#ifndef QUOTAD_TOOLS_QUOTACTL_BUILD_H
#define QUOTAD_TOOLS_QUOTACTL_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "proto/proto.h"
#include "tools/quotactl.h"

/* Resolves an account reference that is not a plain id (USCC, CN-xx); returns 0 or an exit
 * code (having printed why). */
typedef int (*qbuild_resolve_fn)(void *ctx, const char *ref, uint64_t *id);

/* "to_position" -> "to-position". */
void qbuild_flag_name(const char *field, char *out, size_t cap);
/* The body version the commands build for a type (its current one; settle: 1, sealed later) and
 * that version's fields. */
unsigned qbuild_version(unsigned type);
const struct proto_field *qbuild_fields(unsigned type, size_t *n);
/* A field that may be left out (text with min 0). */
bool qbuild_field_optional(const struct proto_field *f);
/* A short placeholder for help ("ID|USCC|CN-xx", "TONNES", "pre|final|supplement"). */
const char *qbuild_field_hint(const struct proto_field *f);

/* {"type", "id", fields...} for type from the options; every option must be a field of the type
 * (or "id"). label prefixes field names in messages ("--" for flags, "column " for CSV).
 * Returns 0 and *out, QCTL_EXIT_USAGE with err set, or the resolver's code. */
int qbuild_tx_json(unsigned type, const struct qopts *o, const uint8_t id[PROTO_ID_BYTES],
                   const char *label, qbuild_resolve_fn resolve, void *ctx, json_t **out,
                   char *err, size_t cap);
/* What identifies a bulk row, the seed of its derived id (qctl_id_derive): the type's name, then
 * every field that is not an amount as a "name=value" line in table order, so that column order
 * does not matter and an edited amount keeps the seed (the rerun meets id_conflict, not a second
 * transaction). Writes a NUL-terminated text to out[0..cap); returns its length or
 * FIELD_TOO_LONG. */
long qbuild_row_seed(unsigned type, const struct qopts *o, char *out, size_t cap);

/* The transaction type of a subcommand or import name ("transfer", "carry-over", "emissions",
 * "accounts"...), 0 when unknown. */
unsigned qbuild_type_of(const char *name);

/* A 32-byte value from 64 hex characters, 44 base64 characters, or a key file (its public key,
 * or with want_hash its key hash). Returns 0 or BAD_KEY. */
int qbuild_bytes32(const char *text, bool want_hash, uint8_t out[32]);

/* A settle leg "FROM:TO:INSTRUMENT:AMOUNT" (accounts resolved). */
int qbuild_leg(const char *text, qbuild_resolve_fn resolve, void *ctx, json_t **out, char *err,
               size_t cap);

#endif /* QUOTAD_TOOLS_QUOTACTL_BUILD_H */
