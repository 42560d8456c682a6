/* The canonical binary codec: one generic walker over the per-type field tables (transaction
 * bodies), plus envelopes, entries and the signing message. proto/FORMAT.md is its specification.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/internal.h"
#include "proto/proto.h"

#define SIGNING_PREFIX "quotad/tx/v1\n"
#define SIGNING_PREFIX_BYTES (sizeof(SIGNING_PREFIX) - 1)
#define BODY_HEADER_BYTES 20u /* version, type, reserved u16, id[16] */
#define LEG_BYTES 40u         /* from u64, to u64, instrument[16], amount u64 */

/* ---------------------------------------------------------------------------------------------
 * Byte cursors. The writer records its first error and ignores later writes, so encoders read
 * straight through and check once at the end.
 * ------------------------------------------------------------------------------------------- */
struct writer {
  uint8_t *p;
  size_t cap;
  size_t len;
  int err;
};

struct reader {
  const uint8_t *p;
  size_t len;
  size_t pos;
};

static void put_bytes(struct writer *w, const void *src, size_t n) {
  if (w->err) return;
  if (n > w->cap - w->len) {
    w->err = PROTO_E_FIELD_TOO_LONG;
    return;
  }
  if (n) memcpy(w->p + w->len, src, n);
  w->len += n;
}

static void put_zero(struct writer *w, size_t n) {
  static const uint8_t zeros[PROTO_USCC_BYTES] = {0};
  PROTO_ASSERT(n <= sizeof(zeros));
  put_bytes(w, zeros, n);
}

/* Big-endian, width 1, 2 or 8. */
static void put_uint(struct writer *w, uint64_t v, size_t width) {
  uint8_t b[8];
  PROTO_ASSERT(width == 1 || width == 2 || width == 8);
  for (size_t i = 0; i < width; i++) b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
  put_bytes(w, b, width);
}

static int get_bytes(struct reader *r, size_t n, const uint8_t **out) {
  if (n > r->len - r->pos) return PROTO_E_TRUNCATED;
  *out = r->p + r->pos;
  r->pos += n;
  return 0;
}

static int get_uint(struct reader *r, size_t width, uint64_t *v) {
  const uint8_t *b;
  int rc = get_bytes(r, width, &b);
  if (rc) return rc;
  uint64_t x = 0;
  for (size_t i = 0; i < width; i++) x = x << 8 | b[i];
  *v = x;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Field values inside the struct. Every table offset is relative to the union, whose members
 * all start at its address.
 * ------------------------------------------------------------------------------------------- */
size_t proto__uint_width(uint8_t kind) {
  switch (kind) {
  case PROTO_F_U8:
  case PROTO_F_ENUM:
  case PROTO_F_PROVINCE:
    return 1;
  case PROTO_F_U16:
  case PROTO_F_YEAR:
  case PROTO_F_LEG_COUNT:
    return 2;
  case PROTO_F_U64:
  case PROTO_F_AMOUNT:
  case PROTO_F_ACCOUNT:
    return 8;
  default:
    return 0;
  }
}

static const uint8_t *field_ptr(const struct proto_tx *tx, const struct proto_field *f) {
  return (const uint8_t *)&tx->u + f->offset;
}

static uint8_t *field_ptr_mut(struct proto_tx *tx, const struct proto_field *f) {
  return (uint8_t *)&tx->u + f->offset;
}

/* The struct member is a uint8_t, uint16_t or uint64_t of that width; memcpy because the
 * table gives an offset, not a typed pointer. */
static uint64_t uint_get(const uint8_t *p, size_t width) {
  uint8_t v8;
  uint16_t v16;
  uint64_t v64;
  switch (width) {
  case 1:
    memcpy(&v8, p, 1);
    return v8;
  case 2:
    memcpy(&v16, p, 2);
    return v16;
  default:
    PROTO_ASSERT(width == 8);
    memcpy(&v64, p, 8);
    return v64;
  }
}

uint64_t proto__field_uint(const struct proto_tx *tx, const struct proto_field *f) {
  size_t width = proto__uint_width(f->kind);
  PROTO_ASSERT(width != 0);
  return uint_get(field_ptr(tx, f), width);
}

static void uint_set(uint8_t *p, size_t width, uint64_t v) {
  uint8_t v8 = (uint8_t)v;
  uint16_t v16 = (uint16_t)v;
  if (width == 1) memcpy(p, &v8, 1);
  else if (width == 2) memcpy(p, &v16, 2);
  else memcpy(p, &v, 8);
}

/* ---------------------------------------------------------------------------------------------
 * Value checks, shared by validate (on a struct) and decode (right after each field is read).
 * ------------------------------------------------------------------------------------------- */

/* Code points that would make a name read differently from what it is: the C1 controls
 * (U+0080..009F) and the bidirectional embeddings, overrides and isolates (U+202A..202E,
 * U+2066..2069), which reorder the text shown around them ("Plant\u202e..." shows reversed). */
static bool text_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

/* Transaction text: strict UTF-8 (proto_utf8_next) without C0 controls or DEL, so that text
 * shows the same everywhere and has a single encoding (BAD_TEXT); then no C1 or bidi control
 * (TEXT_CONTROL). A document (lines: a scheme file) may also hold line feeds and tabs, never CR,
 * so that it too has one encoding. Returns 0 or the code. */
static int utf8_check_lines(const uint8_t *s, size_t n, bool lines) {
  for (size_t i = 0; i < n;) {
    uint32_t cp = 0;
    size_t k = proto_utf8_next(s + i, n - i, &cp);
    bool line_char = lines && (cp == '\n' || cp == '\t');
    if (k == 0 || (cp < 0x20 && !line_char) || cp == 0x7F) return PROTO_E_BAD_TEXT;
    if (text_control(cp)) return PROTO_E_TEXT_CONTROL;
    i += k;
  }
  return 0;
}

static int utf8_check(const uint8_t *s, size_t n) { return utf8_check_lines(s, n, false); }

static int check_doc(const char *s, const struct proto_field *f) {
  if (!s) return f->min ? PROTO_E_EMPTY_FIELD : 0;
  size_t n = strnlen(s, (size_t)f->max + 1);
  if (n > f->max) return PROTO_E_FIELD_TOO_LONG;
  if (n == 0 && f->min >= 1) return PROTO_E_EMPTY_FIELD;
  return utf8_check_lines((const uint8_t *)s, n, true);
}

static int check_rows(const struct proto_alloc_table_rows *t, const struct proto_field *f) {
  if (t->rows_count < f->min || t->rows_count > f->max) return PROTO_E_FIELD_TOO_LONG;
  if (!t->rows) return PROTO_E_BAD_ARGUMENT;
  for (size_t i = 0; i < t->rows_count; i++) {
    int rc = proto_alloc_row_check(&t->rows[i]);
    if (rc) return rc;
  }
  return 0;
}

static int check_text(const char *s, const struct proto_field *f) {
  size_t n = strnlen(s, (size_t)f->max + 1);
  if (n > f->max) return PROTO_E_FIELD_TOO_LONG;
  if (n == 0 && f->min >= 1) return PROTO_E_EMPTY_FIELD;
  return utf8_check((const uint8_t *)s, n);
}

int proto__origin_check(const char *s) {
  if (!s) return PROTO_E_BAD_ORIGIN;
  size_t n = strnlen(s, PROTO_ORIGIN_BYTES_MAX + 1);
  if (n == 0 || n > PROTO_ORIGIN_BYTES_MAX) return PROTO_E_BAD_ORIGIN;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < 0x21 || s[i] > 0x7E) return PROTO_E_BAD_ORIGIN;
  }
  return 0;
}

