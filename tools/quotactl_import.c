/* Bulk forms: a CSV file whose columns are a transaction type's JSON field names, one transaction
 * per row (settle: legs grouped by batch reference), submitted in batches of up to 1000
 * envelopes. Ids are derived (qctl_id_derive) from what identifies each row, so a rerun applies
 * nothing twice and nobody without the signing key can predict them. */
#include "proto/proto_json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/common/csv.h"
#include "tools/quotactl.h"
#include "tools/quotactl_build.h"

#define REFUSAL_KINDS_MAX 32u
#define REFUSALS_SHOWN_MAX 20u
#define KEY_CACHE_MAX 8192u /* distinct key files named by a 'key' column */
#define SEEN_ROWS_MAX (1u << 26) /* distinct row seeds one import counts (1 GiB of table) */

/* How many earlier rows of this file had the same seed: two identical transfers in one file
 * differ only in their amount or not at all, so the occurrence keeps their ids apart. */
struct seen_row {
  uint8_t hash[16]; /* SHA-256 of the seed, first 16 bytes; all zero: a free slot */
  uint32_t count;
};

struct import {
  struct qctl *q;
  const char *path;
  json_t *batch;                      /* envelopes waiting for the next POST */
  unsigned long lines[QCTL_BATCH_MAX]; /* line of each envelope in batch */
  size_t batch_max;
  uint64_t rows, ok, exists, refused, shown;
  struct {
    char code[64];
    uint64_t count;
  } by_code[REFUSAL_KINDS_MAX];
  size_t codes;
  size_t nkeys; /* key files loaded for 'key' columns, each once */
  char *key_paths[KEY_CACHE_MAX];
  struct proto_key *keys[KEY_CACHE_MAX];
  struct seen_row *seen; /* open addressing, seen_cap a power of two, at most half full */
  size_t seen_cap, seen_used;
  bool dry_run;          /* --dry-run: every row read, built and signed; nothing submitted */
  uint64_t checked;      /* rows a dry run would submit */
  json_t *refusals;      /* with --json: every refused row (line, code, message, available) */
};

static int cached_key(struct import *im, const char *path, struct proto_key **out) {
  for (size_t i = 0; i < im->nkeys; i++) {
    if (strcmp(im->key_paths[i], path) == 0) {
      *out = im->keys[i];
      return 0;
    }
  }
  if (im->nkeys == KEY_CACHE_MAX) return PROTO_E_TOO_LARGE;
  int rc = proto_key_load(path, out);
  if (rc) return rc;
  im->key_paths[im->nkeys] = strdup(path);
  im->keys[im->nkeys++] = *out;
  return 0;
}

static void free_keys(struct import *im) {
  for (size_t i = 0; i < im->nkeys; i++) {
    free(im->key_paths[i]);
    proto_key_free(im->keys[i]);
  }
  im->nkeys = 0;
}

/* The signers a 'key' cell names: key file paths separated by ';', relative to the CSV's folder
 * when not absolute. */
