/* The legs of a version 2 settle: the leaf data each leg is hashed as, and the legs blob that
 * travels beside the signed body (proto/FORMAT.md "Settlement legs"), binary and JSON. */
#include <stdlib.h>
#include <string.h>

#include "proto/internal.h"
#include "proto/proto.h"
#include "proto/proto_json.h"

#define LEGS_BLOB_VERSION 1u
#define SALT_SET_SLOTS 2048u /* a power of two above twice PROTO_LEGS_MAX: short probe runs */

static void be64_write(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (uint8_t)(v & 0xffu);
    v >>= 8;
  }
}

static uint64_t be64_read(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}

/* The 40 bytes of a leg, exactly as in a version 1 body. */
static void leg_bytes(const struct proto_leg *leg, uint8_t out[PROTO_LEG_BYTES]) {
  size_t n = strnlen(leg->instrument, PROTO_INSTRUMENT_BYTES);
  be64_write(out, leg->from);
  be64_write(out + 8, leg->to);
  memset(out + 16, 0, PROTO_INSTRUMENT_BYTES);
  memcpy(out + 16, leg->instrument, n);
  be64_write(out + 32, leg->amount);
}

/* The reverse, refusing non-zero bytes after the code (one encoding per leg). */
static int leg_read(const uint8_t in[PROTO_LEG_BYTES], struct proto_leg *leg) {
  leg->from = be64_read(in);
  leg->to = be64_read(in + 8);
  const uint8_t *code = in + 16;
  size_t n = strnlen((const char *)code, PROTO_INSTRUMENT_BYTES);
  for (size_t i = n; i < PROTO_INSTRUMENT_BYTES; i++)
    if (code[i] != 0) return PROTO_E_BAD_INSTRUMENT_CODE;
  memcpy(leg->instrument, code, n);
  leg->instrument[n] = '\0';
  leg->amount = be64_read(in + 32);
  return proto__leg_check(leg);
}

void proto_leg_leaf(const struct proto_leg *leg, uint8_t out[PROTO_LEG_LEAF_BYTES]) {
  /* the 14 prefix bytes, without the string's NUL */
  static const uint8_t prefix[PROTO_LEG_LEAF_PREFIX_BYTES] = PROTO_LEG_LEAF_PREFIX;
  memcpy(out, prefix, sizeof(prefix));
  memcpy(out + PROTO_LEG_LEAF_PREFIX_BYTES, leg->salt, PROTO_SALT_BYTES);
  leg_bytes(leg, out + PROTO_LEG_LEAF_PREFIX_BYTES + PROTO_SALT_BYTES);
}

/* Distinct salts in O(n): an open-addressing set of leg indices keyed by the salt's first bytes
 * (salts are random, so they are their own hash; a crafted collision only lengthens a probe run
 * within a table of fixed size). */
static int salts_distinct(const struct proto_leg *legs, size_t n) {
  PROTO_ASSERT(n <= PROTO_LEGS_MAX);
  uint16_t slots[SALT_SET_SLOTS]; /* leg index + 1; 0 is empty */
  memset(slots, 0, sizeof(slots));
  for (size_t i = 0; i < n; i++) {
    uint32_t h = (uint32_t)legs[i].salt[0] | (uint32_t)legs[i].salt[1] << 8 |
                 (uint32_t)legs[i].salt[2] << 16 | (uint32_t)legs[i].salt[3] << 24;
    for (size_t probe = 0;; probe++) {
      PROTO_ASSERT(probe < SALT_SET_SLOTS);
      size_t at = (h + probe) & (SALT_SET_SLOTS - 1);
      if (slots[at] == 0) {
        slots[at] = (uint16_t)(i + 1);
        break;
      }
      if (memcmp(legs[slots[at] - 1].salt, legs[i].salt, PROTO_SALT_BYTES) == 0)
        return PROTO_E_DUPLICATE_SALT;
    }
  }
  return 0;
}

static int legs_check(const struct proto_leg *legs, size_t n) {
  if (n < 1 || n > PROTO_LEGS_MAX) return PROTO_E_TOO_MANY_LEGS;
  for (size_t i = 0; i < n; i++) {
    int rc = proto__leg_check(&legs[i]);
    if (rc) return rc;
  }
  return salts_distinct(legs, n);
}

