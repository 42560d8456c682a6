/* The JSON mapping (jansson) of transactions, envelopes and entries: the same field tables as
 * the binary codec, walked once more. FORMAT.md "JSON mapping" is its specification. */
#include <stdlib.h>
#include <string.h>

#include "proto/internal.h"
#include "proto/proto_json.h"

#define HEX32_CHARS (2 * PROTO_HASH_BYTES)

/* ---------------------------------------------------------------------------------------------
 * tx -> JSON
 * ------------------------------------------------------------------------------------------- */
static json_t *hex_string(const uint8_t *b, size_t n) {
  char text[2 * PROTO_HASH_BYTES + 1];
  if (proto_hex_encode(b, n, text, sizeof(text)) < 0) return NULL;
  return json_string(text);
}

/* JSON integers are int64 in jansson: a u64 above INT64_MAX has no JSON form (NULL). */
static json_t *uint_json(uint64_t v) {
  return v > INT64_MAX ? NULL : json_integer((json_int_t)v);
}

/* json_object_set_new that reports a NULL value (and steals it either way). */
static bool set(json_t *obj, const char *key, json_t *value) {
  return value != NULL && json_object_set_new(obj, key, value) == 0;
}

static json_t *legs_json(const struct proto_settle *s) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < s->legs_count; i++) {
    const struct proto_leg *leg = &s->legs[i];
    json_t *o = json_object();
    bool ok = o && set(o, "from", uint_json(leg->from)) && set(o, "to", uint_json(leg->to)) &&
              set(o, "instrument", json_string(leg->instrument)) &&
              set(o, "amount", uint_json(leg->amount));
    if (!ok) json_decref(o);
    if (!ok || json_array_append_new(arr, o) != 0) { /* append_new frees o when it fails */
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static json_t *keys_json(const struct proto_genesis *g) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < g->operator_keys_count; i++) {
    if (json_array_append_new(arr, hex_string(g->operator_keys[i], PROTO_PUBKEY_BYTES)) != 0) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static json_t *rows_json(const struct proto_alloc_table_rows *t) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < t->rows_count; i++) {
    if (json_array_append_new(arr, proto_alloc_row_to_json(&t->rows[i])) != 0) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

static json_t *field_json(const struct proto_tx *tx, const struct proto_field *f) {
  const uint8_t *p = (const uint8_t *)&tx->u + f->offset;
  if (f->kind == PROTO_F_ENUM) return json_string(f->enum_name((unsigned)proto__field_uint(tx, f)));
  if (proto__uint_width(f->kind)) return uint_json(proto__field_uint(tx, f));
  switch (f->kind) {
  case PROTO_F_TEXT:
  case PROTO_F_ORIGIN:
  case PROTO_F_INSTRUMENT:
  case PROTO_F_USCC:
    return json_string((const char *)p);
  case PROTO_F_BYTES32:
    return hex_string(p, PROTO_HASH_BYTES);
  case PROTO_F_KEYS:
    return keys_json(&tx->u.genesis);
  case PROTO_F_LEGS:
    return legs_json(&tx->u.settle);
  case PROTO_F_DOC: {
    const char *doc;
    memcpy(&doc, p, sizeof(doc));
    return json_string(doc);
  }
  case PROTO_F_ROWS:
    return rows_json(&tx->u.table_rows);
  default:
    return NULL;
  }
}

json_t *proto_tx_to_json(const struct proto_tx *tx) {
  if (proto_tx_validate(tx) != 0) return NULL;
  size_t count = 0;
  const struct proto_field *fields = proto_tx_fields_version(tx->type, tx->version, &count);
  char id[2 * PROTO_ID_BYTES + 1];
  (void)proto_hex_encode(tx->id, PROTO_ID_BYTES, id, sizeof(id));
  json_t *obj = json_object();
  bool ok = obj && set(obj, "type", json_string(proto_tx_type_name(tx->type))) &&
            set(obj, "id", json_string(id));
  /* version 1 has no "version" name, so that its JSON is what it always was */
  if (ok && proto_tx_version(tx) > 1) ok = set(obj, "version", json_integer(proto_tx_version(tx)));
  for (size_t i = 0; ok && i < count; i++) ok = set(obj, fields[i].name, field_json(tx, &fields[i]));
  if (!ok) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

/* ---------------------------------------------------------------------------------------------
 * JSON -> tx
 * ------------------------------------------------------------------------------------------- */

/* A non-negative JSON integer; reals, strings and negatives are the wrong type. */
static int get_uint(const json_t *v, uint64_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0) return PROTO_E_JSON_TYPE;
  *out = (uint64_t)json_integer_value(v);
  return 0;
}

/* A JSON string without an embedded NUL (which would silently shorten the text). */
static int get_string(const json_t *v, const char **s, size_t *len) {
  if (!json_is_string(v)) return PROTO_E_JSON_TYPE;
  *s = json_string_value(v);
  *len = json_string_length(v);
  return strlen(*s) == *len ? 0 : PROTO_E_BAD_TEXT;
}

/* Exactly n bytes as 2n hex digits, either case. */
static int get_hex(const json_t *v, uint8_t *out, size_t n) {
  const char *s;
  size_t len;
  int rc = get_string(v, &s, &len);
  if (rc) return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_HEX : rc;
  if (len != 2 * n) return PROTO_E_BAD_HEX;
  long got = proto_hex_decode(s, len, out, n);
  return got == (long)n ? 0 : PROTO_E_BAD_HEX;
}

/* Copies a string field into a char array of max + 1 bytes; too_long when it cannot fit. */
static int get_text(const json_t *v, char *dst, size_t max, int too_long) {
  const char *s;
  size_t len;
  int rc = get_string(v, &s, &len);
  if (rc) return rc;
  if (len > max) return too_long;
  memcpy(dst, s, len + 1);
  return 0;
}

static int get_uint_field(const json_t *v, const struct proto_field *f, uint8_t *p) {
  uint64_t x;
  int rc = get_uint(v, &x);
  if (rc) return rc;
  size_t width = proto__uint_width(f->kind);
  if (width < 8 && x >> (8 * width) != 0) {
    /* too wide to store: the field's own range error (its max is below the width's) */
    return f->kind == PROTO_F_YEAR       ? PROTO_E_BAD_YEAR
           : f->kind == PROTO_F_PROVINCE  ? PROTO_E_BAD_PROVINCE
           : f->kind == PROTO_F_LEG_COUNT ? PROTO_E_TOO_MANY_LEGS
                                          : PROTO_E_BAD_ARGUMENT;
  }
  uint8_t v8 = (uint8_t)x;
  uint16_t v16 = (uint16_t)x;
  if (width == 1) memcpy(p, &v8, 1);
  else if (width == 2) memcpy(p, &v16, 2);
  else memcpy(p, &x, 8);
  return 0;
}

static int get_enum(const json_t *v, const struct proto_field *f, uint8_t *p) {
  const char *s;
  size_t len;
  int rc = get_string(v, &s, &len);
  if (rc) return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_ENUM : rc;
  /* from_name answers 0 both for "unknown" and for a real value 0 (sector "none") */
  unsigned x = f->enum_from_name(s);
  const char *name = f->enum_name(x);
  if (!name || strcmp(name, s) != 0 || x > 255) return PROTO_E_BAD_ENUM;
  *p = (uint8_t)x;
  return 0;
}

static int get_keys(const json_t *v, struct proto_genesis *g, const struct proto_field *f) {
  if (!json_is_array(v)) return PROTO_E_JSON_TYPE;
  size_t n = json_array_size(v);
  if (n > f->max) return PROTO_E_FIELD_TOO_LONG;
  for (size_t i = 0; i < n; i++) {
    int rc = get_hex(json_array_get(v, i), g->operator_keys[i], PROTO_PUBKEY_BYTES);
    if (rc) return rc;
  }
  g->operator_keys_count = (uint8_t)n;
  return 0;
}

/* An object holding exactly the names listed (NULL-terminated). */
static int check_names(const json_t *obj, const char *const *names, const char **where) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)obj, key, value) {
    bool known = false;
    for (size_t i = 0; names[i] && !known; i++) known = strcmp(names[i], key) == 0;
    if (!known) {
      *where = key;
      return PROTO_E_JSON_UNKNOWN;
    }
  }
  for (size_t i = 0; names[i]; i++) {
    if (!json_object_get(obj, names[i])) {
      *where = names[i];
      return PROTO_E_JSON_MISSING;
    }
  }
  return 0;
}

