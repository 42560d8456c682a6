/* quotactl alloc publish / show: an allocation table on the ledger. publish computes the table
 * with the allocator, as the ledger will recompute it, and submits its header, its rows in
 * chunks and its closing entry; show reads a table back from the public API. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "alloc/alloc.h"
#include "tools/quotactl.h"
#include "tools/quotactl_alloc.h"

#define CHUNK_ROWS_DEFAULT 300u /* 300 rows of at most 145 bytes: well inside one entry */

struct publish {
  const char *scheme_path, *data_path, *bp, *instrument;
  uint64_t table, chunk;
  uint8_t confidential; /* proto_row_input bits */
  char *scheme_text;
};

static int confidential_of(const char *list, uint8_t *mask) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", list);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    unsigned bit = 1;
    while (bit <= PROTO_ROW_INPUTS_ALL && strcmp(proto_row_input_name(bit), t) != 0) bit <<= 1;
    if (bit > PROTO_ROW_INPUTS_ALL) {
      fprintf(stderr, "quotactl alloc publish: --confidential: unknown input '%s'\n", t);
      return QCTL_EXIT_USAGE;
    }
    *mask |= (uint8_t)bit;
  }
  return 0;
}

static int publish_opts(const struct qopts *o, struct publish *p) {
  memset(p, 0, sizeof(*p));
  p->scheme_path = qopts_get(o, "scheme");
  p->data_path = qopts_get(o, "data");
  p->bp = qopts_get(o, "bp");
  p->instrument = qopts_get(o, "instrument");
  p->chunk = CHUNK_ROWS_DEFAULT;
  const char *table = qopts_get(o, "table"), *chunk = qopts_get(o, "chunk");
  const char *conf = qopts_get(o, "confidential");
  if (!p->scheme_path || !p->data_path || !table) {
    fprintf(stderr, "quotactl alloc publish: --scheme, --data and --table are required\n");
    return QCTL_EXIT_USAGE;
  }
  int rc = qopts_u64(table, "--table", 1, INT64_MAX, &p->table);
  if (!rc && chunk) rc = qopts_u64(chunk, "--chunk", 1, PROTO_TABLE_ROWS_MAX, &p->chunk);
  if (!rc && conf) rc = confidential_of(conf, &p->confidential);
  return rc;
}