static int row_keys(struct import *im, struct csv_reader *r, int col, const struct proto_key **keys,
                    size_t *n) {
  char cell[CSV_LINE_BYTES_MAX];
  snprintf(cell, sizeof(cell), "%s", csv_get(r, col));
  const char *slash = strrchr(im->path, '/');
  int dirlen = slash ? (int)(slash - im->path) : 0;
  *n = 0;
  char *save = NULL;
  for (char *t = strtok_r(cell, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
    if (*n == PROTO_SIGS_MAX) return csv_fail(r, col, "more than %u keys", PROTO_SIGS_MAX);
    char path[4096];
    if (t[0] == '/' || !slash) {
      snprintf(path, sizeof(path), "%s", t);
    } else {
      snprintf(path, sizeof(path), "%.*s/%s", dirlen, im->path, t);
    }
    struct proto_key *k = NULL;
    int rc = cached_key(im, path, &k);
    if (rc) return csv_fail(r, col, "cannot load key file %s: %s", path, proto_err_message(rc));
    keys[(*n)++] = k;
  }
  if (*n == 0) return csv_fail(r, col, "no key file named");
  return 0;
}

static void tally_refusal(struct import *im, const struct qctl_result *r, unsigned long line) {
  im->refused++;
  size_t k = 0;
  while (k < im->codes && strcmp(im->by_code[k].code, r->code_name) != 0) k++;
  if (k == im->codes && im->codes < REFUSAL_KINDS_MAX) {
    snprintf(im->by_code[im->codes++].code, sizeof(im->by_code[0].code), "%s", r->code_name);
  }
  if (k < im->codes) im->by_code[k].count++;
  if (im->refusals) {
    json_t *one = json_pack("{s:I,s:s,s:s}", "line", (json_int_t)line, "code", r->code_name,
                            "message", r->message);
    if (one && r->has_available) json_object_set_new(one, "available", json_integer((json_int_t)r->available));
    if (one) json_array_append_new(im->refusals, one);
  }
  if (im->shown++ < REFUSALS_SHOWN_MAX) {
    fprintf(stderr, "\n%s:%lu: refused: %s: %s", im->path, line, r->code_name, r->message);
    if (r->has_available) fprintf(stderr, " (available %" PRIu64 " t)", r->available);
  }
}

static int flush(struct import *im);

struct qctl_batch *qctl_batch_open(struct qctl *q, const char *label) {
  struct import *im = calloc(1, sizeof(*im));
  if (!im) return NULL;
  im->q = q;
  im->path = label;
  im->batch_max = QCTL_BATCH_MAX;
  im->batch = json_array();
  im->refusals = q->json ? json_array() : NULL;
  im->dry_run = q->dry_run;
  return (struct qctl_batch *)im;
}

int qctl_batch_key(struct qctl_batch *b, const char *path, struct proto_key **out) {
  return cached_key((struct import *)b, path, out);
}

static int queue(struct import *im, const struct proto_tx *tx, unsigned long line,
                 const struct proto_key *const *keys, size_t nkeys);

int qctl_batch_queue(struct qctl_batch *b, const struct proto_tx *tx,
                     const struct proto_key *const *keys, size_t nkeys, unsigned long line) {
  return queue((struct import *)b, tx, line, keys, nkeys);
}

static void import_summary(struct import *im);

int qctl_batch_close(struct qctl_batch *b, int rc) {
  struct import *im = (struct import *)b;
  if (rc == 0) rc = flush(im);
  free_keys(im);
  free(im->seen);
  json_decref(im->batch);
  import_summary(im);
  json_decref(im->refusals);
  if (rc == 0 && im->refused) rc = QCTL_EXIT_REFUSED;
  free(im);
  return rc;
}

static int flush(struct import *im) {
  size_t n = json_array_size(im->batch);
  if (n == 0) return 0;
  if (im->dry_run) { /* built and signed: what would be sent is known good locally */
    im->checked += n;
    json_array_clear(im->batch);
    return 0;
  }
  struct qctl_result *res = calloc(n, sizeof(*res));
  if (!res) return QCTL_EXIT_IO;
  int rc = qctl_submit(im->q, im->batch, res, n, NULL);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (res[i].code == 0) {
      im->ok++;
    } else if (res[i].code == QCTL_RESULT_EXISTS) {
      im->exists++;
    } else {
      tally_refusal(im, &res[i], im->lines[i]);
    }
  }
  free(res);
  json_array_clear(im->batch);
  fprintf(stderr, "\r%s: %" PRIu64 " submitted: %" PRIu64 " ok, %" PRIu64 " exists, %" PRIu64
          " refused ", im->path, im->ok + im->exists + im->refused, im->ok, im->exists, im->refused);
  return rc;
}

/* Signs tx (with keys when n > 0, else --key) and queues it; flushes a full batch. */
static int queue(struct import *im, const struct proto_tx *tx, unsigned long line,
                 const struct proto_key *const *keys, size_t nkeys) {
  json_t *env = NULL;
  int rc = nkeys ? qctl_sign_tx_with(im->q, tx, keys, nkeys, &env) : qctl_sign_tx(im->q, tx, &env);
  if (rc) return rc;
  im->lines[json_array_size(im->batch)] = line;
  json_array_append_new(im->batch, env);
  return json_array_size(im->batch) >= im->batch_max ? flush(im) : 0;
}

static int resolve_cb(void *ctx, const char *ref, uint64_t *id) {
  return qctl_resolve_account(ctx, ref, id);
}

/* Where a seed's hash starts probing: its first 8 bytes, already uniform. */
static size_t seen_slot(const uint8_t *hash) {
  uint64_t v;
  memcpy(&v, hash, sizeof(v));
  return (size_t)v;
}

static int seen_grow(struct import *im) {
  size_t cap = im->seen_cap ? im->seen_cap * 2 : 1024;
  if (cap > 2u * SEEN_ROWS_MAX) return PROTO_E_TOO_LARGE;
  struct seen_row *t = calloc(cap, sizeof(*t));
  if (!t) return PROTO_E_NO_MEMORY;
  for (size_t i = 0; i < im->seen_cap; i++) {
    if (im->seen[i].count == 0) continue;
    size_t at = seen_slot(im->seen[i].hash);
    while (t[at & (cap - 1)].count) at++;
    t[at & (cap - 1)] = im->seen[i];
  }
  free(im->seen);
  im->seen = t;
  im->seen_cap = cap;
  return 0;
}

