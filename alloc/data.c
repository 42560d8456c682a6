/* The enterprise data reader: CSV rows of allocation units (columns in docs/ALLOCATION.md),
 * checked field by field, every error reported with its line and column.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc/internal.h"

#define LINE_BYTES_MAX 4096u
#define COLUMNS_MAX 32u
#define ERRORS_MAX 1000u
#define UNITS_MAX 10000000u

enum col {
  C_USCC, C_PROVINCE, C_SECTOR, C_UNIT, C_EMISSIONS, C_OUTPUT, C_PREV, C_CATEGORY, C_MWH,
  C_HEAT, C_LOAD, C_CARBIDE, C_FLAGS, C_PRE, C_COUNT
};
static const char *const col_names[C_COUNT] = {
    "uscc", "province", "sector", "unit", "emissions", "output", "prev_emissions", "category",
    "supplied_mwh", "heat_gj", "load_pct", "carbide_slag_rate", "flags", "pre_allocated"};
/* emissions is not required: a pre-allocation is computed from prev_emissions alone */
static const bool col_required[C_COUNT] = {true, true, true, true};

static const char *const flag_names[] = {"white_portland", "gypsum_acid", "hydrogen_bf",
                                         "closed", "commissioned", "non_portland",
                                         "standalone_eaf", "standalone_rolling"};
#define NO_ALLOCATION_FLAGS                                                                      \
  (ALLOC_F_CLOSED | ALLOC_F_COMMISSIONED | ALLOC_F_NON_PORTLAND |            \
   ALLOC_F_STANDALONE_EAF | ALLOC_F_STANDALONE_ROLLING)

struct reader {
  const char *name;
  FILE *errors;
  struct alloc_diag *diag;
  unsigned errors_count;
  unsigned line;
  int col_of[C_COUNT];  /* column index of each known name, -1 when absent */
  size_t fields_count;  /* columns in the header */
  char *fields[COLUMNS_MAX];
};

static void report(struct reader *r, unsigned column, const char *field, const char *msg) {
  if (r->errors_count == 0 && r->diag) {
    r->diag->file = r->name;
    r->diag->line = r->line;
    r->diag->column = column;
    snprintf(r->diag->field, sizeof r->diag->field, "%s", field);
    snprintf(r->diag->message, sizeof r->diag->message, "%s", msg);
  }
  if (r->errors && r->errors_count < ERRORS_MAX) {
    fprintf(r->errors, "%s:%u:%u: %s: %s\n", r->name, r->line, column, field, msg);
  }
  r->errors_count++;
}

/* report() with a printf-style message. */
#define reportf(r, column, field, ...)                                                           \
  do {                                                                                           \
    char msg_[160];                                                                              \
    snprintf(msg_, sizeof msg_, __VA_ARGS__);                                                    \
    report(r, column, field, msg_);                                                              \
  } while (0)

/* Splits line in place at commas. Returns the number of fields or 0 when there are too many. */
static size_t split(char *line, char **fields) {
  size_t n = 0;
  for (char *p = line;; p++) {
    if (n == COLUMNS_MAX) return 0;
    fields[n++] = p;
    p += strcspn(p, ",");
    if (*p == '\0') break;
    *p = '\0';
  }
  return n;
}

/* The text of column c in the current row, or "" when the column is absent. */
static const char *cell(const struct reader *r, enum col c) {
  return r->col_of[c] >= 0 ? r->fields[r->col_of[c]] : "";
}
static unsigned column(const struct reader *r, enum col c) {
  return r->col_of[c] >= 0 ? (unsigned)r->col_of[c] + 1 : 0;
}

