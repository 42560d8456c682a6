/* Flags -> transaction JSON, one generic walk over proto's field tables (proto/tx_table.c). */
#include "proto/proto_json.h"
#include "tools/quotactl_build.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

unsigned qbuild_version(unsigned type) {
  /* a settle is built as version 1 and sealed into version 2 (qctl_settle_seal) */
  return type == PROTO_TX_SETTLE ? 1u : proto_tx_version_current(type);
}

const struct proto_field *qbuild_fields(unsigned type, size_t *n) {
  return proto_tx_fields_version(type, qbuild_version(type), n);
}

/* The version built from these flags: a type whose version 2 only adds fields stays version 1
 * (the bytes, and so the derived ids, of every earlier run) unless one of those fields is given:
 * verified emissions with an own deadline, an issue to an owner's account, an allocation or
 * claw-back citing its table. */
static unsigned version_for(unsigned type, const struct qopts *o) {
  if (type == PROTO_TX_VERIFIED_EMISSIONS && !qopts_get(o, "deadline") && !qopts_get(o, "deadline-ms"))
    return 1;
  if (type == PROTO_TX_ISSUE && !qopts_get(o, "to")) return 1;
  if ((type == PROTO_TX_ALLOCATE || type == PROTO_TX_CLAWBACK) && !qopts_get(o, "table") &&
      !qopts_get(o, "row"))
    return 1;
  /* carry-overs citing a rule and deductions of a kind; the old flags still build version 1 */
  if (type == PROTO_TX_CARRY_OVER && !qopts_get(o, "rule")) return 1;
  if (type == PROTO_TX_DEDUCT && !qopts_get(o, "kind")) return 1;
  return qbuild_version(type);
}

void qbuild_flag_name(const char *field, char *out, size_t cap) {
  size_t i = 0;
  for (; field[i] && i + 1 < cap; i++) out[i] = field[i] == '_' ? '-' : field[i];
  out[i] = 0;
}

/* Defaults that make the common case short: a provincial account has no USCC and no sector,
 * most accounts need one signature. */
static const char *field_default(const struct proto_field *f) {
  if ((f->kind == PROTO_F_TEXT || f->kind == PROTO_F_USCC) && f->min == 0) return "";
  if (f->kind == PROTO_F_ENUM && strcmp(f->name, "sector") == 0) return "none";
  if (strcmp(f->name, "threshold") == 0) return "1";
  if (strcmp(f->name, "expiry_ms") == 0) return "0"; /* a freeze order binds until lifted */
  if (strcmp(f->name, "deadline_ms") == 0 && f->min == 0) return "0"; /* an own deadline */
  if (f->kind == PROTO_F_PROVINCE && f->min == 0) return "0"; /* participants have none */
  /* a deduction's kind needs one of amount (shortfall) and percent (fraud); the other is 0 */
  if (strcmp(f->name, "percent") == 0) return "0";
  if (strcmp(f->name, "amount") == 0 && f->kind == PROTO_F_AMOUNT && f->min == 0) return "0";
  return NULL;
}

bool qbuild_field_optional(const struct proto_field *f) { return field_default(f) != NULL; }

const char *qbuild_field_hint(const struct proto_field *f) {
  switch (f->kind) {
  case PROTO_F_ACCOUNT: return "ID|USCC|CN-xx";
  case PROTO_F_AMOUNT: return "TONNES";
  case PROTO_F_YEAR: return "YEAR";
  case PROTO_F_PROVINCE: return "CN-xx|CODE";
  case PROTO_F_INSTRUMENT: return "CODE";
  case PROTO_F_USCC: return "USCC";
  case PROTO_F_BYTES32: return "HEX|BASE64|KEYFILE";
  case PROTO_F_ID: return "ID (32 hex)";
  case PROTO_F_TEXT: return "TEXT";
  case PROTO_F_ORIGIN: return "ORIGIN";
  case PROTO_F_LEGS: return "FROM:TO:INSTRUMENT:AMOUNT (repeat)";
  case PROTO_F_KEYS: return "KEY,KEY...";
  case PROTO_F_ENUM: {
    static char buf[128]; /* help text only, single-threaded */
    buf[0] = 0;
    for (unsigned v = 0; v < 256; v++) {
      const char *n = f->enum_name(v);
      if (!n) continue;
      size_t l = strlen(buf);
      snprintf(buf + l, sizeof(buf) - l, "%s%s", l ? "|" : "", n);
    }
    return buf;
  }
  default: return "N";
  }
}