static int get_leg(const json_t *o, struct proto_leg *leg) {
  static const char *const names[] = {"from", "to", "instrument", "amount", NULL};
  const char *where;
  if (!json_is_object(o)) return PROTO_E_JSON_TYPE;
  int rc = check_names(o, names, &where);
  if (!rc) rc = get_uint(json_object_get(o, "from"), &leg->from);
  if (!rc) rc = get_uint(json_object_get(o, "to"), &leg->to);
  if (!rc)
    rc = get_text(json_object_get(o, "instrument"), leg->instrument, PROTO_INSTRUMENT_BYTES,
                  PROTO_E_BAD_INSTRUMENT_CODE);
  if (!rc) rc = get_uint(json_object_get(o, "amount"), &leg->amount);
  return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_INSTRUMENT_CODE : rc;
}

static int get_legs(const json_t *v, struct proto_settle *s) {
  if (!json_is_array(v)) return PROTO_E_JSON_TYPE;
  size_t n = json_array_size(v);
  if (n < 1 || n > PROTO_LEGS_MAX) return PROTO_E_TOO_MANY_LEGS;
  s->legs = calloc(n, sizeof(*s->legs));
  if (!s->legs) return PROTO_E_NO_MEMORY;
  s->legs_count = (uint16_t)n;
  for (size_t i = 0; i < n; i++) {
    int rc = get_leg(json_array_get(v, i), &s->legs[i]);
    if (rc) return rc;
  }
  return 0;
}

