/* proto_json: the JSON mapping of proto's transactions, envelopes and entries (proto/FORMAT.md
 * section 11), over jansson. Part of the proto library; a separate header so that a user of the
 * binary encoding alone does not include jansson. */
#ifndef QUOTAD_PROTO_JSON_H
#define QUOTAD_PROTO_JSON_H

#include <jansson.h>

#include "proto/proto.h"

/* tx -> a new JSON object {"type": "transfer", "id": "<32 hex>", ...fields}. Field names and
 * forms are those of FORMAT.md's tables: amounts and ids are JSON integers, keys and hashes hex,
 * enums their names, instrument codes and text strings. Returns NULL on out of memory, for a tx
 * that proto_tx_validate refuses, and when a U64/ACCOUNT field exceeds 2^63 - 1: JSON integers
 * are int64 here, so in JSON account ids, scopes and times are at most 2^63 - 1. */
json_t *proto_tx_to_json(const struct proto_tx *tx);
/* JSON -> tx. Unknown fields are refused (JSON_UNKNOWN), missing ones JSON_MISSING, wrong types
 * JSON_TYPE; then the same checks as proto_tx_validate. On error *tx is zeroed and, when where is
 * not NULL, it receives the name of the offending field (static or owned by obj). On success the
 * caller must call proto_tx_free(tx). */
int proto_tx_from_json(const json_t *obj, struct proto_tx *tx, const char **where);

/* An envelope as JSON: {"body": "<base64 body>", "signatures": [{"key": "<base64 key hash>",
 * "sig": "<base64>"}]}. proto_envelope_from_json writes the decoded body into body_buf[0..cap)
 * and points env->body at it. */
json_t *proto_envelope_to_json(const struct proto_envelope *env);
int proto_envelope_from_json(const json_t *obj, struct proto_envelope *env, uint8_t *body_buf,
                             size_t cap);
/* proto_envelope_from_json errors: JSON_TYPE, JSON_UNKNOWN, JSON_MISSING, BAD_BASE64 (also for a
 * key or sig of the wrong length), FIELD_TOO_LONG (body beyond cap), ENTRY_TOO_LARGE,
 * NO_SIGNATURES, TOO_MANY_SIGNATURES, DUPLICATE_SIGNER; *env is zeroed on error. It checks the
 * structure only, as proto_envelope_decode does. */

/* One entry's leaf data (the exact canonical entry bytes) as the API serves it:
 *   {"index", "time_ms", "withheld", "leaf": "<base64 of leaf>", "tx": <proto_tx_to_json>,
 *    "signatures": [{"key": "<base64 key hash>", "sig": "<base64>"}]}
 * Returns a new object, or NULL when the entry, its envelope or its body does not decode (or a
 * value has no JSON form, see proto_tx_to_json) or on out of memory. */
json_t *proto_entry_to_json(const uint8_t *leaf, size_t len);

/* Legs as JSON: [{"salt": "<32 hex>", "from", "to", "instrument", "amount"}] (with_salt false:
 * without "salt", the version 1 form), and back (every name required, no other; then the checks
 * of proto_legs_encode). Returns NULL on out of memory / 0 or a code with *n written. */
json_t *proto_legs_to_json(const struct proto_leg *legs, size_t n, bool with_salt);
int proto_legs_from_json(const json_t *arr, struct proto_leg *out, size_t cap, size_t *n);

/* An allocation table row as JSON (every field; inputs as decimal text), and back. from_json
 * zeroes *row first and refuses unknown or missing names. */
json_t *proto_alloc_row_to_json(const struct proto_alloc_row *row);
int proto_alloc_row_from_json(const json_t *obj, struct proto_alloc_row *row);

#endif /* QUOTAD_PROTO_JSON_H */