int qbuild_bytes32(const char *text, bool want_hash, uint8_t out[32]) {
  size_t len = strlen(text);
  uint8_t tmp[40];
  if (len == 64 && proto_hex_decode(text, len, out, 32) == 32) return 0;
  if (len == 44 && proto_base64_decode(text, len, tmp, sizeof(tmp)) == 32) {
    memcpy(out, tmp, 32);
    return 0;
  }
  struct proto_key *key = NULL;
  if (proto_key_load(text, &key) != 0) return PROTO_E_BAD_KEY;
  if (want_hash) {
    proto_key_hash(key, out);
  } else {
    proto_key_public(key, out);
  }
  proto_key_free(key);
  return 0;
}

/* Parses a decimal for a numeric field; err names the flag. */
static int number(const char *flag, const char *s, uint64_t *v, char *err, size_t cap) {
  uint64_t x = 0;
  if (!*s) goto bad;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') goto bad;
    if (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, (uint64_t)(*p - '0'), &x)) {
      goto bad;
    }
  }
  if (x > INT64_MAX) goto bad; /* JSON integers are int64 */
  *v = x;
  return 0;
bad:
  snprintf(err, cap, "%s must be a whole number (tonnes, ids and years have no decimals), "
           "not '%s'", flag, s);
  return QCTL_EXIT_USAGE;
}

static int account(const char *flag, const char *s, qbuild_resolve_fn resolve, void *ctx,
                   uint64_t *v, char *err, size_t cap) {
  if (*s >= '0' && *s <= '9' && strlen(s) < 18) return number(flag, s, v, err, cap);
  if (!resolve) {
    snprintf(err, cap, "%s: '%s' needs the registry to resolve it", flag, s);
    return QCTL_EXIT_USAGE;
  }
  /* the resolver says why; this names the field (and, for files, the caller adds the line) */
  snprintf(err, cap, "%s: could not use account '%s'", flag, s);
  return resolve(ctx, s, v);
}

int qbuild_leg(const char *text, qbuild_resolve_fn resolve, void *ctx, json_t **out, char *err,
               size_t cap) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", text);
  char *parts[4];
  char *save = NULL;
  size_t n = 0;
  for (char *t = strtok_r(buf, ":", &save); t && n < 4; t = strtok_r(NULL, ":", &save)) {
    parts[n++] = t;
  }
  if (n != 4 || strtok_r(NULL, ":", &save)) {
    snprintf(err, cap, "--leg must be FROM:TO:INSTRUMENT:AMOUNT, not '%s'", text);
    return QCTL_EXIT_USAGE;
  }
  uint64_t from, to, amount;
  int rc = account("--leg", parts[0], resolve, ctx, &from, err, cap);
  if (!rc) rc = account("--leg", parts[1], resolve, ctx, &to, err, cap);
  if (!rc) rc = number("--leg", parts[3], &amount, err, cap);
  if (rc) return rc;
  *out = json_pack("{s:I,s:I,s:s,s:I}", "from", (json_int_t)from, "to", (json_int_t)to,
                   "instrument", parts[2], "amount", (json_int_t)amount);
  return *out ? 0 : QCTL_EXIT_IO;
}

/* Adds every --leg option to a "legs" array. */
static int legs(const struct qopts *o, json_t *obj, qbuild_resolve_fn resolve, void *ctx,
                char *err, size_t cap) {
  json_t *arr = json_array();
  for (size_t i = 0; i < o->n; i++) {
    if (strcmp(o->names[i], "leg") != 0) continue;
    json_t *leg = NULL;
    int rc = qbuild_leg(o->values[i], resolve, ctx, &leg, err, cap);
    if (rc) {
      json_decref(arr);
      return rc;
    }
    json_array_append_new(arr, leg);
  }
  if (json_array_size(arr) == 0) {
    json_decref(arr);
    snprintf(err, cap, "a settlement needs at least one --leg FROM:TO:INSTRUMENT:AMOUNT");
    return QCTL_EXIT_USAGE;
  }
  json_object_set_new(obj, "legs", arr);
  return 0;
}