static int read_scheme_text(struct publish *p) {
  FILE *f = fopen(p->scheme_path, "r");
  p->scheme_text = calloc(1, PROTO_SCHEME_BYTES_MAX + 2);
  size_t n = f && p->scheme_text ? fread(p->scheme_text, 1, PROTO_SCHEME_BYTES_MAX + 1, f) : 0;
  if (f) fclose(f);
  if (n == 0 || n > PROTO_SCHEME_BYTES_MAX) {
    fprintf(stderr, "quotactl alloc publish: %s: unreadable, empty or over %u bytes\n",
            p->scheme_path, PROTO_SCHEME_BYTES_MAX);
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

/* The run the ledger will agree with: a solved balance value is the solve truncated to 18
 * places, and the amounts are computed with that value. */
static int compute(const struct publish *p, struct alloc_scheme *s, const struct alloc_data *d,
                   struct alloc_run **run, char bp[ALLOC_TEXT_BYTES], unsigned *bp_kind) {
  struct alloc_diag diag = {0};
  int err = alloc_compute(s, d, p->bp, run, &diag);
  *bp_kind = PROTO_BP_NONE;
  bp[0] = '\0';
  if (!err && !(*run)->summary.pre_only && (*run)->summary.bp[0]) {
    *bp_kind = (*run)->summary.bp_solved ? PROTO_BP_SOLVED : PROTO_BP_PUBLISHED;
    memcpy(bp, (*run)->summary.bp, ALLOC_TEXT_BYTES);
    if ((*run)->summary.bp_solved) {
      alloc_run_free(*run);
      *run = NULL;
      err = alloc_compute(s, d, bp, run, &diag);
    }
  }
  if (err) {
    fprintf(stderr, "quotactl alloc publish: %s: unit %u: %s\n", proto_err_name(err), diag.line,
            diag.message[0] ? diag.message : proto_err_message(err));
    return QCTL_EXIT_USAGE;
  }
  return 0;
}

static int rows_of(const struct publish *p, const struct alloc_run *run, struct proto_alloc_row **out) {
  struct proto_alloc_row *rows = calloc(run->count ? run->count : 1, sizeof(*rows));
  if (!rows) return QCTL_EXIT_IO;
  for (size_t i = 0; i < run->count; i++) {
    alloc_row_from_result(run, i, &rows[i]);
    rows[i].confidential = p->confidential;
    if (p->confidential && RAND_bytes(rows[i].salt, PROTO_SALT_BYTES) != 1) {
      free(rows);
      return QCTL_EXIT_IO;
    }
  }
  *out = rows;
  return 0;
}

/* The id of one entry of the table: derived (qctl_id_derive, by the first --key) from the table
 * id, the part and, for a chunk, its first row, so that a rerun answers 'exists'. */
static int table_entry_id(struct qctl *q, unsigned type, uint64_t table, size_t first,
                          uint8_t id[PROTO_ID_BYTES]) {
  char table_text[24], first_text[24];
  snprintf(table_text, sizeof(table_text), "%" PRIu64, table);
  snprintf(first_text, sizeof(first_text), "%zu", first);
  const char *fields[] = {"alloc-table", table_text, first_text};
  return qctl_id_derive(q, NULL, type, fields, type == PROTO_TX_ALLOC_TABLE_ROWS ? 3 : 2, id);
}

/* Queues the header, the chunks and the closing entry, with ids derived from the table id. */
static int queue_table(struct qctl *q, const struct publish *p, const struct alloc_run *run,
                       const struct proto_alloc_row *rows, const char *bp, unsigned bp_kind) {
  struct qctl_batch *b = qctl_batch_open(q, p->data_path);
  if (!b) return QCTL_EXIT_IO;
  struct proto_tx tx = {.type = PROTO_TX_ALLOC_TABLE_OPEN};
  struct proto_alloc_table_open *h = &tx.u.table_open;
  h->table = p->table;
  if (p->instrument) snprintf(h->instrument, sizeof(h->instrument), "%s", p->instrument);
  else snprintf(h->instrument, sizeof(h->instrument), "CEA-%u", alloc_scheme_year(run->scheme));
  h->phase = run->summary.pre_only ? PROTO_PHASE_PRE : PROTO_PHASE_FINAL;
  h->status = alloc_scheme_draft(run->scheme) ? PROTO_SCHEME_DRAFT : PROTO_SCHEME_FINAL;
  h->bp_kind = (uint8_t)bp_kind;
  snprintf(h->bp, sizeof(h->bp), "%s", bp);
  h->rows_count = run->count;
  h->scheme = p->scheme_text;
  int rc = proto_alloc_rows_hash(rows, run->count, h->rows_hash) ? QCTL_EXIT_USAGE : 0;
  if (!rc) rc = table_entry_id(q, tx.type, p->table, 0, tx.id);
  if (!rc) rc = qctl_batch_queue(b, &tx, NULL, 0, 0);
  for (size_t first = 0; first < run->count && !rc; first += p->chunk) {
    struct proto_tx c = {.type = PROTO_TX_ALLOC_TABLE_ROWS};
    c.u.table_rows.table = p->table;
    c.u.table_rows.first_row = first;
    c.u.table_rows.rows_count = (uint16_t)(run->count - first < p->chunk ? run->count - first : p->chunk);
    c.u.table_rows.rows = (struct proto_alloc_row *)&rows[first];
    rc = table_entry_id(q, c.type, p->table, first, c.id);
    if (!rc) rc = qctl_batch_queue(b, &c, NULL, 0, (unsigned long)first + 2);
  }
  struct proto_tx close = {.type = PROTO_TX_ALLOC_TABLE_CLOSE};
  close.u.table_close.table = p->table;
  close.u.table_close.action = PROTO_TABLE_CLOSE;
  if (!rc) rc = table_entry_id(q, close.type, p->table, 0, close.id);
  if (!rc) rc = qctl_batch_queue(b, &close, NULL, 0, 0);
  return qctl_batch_close(b, rc);
}

int qctl_alloc_publish(struct qctl *q, const struct qopts *o) {
  struct publish p;
  struct alloc_scheme *s = NULL;
  struct alloc_data *d = NULL;
  struct alloc_run *run = NULL;
  struct proto_alloc_row *rows = NULL;
  char bp[ALLOC_TEXT_BYTES];
  unsigned bp_kind = PROTO_BP_NONE;
  struct alloc_diag diag = {0};
  int rc = publish_opts(o, &p);
  if (!rc) rc = read_scheme_text(&p);
  if (!rc && alloc_scheme_parse(p.scheme_text, &s, &diag) != 0) {
    fprintf(stderr, "quotactl alloc publish: %s:%u: %s: %s\n", p.scheme_path, diag.line,
            diag.field, diag.message);
    rc = QCTL_EXIT_USAGE;
  }
  if (!rc && alloc_data_read(p.data_path, &d, stderr, &diag) != 0) rc = QCTL_EXIT_USAGE;
  if (!rc) rc = compute(&p, s, d, &run, bp, &bp_kind);
  if (!rc) rc = rows_of(&p, run, &rows);
  if (!rc) rc = qctl_fetch_log(q);
  if (!rc) {
    fprintf(stderr, "alloc publish: table %" PRIu64 ", %s, %zu rows, %s, balance value %s\n",
            p.table, alloc_scheme_name(s), run->count,
            run->summary.pre_only ? "pre-allocation" : "final", bp[0] ? bp : "none");
    rc = queue_table(q, &p, run, rows, bp, bp_kind);
  }
  free(rows);
  alloc_run_free(run);
  alloc_data_free(d);
  alloc_scheme_free(s);
  free(p.scheme_text);
  return rc;
}

int qctl_alloc_show(struct qctl *q, const struct qopts *o) {
  const char *table = qopts_get(o, "table"), *start = qopts_get(o, "row-start");
  char path[128];
  uint64_t id = 0, from = 0;
  int rc = table ? qopts_u64(table, "--table", 1, INT64_MAX, &id) : 0;
  if (!rc && start) rc = qopts_u64(start, "--row-start", 0, INT64_MAX, &from);
  if (rc) return rc;
  if (table) snprintf(path, sizeof(path), "/v1/allocation-tables/%" PRIu64 "?row_start=%" PRIu64, id, from);
  else snprintf(path, sizeof(path), "/v1/allocation-tables");
  json_t *ans = NULL;
  /* signed when a key is given: the enterprise, operators and auditors see confidential inputs */
  rc = qctl_get(q, path, q->key_paths[0] != NULL || q->read_key_path != NULL, &ans);
  if (rc) return rc;
  json_dumpf(ans, stdout, JSON_INDENT(2));
  fputc('\n', stdout);
  json_decref(ans);
  return QCTL_EXIT_OK;
}