/* The number of earlier rows with this seed (0 for the first), or a negative code. */
static long occurrence(struct import *im, const char *seed) {
  if (im->seen_used * 2 >= im->seen_cap) {
    int rc = seen_grow(im);
    if (rc) return rc;
  }
  PROTO_ASSERT(im->seen_used * 2 < im->seen_cap); /* a free slot ends every probe */
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(seed, strlen(seed), h);
  size_t at = seen_slot(h);
  for (;; at++) {
    struct seen_row *e = &im->seen[at & (im->seen_cap - 1)];
    if (e->count == 0) {
      memcpy(e->hash, h, sizeof(e->hash));
      e->count = 1;
      im->seen_used++;
      return 0;
    }
    if (memcmp(e->hash, h, sizeof(e->hash)) == 0) return e->count++;
  }
}

/* The derived id of a row: its seed and its occurrence in this file, by the row's signer. */
static int row_id(struct import *im, struct csv_reader *r, unsigned type, const struct qopts *o,
                  const struct proto_key *signer, uint8_t id[PROTO_ID_BYTES]) {
  static char seed[PROTO_ID_SEED_BYTES_MAX];
  long n = qbuild_row_seed(type, o, seed, sizeof(seed));
  long nth = n < 0 ? n : occurrence(im, seed);
  if (nth < 0) {
    fprintf(stderr, "\n%s:%lu: no id for this row: %s\n", im->path, r->line,
            proto_err_message((int)nth));
    return nth == PROTO_E_FIELD_TOO_LONG ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  char nth_text[24];
  snprintf(nth_text, sizeof(nth_text), "%ld", nth);
  const char *fields[2] = {seed, nth_text};
  return qctl_id_derive(im->q, signer, type, fields, 2, id);
}

static int import_row(struct import *im, struct csv_reader *r, unsigned type) {
  struct qopts o = {0};
  int id_col = -1, key_col = -1;
  for (size_t c = 0; c < r->nheader; c++) {
    if (strcmp(r->header[c], "id") == 0) {
      id_col = (int)c;
      continue;
    }
    if (strcmp(r->header[c], "key") == 0) {
      key_col = (int)c;
      continue;
    }
    if (r->fields[c][0] == 0) continue; /* empty cell: the field's default */
    o.names[o.n] = r->header[c];
    o.values[o.n++] = r->fields[c];
  }
  uint8_t id[PROTO_ID_BYTES] = {0}; /* derived below, once the row is known to be valid */
  bool explicit_id = id_col >= 0 && csv_get(r, id_col)[0];
  if (explicit_id) {
    const char *hex = csv_get(r, id_col);
    if (strlen(hex) != 32 || proto_hex_decode(hex, 32, id, sizeof(id)) != PROTO_ID_BYTES) {
      csv_fail(r, id_col, "an id is 32 hexadecimal characters");
      fprintf(stderr, "%s\n", r->error);
      return QCTL_EXIT_USAGE;
    }
  }
  char err[512];
  json_t *obj = NULL;
  int rc = qbuild_tx_json(type, &o, id, "column ", resolve_cb, im->q, &obj, err, sizeof(err));
  if (rc) {
    if (err[0]) fprintf(stderr, "\n%s:%lu: %s\n", im->path, r->line, err);
    return rc;
  }
  struct proto_tx tx;
  const char *where = NULL;
  rc = proto_tx_from_json(obj, &tx, &where);
  json_decref(obj);
  if (rc) {
    fprintf(stderr, "\n%s:%lu: column %s: %s: %s\n", im->path, r->line, where ? where : "?",
            proto_err_name(rc), proto_err_message(rc));
    return QCTL_EXIT_USAGE;
  }
  const struct proto_key *keys[PROTO_SIGS_MAX];
  size_t nkeys = 0;
  if (key_col >= 0 && csv_get(r, key_col)[0] && row_keys(im, r, key_col, keys, &nkeys)) {
    fprintf(stderr, "\n%s\n", r->error);
    proto_tx_free(&tx);
    return QCTL_EXIT_USAGE;
  }
  if (!explicit_id) rc = row_id(im, r, type, &o, nkeys ? keys[0] : NULL, tx.id);
  if (!rc) rc = queue(im, &tx, r->line, keys, nkeys);
  proto_tx_free(&tx);
  return rc;
}

/* Settlement: rows are legs; consecutive rows with the same ref form one exchange batch, split
 * into entries of at most PROTO_LEGS_MAX legs. */
struct settle_group {
  char ref[PROTO_REF_BYTES_MAX + 1];
  unsigned long first_line;
  size_t nlegs;
  unsigned chunk;
  struct proto_leg legs[PROTO_LEGS_MAX];
};

static int settle_flush(struct import *im, struct settle_group *g) {
  if (g->nlegs == 0) return 0;
  struct proto_tx tx = {.type = PROTO_TX_SETTLE};
  g->chunk++;
  /* the first part keeps the exchange's reference; later parts say which part they are */
  int n = g->chunk == 1 ? snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "%s", g->ref)
                        : snprintf(tx.u.settle.ref, sizeof(tx.u.settle.ref), "%.240s part %u",
                                   g->ref, g->chunk);
  (void)n;
  tx.u.settle.legs_count = (uint16_t)g->nlegs;
  tx.u.settle.legs = g->legs; /* borrowed: not freed with proto_tx_free */
  /* the exchange's reference and the part identify it, never the legs' amounts */
  char part[16];
  snprintf(part, sizeof(part), "%u", g->chunk);
  const char *fields[2] = {g->ref, part};
  int rc = qctl_id_derive(im->q, NULL, PROTO_TX_SETTLE, fields, 2, tx.id);
  if (!rc) rc = qctl_load_keys(im->q);
  if (!rc && im->q->nkeys == 0) rc = QCTL_EXIT_USAGE;
  /* salts derived from the signing key: a rerun signs the same body under the same id */
  if (!rc) rc = qctl_settle_seal(im->q, &tx, im->q->keys[0]);
  if (!rc) rc = queue(im, &tx, g->first_line, NULL, 0);
  g->nlegs = 0;
  return rc;
}