/* A field holding a point in time (its name ends in _ms): its flag also takes an ISO 8601 date
 * or time, and the flag may drop the "-ms" (--deadline 2026-12-31). */
static bool time_field(const struct proto_field *f) {
  size_t n = strlen(f->name);
  return f->kind == PROTO_F_U64 && n > 3 && strcmp(f->name + n - 3, "_ms") == 0;
}

/* The flag of a time field without its "-ms" ("deadline"), or "" for other fields. */
static void time_alias(const struct proto_field *f, char *out, size_t cap) {
  out[0] = 0;
  if (!time_field(f)) return;
  qbuild_flag_name(f->name, out, cap);
  out[strlen(out) - 3] = 0;
}

/* A key's scope, named the way every command names accounts: a representative's is its account
 * (id, USCC or CN-xx, resolved), an authority's its province (CN-xx or the code), and the other
 * roles have none (0, the default). */
static int key_scope(const struct qopts *o, const char *label, qbuild_resolve_fn resolve, void *ctx,
                     json_t **out, char *err, size_t cap) {
  const char *role = qopts_get(o, "role"), *s = qopts_get(o, "scope");
  uint64_t v = 0;
  int rc = 0;
  char flag[64];
  snprintf(flag, sizeof flag, "%sscope", label);
  if (role && strcmp(role, "representative") == 0) {
    if (!s) {
      snprintf(err, cap, "%s (ID|USCC|CN-xx: the account it acts for) is required", flag);
      return QCTL_EXIT_USAGE;
    }
    rc = account(flag, s, resolve, ctx, &v, err, cap);
  } else if (role && strcmp(role, "authority") == 0) {
    if (!s) {
      snprintf(err, cap, "%s (CN-xx or the province code) is required", flag);
      return QCTL_EXIT_USAGE;
    }
    rc = number(flag, strncmp(s, "CN-", 3) == 0 ? s + 3 : s, &v, err, cap);
  } else if (s && strcmp(s, "0") != 0) {
    snprintf(err, cap, "%s: a %s key has no scope (leave --scope out)", flag, role ? role : "");
    return QCTL_EXIT_USAGE;
  }
  if (!rc) *out = json_integer((json_int_t)v);
  return rc;
}