static bool read_header(struct reader *r, char *line) {
  size_t n = split(line, r->fields);
  r->fields_count = n;
  for (size_t c = 0; c < C_COUNT; c++) r->col_of[c] = -1;
  bool ok = n > 0;
  for (size_t i = 0; i < n; i++) {
    size_t c = 0;
    while (c < C_COUNT && strcmp(r->fields[i], col_names[c]) != 0) c++;
    if (c == C_COUNT) {
      report(r, (unsigned)i + 1, r->fields[i], "unknown column");
      ok = false;
    } else if (r->col_of[c] >= 0) {
      report(r, (unsigned)i + 1, r->fields[i], "column given twice");
      ok = false;
    } else {
      r->col_of[c] = (int)i;
    }
  }
  for (size_t c = 0; c < C_COUNT; c++) {
    if (col_required[c] && r->col_of[c] < 0) {
      report(r, 0, col_names[c], "required column missing from the header");
      ok = false;
    }
  }
  return ok;
}

/* A non-negative decimal with at most 6 places into *out (* 10^6). Empty: *present = false. */
static bool read_amount(struct reader *r, enum col c, bool required, int64_t *out, bool *present) {
  const char *t = cell(r, c);
  if (present) *present = *t != '\0';
  if (!*t) {
    if (required) report(r, column(r, c), col_names[c], "missing field");
    return !required;
  }
  alloc_dec d;
  int err = alloc__dec_parse(t, strlen(t), &d);
  if (err == 0 && d % (ALLOC_DEC_ONE / ALLOC_DATA_SCALE) != 0) err = PROTO_E_BAD_ARGUMENT;
  if (err == 0 && (d / (ALLOC_DEC_ONE / ALLOC_DATA_SCALE) > INT64_MAX)) err = PROTO_E_OVERFLOW;
  if (err) {
    reportf(r, column(r, c), col_names[c], "not a decimal with at most 6 places: \"%s\"", t);
    return false;
  }
  if (d < 0) {
    reportf(r, column(r, c), col_names[c], "negative value %s", t);
    return false;
  }
  *out = (int64_t)(d / (ALLOC_DEC_ONE / ALLOC_DATA_SCALE));
  return true;
}

static bool read_flags(struct reader *r, uint32_t *flags) {
  char buf[LINE_BYTES_MAX];
  snprintf(buf, sizeof buf, "%s", cell(r, C_FLAGS));
  bool ok = true;
  for (char *save = NULL, *tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
    size_t i = 0;
    while (i < sizeof(flag_names) / sizeof(flag_names[0]) && strcmp(tok, flag_names[i]) != 0) i++;
    if (i == sizeof(flag_names) / sizeof(flag_names[0])) {
      reportf(r, column(r, C_FLAGS), "flags", "unknown flag \"%s\"", tok);
      ok = false;
    } else {
      *flags |= 1u << i;
    }
  }
  return ok;
}

static bool read_identity(struct reader *r, struct alloc_unit *u) {
  bool ok = true;
  const char *t = cell(r, C_USCC);
  unsigned bad = 0;
  if (strlen(t) != PROTO_USCC_BYTES || proto_uscc_check(t, strlen(t), &bad) != 0) {
    reportf(r, column(r, C_USCC), "uscc", "bad unified social credit code \"%s\" (character %u)",
           t, bad);
    ok = false;
  } else {
    memcpy(u->uscc, t, PROTO_USCC_BYTES + 1);
  }
  t = cell(r, C_PROVINCE);
  char *end;
  long p = strtol(t, &end, 10);
  if (!*t || *end || p < 0 || p > 99 || !proto_province_valid((unsigned)p)) {
    reportf(r, column(r, C_PROVINCE), "province", "not a GB/T 2260 province code: \"%s\"", t);
    ok = false;
  }
  u->province = (uint8_t)(ok ? p : 0);
  u->sector = (uint8_t)proto_sector_from_name(cell(r, C_SECTOR));
  if (u->sector == PROTO_SECTOR_NONE) {
    reportf(r, column(r, C_SECTOR), "sector", "unknown sector \"%s\"", cell(r, C_SECTOR));
    ok = false;
  }
  t = cell(r, C_UNIT);
  if (!*t || strlen(t) > ALLOC_UNIT_ID_BYTES_MAX || strchr(t, '"')) {
    report(r, column(r, C_UNIT), "unit", "unit id must be 1 to 32 bytes without quotes");
    ok = false;
  } else {
    memcpy(u->unit_id, t, strlen(t) + 1);
  }
  return ok;
}