long proto_legs_encode(const struct proto_leg *legs, size_t n, uint8_t *out, size_t cap) {
  if (!legs && n) return PROTO_E_BAD_ARGUMENT;
  int rc = legs_check(legs, n);
  if (rc) return rc;
  size_t len = PROTO_LEGS_HEADER_BYTES + n * PROTO_LEGS_RECORD_BYTES;
  if (len > cap) return PROTO_E_FIELD_TOO_LONG;
  out[0] = LEGS_BLOB_VERSION;
  out[1] = 0;
  out[2] = (uint8_t)(n >> 8);
  out[3] = (uint8_t)(n & 0xffu);
  uint8_t *p = out + PROTO_LEGS_HEADER_BYTES;
  for (size_t i = 0; i < n; i++, p += PROTO_LEGS_RECORD_BYTES) {
    memcpy(p, legs[i].salt, PROTO_SALT_BYTES);
    leg_bytes(&legs[i], p + PROTO_SALT_BYTES);
  }
  PROTO_ASSERT((size_t)(p - out) == len && len <= PROTO_LEGS_BYTES_MAX);
  return (long)len;
}

/* The header: version, reserved, and a count whose records the input holds exactly. */
static int legs_header(const uint8_t *in, size_t len, size_t cap, size_t *count) {
  if (len < PROTO_LEGS_HEADER_BYTES) return PROTO_E_TRUNCATED;
  if (in[0] != LEGS_BLOB_VERSION) return PROTO_E_BAD_VERSION;
  if (in[1] != 0) return PROTO_E_RESERVED_NONZERO;
  size_t n = (size_t)in[2] << 8 | in[3];
  if (n < 1 || n > PROTO_LEGS_MAX || n > cap) return PROTO_E_TOO_MANY_LEGS;
  size_t need = PROTO_LEGS_HEADER_BYTES + n * PROTO_LEGS_RECORD_BYTES;
  if (len < need) return PROTO_E_TRUNCATED;
  if (len > need) return PROTO_E_TRAILING_BYTES;
  *count = n;
  return 0;
}

int proto_legs_decode(const uint8_t *in, size_t len, struct proto_leg *out, size_t cap, size_t *n) {
  size_t count = 0;
  *n = 0;
  if (!in) return PROTO_E_TRUNCATED;
  int rc = legs_header(in, len, cap, &count);
  if (rc) return rc;
  const uint8_t *p = in + PROTO_LEGS_HEADER_BYTES;
  for (size_t i = 0; i < count; i++, p += PROTO_LEGS_RECORD_BYTES) {
    memcpy(out[i].salt, p, PROTO_SALT_BYTES);
    rc = leg_read(p + PROTO_SALT_BYTES, &out[i]);
    if (rc) return rc;
  }
  rc = salts_distinct(out, count);
  if (rc) return rc;
  *n = count;
  return 0;
}

/* The count is checked before the legs, so that a blob for another settlement says so. */
int proto_settle_legs_into(struct proto_tx *tx, const uint8_t *blob, size_t len,
                           struct proto_leg *buf, size_t cap) {
  if (tx->type != PROTO_TX_SETTLE || proto_tx_version(tx) != 2 || tx->u.settle.legs)
    return PROTO_E_LEGS_UNEXPECTED;
  size_t count = 0;
  int rc = blob ? legs_header(blob, len, PROTO_LEGS_MAX, &count) : PROTO_E_LEGS_MISSING;
  if (rc) return rc;
  if (count != tx->u.settle.legs_count || count > cap) return PROTO_E_LEGS_COUNT;
  size_t n = 0;
  rc = proto_legs_decode(blob, len, buf, cap, &n);
  if (rc) return rc;
  PROTO_ASSERT(n == count);
  tx->u.settle.legs = buf;
  tx->u.settle.legs_borrowed = true;
  return 0;
}