/* The JSON value of one field from its flag text. */
static int field_value(const struct proto_field *f, const char *flag, const char *s,
                       qbuild_resolve_fn resolve, void *ctx, json_t **out, char *err, size_t cap) {
  uint64_t v = 0;
  int rc = 0;
  uint8_t b[32];
  char hex[65];
  switch (f->kind) {
  case PROTO_F_ACCOUNT:
    rc = account(flag, s, resolve, ctx, &v, err, cap);
    if (!rc) *out = json_integer((json_int_t)v);
    return rc;
  case PROTO_F_U64:
    if (time_field(f)) {
      if (qopts_time_ms(s, strstr(f->name, "start") != NULL, &v) != 0) {
        snprintf(err, cap, "%s: '%s' is not a time: milliseconds, a date (YYYY-MM-DD: the end of "
                 "that day, Beijing time) or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]", flag, s);
        return QCTL_EXIT_USAGE;
      }
      *out = json_integer((json_int_t)v);
      return 0;
    }
    /* fall through */
  case PROTO_F_U8: case PROTO_F_U16: case PROTO_F_AMOUNT: case PROTO_F_YEAR:
  case PROTO_F_PROVINCE:
    rc = number(flag, strncmp(s, "CN-", 3) == 0 ? s + 3 : s, &v, err, cap);
    if (!rc) *out = json_integer((json_int_t)v);
    return rc;
  case PROTO_F_BYTES32:
    if (qbuild_bytes32(s, strcmp(f->name, "key_hash") == 0, b) != 0) {
      snprintf(err, cap, "%s: '%s' is not 64 hex characters, a base64 key or a key file", flag,
               s);
      return QCTL_EXIT_USAGE;
    }
    proto_hex_encode(b, 32, hex, sizeof(hex));
    *out = json_string(hex);
    return 0;
  case PROTO_F_ID:
    if (strlen(s) != 2 * PROTO_ID_BYTES || proto_hex_decode(s, strlen(s), b, PROTO_ID_BYTES) !=
                                                 PROTO_ID_BYTES) {
      snprintf(err, cap, "%s: '%s' is not a transaction id (32 hex characters)", flag, s);
      return QCTL_EXIT_USAGE;
    }
    *out = json_string(s);
    return 0;
  case PROTO_F_USCC:
    if (*s) {
      unsigned bad = 0;
      if (proto_uscc_check(s, strlen(s), &bad) != 0) {
        snprintf(err, cap, "%s: '%s' is not a valid USCC: %s", flag, s,
                 strlen(s) != PROTO_USCC_BYTES ? "it must have 18 characters"
                 : bad == PROTO_USCC_BYTES ? "the check character (position 18) does not match"
                                           : "a character outside 0-9 A-Z without I O S V Z");
        if (strlen(s) == PROTO_USCC_BYTES && bad != PROTO_USCC_BYTES) {
          size_t l = strlen(err);
          snprintf(err + l, cap - l, " at position %u", bad);
        }
        return QCTL_EXIT_USAGE;
      }
    }
    *out = json_string(s);
    return 0;
  default:
    *out = json_string(s);
    if (!*out) snprintf(err, cap, "%s is not valid UTF-8", flag);
    return *out ? 0 : QCTL_EXIT_USAGE;
  }
}

