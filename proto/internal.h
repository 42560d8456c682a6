/* proto's internal interface between its own files (codec.c, json.c, ids.c, keys.c); not for other
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

/* One leg's values: accounts non-zero (BAD_ARGUMENT) and distinct (SAME_ACCOUNT), a valid
 * instrument code, an amount 1..2^53-1. */
int proto__leg_check(const struct proto_leg *leg);
/* 1..16 of A-Z 0-9 - (BAD_INSTRUMENT_CODE). */
int proto__instrument_check(const char *code);
/* Checks an origin: 1..128 printable ASCII characters without spaces. Returns 0 or BAD_ORIGIN. */
int proto__origin_check(const char *s);
/* Decodes one allocation table row from in[0..len): *used gets its length. The row's fields are
 * checked (proto_alloc_row_check). Returns 0 or a negative code. */
int proto__alloc_row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *row,
                            size_t *used);

#endif