int proto_settle_attach_legs(struct proto_tx *tx, const uint8_t *blob, size_t len) {
  if (tx->type != PROTO_TX_SETTLE || proto_tx_version(tx) != 2 || tx->u.settle.legs)
    return PROTO_E_LEGS_UNEXPECTED;
  size_t cap = tx->u.settle.legs_count;
  struct proto_leg *legs = malloc((cap ? cap : 1) * sizeof(*legs));
  if (!legs) return PROTO_E_NO_MEMORY;
  int rc = proto_settle_legs_into(tx, blob, len, legs, cap);
  if (rc) {
    free(legs);
    return rc;
  }
  tx->u.settle.legs_borrowed = false; /* now owned: proto_tx_free releases it */
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------------------------- */
static json_t *leg_json(const struct proto_leg *leg, bool with_salt) {
  if (leg->from > INT64_MAX || leg->to > INT64_MAX) return NULL; /* no JSON form (FORMAT.md) */
  json_t *o = json_pack("{s:I,s:I,s:s,s:I}", "from", (json_int_t)leg->from, "to",
                        (json_int_t)leg->to, "instrument", leg->instrument, "amount",
                        (json_int_t)leg->amount);
  if (o && with_salt) {
    char hex[2 * PROTO_SALT_BYTES + 1];
    (void)proto_hex_encode(leg->salt, PROTO_SALT_BYTES, hex, sizeof(hex));
    if (json_object_set_new(o, "salt", json_string(hex)) != 0) {
      json_decref(o);
      return NULL;
    }
  }
  return o;
}

json_t *proto_legs_to_json(const struct proto_leg *legs, size_t n, bool with_salt) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < n; i++) {
    if (json_array_append_new(arr, leg_json(&legs[i], with_salt)) != 0) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static int json_u64(const json_t *v, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0) return PROTO_E_JSON_TYPE;
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

static int leg_from_json(const json_t *o, struct proto_leg *leg) {
  static const char *const names[] = {"salt", "from", "to", "instrument", "amount"};
  enum { NAMES = sizeof(names) / sizeof(names[0]) };
  if (!json_is_object(o)) return PROTO_E_JSON_TYPE;
  if (json_object_size(o) > NAMES) return PROTO_E_JSON_UNKNOWN;
  for (size_t i = 0; i < NAMES; i++)
    if (!json_object_get(o, names[i])) return PROTO_E_JSON_MISSING;
  const json_t *salt = json_object_get(o, "salt"), *code = json_object_get(o, "instrument");
  if (!json_is_string(salt) || !json_is_string(code)) return PROTO_E_JSON_TYPE;
  if (json_string_length(salt) != 2 * PROTO_SALT_BYTES ||
      proto_hex_decode(json_string_value(salt), 2 * PROTO_SALT_BYTES, leg->salt,
                       PROTO_SALT_BYTES) != (long)PROTO_SALT_BYTES)
    return PROTO_E_BAD_HEX;
  size_t clen = json_string_length(code);
  if (clen > PROTO_INSTRUMENT_BYTES || strlen(json_string_value(code)) != clen)
    return PROTO_E_BAD_INSTRUMENT_CODE;
  memcpy(leg->instrument, json_string_value(code), clen + 1);
  int rc = json_u64(json_object_get(o, "from"), &leg->from);
  if (!rc) rc = json_u64(json_object_get(o, "to"), &leg->to);
  if (!rc) rc = json_u64(json_object_get(o, "amount"), &leg->amount);
  return rc ? rc : proto__leg_check(leg);
}

int proto_legs_from_json(const json_t *arr, struct proto_leg *out, size_t cap, size_t *n) {
  *n = 0;
  if (!json_is_array(arr)) return PROTO_E_JSON_TYPE;
  size_t count = json_array_size(arr);
  if (count < 1 || count > PROTO_LEGS_MAX || count > cap) return PROTO_E_TOO_MANY_LEGS;
  for (size_t i = 0; i < count; i++) {
    memset(&out[i], 0, sizeof(out[i]));
    int rc = leg_from_json(json_array_get(arr, i), &out[i]);
    if (rc) return rc;
  }
  int rc = salts_distinct(out, count);
  if (rc) return rc;
  *n = count;
  return 0;
}