static int settle_row(struct import *im, struct csv_reader *r, const int *cols,
                      struct settle_group *g) {
  const char *ref = csv_get(r, cols[0]);
  if (!*ref) return csv_fail(r, cols[0], "a settlement reference is required");
  if (strlen(ref) > PROTO_REF_BYTES_MAX - 16) return csv_fail(r, cols[0], "reference too long");
  if (strcmp(ref, g->ref) != 0) {
    int rc = settle_flush(im, g);
    if (rc) return rc;
    snprintf(g->ref, sizeof(g->ref), "%s", ref);
    g->chunk = 0;
  }
  if (g->nlegs == PROTO_LEGS_MAX) {
    int rc = settle_flush(im, g);
    if (rc) return rc;
  }
  struct proto_leg *leg = &g->legs[g->nlegs];
  memset(leg, 0, sizeof(*leg));
  int rc = qctl_resolve_account(im->q, csv_get(r, cols[1]), &leg->from);
  if (!rc) rc = qctl_resolve_account(im->q, csv_get(r, cols[2]), &leg->to);
  if (rc) {
    fprintf(stderr, "%s:%lu: in the from / to columns\n", im->path, r->line);
    return rc;
  }
  const char *code = csv_get(r, cols[3]);
  if (!*code || strlen(code) > PROTO_INSTRUMENT_BYTES) {
    return csv_fail(r, cols[3], "an instrument code has 1-16 characters");
  }
  memcpy(leg->instrument, code, strlen(code) + 1);
  if (csv_u64(r, cols[4], 1, PROTO_AMOUNT_MAX, &leg->amount)) return PROTO_E_BAD_DATA;
  if (g->nlegs == 0) g->first_line = r->line;
  g->nlegs++;
  return 0;
}

static int import_settle(struct import *im, struct csv_reader *r) {
  static const char *const names[] = {"ref", "from", "to", "instrument", "amount"};
  int cols[5];
  if (csv_require(r, names, cols, 5)) {
    fprintf(stderr, "%s\n", r->error);
    return QCTL_EXIT_USAGE;
  }
  static struct settle_group g; /* 40 KB of legs: not on the stack */
  memset(&g, 0, sizeof(g));
  int rc;
  while ((rc = csv_next(r)) == 1) {
    rc = settle_row(im, r, cols, &g);
    if (rc == PROTO_E_BAD_DATA) {
      fprintf(stderr, "\n%s\n", r->error);
      return QCTL_EXIT_USAGE;
    }
    if (rc) return rc;
    im->rows++;
  }
  if (rc < 0) {
    fprintf(stderr, "\n%s\n", r->error);
    return QCTL_EXIT_USAGE;
  }
  return settle_flush(im, &g);
}