int proto__instrument_check(const char *s) {
  size_t n = strnlen(s, PROTO_INSTRUMENT_BYTES + 1);
  if (n == 0 || n > PROTO_INSTRUMENT_BYTES) return PROTO_E_BAD_INSTRUMENT_CODE;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return PROTO_E_BAD_INSTRUMENT_CODE;
  }
  return 0;
}

static int check_amount(uint64_t v, uint64_t min) {
  if (v < min) return PROTO_E_ZERO_AMOUNT;
  if (v > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  return 0;
}

int proto__leg_check(const struct proto_leg *leg) {
  if (leg->from == 0 || leg->to == 0) return PROTO_E_BAD_ARGUMENT;
  int rc = proto__instrument_check(leg->instrument);
  if (rc) return rc;
  rc = check_amount(leg->amount, 1);
  if (rc) return rc;
  return leg->from == leg->to ? PROTO_E_SAME_ACCOUNT : 0;
}

static int check_legs(const struct proto_settle *s) {
  if (s->legs_count < 1 || s->legs_count > PROTO_LEGS_MAX) return PROTO_E_TOO_MANY_LEGS;
  if (!s->legs) return PROTO_E_BAD_ARGUMENT;
  for (size_t i = 0; i < s->legs_count; i++) {
    int rc = proto__leg_check(&s->legs[i]);
    if (rc) return rc;
  }
  return 0;
}

static int check_uint(const struct proto_field *f, uint64_t v) {
  switch (f->kind) {
  case PROTO_F_AMOUNT:
    return check_amount(v, f->min);
  case PROTO_F_YEAR:
    return v < f->min || v > f->max ? PROTO_E_BAD_YEAR : 0;
  case PROTO_F_ENUM:
    return f->enum_name((unsigned)v) ? 0 : PROTO_E_BAD_ENUM;
  case PROTO_F_PROVINCE:
    return proto_province_valid((unsigned)v) || (v == 0 && f->min == 0) ? 0 : PROTO_E_BAD_PROVINCE;
  case PROTO_F_LEG_COUNT:
    return v < f->min || v > f->max ? PROTO_E_TOO_MANY_LEGS : 0;
  default: /* U8, U16, U64, ACCOUNT: the table's range; account ids are never 0 */
    return v < f->min || v > f->max ? PROTO_E_BAD_ARGUMENT : 0;
  }
}

int proto__field_check(const struct proto_tx *tx, const struct proto_field *f) {
  const uint8_t *p = field_ptr(tx, f);
  size_t width = proto__uint_width(f->kind);
  if (width) return check_uint(f, uint_get(p, width));
  switch (f->kind) {
  case PROTO_F_TEXT:
    return check_text((const char *)p, f);
  case PROTO_F_ORIGIN:
    return proto__origin_check((const char *)p);
  case PROTO_F_INSTRUMENT:
    return proto__instrument_check((const char *)p);
  case PROTO_F_USCC: {
    size_t n = strnlen((const char *)p, PROTO_USCC_BYTES + 1);
    if (n == 0) return f->min ? PROTO_E_EMPTY_FIELD : 0;
    return proto_uscc_check((const char *)p, n, NULL);
  }
  case PROTO_F_BYTES32:
  case PROTO_F_ID:
    return 0;
  case PROTO_F_KEYS: {
    uint8_t count = tx->u.genesis.operator_keys_count;
    if (count < f->min) return PROTO_E_EMPTY_FIELD;
    return count > f->max ? PROTO_E_FIELD_TOO_LONG : 0;
  }
  case PROTO_F_LEGS:
    return check_legs(&tx->u.settle);
  case PROTO_F_DOC: {
    const char *doc;
    memcpy(&doc, p, sizeof(doc));
    return check_doc(doc, f);
  }
  case PROTO_F_ROWS:
    return check_rows(&tx->u.table_rows, f);
  default:
    return PROTO_E_BAD_ARGUMENT;
  }
}

/* The rules that tie two fields of one type together. */
/* Returns rc after naming the field it blames. */
static int blame(const char **field, const char *name, int rc) {
  *field = name;
  return rc;
}

static int check_account_kind(const struct proto_account *a, const char **field) {
  bool has_uscc = a->uscc[0] != '\0';
  bool has_sector = a->sector != PROTO_SECTOR_NONE;
  switch (a->kind) {
  case PROTO_ACCOUNT_ENTERPRISE:
    if (!has_uscc) return blame(field, "uscc", PROTO_E_EMPTY_FIELD);
    if (!has_sector) return blame(field, "sector", PROTO_E_BAD_ENUM);
    if (!proto_province_valid(a->province)) return blame(field, "province", PROTO_E_BAD_PROVINCE);
    return 0;
  case PROTO_ACCOUNT_PROVINCIAL:
  case PROTO_ACCOUNT_PARTICIPANT:
    if (has_uscc) return blame(field, "uscc", PROTO_E_FIELD_NONZERO);
    if (has_sector) return blame(field, "sector", PROTO_E_FIELD_NONZERO);
    /* a participant may have province 0: the field check already allowed 0 or a valid code */
    if (a->kind == PROTO_ACCOUNT_PROVINCIAL && !proto_province_valid(a->province))
      return blame(field, "province", PROTO_E_BAD_PROVINCE);
    return 0;
  default: /* national accounts come from the genesis only */
    return blame(field, "kind", PROTO_E_BAD_ENUM);
  }
}

static int check_genesis_keys(const struct proto_genesis *g) {
  for (size_t i = 0; i < g->operator_keys_count; i++) {
    for (size_t k = i + 1; k < g->operator_keys_count; k++) {
      if (memcmp(g->operator_keys[i], g->operator_keys[k], PROTO_PUBKEY_BYTES) == 0)
        return PROTO_E_DUPLICATE_SIGNER;
    }
  }
  return 0;
}

/* A balance value: digits, optionally a point and 1..18 digits, no sign, no leading zero
 * before another digit, not zero; empty exactly when the kind is none. */
static int check_bp(const struct proto_alloc_table_open *t) {
  const char *s = t->bp;
  size_t n = strlen(s);
  if (t->bp_kind == PROTO_BP_NONE) return n == 0 ? 0 : PROTO_E_FIELD_NONZERO;
  if (n == 0) return PROTO_E_EMPTY_FIELD;
  size_t digits = strspn(s, "0123456789");
  if (digits == 0 || (digits > 1 && s[0] == '0')) return PROTO_E_BAD_ARGUMENT;
  bool nonzero = strspn(s, "0.") != n;
  if (digits == n) return nonzero ? 0 : PROTO_E_BAD_ARGUMENT;
  size_t places = strspn(s + digits + 1, "0123456789");
  if (s[digits] != '.' || places == 0 || places > 18 || digits + 1 + places != n)
    return PROTO_E_BAD_ARGUMENT;
  return nonzero ? 0 : PROTO_E_BAD_ARGUMENT;
}

static int check_table_tx(const struct proto_tx *tx, const char **field) {
  if (tx->type == PROTO_TX_ALLOC_TABLE_OPEN) {
    *field = "bp";
    return check_bp(&tx->u.table_open);
  }
  const struct proto_alloc_table_rows *r = &tx->u.table_rows;
  *field = "rows";
  return r->first_row + r->rows_count > PROTO_TABLE_ROWS_TOTAL_MAX ? PROTO_E_BAD_RANGE : 0;
}

static int check_carry_rule(const struct proto_carry_over_rule *r, const char **field) {
  if (r->vintage_from > r->vintage_to) return blame(field, "vintage_to", PROTO_E_BAD_RANGE);
  if (r->window_start_ms > r->window_end_ms) return blame(field, "window_end_ms", PROTO_E_BAD_RANGE);
  /* bit 0 would be sector none */
  return r->sectors & ~PROTO_CARRY_SECTORS_ALL ? blame(field, "sectors", PROTO_E_RESERVED_NONZERO) : 0;
}

/* deduct version 2: a shortfall has an amount and no percent, a fraud the reverse. */
static int check_deduct_v2(const struct proto_movement *m, const char **field) {
  if (m->kind == PROTO_DEDUCT_SHORTFALL) {
    if (m->amount == 0) return blame(field, "amount", PROTO_E_ZERO_AMOUNT);
    return m->percent ? blame(field, "percent", PROTO_E_FIELD_NONZERO) : 0;
  }
  if (m->amount != 0) return blame(field, "amount", PROTO_E_FIELD_NONZERO);
  bool in_range = m->percent >= PROTO_FRAUD_PERCENT_MIN && m->percent <= PROTO_FRAUD_PERCENT_MAX;
  return in_range ? 0 : blame(field, "percent", PROTO_E_BAD_ARGUMENT);
}

int proto__rules_check(const struct proto_tx *tx, const char **where) {
  const char *field = NULL;
  int rc = 0;
  switch (tx->type) {
  case PROTO_TX_ALLOC_TABLE_OPEN:
  case PROTO_TX_ALLOC_TABLE_ROWS:
    rc = check_table_tx(tx, &field);
    break;
  case PROTO_TX_GENESIS:
    field = "operator_keys";
    rc = check_genesis_keys(&tx->u.genesis);
    break;
  case PROTO_TX_ACCOUNT_OPEN:
  case PROTO_TX_ACCOUNT_UPDATE:
    rc = check_account_kind(&tx->u.account, &field);
    break;
  case PROTO_TX_INSTRUMENT_CREATE:
    field = "last_year";
    rc = tx->u.instrument.last_year < tx->u.instrument.first_year ? PROTO_E_BAD_RANGE : 0;
    break;
  case PROTO_TX_CARRY_OVER:
    field = "window_end_ms";
    rc = tx->u.carry_over.window_start_ms > tx->u.carry_over.window_end_ms ? PROTO_E_BAD_RANGE : 0;
    break;
  case PROTO_TX_CARRY_OVER_RULE:
    rc = check_carry_rule(&tx->u.carry_over_rule, &field);
    break;
  case PROTO_TX_DEDUCT:
    if (proto_tx_version(tx) == 2) rc = check_deduct_v2(&tx->u.move, &field);
    break;
  case PROTO_TX_ALLOCATE:
  case PROTO_TX_CLAWBACK:
  case PROTO_TX_TRANSFER:
    field = "to";
    rc = tx->u.move.from == tx->u.move.to ? PROTO_E_SAME_ACCOUNT : 0;
    break;
  default:
    break;
  }
  if (rc && where) *where = field;
  return rc;
}

int proto_tx_validate(const struct proto_tx *tx) {
  size_t count = 0;
  if (!proto_tx_fields(tx->type, NULL)) return PROTO_E_UNKNOWN_TYPE;
  const struct proto_field *fields = proto_tx_fields_version(tx->type, tx->version, &count);
  if (!fields) return PROTO_E_BAD_VERSION;
  for (size_t i = 0; i < count; i++) {
    int rc = proto__field_check(tx, &fields[i]);
    if (rc) return rc;
  }
  return proto__rules_check(tx, NULL);
}

/* ---------------------------------------------------------------------------------------------
 * Transaction body
 * ------------------------------------------------------------------------------------------- */
static void put_instrument(struct writer *w, const char *code) {
  size_t n = strnlen(code, PROTO_INSTRUMENT_BYTES);
  put_bytes(w, code, n);
  put_zero(w, PROTO_INSTRUMENT_BYTES - n);
}

static void put_legs(struct writer *w, const struct proto_settle *s) {
  put_uint(w, s->legs_count, 2);
  for (size_t i = 0; i < s->legs_count; i++) {
    put_uint(w, s->legs[i].from, 8);
    put_uint(w, s->legs[i].to, 8);
    put_instrument(w, s->legs[i].instrument);
    put_uint(w, s->legs[i].amount, 8);
  }
}

static void put_rows(struct writer *w, const struct proto_alloc_table_rows *t) {
  uint8_t row[PROTO_ROW_BYTES_MAX];
  put_uint(w, t->rows_count, 2);
  for (size_t i = 0; i < t->rows_count; i++) {
    long n = proto_alloc_row_encode(&t->rows[i], row, sizeof(row));
    if (n < 0) {
      w->err = w->err ? w->err : (int)n;
      return;
    }
    put_bytes(w, row, (size_t)n);
  }
}

/* Writes one field of a validated tx. */
static void put_field(struct writer *w, const struct proto_tx *tx, const struct proto_field *f) {
  const uint8_t *p = field_ptr(tx, f);
  size_t width = proto__uint_width(f->kind);
  if (width) {
    put_uint(w, uint_get(p, width), width);
    return;
  }
  switch (f->kind) {
  case PROTO_F_TEXT:
  case PROTO_F_ORIGIN: {
    size_t n = strlen((const char *)p);
    put_uint(w, n, 2);
    put_bytes(w, p, n);
    break;
  }
  case PROTO_F_INSTRUMENT:
    put_instrument(w, (const char *)p);
    break;
  case PROTO_F_USCC:
    if (p[0] == '\0') put_zero(w, PROTO_USCC_BYTES);
    else put_bytes(w, p, PROTO_USCC_BYTES);
    break;
  case PROTO_F_BYTES32:
    put_bytes(w, p, PROTO_HASH_BYTES);
    break;
  case PROTO_F_ID:
    put_bytes(w, p, PROTO_ID_BYTES);
    break;
  case PROTO_F_KEYS:
    put_uint(w, tx->u.genesis.operator_keys_count, 1);
    put_bytes(w, tx->u.genesis.operator_keys,
              (size_t)tx->u.genesis.operator_keys_count * PROTO_PUBKEY_BYTES);
    break;
  case PROTO_F_LEGS:
    put_legs(w, &tx->u.settle);
    break;
  case PROTO_F_DOC: {
    const char *doc;
    memcpy(&doc, p, sizeof(doc));
    size_t n = strlen(doc);
    put_uint(w, n, 2);
    put_bytes(w, doc, n);
    break;
  }
  case PROTO_F_ROWS:
    put_rows(w, &tx->u.table_rows);
    break;
  default:
    w->err = w->err ? w->err : PROTO_E_BAD_ARGUMENT;
  }
}

long proto_tx_encode(const struct proto_tx *tx, uint8_t *out, size_t cap) {
  int rc = proto_tx_validate(tx);
  if (rc) return rc;
  size_t count = 0;
  const struct proto_field *fields = proto_tx_fields_version(tx->type, tx->version, &count);
  struct writer w = {out, cap, 0, 0};
  put_uint(&w, proto_tx_version(tx), 1);
  put_uint(&w, tx->type, 1);
  put_uint(&w, 0, 2);
  put_bytes(&w, tx->id, PROTO_ID_BYTES);
  for (size_t i = 0; i < count; i++) put_field(&w, tx, &fields[i]);
  if (w.err) return w.err;
  PROTO_ASSERT(w.len >= BODY_HEADER_BYTES && w.len <= cap);
  /* The largest valid body (1000 legs) is far below the limit; this guards table changes. */
  if (w.len > PROTO_BODY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  return (long)w.len;
}

/* Reads u16 length + bytes into a NUL-terminated char array of max + 1 bytes. A NUL inside
 * would shorten the text and break decode -> encode identity, so it is refused here. */
static int get_text(struct reader *r, char *dst, uint64_t max, int too_long, int bad) {
  uint64_t n;
  const uint8_t *b;
  int rc = get_uint(r, 2, &n);
  if (rc) return rc;
  if (n > max) return too_long;
  if ((rc = get_bytes(r, (size_t)n, &b))) return rc;
  if (memchr(b, 0, (size_t)n)) return bad;
  memcpy(dst, b, (size_t)n);
  dst[n] = '\0';
  return 0;
}

/* 16 bytes: the code, then only zero bytes. */
static int get_instrument(struct reader *r, char *dst) {
  const uint8_t *b;
  int rc = get_bytes(r, PROTO_INSTRUMENT_BYTES, &b);
  if (rc) return rc;
  size_t n = strnlen((const char *)b, PROTO_INSTRUMENT_BYTES);
  for (size_t i = n; i < PROTO_INSTRUMENT_BYTES; i++) {
    if (b[i] != 0) return PROTO_E_BAD_INSTRUMENT_CODE;
  }
  memcpy(dst, b, n);
  dst[n] = '\0';
  return 0;
}

/* 18 zero bytes stand for "no USCC"; any other zero byte is not a code. */
static int get_uscc(struct reader *r, char *dst) {
  const uint8_t *b;
  int rc = get_bytes(r, PROTO_USCC_BYTES, &b);
  if (rc) return rc;
  size_t zeros = 0;
  for (size_t i = 0; i < PROTO_USCC_BYTES; i++) zeros += b[i] == 0;
  if (zeros == PROTO_USCC_BYTES) {
    dst[0] = '\0';
    return 0;
  }
  if (zeros) return PROTO_E_BAD_USCC;
  memcpy(dst, b, PROTO_USCC_BYTES);
  dst[PROTO_USCC_BYTES] = '\0';
  return 0;
}

static int get_legs(struct reader *r, struct proto_settle *s) {
  uint64_t count;
  int rc = get_uint(r, 2, &count);
  if (rc) return rc;
  if (count < 1 || count > PROTO_LEGS_MAX) return PROTO_E_TOO_MANY_LEGS;
  /* Check the length before allocating, so a short input cannot make us allocate. */
  if (count * LEG_BYTES > r->len - r->pos) return PROTO_E_TRUNCATED;
  s->legs = calloc((size_t)count, sizeof(*s->legs));
  if (!s->legs) return PROTO_E_NO_MEMORY;
  s->legs_count = (uint16_t)count;
  for (size_t i = 0; i < count; i++) {
    struct proto_leg *leg = &s->legs[i];
    rc = get_uint(r, 8, &leg->from);
    if (!rc) rc = get_uint(r, 8, &leg->to);
    if (!rc) rc = get_instrument(r, leg->instrument);
    if (!rc) rc = get_uint(r, 8, &leg->amount);
    if (rc) return rc;
  }
  return 0;
}

static int get_keys(struct reader *r, struct proto_genesis *g, uint64_t max) {
  uint64_t count;
  const uint8_t *b;
  int rc = get_uint(r, 1, &count);
  if (rc) return rc;
  if (count > max) return PROTO_E_FIELD_TOO_LONG;
  if ((rc = get_bytes(r, (size_t)count * PROTO_PUBKEY_BYTES, &b))) return rc;
  g->operator_keys_count = (uint8_t)count;
  memcpy(g->operator_keys, b, (size_t)count * PROTO_PUBKEY_BYTES);
  return 0;
}

/* u16 length + UTF-8 into a new heap string (checked by the caller). */
static int get_doc(struct reader *r, uint8_t *p, uint64_t max) {
  uint64_t n;
  const uint8_t *b;
  int rc = get_uint(r, 2, &n);
  if (rc) return rc;
  if (n > max) return PROTO_E_FIELD_TOO_LONG;
  if ((rc = get_bytes(r, (size_t)n, &b))) return rc;
  if (memchr(b, 0, (size_t)n)) return PROTO_E_BAD_TEXT;
  char *doc = malloc((size_t)n + 1);
  if (!doc) return PROTO_E_NO_MEMORY;
  memcpy(doc, b, (size_t)n);
  doc[n] = '\0';
  memcpy(p, &doc, sizeof(doc));
  return 0;
}

static int get_rows(struct reader *r, struct proto_alloc_table_rows *t, uint64_t max) {
  uint64_t count;
  int rc = get_uint(r, 2, &count);
  if (rc) return rc;
  if (count < 1 || count > max) return PROTO_E_FIELD_TOO_LONG;
  /* The shortest row is 114 bytes: a short input cannot make us allocate much. */
  if (count * 114u > r->len - r->pos) return PROTO_E_TRUNCATED;
  t->rows = calloc((size_t)count, sizeof(*t->rows));
  if (!t->rows) return PROTO_E_NO_MEMORY;
  t->rows_count = (uint16_t)count;
  for (size_t i = 0; i < count; i++) {
    size_t used = 0;
    rc = proto__alloc_row_decode(r->p + r->pos, r->len - r->pos, &t->rows[i], &used);
    if (rc) return rc;
    r->pos += used;
  }
  return 0;
}

/* Reads one field into the struct; its value is checked by the caller. */
static int get_field(struct reader *r, struct proto_tx *tx, const struct proto_field *f) {
  uint8_t *p = field_ptr_mut(tx, f);
  size_t width = proto__uint_width(f->kind);
  const uint8_t *b;
  int rc;
  if (width) {
    uint64_t v;
    if ((rc = get_uint(r, width, &v))) return rc;
    uint_set(p, width, v);
    return 0;
  }
  switch (f->kind) {
  case PROTO_F_TEXT:
    return get_text(r, (char *)p, f->max, PROTO_E_FIELD_TOO_LONG, PROTO_E_BAD_TEXT);
  case PROTO_F_ORIGIN:
    return get_text(r, (char *)p, PROTO_ORIGIN_BYTES_MAX, PROTO_E_BAD_ORIGIN, PROTO_E_BAD_ORIGIN);
  case PROTO_F_INSTRUMENT:
    return get_instrument(r, (char *)p);
  case PROTO_F_USCC:
    return get_uscc(r, (char *)p);
  case PROTO_F_BYTES32:
    if ((rc = get_bytes(r, PROTO_HASH_BYTES, &b))) return rc;
    memcpy(p, b, PROTO_HASH_BYTES);
    return 0;
  case PROTO_F_ID:
    if ((rc = get_bytes(r, PROTO_ID_BYTES, &b))) return rc;
    memcpy(p, b, PROTO_ID_BYTES);
    return 0;
  case PROTO_F_KEYS:
    return get_keys(r, &tx->u.genesis, f->max);
  case PROTO_F_LEGS:
    return get_legs(r, &tx->u.settle);
  case PROTO_F_DOC:
    return get_doc(r, p, f->max);
  case PROTO_F_ROWS:
    return get_rows(r, &tx->u.table_rows, f->max);
  default:
    return PROTO_E_BAD_ARGUMENT;
  }
}

static int decode_body(const uint8_t *in, size_t len, struct proto_tx *tx) {
  if (len > PROTO_BODY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  struct reader r = {in, len, 0};
  uint64_t version, type, reserved;
  const uint8_t *id;
  int rc = get_uint(&r, 1, &version);
  if (rc) return rc;
  if (version < 1 || version > PROTO_BODY_VERSION_MAX) return PROTO_E_BAD_VERSION;
  if ((rc = get_uint(&r, 1, &type))) return rc;
  if (!proto_tx_fields((unsigned)type, NULL)) return PROTO_E_UNKNOWN_TYPE;
  size_t count = 0;
  if (!proto_tx_fields((unsigned)type, NULL)) return PROTO_E_UNKNOWN_TYPE;
  /* each type has its own versions: settle 1 and 2, every other type 1 so far */
  const struct proto_field *fields = proto_tx_fields_version((unsigned)type, (unsigned)version, &count);
  if (!fields) return PROTO_E_BAD_VERSION;
  tx->type = (uint8_t)type;
  tx->version = (uint8_t)version;
  if ((rc = get_uint(&r, 2, &reserved))) return rc;
  if (reserved != 0) return PROTO_E_RESERVED_NONZERO;
  if ((rc = get_bytes(&r, PROTO_ID_BYTES, &id))) return rc;
  memcpy(tx->id, id, PROTO_ID_BYTES);
  for (size_t i = 0; i < count; i++) {
    if ((rc = get_field(&r, tx, &fields[i]))) return rc;
    if ((rc = proto__field_check(tx, &fields[i]))) return rc;
  }
  PROTO_ASSERT(r.pos <= len);
  if (r.pos != len) return PROTO_E_TRAILING_BYTES;
  return proto__rules_check(tx, NULL);
}

int proto_tx_decode(const uint8_t *in, size_t len, struct proto_tx *tx) {
  memset(tx, 0, sizeof(*tx));
  int rc = decode_body(in, len, tx);
  if (rc) {
    proto_tx_free(tx);
    memset(tx, 0, sizeof(*tx));
  }
  return rc;
}

void proto_tx_free(struct proto_tx *tx) {
  if (!tx) return;
  if (tx->type == PROTO_TX_SETTLE) {
    if (!tx->u.settle.legs_borrowed) free(tx->u.settle.legs);
    tx->u.settle.legs_borrowed = false;
    tx->u.settle.legs = NULL;
    tx->u.settle.legs_count = 0;
  } else if (tx->type == PROTO_TX_ALLOC_TABLE_OPEN) {
    free(tx->u.table_open.scheme);
    tx->u.table_open.scheme = NULL;
  } else if (tx->type == PROTO_TX_ALLOC_TABLE_ROWS) {
    free(tx->u.table_rows.rows);
    tx->u.table_rows.rows = NULL;
    tx->u.table_rows.rows_count = 0;
  }
}

/* ---------------------------------------------------------------------------------------------
 * Envelope
 * ------------------------------------------------------------------------------------------- */
static int check_sigs(const struct proto_sig *sigs, size_t count) {
  if (count == 0) return PROTO_E_NO_SIGNATURES;
  if (count > PROTO_SIGS_MAX) return PROTO_E_TOO_MANY_SIGNATURES;
  for (size_t i = 0; i < count; i++) {
    for (size_t k = i + 1; k < count; k++) {
      if (memcmp(sigs[i].key_hash, sigs[k].key_hash, PROTO_HASH_BYTES) == 0)
        return PROTO_E_DUPLICATE_SIGNER;
    }
  }
  return 0;
}

long proto_envelope_encode(const struct proto_envelope *env, uint8_t *out, size_t cap) {
  int rc = check_sigs(env->sigs, env->sigs_count);
  if (rc) return rc;
  if (env->body_len > PROTO_BODY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  if (!env->body && env->body_len) return PROTO_E_BAD_ARGUMENT;
  struct writer w = {out, cap, 0, 0};
  put_uint(&w, PROTO_ENVELOPE_VERSION, 1);
  put_uint(&w, env->sigs_count, 1);
  put_uint(&w, env->body_len, 2);
  put_bytes(&w, env->body, env->body_len);
  for (size_t i = 0; i < env->sigs_count; i++) {
    put_bytes(&w, env->sigs[i].key_hash, PROTO_HASH_BYTES);
    put_bytes(&w, env->sigs[i].sig, PROTO_SIG_BYTES);
  }
  if (w.err) return w.err;
  PROTO_ASSERT(w.len == PROTO_ENVELOPE_HEADER_BYTES + env->body_len +
                      (size_t)env->sigs_count * PROTO_SIG_RECORD_BYTES);
  return (long)w.len;
}

static int decode_envelope(const uint8_t *in, size_t len, struct proto_envelope *env) {
  struct reader r = {in, len, 0};
  uint64_t version, count, body_len;
  const uint8_t *b;
  int rc = get_uint(&r, 1, &version);
  if (rc) return rc;
  if (version != PROTO_ENVELOPE_VERSION) return PROTO_E_BAD_VERSION;
  if ((rc = get_uint(&r, 1, &count))) return rc;
  if (count == 0) return PROTO_E_NO_SIGNATURES;
  if (count > PROTO_SIGS_MAX) return PROTO_E_TOO_MANY_SIGNATURES;
  if ((rc = get_uint(&r, 2, &body_len))) return rc;
  if (body_len > PROTO_BODY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  if ((rc = get_bytes(&r, (size_t)body_len, &env->body))) return rc;
  env->body_len = (uint16_t)body_len;
  env->sigs_count = (uint8_t)count;
  for (size_t i = 0; i < count; i++) {
    if ((rc = get_bytes(&r, PROTO_SIG_RECORD_BYTES, &b))) return rc;
    memcpy(env->sigs[i].key_hash, b, PROTO_HASH_BYTES);
    memcpy(env->sigs[i].sig, b + PROTO_HASH_BYTES, PROTO_SIG_BYTES);
  }
  if (r.pos != len) return PROTO_E_TRAILING_BYTES;
  return check_sigs(env->sigs, env->sigs_count);
}

int proto_envelope_decode(const uint8_t *in, size_t len, struct proto_envelope *env) {
  memset(env, 0, sizeof(*env));
  int rc = decode_envelope(in, len, env);
  if (rc) memset(env, 0, sizeof(*env));
  return rc;
}

long proto_signing_message(const char *origin, const uint8_t *body, size_t body_len, uint8_t *out,
                           size_t cap) {
  int rc = proto__origin_check(origin);
  if (rc) return rc;
  if (!body && body_len) return PROTO_E_BAD_ARGUMENT;
  struct writer w = {out, cap, 0, 0};
  put_bytes(&w, SIGNING_PREFIX, SIGNING_PREFIX_BYTES);
  put_bytes(&w, origin, strlen(origin));
  put_bytes(&w, "\n", 1);
  put_bytes(&w, body, body_len);
  if (w.err) return w.err;
  return (long)w.len;
}

void proto_body_hash(const uint8_t *body, size_t body_len, uint8_t out[PROTO_HASH_BYTES]) {
  proto_sha256(body, body_len, out);
}

int proto_envelope_sign(struct proto_envelope *env, const char *origin, const struct proto_key *key) {
  uint8_t key_hash[PROTO_HASH_BYTES];
  if (env->sigs_count >= PROTO_SIGS_MAX) return PROTO_E_TOO_MANY_SIGNATURES;
  proto_key_hash(key, key_hash);
  for (size_t i = 0; i < env->sigs_count; i++) {
    if (memcmp(env->sigs[i].key_hash, key_hash, PROTO_HASH_BYTES) == 0)
      return PROTO_E_DUPLICATE_SIGNER;
  }
  size_t cap = SIGNING_PREFIX_BYTES + PROTO_ORIGIN_BYTES_MAX + 1 + env->body_len;
  uint8_t *msg = malloc(cap);
  if (!msg) return PROTO_E_NO_MEMORY;
  long n = proto_signing_message(origin, env->body, env->body_len, msg, cap);
  struct proto_sig *slot = &env->sigs[env->sigs_count];
  int rc = n < 0 ? (int)n : proto_sign(key, msg, (size_t)n, slot->sig);
  free(msg);
  if (rc) return rc;
  memcpy(slot->key_hash, key_hash, PROTO_HASH_BYTES);
  env->sigs_count++;
  return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Entry: the leaf data of the Merkle log
 * ------------------------------------------------------------------------------------------- */
long proto_entry_encode(const struct proto_entry *e, uint8_t *out, size_t cap) {
  struct proto_envelope env;
  if (PROTO_ENTRY_HEADER_BYTES + (size_t)e->envelope_len > PROTO_ENTRY_BYTES_MAX)
    return PROTO_E_ENTRY_TOO_LARGE;
  if (e->withheld > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  if (!e->envelope) return PROTO_E_BAD_ARGUMENT;
  /* An entry only ever wraps a well-formed envelope: checked here as the decoder checks it. */
  int rc = proto_envelope_decode(e->envelope, e->envelope_len, &env);
  if (rc) return rc;
  struct writer w = {out, cap, 0, 0};
  put_uint(&w, PROTO_ENTRY_VERSION, 1);
  put_uint(&w, 0, 1);
  put_uint(&w, e->index, 8);
  put_uint(&w, e->time_ms, 8);
  put_uint(&w, e->withheld, 8);
  put_uint(&w, e->envelope_len, 2);
  put_bytes(&w, e->envelope, e->envelope_len);
  if (w.err) return w.err;
  PROTO_ASSERT(w.len == PROTO_ENTRY_HEADER_BYTES + (size_t)e->envelope_len);
  PROTO_ASSERT(w.len <= PROTO_ENTRY_BYTES_MAX);
  return (long)w.len;
}

static int decode_entry(const uint8_t *in, size_t len, struct proto_entry *e) {
  if (len > PROTO_ENTRY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  struct reader r = {in, len, 0};
  uint64_t version, reserved, env_len;
  int rc = get_uint(&r, 1, &version);
  if (rc) return rc;
  if (version != PROTO_ENTRY_VERSION) return PROTO_E_BAD_VERSION;
  if ((rc = get_uint(&r, 1, &reserved))) return rc;
  if (reserved != 0) return PROTO_E_RESERVED_NONZERO;
  if ((rc = get_uint(&r, 8, &e->index))) return rc;
  if ((rc = get_uint(&r, 8, &e->time_ms))) return rc;
  if ((rc = get_uint(&r, 8, &e->withheld))) return rc;
  if (e->withheld > PROTO_AMOUNT_MAX) return PROTO_E_AMOUNT_TOO_LARGE;
  if ((rc = get_uint(&r, 2, &env_len))) return rc;
  /* refused from the length alone, before looking for that many bytes */
  if (PROTO_ENTRY_HEADER_BYTES + env_len > PROTO_ENTRY_BYTES_MAX) return PROTO_E_ENTRY_TOO_LARGE;
  if ((rc = get_bytes(&r, (size_t)env_len, &e->envelope))) return rc;
  e->envelope_len = (uint16_t)env_len;
  if (r.pos != len) return PROTO_E_TRAILING_BYTES;
  struct proto_envelope env;
  return proto_envelope_decode(e->envelope, e->envelope_len, &env);
}

int proto_entry_decode(const uint8_t *in, size_t len, struct proto_entry *e) {
  memset(e, 0, sizeof(*e));
  int rc = decode_entry(in, len, e);
  if (rc) memset(e, 0, sizeof(*e));
  return rc;
}
