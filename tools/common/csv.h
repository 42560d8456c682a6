/* A strict CSV reader for the bulk imports: header row, comma separated, RFC 4180 quoting on one
 * line; every error names the file, the line and the column so an operator can fix the row. */
#ifndef QUOTAD_TOOLS_CSV_H
#define QUOTAD_TOOLS_CSV_H

#include <stdint.h>
#include <stdio.h>

#define CSV_FIELDS_MAX 32u
#define CSV_LINE_BYTES_MAX 8192u
#define CSV_ERROR_BYTES_MAX 1024u

struct csv_reader {
  FILE *f;
  char path[256];
  unsigned long line;   /* 1-based line number of the current record */
  size_t nfields;       /* fields of the current record */
  char *fields[CSV_FIELDS_MAX];
  size_t nheader;
  char *header[CSV_FIELDS_MAX];
  char header_buf[CSV_LINE_BYTES_MAX];
  char raw[CSV_LINE_BYTES_MAX + 2];
  char buf[CSV_LINE_BYTES_MAX];
  char error[CSV_ERROR_BYTES_MAX]; /* the last error as a sentence */
};

/* Opens path ("-" for stdin) and reads the header row. Returns 0, -errno, or BAD_DATA with
 * r->error set (empty file, bad header, duplicate column name). */
int csv_open(struct csv_reader *r, const char *path);
/* Opens an already open stream (for tests); name is used in messages. */
int csv_open_stream(struct csv_reader *r, FILE *f, const char *name);
void csv_close(struct csv_reader *r);

/* Reads the next record. Returns 1 with a record, 0 at the end, BAD_DATA with r->error set
 * (line too long, wrong number of fields, bad quoting). Blank lines and lines starting with '#'
 * are skipped. */
int csv_next(struct csv_reader *r);

/* Index of a header column, or -1. */
int csv_column(const struct csv_reader *r, const char *name);
/* Looks up n required columns; BAD_DATA naming the first missing one. */
int csv_require(struct csv_reader *r, const char *const *names, int *cols, size_t n);
/* The text of column col of the current record ("" for col < 0). */
const char *csv_get(const struct csv_reader *r, int col);

/* Typed fields; on error r->error names line, column and what was expected. */
int csv_u64(struct csv_reader *r, int col, uint64_t min, uint64_t max, uint64_t *out);
int csv_fail(struct csv_reader *r, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* QUOTAD_TOOLS_CSV_H */
