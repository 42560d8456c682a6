/* Allocation table rows: their canonical bytes, checks, the rows hash a table header commits
 * to, their JSON form and the salted commitments that stand for confidential inputs. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "proto/internal.h"
#include "proto/proto.h"
#include "proto/proto_json.h"

#define ROWS_HASH_PREFIX "quotad/alloc-rows/v1\n"
#define INPUT_PREFIX "quotad/alloc-input/v1\n"
#define INPUTS_COUNT 7u
#define ROW_FIXED_BYTES 113u /* every byte of a row but its unit id's */
#define E6_MAX ((uint64_t)INT64_MAX)

_Static_assert(PROTO_ROW_BYTES_MAX == ROW_FIXED_BYTES + PROTO_UNIT_BYTES_MAX, "row size");

static const char *const input_names[INPUTS_COUNT] = {
    "emissions", "output", "prev_emissions", "supplied_mwh", "heat_gj", "load_pct",
    "carbide_slag_rate"};

const char *proto_row_input_name(unsigned input) {
  for (unsigned i = 0; i < INPUTS_COUNT; i++) {
    if (input == 1u << i) return input_names[i];
  }
  return NULL;
}

/* The input values in bit order, so that loops over inputs share one list. */
static void inputs_of(const struct proto_alloc_row *row, uint64_t v[INPUTS_COUNT]) {
  v[0] = row->emissions_e6;
  v[1] = row->output_e6;
  v[2] = row->prev_emissions_e6;
  v[3] = row->supplied_mwh_e6;
  v[4] = row->heat_gj_e6;
  v[5] = row->load_pct_e6;
  v[6] = row->carbide_slag_e6;
}

static uint64_t *input_slot(struct proto_alloc_row *row, unsigned i) {
  uint64_t *slots[INPUTS_COUNT] = {&row->emissions_e6,    &row->output_e6,
                                   &row->prev_emissions_e6, &row->supplied_mwh_e6,
                                   &row->heat_gj_e6,      &row->load_pct_e6,
                                   &row->carbide_slag_e6};
  return slots[i];
}

static int check_unit(const char *unit) {
  size_t n = strnlen(unit, PROTO_UNIT_BYTES_MAX + 1);
  if (n == 0) return PROTO_E_EMPTY_FIELD;
  if (n > PROTO_UNIT_BYTES_MAX) return PROTO_E_FIELD_TOO_LONG;
  for (size_t i = 0; i < n; i++) {
    /* printable ASCII that a CSV cell holds as is */
    if (unit[i] < 0x21 || unit[i] > 0x7E || unit[i] == ',' || unit[i] == '"') return PROTO_E_BAD_TEXT;
  }
  return 0;
}

static bool salt_zero(const uint8_t salt[PROTO_SALT_BYTES]) {
  uint8_t acc = 0;
  for (size_t i = 0; i < PROTO_SALT_BYTES; i++) acc |= salt[i];
  return acc == 0;
}

int proto_alloc_row_check(const struct proto_alloc_row *row) {
  int rc = proto_uscc_check(row->uscc, strnlen(row->uscc, PROTO_USCC_BYTES + 1), NULL);
  if (rc == 0) rc = check_unit(row->unit);
  if (rc) return rc;
  if (row->sector < PROTO_SECTOR_POWER || row->sector > PROTO_SECTOR_ALUMINIUM) return PROTO_E_BAD_ENUM;
  if (row->category > 4 || (row->category && row->sector != PROTO_SECTOR_POWER)) return PROTO_E_BAD_ENUM;
  if (row->present & ~(unsigned)(PROTO_ROW_EMISSIONS | PROTO_ROW_PREV)) return PROTO_E_RESERVED_NONZERO;
  if (row->confidential & ~PROTO_ROW_INPUTS_ALL) return PROTO_E_RESERVED_NONZERO;
  if (row->flags & ~PROTO_ROW_FLAGS_ALL) return PROTO_E_RESERVED_NONZERO;
  uint64_t v[INPUTS_COUNT];
  inputs_of(row, v);
  for (unsigned i = 0; i < INPUTS_COUNT; i++) {
    if (v[i] > E6_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  }
  /* an input that is absent is zero: one encoding for "not known" */
  if (!(row->present & PROTO_ROW_EMISSIONS) && row->emissions_e6) return PROTO_E_FIELD_NONZERO;
  if (!(row->present & PROTO_ROW_PREV) && row->prev_emissions_e6) return PROTO_E_FIELD_NONZERO;
  if (row->confidential == 0 && !salt_zero(row->salt)) return PROTO_E_FIELD_NONZERO;
  if (row->pre > PROTO_AMOUNT_MAX || row->quota > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  return 0;
}

static void put_be(uint8_t *p, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; i++) p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++) v = v << 8 | p[i];
  return v;
}

