/* export: the whole ledger in the quotad-export/1 format (docs/QUOTACTL.md "Export") that quota-audit reads: the
 * checkpoint, every entry's exact leaf bytes, and what the registry reports about its state. */
#include "proto/proto_json.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/quotactl.h"

#define EXPORT_PAGE_ENTRIES 1000u
#define EXPORT_STABLE_TRIES 10u

/* The checkpoint text and its tree size (line 2 of the note). */
static int fetch_checkpoint(struct qctl *q, char **text, uint64_t *size) {
  struct http_response r;
  int rc = qctl_checkpoint_get(q, &r);
  if (rc) return rc;
  const char *nl = strchr(r.body, '\n');
  char *end = NULL;
  unsigned long long n = nl ? strtoull(nl + 1, &end, 10) : 0;
  if (!nl || !end || *end != '\n') {
    fprintf(stderr, "quotactl export: the checkpoint is malformed (no tree size on line 2)\n");
    http_response_free(&r);
    return QCTL_EXIT_IO;
  }
  *size = n;
  *text = r.body; /* ownership moves to the caller */
  return 0;
}

/* Each account's balances, as the registry reports them, one row per instrument held. */
static int add_balances(struct qctl *q, json_t *account, void *ctx) {
  json_t *out = ctx;
  json_int_t id = json_integer_value(json_object_get(account, "id"));
  json_t *b = NULL;
  int rc = qctl_getf(q, &b, "/v1/accounts/%" PRIu64 "/balances", (uint64_t)id);
  if (rc) return rc;
  json_t *rows = json_object_get(b, "balances");
  for (size_t i = 0; i < json_array_size(rows); i++) {
    json_t *row = json_array_get(rows, i);
    json_array_append_new(out, json_pack("{s:I,s:O,s:O,s:O,s:O}", "account", id,
                                         "instrument", json_object_get(row, "instrument"),
                                         "registry", json_object_get(row, "registry"),
                                         "trading", json_object_get(row, "trading"),
                                         "frozen", json_object_get(row, "frozen")));
  }
  json_decref(b);
  return 0;
}

struct compliance_rows {
  json_t *out;
  unsigned year;
};

static int add_compliance(struct qctl *q, json_t *e, void *ctx) {
  (void)q;
  struct compliance_rows *c = ctx;
  json_array_append_new(c->out, json_pack("{s:I,s:O,s:O,s:O,s:O,s:O,s:O}", "year", (json_int_t)c->year,
                                          "account", json_object_get(e, "account"),
                                          "emissions", json_object_get(e, "emissions"),
                                          "surrendered_cea", json_object_get(e, "surrendered_cea"),
                                          "surrendered_ccer", json_object_get(e, "surrendered_ccer"),
                                          "status", json_object_get(e, "status"),
                                          "shortfall", json_object_get(e, "shortfall")));
  return 0;
}

/* Compliance of every year an instrument may settle; a year never opened answers 404: no rows. */
static int reported_compliance(struct qctl *q, const json_t *instruments, json_t *out) {
  unsigned lo = PROTO_YEAR_MAX, hi = 0;
  json_t *list = json_object_get(instruments, "instruments");
  for (size_t i = 0; i < json_array_size(list); i++) {
    json_t *in = json_array_get(list, i);
    unsigned f = (unsigned)json_integer_value(json_object_get(in, "first_year"));
    unsigned l = (unsigned)json_integer_value(json_object_get(in, "last_year"));
    if (f && f < lo) lo = f;
    if (l > hi) hi = l;
  }
  for (unsigned y = lo; y <= hi; y++) {
    char base[96];
    /* Paged by account id: "next" names where the following page starts. */
    snprintf(base, sizeof(base), "/v1/compliance/%u?limit=1000&after=", y);
    struct compliance_rows c = {out, y};
    int rc = qctl_each_row(q, base, "enterprises", true, add_compliance, &c);
    if (rc) return rc;
  }
  return 0;
}

static int collect_reported(struct qctl *q, json_t **out) {
  json_t *instruments = NULL;
  int rc = qctl_get(q, "/v1/instruments", false, &instruments);
  if (rc) return rc;
  json_t *balances = json_array(), *compliance = json_array();
  rc = qctl_each_row(q, "/v1/accounts?limit=1000&after=", "accounts", false, add_balances, balances);
  if (!rc) rc = reported_compliance(q, instruments, compliance);
  if (rc) {
    json_decref(instruments);
    json_decref(balances);
    json_decref(compliance);
    return rc;
  }
  *out = json_pack("{s:{s:O,s:o,s:o}}", "reported", "instruments",
                   json_object_get(instruments, "instruments"), "balances", balances,
                   "compliance", compliance);
  json_decref(instruments);
  return 0;
}

/* The reported state must describe the same tree as the checkpoint: read it between two reads
 * of the checkpoint that agree, retrying while writes are going on. */