static int import_rows(struct import *im, struct csv_reader *r, unsigned type) {
  int rc;
  while ((rc = csv_next(r)) == 1) {
    rc = import_row(im, r, type);
    if (rc) return rc;
    im->rows++;
  }
  if (rc < 0) {
    fprintf(stderr, "\n%s\n", r->error);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

static void import_help(const char *what) {
  printf("usage: quotactl [--key FILE]... %s import FILE.csv [--batch N]\n"
         "One transaction per row; the header names the columns, which are the JSON field names\n"
         "of the transaction (see quotactl <type> --help; an empty cell takes the field's\n"
         "default; an optional 'id' column gives explicit ids). Documented forms:\n"
         "  accounts import:    account,kind,province,sector,threshold,uscc,name,note\n"
         "  emissions import:   account,year,emissions,ref\n"
         "  allocations import: from,to,instrument,amount,year,kind\n"
         "  settle import:      ref,from,to,instrument,amount  (one leg per row; rows of one\n"
         "                      ref are consecutive; split into entries of at most 1000 legs)\n"
         "  also: transfers, surrenders, position-moves, clawbacks, cancels, freezes, deductions,\n"
         "  or any transaction command name.\n"
         "A 'key' column names the key files that sign that row (';' between several; paths\n"
         "relative to the CSV's folder); rows without one are signed by every --key.\n"
         "Accounts may be given as ids, USCCs or CN-<code>. Ids are derived from each row's\n"
         "fields other than amounts (and its occurrence among equal rows) by a signature of\n"
         "the row's signer (or --id-key): rerunning a file answers 'exists' for rows already\n"
         "applied, a row whose amount was edited meets id_conflict, and nobody without the\n"
         "key can predict an id.\n", what);
}

static void import_summary(struct import *im) {
  fprintf(stderr, "\n");
  if (im->q->json) {
    json_t *by = json_object();
    for (size_t k = 0; k < im->codes; k++) {
      json_object_set_new(by, im->by_code[k].code, json_integer((json_int_t)im->by_code[k].count));
    }
    json_t *s = json_pack("{s:s,s:I,s:I,s:I,s:I,s:o,s:O}", "file", im->path, "rows",
                          (json_int_t)im->rows, "ok", (json_int_t)im->ok, "exists",
                          (json_int_t)im->exists, "refused", (json_int_t)im->refused,
                          "refused_by_code", by, "refusals", im->refusals);
    if (im->dry_run) json_object_set_new(s, "dry_run_checked", json_integer((json_int_t)im->checked));
    json_dumpf(s, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(s);
    return;
  }
  if (im->dry_run) {
    printf("%s: dry run: %" PRIu64 " rows read, %" PRIu64 " transactions built and signed; "
           "nothing was submitted\n", im->path, im->rows, im->checked);
    return;
  }
  if (im->rows) printf("%s: %" PRIu64 " rows, ", im->path, im->rows);
  if (!im->rows) printf("%s: ", im->path);
  printf("%" PRIu64 " transactions: %" PRIu64 " ok, %" PRIu64 " exists, %" PRIu64 " refused\n",
         im->ok + im->exists + im->refused, im->ok, im->exists, im->refused);
  for (size_t k = 0; k < im->codes; k++) {
    printf("  refused %s: %" PRIu64 "\n", im->by_code[k].code, im->by_code[k].count);
  }
}

int qctl_cmd_import(struct qctl *q, const char *what, int argc, char **argv) {
  unsigned type = qbuild_type_of(what);
  if (!type) {
    fprintf(stderr, "quotactl: nothing to import as '%s' (see quotactl accounts import --help)\n",
            what);
    return QCTL_EXIT_USAGE;
  }
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  if (qopts_has(&o, "help") || o.npos != 1) {
    import_help(what);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  static const char *const allowed[] = {"batch", NULL};
  if ((rc = qopts_only(&o, "import", allowed))) return rc;
  const char *b = qopts_get(&o, "batch");
  uint64_t bm = QCTL_BATCH_MAX;
  if (b && (rc = qopts_u64(b, "--batch", 1, QCTL_BATCH_MAX, &bm))) return rc;
  static struct csv_reader r;
  rc = csv_open(&r, o.pos[0]);
  if (rc) {
    fprintf(stderr, "quotactl: %s\n", r.error);
    return rc == PROTO_E_BAD_DATA ? QCTL_EXIT_USAGE : QCTL_EXIT_IO;
  }
  struct import *im = (struct import *)qctl_batch_open(q, o.pos[0]);
  if (!im) {
    csv_close(&r);
    return QCTL_EXIT_IO;
  }
  im->batch_max = (size_t)bm;
  rc = type == PROTO_TX_SETTLE ? import_settle(im, &r) : import_rows(im, &r, type);
  csv_close(&r);
  return qctl_batch_close((struct qctl_batch *)im, rc);
}