long proto_alloc_row_encode(const struct proto_alloc_row *row, uint8_t *out, size_t cap) {
  int rc = proto_alloc_row_check(row);
  if (rc) return rc;
  size_t n = strlen(row->unit), len = ROW_FIXED_BYTES + n;
  if (cap < len) return PROTO_E_FIELD_TOO_LONG;
  uint8_t *p = out;
  memcpy(p, row->uscc, PROTO_USCC_BYTES);
  p += PROTO_USCC_BYTES;
  *p++ = (uint8_t)n;
  memcpy(p, row->unit, n);
  p += n;
  *p++ = row->sector;
  *p++ = row->category;
  *p++ = row->present;
  *p++ = row->confidential;
  put_be(p, row->flags, 2);
  p += 2;
  uint64_t v[INPUTS_COUNT];
  inputs_of(row, v);
  for (unsigned i = 0; i < INPUTS_COUNT; i++, p += 8) put_be(p, v[i], 8);
  memcpy(p, row->salt, PROTO_SALT_BYTES);
  p += PROTO_SALT_BYTES;
  put_be(p, row->pre, 8);
  put_be(p + 8, row->quota, 8);
  p += 16;
  PROTO_ASSERT((size_t)(p - out) == len);
  return (long)len;
}

int proto__alloc_row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *row,
                            size_t *used) {
  memset(row, 0, sizeof(*row));
  if (len < ROW_FIXED_BYTES + 1) return PROTO_E_TRUNCATED;
  const uint8_t *p = in;
  if (memchr(p, 0, PROTO_USCC_BYTES)) return PROTO_E_BAD_USCC;
  memcpy(row->uscc, p, PROTO_USCC_BYTES);
  p += PROTO_USCC_BYTES;
  size_t n = *p++;
  if (n > PROTO_UNIT_BYTES_MAX) return PROTO_E_FIELD_TOO_LONG;
  if (len < ROW_FIXED_BYTES + n) return PROTO_E_TRUNCATED;
  if (memchr(p, 0, n)) return PROTO_E_BAD_TEXT;
  memcpy(row->unit, p, n);
  p += n;
  row->sector = *p++;
  row->category = *p++;
  row->present = *p++;
  row->confidential = *p++;
  row->flags = (uint16_t)get_be(p, 2);
  p += 2;
  for (unsigned i = 0; i < INPUTS_COUNT; i++, p += 8) *input_slot(row, i) = get_be(p, 8);
  memcpy(row->salt, p, PROTO_SALT_BYTES);
  p += PROTO_SALT_BYTES;
  row->pre = get_be(p, 8);
  row->quota = get_be(p + 8, 8);
  *used = ROW_FIXED_BYTES + n;
  return proto_alloc_row_check(row);
}

int proto_alloc_row_decode(const uint8_t *in, size_t len, struct proto_alloc_row *row) {
  size_t used = 0;
  int rc = proto__alloc_row_decode(in, len, row, &used);
  if (rc == 0 && used != len) rc = PROTO_E_TRAILING_BYTES;
  if (rc) memset(row, 0, sizeof(*row));
  return rc;
}

void proto_alloc_rows_hash_start(uint8_t h[PROTO_HASH_BYTES]) {
  proto_sha256(ROWS_HASH_PREFIX, sizeof(ROWS_HASH_PREFIX) - 1, h);
}

int proto_alloc_rows_hash_step(uint8_t h[PROTO_HASH_BYTES], const struct proto_alloc_row *row) {
  uint8_t bytes[PROTO_ROW_BYTES_MAX];
  long n = proto_alloc_row_encode(row, bytes, sizeof(bytes));
  if (n < 0) return (int)n;
  const void *parts[2] = {h, bytes};
  size_t lens[2] = {PROTO_HASH_BYTES, (size_t)n};
  uint8_t next[PROTO_HASH_BYTES];
  proto_sha256_parts(parts, lens, 2, next);
  memcpy(h, next, PROTO_HASH_BYTES);
  return 0;
}