static bool read_category(struct reader *r, struct alloc_unit *u) {
  static const char *const cats[] = {"", "I", "II", "III", "IV"};
  const char *t = cell(r, C_CATEGORY);
  if (u->sector != PROTO_SECTOR_POWER) {
    if (!*t) return true;
    report(r, column(r, C_CATEGORY), "category", "only power units have a category");
    return false;
  }
  for (uint8_t i = 1; i < 5; i++) {
    if (strcmp(t, cats[i]) == 0) {
      u->category = i;
      return true;
    }
  }
  if (*t) {
    reportf(r, column(r, C_CATEGORY), "category", "unknown unit category \"%s\" (I..IV)", t);
  } else {
    report(r, column(r, C_CATEGORY), "category", "missing field");
  }
  return false;
}

static bool read_row(struct reader *r, struct alloc_unit *u) {
  memset(u, 0, sizeof *u);
  bool ok = read_identity(r, u);
  ok = read_flags(r, &u->flags) && ok;
  bool has_emissions = false, has_carbide = false;
  ok = read_amount(r, C_EMISSIONS, false, &u->emissions_e6, &has_emissions) && ok;
  u->emissions_unknown = !has_emissions;
  ok = read_amount(r, C_PREV, false, &u->prev_emissions_e6, &u->has_prev) && ok;
  ok = read_amount(r, C_CARBIDE, false, &u->carbide_slag_e6, &has_carbide) && ok;
  if (has_carbide && u->sector != PROTO_SECTOR_CEMENT && u->sector != PROTO_SECTOR_NONE) {
    report(r, column(r, C_CARBIDE), "carbide_slag_rate", "a carbide-slag rate is for cement lines only");
    ok = false;
  }
  int64_t pre = 0;
  ok = read_amount(r, C_PRE, false, &pre, &u->has_pre_allocated) && ok;
  if (pre % ALLOC_DATA_SCALE != 0) {
    report(r, column(r, C_PRE), "pre_allocated", "whole tonnes expected");
    ok = false;
  }
  u->pre_allocated = (uint64_t)(pre / ALLOC_DATA_SCALE);
  /* a pre-allocation row (no emissions of the year yet) needs no output, supply or load */
  bool allocates = (u->flags & NO_ALLOCATION_FLAGS) == 0 && has_emissions;
  ok = read_category(r, u) && ok;
  if (u->sector == PROTO_SECTOR_POWER) {
    ok = read_amount(r, C_MWH, allocates, &u->supplied_mwh_e6, NULL) && ok;
    ok = read_amount(r, C_HEAT, false, &u->heat_gj_e6, NULL) && ok;
    ok = read_amount(r, C_LOAD, allocates, &u->load_pct_e6, NULL) && ok;
  } else if (u->sector != PROTO_SECTOR_NONE) {
    ok = read_amount(r, C_OUTPUT, allocates, &u->output_e6, NULL) && ok;
    if (ok && allocates && u->output_e6 == 0 && u->emissions_e6 > 0) {
      report(r, column(r, C_OUTPUT), "output", "zero output with emissions: no intensity");
      ok = false;
    }
  }
  return ok;
}

struct unit_ref {
  const struct alloc_unit *u;
};

/* By USCC, then file order. */
static int cmp_identity_first(const void *a, const void *b) {
  const struct alloc_unit *x = ((const struct unit_ref *)a)->u;
  const struct alloc_unit *y = ((const struct unit_ref *)b)->u;
  int c = strcmp(x->uscc, y->uscc);
  if (c == 0) c = x->flags < y->flags ? -1 : x->flags > y->flags;
  return c ? c : x < y ? -1 : x > y;
}

