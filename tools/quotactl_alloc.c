/* quotactl alloc: a thin argument parser over the allocator (alloc/alloc.h). */
#include "tools/quotactl_alloc.h"

#include <stdio.h>
#include <string.h>

#include "alloc/alloc.h"

static int usage(void) {
  fputs("usage: quotactl alloc compute --scheme FILE --data FILE.csv [--bp VALUE] [--csv | --json]\n",
        stderr);
  return 2;
}

static void print_diag(const char *what, int err, const struct alloc_diag *d) {
  fprintf(stderr, "quotactl alloc: %s: %s", what, proto_err_name(err));
  if (d->file) fprintf(stderr, ": %s", d->file);
  if (d->line) fprintf(stderr, ":%u", d->line);
  if (d->column) fprintf(stderr, ":%u", d->column);
  if (d->field[0]) fprintf(stderr, ": %s", d->field);
  fprintf(stderr, ": %s\n", d->message[0] ? d->message : proto_err_message(err));
}

struct options {
  const char *scheme, *data, *bp;
  enum alloc_format format;
};

static int parse(int argc, char **argv, struct options *o) {
  if (argc < 2 || strcmp(argv[1], "compute") != 0) return -1;
  o->format = ALLOC_FORMAT_TABLE;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    const char **slot = strcmp(a, "--scheme") == 0 ? &o->scheme
                        : strcmp(a, "--data") == 0 ? &o->data
                        : strcmp(a, "--bp") == 0   ? &o->bp
                                                   : NULL;
    if (slot) {
      if (i + 1 >= argc) return -1;
      *slot = argv[++i];
    } else if (strcmp(a, "--csv") == 0 || strcmp(a, "--json") == 0) {
      if (o->format != ALLOC_FORMAT_TABLE) return -1;
      o->format = a[2] == 'c' ? ALLOC_FORMAT_CSV : ALLOC_FORMAT_JSON;
    } else {
      return -1;
    }
  }
  return o->scheme && o->data ? 0 : -1;
}

int quotactl_alloc(int argc, char **argv) {
  struct options o = {0};
  if (parse(argc, argv, &o) != 0) return usage();
  struct alloc_diag diag;
  struct alloc_scheme *scheme = NULL;
  struct alloc_data *data = NULL;
  struct alloc_run *run = NULL;
  int err = alloc_scheme_load(o.scheme, &scheme, &diag);
  if (err) {
    diag.file = o.scheme;
    print_diag("scheme", err, &diag);
    return 1;
  }
  err = alloc_data_read(o.data, &data, stderr, &diag);
  if (err) {
    if (err != PROTO_E_BAD_DATA) fprintf(stderr, "quotactl alloc: %s: %s\n", o.data, proto_err_message(err));
  } else if ((err = alloc_compute(scheme, data, o.bp, &run, &diag)) != 0) {
    if (diag.line) fprintf(stderr, "quotactl alloc: data row %u: ", diag.line);
    fprintf(stderr, "%s: %s\n", proto_err_name(err), diag.message[0] ? diag.message : proto_err_message(err));
  } else {
    err = alloc_report(run, o.format, stdout);
  }
  alloc_run_free(run);
  alloc_data_free(data);
  alloc_scheme_free(scheme);
  return err ? 1 : 0;
}