int proto_alloc_rows_hash(const struct proto_alloc_row *rows, size_t n,
                          uint8_t out[PROTO_HASH_BYTES]) {
  proto_alloc_rows_hash_start(out);
  for (size_t i = 0; i < n; i++) {
    int rc = proto_alloc_rows_hash_step(out, &rows[i]);
    if (rc) return rc;
  }
  return 0;
}

void proto_alloc_input_commitment(const struct proto_alloc_row *row, unsigned input,
                                  char out[2 * PROTO_HASH_BYTES + 1]) {
  const char *name = proto_row_input_name(input);
  PROTO_ASSERT(name != NULL);
  uint64_t v[INPUTS_COUNT];
  inputs_of(row, v);
  unsigned i = 0;
  while ((1u << i) != input) i++;
  uint8_t value[8], zero = 0, h[PROTO_HASH_BYTES];
  put_be(value, v[i], 8);
  const void *parts[] = {INPUT_PREFIX, row->salt, row->uscc, row->unit, &zero, name, &zero, value};
  size_t lens[] = {sizeof(INPUT_PREFIX) - 1, PROTO_SALT_BYTES, strlen(row->uscc),
                   strlen(row->unit), 1, strlen(name), 1, 8};
  proto_sha256_parts(parts, lens, 8, h);
  (void)proto_hex_encode(h, PROTO_HASH_BYTES, out, 2 * PROTO_HASH_BYTES + 1);
}

/* ---- JSON: inputs as decimal text with up to 6 places ("1234.5"), so no reader rounds them */

static json_t *e6_json(uint64_t v) {
  char text[32];
  unsigned long long whole = (unsigned long long)(v / 1000000u), frac = v % 1000000u;
  if (frac == 0) {
    snprintf(text, sizeof(text), "%llu", whole);
  } else {
    int places = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      places--;
    }
    snprintf(text, sizeof(text), "%llu.%0*llu", whole, places, frac);
  }
  return json_string(text);
}

static int e6_parse(const json_t *v, uint64_t *out) {
  if (!json_is_string(v)) return PROTO_E_JSON_TYPE;
  const char *s = json_string_value(v);
  size_t digits = strspn(s, "0123456789"), n = strlen(s);
  if (digits == 0 || digits > 13) return PROTO_E_BAD_ARGUMENT;
  uint64_t whole = 0, frac = 0;
  for (size_t i = 0; i < digits; i++) whole = whole * 10 + (uint64_t)(s[i] - '0');
  size_t places = 0;
  if (digits < n) {
    if (s[digits] != '.') return PROTO_E_BAD_ARGUMENT;
    places = strspn(s + digits + 1, "0123456789");
    if (places == 0 || places > 6 || digits + 1 + places != n) return PROTO_E_BAD_ARGUMENT;
    for (size_t i = 0; i < places; i++) frac = frac * 10 + (uint64_t)(s[digits + 1 + i] - '0');
  }
  for (size_t i = places; i < 6; i++) frac *= 10;
  *out = whole * 1000000u + frac;
  return 0;
}

static bool set(json_t *obj, const char *key, json_t *value) {
  return value != NULL && json_object_set_new(obj, key, value) == 0;
}

json_t *proto_alloc_row_to_json(const struct proto_alloc_row *row) {
  if (proto_alloc_row_check(row) != 0) return NULL;
  char salt[2 * PROTO_SALT_BYTES + 1];
  (void)proto_hex_encode(row->salt, PROTO_SALT_BYTES, salt, sizeof(salt));
  json_t *o = json_object(), *conf = json_array();
  uint64_t v[INPUTS_COUNT];
  inputs_of(row, v);
  bool ok = o && conf && set(o, "uscc", json_string(row->uscc)) &&
            set(o, "unit", json_string(row->unit)) &&
            set(o, "sector", json_string(proto_sector_name(row->sector))) &&
            set(o, "category", json_integer(row->category)) && set(o, "flags", json_integer(row->flags));
  for (unsigned i = 0; ok && i < INPUTS_COUNT; i++) {
    bool absent = (i == 0 && !(row->present & PROTO_ROW_EMISSIONS)) ||
                  (i == 2 && !(row->present & PROTO_ROW_PREV));
    ok = set(o, input_names[i], absent ? json_null() : e6_json(v[i]));
    if (ok && (row->confidential & (1u << i))) ok = json_array_append_new(conf, json_string(input_names[i])) == 0;
  }
  if (!ok) json_decref(conf); /* not yet owned by o */
  ok = ok && set(o, "confidential", conf) && set(o, "salt", json_string(salt)) &&
       set(o, "pre", json_integer((json_int_t)row->pre)) &&
       set(o, "quota", json_integer((json_int_t)row->quota));
  if (!ok) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static int text_into(const json_t *v, char *dst, size_t max, int too_long) {
  if (!json_is_string(v)) return PROTO_E_JSON_TYPE;
  size_t n = json_string_length(v);
  if (n > max) return too_long;
  memcpy(dst, json_string_value(v), n + 1);
  return strlen(dst) == n ? 0 : PROTO_E_BAD_TEXT;
}

static int small_uint(const json_t *v, uint64_t max, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0) return PROTO_E_JSON_TYPE;
  *out = (uint64_t)json_integer_value(v);
  return *out > max ? PROTO_E_BAD_ARGUMENT : 0;
}

