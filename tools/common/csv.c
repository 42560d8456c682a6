/* The strict CSV reader behind csv.h. Quoted fields may hold commas and doubled quotes but not
 * newlines, so that a record is one line and an error's line number is the line in the file. */
#include "tools/common/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "proto/proto.h"

int csv_fail(struct csv_reader *r, int col, const char *fmt, ...) {
  char what[CSV_ERROR_BYTES_MAX / 2];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  if (col >= 0 && (size_t)col < r->nheader) {
    snprintf(r->error, sizeof(r->error), "%.200s:%lu: column %d (%.64s): %.400s", r->path, r->line, col + 1,
             r->header[col], what);
  } else {
    snprintf(r->error, sizeof(r->error), "%.200s:%lu: %.400s", r->path, r->line, what);
  }
  return PROTO_E_BAD_DATA;
}

/* Reads one physical line into r->raw without its newline. 1 line, 0 end, BAD_DATA too long. */
static int read_line(struct csv_reader *r) {
  if (!fgets(r->raw, sizeof(r->raw), r->f)) return 0;
  r->line++;
  size_t len = strlen(r->raw);
  if (len > 0 && r->raw[len - 1] == '\n') {
    r->raw[--len] = 0;
  } else if (!feof(r->f)) {
    return csv_fail(r, -1, "line longer than %u bytes", CSV_LINE_BYTES_MAX);
  }
  if (len > 0 && r->raw[len - 1] == '\r') r->raw[--len] = 0;
  return 1;
}

/* Splits r->raw into out (pointers into buf). Returns the field count or BAD_DATA. */
static int split(struct csv_reader *r, char *buf, char **out) {
  const char *p = r->raw;
  size_t n = 0, w = 0;
  for (;;) {
    if (n == CSV_FIELDS_MAX) return csv_fail(r, -1, "more than %u fields", CSV_FIELDS_MAX);
    out[n++] = buf + w;
    if (*p == '"') {
      p++;
      for (;;) {
        if (*p == 0) return csv_fail(r, (int)n - 1, "unterminated quoted field");
        if (*p == '"' && p[1] == '"') {
          buf[w++] = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else {
          buf[w++] = *p++;
        }
      }
      if (*p != ',' && *p != 0) return csv_fail(r, (int)n - 1, "text after a closing quote");
    } else {
      while (*p != ',' && *p != 0) {
        if (*p == '"') return csv_fail(r, (int)n - 1, "a quote inside an unquoted field");
        buf[w++] = *p++;
      }
    }
    buf[w++] = 0;
    if (*p == 0) break;
    p++; /* the comma */
  }
  return (int)n;
}

int csv_open_stream(struct csv_reader *r, FILE *f, const char *name) {
  memset(r->fields, 0, sizeof(r->fields));
  r->f = f;
  r->line = 0;
  r->nfields = 0;
  r->nheader = 0;
  r->error[0] = 0;
  snprintf(r->path, sizeof(r->path), "%s", name);
  int rc;
  do {
    rc = read_line(r);
    if (rc == 0) return csv_fail(r, -1, "empty file: a header row is required");
    if (rc < 0) return rc;
  } while (r->raw[0] == 0 || r->raw[0] == '#');
  int n = split(r, r->header_buf, r->header);
  if (n < 0) return n;
  r->nheader = (size_t)n;
  for (size_t i = 0; i < r->nheader; i++) {
    if (r->header[i][0] == 0) return csv_fail(r, (int)i, "empty column name in the header");
    for (size_t j = 0; j < i; j++) {
      if (strcmp(r->header[i], r->header[j]) == 0) {
        return csv_fail(r, (int)i, "column named twice in the header");
      }
    }
  }
  return 0;
}

int csv_open(struct csv_reader *r, const char *path) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
  if (!f) {
    int err = -errno;
    snprintf(r->error, sizeof(r->error), "%s: %s", path, strerror(errno));
    return err;
  }
  int rc = csv_open_stream(r, f, path);
  if (rc) csv_close(r);
  return rc;
}

void csv_close(struct csv_reader *r) {
  if (r->f && r->f != stdin) fclose(r->f);
  r->f = NULL;
}

int csv_next(struct csv_reader *r) {
  for (;;) {
    int rc = read_line(r);
    if (rc <= 0) return rc;
    if (r->raw[0] == 0 || r->raw[0] == '#') continue;
    int n = split(r, r->buf, r->fields);
    if (n < 0) return n;
    r->nfields = (size_t)n;
    if (r->nfields != r->nheader) {
      return csv_fail(r, -1, "%zu fields where the header has %zu", r->nfields, r->nheader);
    }
    return 1;
  }
}

int csv_column(const struct csv_reader *r, const char *name) {
  for (size_t i = 0; i < r->nheader; i++) {
    if (strcmp(r->header[i], name) == 0) return (int)i;
  }
  return -1;
}

int csv_require(struct csv_reader *r, const char *const *names, int *cols, size_t n) {
  for (size_t i = 0; i < n; i++) {
    cols[i] = csv_column(r, names[i]);
    if (cols[i] < 0) {
      unsigned long line = r->line;
      r->line = 1;
      csv_fail(r, -1, "the header lacks the required column '%s'", names[i]);
      r->line = line;
      return PROTO_E_BAD_DATA;
    }
  }
  return 0;
}

const char *csv_get(const struct csv_reader *r, int col) {
  if (col < 0 || (size_t)col >= r->nfields) return "";
  return r->fields[col];
}

int csv_u64(struct csv_reader *r, int col, uint64_t min, uint64_t max, uint64_t *out) {
  const char *s = csv_get(r, col);
  if (*s == 0) return csv_fail(r, col, "empty; a whole number is required");
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') {
      return csv_fail(r, col, "'%s' is not a whole number (no sign, decimals or spaces)", s);
    }
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v)) {
      return csv_fail(r, col, "'%s' is too large", s);
    }
  }
  if (v < min || v > max) {
    return csv_fail(r, col, "%s is outside %llu..%llu", s, (unsigned long long)min,
                    (unsigned long long)max);
  }
  *out = v;
  return 0;
}