static int cmp_identity(const void *a, const void *b) {
  const struct alloc_unit *x = ((const struct unit_ref *)a)->u;
  const struct alloc_unit *y = ((const struct unit_ref *)b)->u;
  int c = strcmp(x->uscc, y->uscc);
  if (c == 0) c = strcmp(x->unit_id, y->unit_id);
  if (c == 0) c = x < y ? -1 : x > y;
  return c;
}

/* A unit is named by (USCC, unit id): allocation ids derive from it, so it must be unique. */
static int check_unique(struct reader *r, struct alloc_unit *units, size_t n,
                        const unsigned *lines) {
  if (n < 2) return 0;
  struct unit_ref *order = malloc(n * sizeof *order);
  if (!order) return PROTO_E_NO_MEMORY;
  for (size_t i = 0; i < n; i++) order[i].u = &units[i];
  qsort(order, n, sizeof *order, cmp_identity);
  for (size_t i = 1; i < n; i++) {
    if (strcmp(order[i].u->uscc, order[i - 1].u->uscc) == 0 &&
        strcmp(order[i].u->unit_id, order[i - 1].u->unit_id) == 0) {
      r->line = lines[order[i].u - units];
      reportf(r, column(r, C_UNIT), "unit", "unit \"%s\" of %s appears twice", order[i].u->unit_id,
              order[i].u->uscc);
    }
  }
  free(order);
  return 0;
}

/* Adds furnace b into a (one steel enterprise): what the scheme computes from is the sum. */
static bool steel_add(struct alloc_unit *a, const struct alloc_unit *b) {
  if (a->emissions_unknown != b->emissions_unknown ||
      a->has_prev != b->has_prev || a->has_pre_allocated != b->has_pre_allocated)
    return false;
  return !__builtin_add_overflow(a->emissions_e6, b->emissions_e6, &a->emissions_e6) &&
         !__builtin_add_overflow(a->output_e6, b->output_e6, &a->output_e6) &&
         !__builtin_add_overflow(a->prev_emissions_e6, b->prev_emissions_e6, &a->prev_emissions_e6) &&
         !__builtin_add_overflow(a->pre_allocated, b->pre_allocated, &a->pre_allocated);
}

/* Steel is allocated per enterprise: the rows of one USCC with the same flags (its blast
 * furnaces) become one unit under the first row's unit id, in the first row's place; rows
 * with other flags (a hydrogen-rich furnace, a standalone arc furnace or rolling mill) stay
 * units of their own. Their columns must agree. */
static int merge_steel(struct reader *r, struct alloc_unit *units, size_t *n, const unsigned *lines) {
  if (*n < 2) return 0;
  struct unit_ref *order = malloc(*n * sizeof *order);
  bool *gone = calloc(*n, sizeof *gone);
  if (!order || !gone) {
    free(order);
    free(gone);
    return PROTO_E_NO_MEMORY;
  }
  for (size_t i = 0; i < *n; i++) order[i].u = &units[i];
  qsort(order, *n, sizeof *order, cmp_identity_first);
  for (size_t i = 1; i < *n; i++) {
    struct alloc_unit *first = (struct alloc_unit *)order[i - 1].u, *u = (struct alloc_unit *)order[i].u;
    if (u->sector != PROTO_SECTOR_STEEL || first->sector != PROTO_SECTOR_STEEL ||
        strcmp(u->uscc, first->uscc) != 0 || u->flags != first->flags)
      continue;
    order[i].u = first; /* later furnaces of this USCC fold into the same first row */
    if (!steel_add(first, u)) {
      r->line = lines[u - units];
      report(r, 0, "unit", "furnaces of one steel enterprise must agree in flags and columns");
    }
    gone[u - units] = true;
  }
  size_t m = 0;
  for (size_t i = 0; i < *n; i++) {
    if (!gone[i]) units[m++] = units[i];
  }
  *n = m;
  free(order);
  free(gone);
  return 0;
}

