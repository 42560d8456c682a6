/* Scheme files: the INI reader (inih) that turns schemes/NAME.ini into a validated
 * struct alloc_scheme. Every key is listed once in a table with its section and kind.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "alloc/internal.h"

enum key_kind { K_DEC, K_INT, K_BOOL, K_NAME, K_SECTOR, K_METHOD, K_STATUS };

struct key_def {
  const char *section, *key;
  size_t offset;
  uint8_t kind;
  uint8_t need; /* method that requires it (0: every method; 0xff: optional) */
};

#define F(member) offsetof(struct alloc_scheme, member)
#define OPT 0xff
#define IC ALLOC_INTENSITY_COEFFICIENT
#define PW ALLOC_POWER_BENCHMARK
static const struct key_def keys[] = {
    {"scheme", "name", F(name), K_NAME, 0},
    {"scheme", "sector", F(sector), K_SECTOR, 0},
    {"scheme", "year", F(year), K_INT, 0},
    {"scheme", "method", F(method), K_METHOD, 0},
    {"scheme", "status", F(draft), K_STATUS, 0},
    {"intensity", "coefficient", F(coefficient), K_DEC, IC},
    {"intensity", "band", F(band), K_DEC, IC},
    {"intensity", "cap", F(cap), K_DEC, IC},
    {"intensity", "intensity_places", F(intensity_places), K_INT, IC},
    {"intensity", "bp", F(bp), K_DEC, OPT},
    {"pre_allocation", "share", F(pre_share), K_DEC, OPT},
    {"special", "white_portland", F(white_portland), K_BOOL, OPT},
    {"special", "gypsum_acid", F(gypsum_acid), K_BOOL, OPT},
    {"special", "hydrogen_blast_furnace", F(hydrogen_bf), K_BOOL, OPT},
    {"special", "carbide_slag_threshold", F(carbide_threshold), K_DEC, OPT},
    {"power", "benchmark_I", F(benchmark[1]), K_DEC, PW},
    {"power", "benchmark_II", F(benchmark[2]), K_DEC, PW},
    {"power", "benchmark_III", F(benchmark[3]), K_DEC, PW},
    {"power", "benchmark_IV", F(benchmark[4]), K_DEC, PW},
    {"power", "heat_coal", F(heat_coal), K_DEC, PW},
    {"power", "heat_gas", F(heat_gas), K_DEC, PW},
    {"power", "floor_share", F(floor_share), K_DEC, PW},
    {"power", "gas_top_up", F(gas_top_up), K_BOOL, PW},
    {"load_correction", "threshold", F(lc_threshold), K_DEC, PW},
    {"load_correction", "constant", F(lc_constant), K_DEC, PW},
    {"load_correction", "a1", F(lc_a1), K_DEC, PW},
    {"load_correction", "t1", F(lc_t1), K_DEC, PW},
    {"load_correction", "a2", F(lc_a2), K_DEC, PW},
    {"load_correction", "t2", F(lc_t2), K_DEC, PW},
    {"load_correction", "places", F(lc_places), K_INT, PW},
};
#define KEYS_COUNT (sizeof(keys) / sizeof(keys[0]))
_Static_assert(KEYS_COUNT <= 64, "seen is a 64-bit mask");

struct load_ctx {
  struct alloc_scheme *s;
  uint64_t seen;
  struct alloc_diag *diag;
};

static int fail(struct load_ctx *c, const char *field, const char *message) {
  if (c->diag) {
    snprintf(c->diag->field, sizeof(c->diag->field), "%s", field);
    snprintf(c->diag->message, sizeof(c->diag->message), "%s", message);
  }
  return 0; /* inih stops and reports the line */
}