static int get_rows(const json_t *v, struct proto_alloc_table_rows *t, const struct proto_field *f) {
  if (!json_is_array(v)) return PROTO_E_JSON_TYPE;
  size_t n = json_array_size(v);
  if (n < f->min || n > f->max) return PROTO_E_FIELD_TOO_LONG;
  t->rows = calloc(n, sizeof(*t->rows));
  if (!t->rows) return PROTO_E_NO_MEMORY;
  t->rows_count = (uint16_t)n;
  for (size_t i = 0; i < n; i++) {
    int rc = proto_alloc_row_from_json(json_array_get(v, i), &t->rows[i]);
    if (rc) return rc;
  }
  return 0;
}

static int get_doc(const json_t *v, uint8_t *p) {
  const char *s;
  size_t len;
  int rc = get_string(v, &s, &len);
  if (rc) return rc;
  char *doc = malloc(len + 1);
  if (!doc) return PROTO_E_NO_MEMORY;
  memcpy(doc, s, len + 1);
  memcpy(p, &doc, sizeof(doc));
  return 0;
}

static int get_field(const json_t *v, struct proto_tx *tx, const struct proto_field *f) {
  uint8_t *p = (uint8_t *)&tx->u + f->offset;
  int rc;
  switch (f->kind) {
  case PROTO_F_ENUM:
    return get_enum(v, f, p);
  case PROTO_F_TEXT:
    return get_text(v, (char *)p, (size_t)f->max, PROTO_E_FIELD_TOO_LONG);
  case PROTO_F_ORIGIN:
    rc = get_text(v, (char *)p, PROTO_ORIGIN_BYTES_MAX, PROTO_E_BAD_ORIGIN);
    return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_ORIGIN : rc;
  case PROTO_F_INSTRUMENT:
    rc = get_text(v, (char *)p, PROTO_INSTRUMENT_BYTES, PROTO_E_BAD_INSTRUMENT_CODE);
    return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_INSTRUMENT_CODE : rc;
  case PROTO_F_USCC:
    rc = get_text(v, (char *)p, PROTO_USCC_BYTES, PROTO_E_BAD_USCC);
    return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_USCC : rc;
  case PROTO_F_BYTES32:
    return get_hex(v, p, PROTO_HASH_BYTES);
  case PROTO_F_KEYS:
    return get_keys(v, &tx->u.genesis, f);
  case PROTO_F_LEGS:
    return get_legs(v, &tx->u.settle);
  case PROTO_F_DOC:
    return get_doc(v, p);
  case PROTO_F_ROWS:
    return get_rows(v, &tx->u.table_rows, f);
  default:
    return get_uint_field(v, f, p);
  }
}