struct grow {
  struct alloc_unit *units;
  unsigned *lines;
  size_t count, cap;
};

static int grow_push(struct grow *g, const struct alloc_unit *u, unsigned line) {
  if (g->count == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    struct alloc_unit *nu = realloc(g->units, cap * sizeof *nu);
    if (!nu) return PROTO_E_NO_MEMORY;
    g->units = nu;
    unsigned *nl = realloc(g->lines, cap * sizeof *nl);
    if (!nl) return PROTO_E_NO_MEMORY;
    g->lines = nl;
    g->cap = cap;
  }
  g->units[g->count] = *u;
  g->lines[g->count++] = line;
  return 0;
}

static bool next_line(FILE *in, char *buf, struct reader *r, bool *too_long) {
  if (!fgets(buf, LINE_BYTES_MAX, in)) return false;
  r->line++;
  size_t len = strlen(buf);
  *too_long = len == LINE_BYTES_MAX - 1 && buf[len - 1] != '\n';
  if (*too_long) { /* skip the rest of the line */
    int ch;
    while ((ch = fgetc(in)) != EOF && ch != '\n') {}
  }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = '\0';
  return true;
}

static void read_rows(FILE *in, struct reader *r, struct grow *g, int *err) {
  char buf[LINE_BYTES_MAX];
  bool too_long;
  while (!*err && next_line(in, buf, r, &too_long)) {
    if (too_long) {
      reportf(r, 0, "line", "longer than %u bytes", LINE_BYTES_MAX - 2);
      continue;
    }
    if (buf[0] == '\0' || buf[0] == '#') continue;
    size_t n = split(buf, r->fields);
    if (n != r->fields_count) {
      reportf(r, 0, "row", "%zu fields where the header has %zu", n, r->fields_count);
      continue;
    }
    struct alloc_unit u;
    if (read_row(r, &u)) {
      if (g->count == UNITS_MAX) {
        reportf(r, 0, "row", "more than %u units", UNITS_MAX);
        break;
      }
      *err = grow_push(g, &u, r->line);
    }
  }
}

int alloc_data_read_stream(FILE *in, const char *name, struct alloc_data **out,
                                  FILE *errors, struct alloc_diag *diag) {
  PROTO_ASSERT(in && out);
  struct reader r = {.name = name ? name : "-", .errors = errors, .diag = diag};
  if (diag) memset(diag, 0, sizeof *diag);
  char header[LINE_BYTES_MAX];
  bool too_long = false;
  if (!next_line(in, header, &r, &too_long) || too_long || header[0] == '\0') {
    r.line = 1;
    report(&r, 0, "header", "a header row naming the columns is required");
    return PROTO_E_BAD_DATA;
  }
  if (!read_header(&r, header)) return PROTO_E_BAD_DATA;
  struct grow g = {0};
  int err = 0;
  read_rows(in, &r, &g, &err);
  if (!err && ferror(in)) err = -EIO;
  if (!err) err = check_unique(&r, g.units, g.count, g.lines);
  if (!err && r.errors_count == 0) err = merge_steel(&r, g.units, &g.count, g.lines);
  free(g.lines);
  struct alloc_data *d = NULL;
  if (!err && r.errors_count == 0) {
    d = malloc(sizeof *d);
    if (!d) err = PROTO_E_NO_MEMORY;
  }
  if (err || r.errors_count) {
    free(g.units);
    return err ? err : PROTO_E_BAD_DATA;
  }
  d->units = g.units;
  d->count = g.count;
  *out = d;
  return 0;
}

int alloc_data_read(const char *path, struct alloc_data **out, FILE *errors,
                           struct alloc_diag *diag) {
  FILE *in = fopen(path, "r");
  if (!in) return -errno;
  int err = alloc_data_read_stream(in, path, out, errors, diag);
  fclose(in);
  return err;
}

void alloc_data_free(struct alloc_data *data) {
  if (!data) return;
  free(data->units);
  free(data);
}