static int row_inputs_from_json(const json_t *obj, struct proto_alloc_row *row) {
  for (unsigned i = 0; i < INPUTS_COUNT; i++) {
    const json_t *v = json_object_get(obj, input_names[i]);
    bool optional = i == 0 || i == 2;
    if (optional && json_is_null(v)) continue;
    int rc = e6_parse(v, input_slot(row, i));
    if (rc) return rc;
    if (i == 0) row->present |= PROTO_ROW_EMISSIONS;
    if (i == 2) row->present |= PROTO_ROW_PREV;
  }
  const json_t *conf = json_object_get(obj, "confidential");
  if (!json_is_array(conf)) return PROTO_E_JSON_TYPE;
  for (size_t k = 0; k < json_array_size(conf); k++) {
    const char *name = json_string_value(json_array_get(conf, k));
    unsigned i = 0;
    while (name && i < INPUTS_COUNT && strcmp(name, input_names[i]) != 0) i++;
    if (!name || i == INPUTS_COUNT) return PROTO_E_BAD_ENUM;
    row->confidential |= (uint8_t)(1u << i);
  }
  return 0;
}

int proto_alloc_row_from_json(const json_t *obj, struct proto_alloc_row *row) {
  static const char *const names[] = {"uscc", "unit", "sector", "category", "flags", "emissions",
                                      "output", "prev_emissions", "supplied_mwh", "heat_gj",
                                      "load_pct", "carbide_slag_rate", "confidential", "salt",
                                      "pre", "quota"};
  memset(row, 0, sizeof(*row));
  if (!json_is_object(obj)) return PROTO_E_JSON_TYPE;
  size_t count = sizeof(names) / sizeof(names[0]), known = 0;
  for (size_t i = 0; i < count; i++) known += json_object_get(obj, names[i]) != NULL;
  if (known != json_object_size(obj)) return PROTO_E_JSON_UNKNOWN;
  if (known != count) return PROTO_E_JSON_MISSING;
  uint64_t cat, flags;
  int rc = text_into(json_object_get(obj, "uscc"), row->uscc, PROTO_USCC_BYTES, PROTO_E_BAD_USCC);
  if (!rc) rc = text_into(json_object_get(obj, "unit"), row->unit, PROTO_UNIT_BYTES_MAX,
                          PROTO_E_FIELD_TOO_LONG);
  if (rc) return rc;
  const char *sector = json_string_value(json_object_get(obj, "sector"));
  row->sector = (uint8_t)(sector ? proto_sector_from_name(sector) : 0);
  if ((rc = small_uint(json_object_get(obj, "category"), 4, &cat)) ||
      (rc = small_uint(json_object_get(obj, "flags"), PROTO_ROW_FLAGS_ALL, &flags)) ||
      (rc = small_uint(json_object_get(obj, "pre"), PROTO_AMOUNT_MAX, &row->pre)) ||
      (rc = small_uint(json_object_get(obj, "quota"), PROTO_AMOUNT_MAX, &row->quota)) ||
      (rc = row_inputs_from_json(obj, row)))
    return rc;
  row->category = (uint8_t)cat;
  row->flags = (uint16_t)flags;
  const char *salt = json_string_value(json_object_get(obj, "salt"));
  if (!salt || strlen(salt) != 2 * PROTO_SALT_BYTES ||
      proto_hex_decode(salt, strlen(salt), row->salt, PROTO_SALT_BYTES) != PROTO_SALT_BYTES)
    return PROTO_E_BAD_HEX;
  return proto_alloc_row_check(row);
}