static int store(struct load_ctx *c, const struct key_def *k, const char *value) {
  char *field = (char *)c->s + k->offset;
  switch (k->kind) {
  case K_DEC: {
    alloc_dec d;
    if (alloc__dec_parse(value, strlen(value), &d) != 0 || d < 0) {
      return fail(c, k->key, "expected a non-negative decimal with at most 18 places");
    }
    memcpy(field, &d, sizeof d);
    return 1;
  }
  case K_INT: {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < 0 || v > 9999) {
      return fail(c, k->key, "expected an integer 0..9999");
    }
    if (k->offset == F(year)) {
      c->s->year = (unsigned)v;
    } else {
      int iv = (int)v;
      memcpy(field, &iv, sizeof iv);
    }
    return 1;
  }
  case K_BOOL: {
    bool b = strcmp(value, "yes") == 0 || strcmp(value, "true") == 0;
    if (!b && strcmp(value, "no") != 0 && strcmp(value, "false") != 0) {
      return fail(c, k->key, "expected yes or no");
    }
    memcpy(field, &b, sizeof b);
    return 1;
  }
  case K_NAME:
    if (!*value || strlen(value) >= sizeof(c->s->name)) return fail(c, k->key, "1 to 63 bytes");
    memcpy(c->s->name, value, strlen(value) + 1);
    return 1;
  case K_SECTOR:
    c->s->sector = (uint8_t)proto_sector_from_name(value);
    return c->s->sector > PROTO_SECTOR_NONE ? 1 : fail(c, k->key, "unknown sector");
  case K_METHOD:
    for (unsigned m = 1; m <= 3; m++) {
      if (strcmp(value, alloc_method_name(m)) == 0) c->s->method = (uint8_t)m;
    }
    return c->s->method ? 1 : fail(c, k->key, "unknown method");
  case K_STATUS:
    c->s->draft = strcmp(value, "draft") == 0;
    return c->s->draft || strcmp(value, "final") == 0 ? 1 : fail(c, k->key, "final or draft");
  }
  return fail(c, k->key, "internal: unknown key kind");
}

static int on_key(void *user, const char *section, const char *name, const char *value) {
  struct load_ctx *c = user;
  for (size_t i = 0; i < KEYS_COUNT; i++) {
    if (strcmp(keys[i].section, section) != 0 || strcmp(keys[i].key, name) != 0) continue;
    if (c->seen & (UINT64_C(1) << i)) return fail(c, name, "key given twice");
    c->seen |= UINT64_C(1) << i;
    return store(c, &keys[i], value);
  }
  return fail(c, name, "unknown key in this section");
}

static bool was_seen(uint64_t seen, const char *key) {
  for (size_t i = 0; i < KEYS_COUNT; i++) {
    if (strcmp(keys[i].key, key) == 0) return (seen & (UINT64_C(1) << i)) != 0;
  }
  PROTO_ASSERT(false && "key not in the table");
  return false;
}

/* Checks across keys, once the whole file is read. Returns NULL or the problem. */
static const char *check_scheme(const struct load_ctx *c, const char **field) {
  const struct alloc_scheme *s = c->s;
  for (size_t i = 0; i < KEYS_COUNT; i++) {
    bool needed = keys[i].need == 0 || keys[i].need == s->method;
    if (needed && !(c->seen & (UINT64_C(1) << i))) {
      *field = keys[i].key;
      return "required key missing";
    }
  }
  *field = "year";
  if (s->year < PROTO_YEAR_MIN || s->year > PROTO_YEAR_MAX) return "year outside 2000..2100";
  *field = "method";
  if ((s->method == PW) != (s->sector == PROTO_SECTOR_POWER)) {
    return "power_benchmark is the method of the power sector only";
  }
  *field = "share";
  if (s->pre_share > ALLOC_DEC_ONE) return "a share is at most 1";
  /* the carbide-slag exemption is a rule of cement clinker lines: steel and aluminium have none */
  *field = "carbide_slag_threshold";
  if (was_seen(c->seen, "carbide_slag_threshold") && s->sector != PROTO_SECTOR_CEMENT)
    return "the carbide-slag exemption applies to cement only";
  if (s->method == IC) {
    alloc_dec product;
    *field = "band";
    if (s->band <= 0 || s->band >= ALLOC_DEC_ONE) return "band must be in (0, 1)";
    *field = "cap";
    if (alloc__dec_mul(s->coefficient, s->band, ALLOC_ROUND_FLOOR, &product) != 0 ||
        product != s->cap || s->cap == 0) {
      return "cap must equal coefficient * band (> 0) so that alpha is continuous";
    }
    *field = "intensity_places";
    if (s->intensity_places > ALLOC_INTENSITY_PLACES_MAX) return "at most 9 places";
    *field = "bp";
    if (was_seen(c->seen, "bp") && s->bp == 0) return "bp must be positive";
  }
  if (s->method == PW) {
    *field = "places";
    if (s->lc_places > ALLOC_DEC_PLACES) return "at most 18 places";
    *field = "t1";
    if (s->lc_t1 == 0 || s->lc_t2 == 0) return "time constants must be positive";
    *field = "floor_share";
    if (s->floor_share > ALLOC_DEC_ONE) return "a share is at most 1";
  }
  return NULL;
}

