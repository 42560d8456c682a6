/* proto's internal interface between its own files (codec.c and json.c); not for other
 * folders. */
#ifndef QUOTAD_PROTO_INTERNAL_H
#define QUOTAD_PROTO_INTERNAL_H

#include "proto/proto.h"

/* Checks the value of one field of tx against its table row. Returns 0 or the field's error. */
int proto__field_check(const struct proto_tx *tx, const struct proto_field *f);
/* Checks the rules that tie fields of one type together (account kind rules, year and window
 * ranges, distinct accounts and keys). On error *where (when not NULL) names the field blamed. */
int proto__rules_check(const struct proto_tx *tx, const char **where);

#endif