/* The optional "version" (1 when absent), a layout the type has. */
static int get_version(const json_t *obj, struct proto_tx *tx, const char **where) {
  const json_t *v = json_object_get(obj, "version");
  *where = "version";
  uint64_t version = 1;
  if (v && get_uint(v, &version)) return PROTO_E_JSON_TYPE;
  if (version < 1 || version > PROTO_BODY_VERSION_MAX ||
      !proto_tx_fields_version(tx->type, (unsigned)version, NULL))
    return PROTO_E_BAD_VERSION;
  tx->version = (uint8_t)version;
  return 0;
}

/* "type", "id" and "version", then no name the type's table lacks. */
static int get_header(const json_t *obj, struct proto_tx *tx, const char **where) {
  *where = "type";
  const json_t *type = json_object_get(obj, "type");
  if (!type) return PROTO_E_JSON_MISSING;
  if (!json_is_string(type)) return PROTO_E_JSON_TYPE;
  unsigned t = proto_tx_type_from_name(json_string_value(type));
  if (t == 0) return PROTO_E_UNKNOWN_TYPE;
  tx->type = (uint8_t)t;
  *where = "id";
  const json_t *id = json_object_get(obj, "id");
  if (!id) return PROTO_E_JSON_MISSING;
  int rc = get_hex(id, tx->id, PROTO_ID_BYTES);
  if (!rc) rc = get_version(obj, tx, where);
  if (rc) return rc;
  size_t count = 0;
  const struct proto_field *fields = proto_tx_fields_version(t, tx->version, &count);
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)obj, key, value) {
    bool known = !strcmp(key, "type") || !strcmp(key, "id") || !strcmp(key, "version");
    for (size_t i = 0; i < count && !known; i++) known = strcmp(fields[i].name, key) == 0;
    if (!known) {
      *where = key;
      return PROTO_E_JSON_UNKNOWN;
    }
  }
  return 0;
}

static int tx_from_json(const json_t *obj, struct proto_tx *tx, const char **where) {
  *where = NULL;
  if (!json_is_object(obj)) return PROTO_E_JSON_TYPE;
  int rc = get_header(obj, tx, where);
  if (rc) return rc;
  size_t count = 0;
  const struct proto_field *fields = proto_tx_fields_version(tx->type, tx->version, &count);
  for (size_t i = 0; i < count; i++) {
    const struct proto_field *f = &fields[i];
    const json_t *v = json_object_get(obj, f->name);
    *where = f->name;
    bool optional = (f->kind == PROTO_F_TEXT || f->kind == PROTO_F_USCC) && f->min == 0;
    if (!v && !optional) return PROTO_E_JSON_MISSING;
    if (v && (rc = get_field(v, tx, f))) return rc;
    if ((rc = proto__field_check(tx, f))) return rc;
  }
  *where = NULL;
  return proto__rules_check(tx, where);
}

