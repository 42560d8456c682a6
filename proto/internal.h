/* proto's internal interface between its own files (codec.c and json.c); not for other
 * folders. */
#ifndef QUOTAD_PROTO_INTERNAL_H
#define QUOTAD_PROTO_INTERNAL_H

#include "proto/proto.h"

/* The byte width of an integer field kind (U8, U16, U64, AMOUNT, ACCOUNT, YEAR, ENUM,
 * PROVINCE), 0 for the other kinds. */
size_t proto__uint_width(uint8_t kind);
/* The value of an integer field of tx (the kind must have a width). */
uint64_t proto__field_uint(const struct proto_tx *tx, const struct proto_field *f);
/* Checks the value of one field of tx against its table row. Returns 0 or the field's error. */
int proto__field_check(const struct proto_tx *tx, const struct proto_field *f);
/* Checks the rules that tie fields of one type together (account kind rules, year and window
 * ranges, distinct accounts and keys). On error *where (when not NULL) names the field blamed. */
int proto__rules_check(const struct proto_tx *tx, const char **where);

/* The field table of tx's own body version (0 and 1: version 1); NULL when it has none. */
const struct proto_field *proto__tx_fields(const struct proto_tx *tx, size_t *count);
/* Decodes one allocation table row from in[0..len): *used gets its length. The row's fields are
 * checked (proto_alloc_row_check). Returns 0 or a negative code. */
int proto__alloc_row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *row,
                            size_t *used);

#endif