static int check_known(unsigned type, const struct qopts *o, const char *label, char *err,
                       size_t cap) {
  size_t n = 0; /* the flags of the version these flags build (deduct v1 has --reason, v2 not) */
  const struct proto_field *f = proto_tx_fields_version(type, version_for(type, o), &n);
  for (size_t i = 0; i < o->n; i++) {
    char want[64];
    qbuild_flag_name(o->names[i], want, sizeof(want));
    bool known = strcmp(want, "id") == 0 || strcmp(want, "help") == 0 ||
                 strcmp(want, "dry-run") == 0 ||
                 (type == PROTO_TX_SETTLE && strcmp(want, "leg") == 0);
    for (size_t k = 0; k < n && !known; k++) {
      char flag[64], alias[64];
      qbuild_flag_name(f[k].name, flag, sizeof(flag));
      time_alias(&f[k], alias, sizeof(alias));
      known = (strcmp(flag, want) == 0 || (alias[0] && strcmp(alias, want) == 0)) &&
              f[k].kind != PROTO_F_LEGS;
    }
    if (!known) {
      snprintf(err, cap, "unknown option %s%s for %s", label, o->names[i], proto_tx_type_name(type));
      return QCTL_EXIT_USAGE;
    }
  }
  if (o->dangling) {
    /* Checked as a name first: an unknown one says so; a field's flag needs its value. */
    struct qopts one = {.n = 1};
    one.names[0] = o->dangling;
    int rc = check_known(type, &one, label, err, cap);
    if (!rc) snprintf(err, cap, "%s%s needs a value", label, o->dangling);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

int qbuild_tx_json(unsigned type, const struct qopts *o, const uint8_t id[PROTO_ID_BYTES],
                   const char *label, qbuild_resolve_fn resolve, void *ctx, json_t **out,
                   char *err, size_t cap) {
  *out = NULL;
  err[0] = 0;
  int rc = check_known(type, o, label, err, cap);
  if (rc) return rc;
  char idhex[2 * PROTO_ID_BYTES + 1];
  proto_hex_encode(id, PROTO_ID_BYTES, idhex, sizeof(idhex));
  json_t *obj = json_pack("{s:s,s:s}", "type", proto_tx_type_name(type), "id", idhex);
  unsigned version = version_for(type, o);
  if (version > 1) json_object_set_new(obj, "version", json_integer(version));
  size_t n = 0;
  const struct proto_field *f = proto_tx_fields_version(type, version, &n);
  for (size_t i = 0; i < n && rc == 0; i++) {
    char flag[64];
    qbuild_flag_name(f[i].name, flag, sizeof(flag));
    if (f[i].kind == PROTO_F_LEGS) {
      rc = legs(o, obj, resolve, ctx, err, cap);
      continue;
    }
    if (type == PROTO_TX_KEY_REGISTER && strcmp(f[i].name, "scope") == 0) {
      json_t *val = NULL;
      rc = key_scope(o, label, resolve, ctx, &val, err, cap);
      if (!rc) json_object_set_new(obj, f[i].name, val);
      continue;
    }
    if (type == PROTO_TX_ACCOUNT_OPEN && strcmp(f[i].name, "account") == 0) {
      const char *s = qopts_get(o, "account");
      if (s && !(*s >= '0' && *s <= '9' && strlen(s) < 18)) {
        snprintf(err, cap, "%saccount: the new account's id is a number the operator chooses "
                 "(an id, USCC or CN-xx names an account that exists; the USCC and province are "
                 "their own flags)", label);
        rc = QCTL_EXIT_USAGE;
        break;
      }
    }
    const char *s = qopts_get(o, flag);
    char alias[64];
    time_alias(&f[i], alias, sizeof(alias));
    if (!s && alias[0]) s = qopts_get(o, alias);
    if (!s) s = field_default(&f[i]);
    if (!s) {
      snprintf(err, cap, "%s%s (%s) is required", label, flag, qbuild_field_hint(&f[i]));
      rc = QCTL_EXIT_USAGE;
      break;
    }
    json_t *val = NULL;
    char labelled[96];
    snprintf(labelled, sizeof(labelled), "%s%s", label, flag);
    rc = field_value(&f[i], labelled, s, resolve, ctx, &val, err, cap);
    if (!rc) json_object_set_new(obj, f[i].name, val);
  }
  if (rc) {
    json_decref(obj);
    return rc;
  }
  *out = obj;
  return 0;
}

unsigned qbuild_type_of(const char *name) {
  static const struct {
    const char *alias;
    unsigned type;
  } aliases[] = {
      {"emissions", PROTO_TX_VERIFIED_EMISSIONS}, {"accounts", PROTO_TX_ACCOUNT_OPEN},
      {"allocations", PROTO_TX_ALLOCATE},         {"transfers", PROTO_TX_TRANSFER},
      {"surrenders", PROTO_TX_SURRENDER},         {"position-moves", PROTO_TX_POSITION_MOVE},
      {"clawbacks", PROTO_TX_CLAWBACK},           {"cancels", PROTO_TX_CANCEL},
      {"freezes", PROTO_TX_FREEZE},               {"deductions", PROTO_TX_DEDUCT},
      {"issues", PROTO_TX_ISSUE},                 {"keys", PROTO_TX_KEY_REGISTER},
  };
  for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
    if (strcmp(aliases[i].alias, name) == 0) return aliases[i].type;
  }
  char norm[64];
  size_t i = 0;
  for (; name[i] && i + 1 < sizeof(norm); i++) norm[i] = name[i] == '-' ? '_' : name[i];
  norm[i] = 0;
  unsigned t = proto_tx_type_from_name(norm);
  return t == PROTO_TX_GENESIS ? 0 : t; /* the genesis has its own command, init */
}

long qbuild_row_seed(unsigned type, const struct qopts *o, char *out, size_t cap) {
  size_t n = 0, len = (size_t)snprintf(out, cap, "%s\n", proto_tx_type_name(type));
  const struct proto_field *f = proto_tx_fields_version(type, version_for(type, o), &n);
  for (size_t i = 0; i < n && len < cap; i++) {
    if (f[i].kind == PROTO_F_AMOUNT) continue; /* amounts never identify the act */
    char flag[64];
    qbuild_flag_name(f[i].name, flag, sizeof(flag));
    const char *v = qopts_get(o, flag);
    len += (size_t)snprintf(out + len, cap - len, "%s=%s\n", f[i].name, v ? v : "");
  }
  return len < cap ? (long)len : PROTO_E_FIELD_TOO_LONG;
}