static int stable_snapshot(struct qctl *q, char **cp, uint64_t *size, json_t **reported) {
  for (unsigned t = 0; t < EXPORT_STABLE_TRIES; t++) {
    char *cp2 = NULL;
    uint64_t size2 = 0;
    int rc = fetch_checkpoint(q, cp, size);
    if (!rc) rc = collect_reported(q, reported);
    if (!rc) rc = fetch_checkpoint(q, &cp2, &size2);
    if (rc) return rc;
    free(cp2);
    q->have_log = false;
    if ((rc = qctl_fetch_log(q))) return rc;
    if (size2 == *size && q->tree_size == *size) return 0;
    free(*cp);
    json_decref(*reported);
    *cp = NULL;
    *reported = NULL;
    fprintf(stderr, "quotactl export: the registry is being written; reading again\n");
    sleep(1);
  }
  fprintf(stderr, "quotactl export: the registry kept changing; export it when writes pause\n");
  return QCTL_EXIT_IO;
}

static int write_entries(struct qctl *q, FILE *f, uint64_t size) {
  for (uint64_t start = 0; start < size; start += EXPORT_PAGE_ENTRIES) {
    uint64_t limit = size - start < EXPORT_PAGE_ENTRIES ? size - start : EXPORT_PAGE_ENTRIES;
    char path[96];
    snprintf(path, sizeof(path), "/v1/entries?start=%" PRIu64 "&limit=%" PRIu64, start, limit);
    json_t *page = NULL;
    int rc = qctl_get(q, path, true, &page);
    if (rc) return rc;
    json_t *entries = json_object_get(page, "entries");
    if (json_array_size(entries) != limit) {
      fprintf(stderr, "quotactl export: %s gave %zu entries, expected %" PRIu64 "\n", path,
              json_array_size(entries), limit);
      json_decref(page);
      return QCTL_EXIT_IO;
    }
    for (uint64_t k = 0; k < limit; k++) {
      json_t *e = json_array_get(entries, k);
      json_int_t idx = json_integer_value(json_object_get(e, "index"));
      const char *leaf = json_string_value(json_object_get(e, "leaf"));
      if ((uint64_t)idx != start + k || !leaf) {
        fprintf(stderr, "quotactl export: entry %" PRIu64 " missing or out of order\n", start + k);
        json_decref(page);
        return QCTL_EXIT_IO;
      }
      /* a version 2 settle's legs, stored apart from its entry, ride on its line */
      const char *legs = json_string_value(json_object_get(e, "legs_blob"));
      if (legs) fprintf(f, "{\"index\":%" PRIu64 ",\"leaf\":\"%s\",\"legs\":\"%s\"}\n", start + k, leaf, legs);
      else fprintf(f, "{\"index\":%" PRIu64 ",\"leaf\":\"%s\"}\n", start + k, leaf);
    }
    json_decref(page);
    fprintf(stderr, "\rexport: %" PRIu64 " / %" PRIu64 " entries", start + limit, size);
  }
  fprintf(stderr, "\n");
  return 0;
}

static int write_export(struct qctl *q, FILE *f, const char *cp, uint64_t size, json_t *reported) {
  json_t *head = json_pack("{s:s,s:s,s:s,s:I,s:s}", "format", "quotad-export/1", "origin",
                           q->origin, "verifier_key", q->verifier_key, "tree_size",
                           (json_int_t)size, "checkpoint", cp);
  json_dumpf(head, f, JSON_COMPACT);
  fputc('\n', f);
  json_decref(head);
  int rc = write_entries(q, f, size);
  if (rc) return rc;
  json_dumpf(reported, f, JSON_COMPACT);
  fputc('\n', f);
  return 0;
}

int qctl_cmd_export(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qctl_preamble(&o, argc, argv, "export", NULL);
  if (rc != QCTL_GO_ON) return rc;
  if ((rc = qctl_fetch_log(q))) return rc;
  char *cp = NULL;
  uint64_t size = 0;
  json_t *reported = NULL;
  if ((rc = stable_snapshot(q, &cp, &size, &reported))) return rc;
  char tmp[4096];
  snprintf(tmp, sizeof(tmp), "%s.tmp", o.pos[0]);
  FILE *f = fopen(tmp, "we");
  if (!f) {
    perror(tmp);
    rc = QCTL_EXIT_IO;
  } else {
    rc = write_export(q, f, cp, size, reported);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) rc = rc ? rc : QCTL_EXIT_IO;
    fclose(f);
    if (!rc && rename(tmp, o.pos[0]) != 0) {
      perror(o.pos[0]);
      rc = QCTL_EXIT_IO;
    }
    if (rc) unlink(tmp);
  }
  if (!rc) printf("exported %" PRIu64 " entries of %s to %s\n", size, q->origin, o.pos[0]);
  free(cp);
  json_decref(reported);
  return rc;
}