int proto_tx_from_json(const json_t *obj, struct proto_tx *tx, const char **where) {
  const char *blame = NULL;
  memset(tx, 0, sizeof(*tx));
  int rc = tx_from_json(obj, tx, &blame);
  if (rc) {
    proto_tx_free(tx);
    memset(tx, 0, sizeof(*tx));
  }
  if (where) *where = rc ? blame : NULL;
  return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Envelopes and entries
 * ------------------------------------------------------------------------------------------- */
static json_t *base64_string(const uint8_t *b, size_t n) {
  size_t cap = (n + 2) / 3 * 4 + 1;
  char *text = malloc(cap);
  if (!text) return NULL;
  json_t *s = proto_base64_encode(b, n, text, cap) < 0 ? NULL : json_string(text);
  free(text);
  return s;
}

static json_t *sigs_json(const struct proto_sig *sigs, size_t count) {
  json_t *arr = json_array();
  for (size_t i = 0; arr && i < count; i++) {
    json_t *o = json_object();
    bool ok = o && set(o, "key", base64_string(sigs[i].key_hash, PROTO_HASH_BYTES)) &&
              set(o, "sig", base64_string(sigs[i].sig, PROTO_SIG_BYTES));
    if (!ok) json_decref(o);
    if (!ok || json_array_append_new(arr, o) != 0) { /* append_new frees o when it fails */
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

json_t *proto_envelope_to_json(const struct proto_envelope *env) {
  json_t *obj = json_object();
  bool ok = obj && set(obj, "body", base64_string(env->body, env->body_len)) &&
            set(obj, "signatures", sigs_json(env->sigs, env->sigs_count));
  if (!ok) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

/* Base64 text that must decode to exactly n bytes. */
static int get_base64(const json_t *v, uint8_t *out, size_t n) {
  const char *s;
  size_t len;
  uint8_t extra[PROTO_SIG_BYTES + 3];
  int rc = get_string(v, &s, &len);
  if (rc) return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_BASE64 : rc;
  if (n > PROTO_SIG_BYTES) return PROTO_E_BAD_ARGUMENT;
  long got = proto_base64_decode(s, len, extra, sizeof(extra));
  if (got < 0) return (int)got == PROTO_E_FIELD_TOO_LONG ? PROTO_E_BAD_BASE64 : (int)got;
  if ((size_t)got != n) return PROTO_E_BAD_BASE64;
  memcpy(out, extra, n);
  return 0;
}

static int get_sigs(const json_t *arr, struct proto_envelope *env) {
  static const char *const names[] = {"key", "sig", NULL};
  if (!json_is_array(arr)) return PROTO_E_JSON_TYPE;
  size_t n = json_array_size(arr);
  if (n == 0) return PROTO_E_NO_SIGNATURES;
  if (n > PROTO_SIGS_MAX) return PROTO_E_TOO_MANY_SIGNATURES;
  for (size_t i = 0; i < n; i++) {
    const json_t *o = json_array_get(arr, i);
    const char *where;
    if (!json_is_object(o)) return PROTO_E_JSON_TYPE;
    int rc = check_names(o, names, &where);
    if (!rc) rc = get_base64(json_object_get(o, "key"), env->sigs[i].key_hash, PROTO_HASH_BYTES);
    if (!rc) rc = get_base64(json_object_get(o, "sig"), env->sigs[i].sig, PROTO_SIG_BYTES);
    if (rc) return rc;
    for (size_t k = 0; k < i; k++) {
      if (memcmp(env->sigs[k].key_hash, env->sigs[i].key_hash, PROTO_HASH_BYTES) == 0)
        return PROTO_E_DUPLICATE_SIGNER;
    }
  }
  env->sigs_count = (uint8_t)n;
  return 0;
}

static int envelope_from_json(const json_t *obj, struct proto_envelope *env, uint8_t *body_buf,
                              size_t cap) {
  static const char *const names[] = {"body", "signatures", NULL};
  const char *where, *s;
  size_t len;
  if (!json_is_object(obj)) return PROTO_E_JSON_TYPE;
  int rc = check_names(obj, names, &where);
  if (rc) return rc;
  rc = get_string(json_object_get(obj, "body"), &s, &len);
  if (rc) return rc == PROTO_E_BAD_TEXT ? PROTO_E_BAD_BASE64 : rc;
  long n = proto_base64_decode(s, len, body_buf, cap);
  if (n < 0) return (int)n;
  if ((size_t)n > PROTO_BODY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  env->body = body_buf;
  env->body_len = (uint16_t)n;
  return get_sigs(json_object_get(obj, "signatures"), env);
}

int proto_envelope_from_json(const json_t *obj, struct proto_envelope *env, uint8_t *body_buf,
                             size_t cap) {
  memset(env, 0, sizeof(*env));
  int rc = envelope_from_json(obj, env, body_buf, cap);
  if (rc) memset(env, 0, sizeof(*env));
  return rc;
}

static json_t *entry_json(const uint8_t *leaf, size_t len, const struct proto_entry *e,
                          const struct proto_envelope *env, const struct proto_tx *tx) {
  json_t *obj = json_object();
  bool ok = obj && set(obj, "index", uint_json(e->index)) &&
            set(obj, "time_ms", uint_json(e->time_ms)) &&
            set(obj, "withheld", uint_json(e->withheld)) &&
            set(obj, "leaf", base64_string(leaf, len)) && set(obj, "tx", proto_tx_to_json(tx)) &&
            set(obj, "signatures", sigs_json(env->sigs, env->sigs_count));
  if (!ok) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

json_t *proto_entry_to_json(const uint8_t *leaf, size_t len) {
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  if (proto_entry_decode(leaf, len, &e) != 0) return NULL;
  if (proto_envelope_decode(e.envelope, e.envelope_len, &env) != 0) return NULL;
  if (proto_tx_decode(env.body, env.body_len, &tx) != 0) return NULL;
  json_t *obj = entry_json(leaf, len, &e, &env, &tx);
  proto_tx_free(&tx);
  return obj;
}