/* Reads the scheme from an open file (f) or from text; name is for messages. */
static int scheme_read(FILE *f, const char *text, const char *name, struct alloc_scheme **out,
                       struct alloc_diag *diag) {
  struct alloc_scheme *s = calloc(1, sizeof *s);
  if (!s) return PROTO_E_NO_MEMORY;
  struct alloc_diag scratch;
  if (!diag) diag = &scratch;
  memset(diag, 0, sizeof *diag);
  diag->file = name;
  struct load_ctx c = {s, 0, diag};
  int line = f ? ini_parse_file(f, on_key, &c) : ini_parse_string(text, on_key, &c);
  const char *field = NULL, *why = NULL;
  if (line == 0) {
    why = check_scheme(&c, &field);
    if (why) {
      snprintf(diag->field, sizeof diag->field, "%s", field);
      snprintf(diag->message, sizeof diag->message, "%s", why);
    }
  } else {
    diag->line = line > 0 ? (unsigned)line : 0;
    if (!diag->message[0]) snprintf(diag->message, sizeof diag->message, "syntax error");
  }
  s->has_bp = was_seen(c.seen, "bp");
  s->has_carbide = was_seen(c.seen, "carbide_slag_threshold");
  if (line != 0 || why) {
    free(s);
    return PROTO_E_BAD_SCHEME;
  }
  *out = s;
  return 0;
}

int alloc_scheme_load(const char *path, struct alloc_scheme **out,
                             struct alloc_diag *diag) {
  PROTO_ASSERT(path && out);
  FILE *f = fopen(path, "r");
  if (!f) return -errno;
  int rc = scheme_read(f, NULL, path, out, diag);
  fclose(f);
  return rc;
}

int alloc_scheme_parse(const char *text, struct alloc_scheme **out, struct alloc_diag *diag) {
  PROTO_ASSERT(text && out);
  return scheme_read(NULL, text, "scheme", out, diag);
}

void alloc_scheme_free(struct alloc_scheme *scheme) {
  free(scheme);
}

const char *alloc_scheme_name(const struct alloc_scheme *s) { return s->name; }
unsigned alloc_scheme_year(const struct alloc_scheme *s) { return s->year; }
unsigned alloc_scheme_sector(const struct alloc_scheme *s) { return s->sector; }
unsigned alloc_scheme_method(const struct alloc_scheme *s) { return s->method; }
bool alloc_scheme_draft(const struct alloc_scheme *s) { return s->draft; }
bool alloc_scheme_has_pre(const struct alloc_scheme *s) { return s->pre_share > 0; }

const char *alloc_method_name(unsigned method) {
  static const char *const names[] = {NULL, "verified", "intensity_coefficient", "power_benchmark"};
  return method < sizeof(names) / sizeof(names[0]) ? names[method] : NULL;
}
