/* quota-audit over an export file (JSON Lines, docs/QUOTACTL.md "Export"): the header with the
 * signed checkpoint, one line per leaf, then optionally the registry's reported state. */
#include "proto/proto_json.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/quota_audit.h"

struct chunk {
  uint8_t *leaves[QA_CHUNK_LEAVES];
  size_t lens[QA_CHUNK_LEAVES];
  uint8_t *legs[QA_CHUNK_LEAVES]; /* a version 2 settle's legs blob, else NULL */
  size_t legs_lens[QA_CHUNK_LEAVES];
  size_t n;
};

static void chunk_clear(struct chunk *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->leaves[i]);
    free(c->legs[i]);
    c->legs[i] = NULL;
  }
  c->n = 0;
}

static int chunk_flush(struct qa_run *run, struct chunk *c) {
  int rc = qa_feed(run, (const uint8_t *const *)c->leaves, c->lens,
                   (const uint8_t *const *)c->legs, c->legs_lens, c->n);
  chunk_clear(c);
  return rc;
}

static int read_header(struct qa_run *run, FILE *f, char **line, size_t *cap) {
  if (getline(line, cap, f) < 0) return qa_io_error("%s: empty file", run->opts.export_path);
  json_error_t err;
  json_t *h = json_loads(*line, 0, &err);
  const char *format = NULL, *cp = NULL;
  json_int_t size = -1;
  if (!h || json_unpack(h, "{s:s, s:I, s:s}", "format", &format, "tree_size", &size, "checkpoint",
                        &cp) != 0 ||
      strcmp(format, "quotad-export/1") != 0 || size < 0) {
    json_decref(h);
    return qa_io_error("%s: line 1 is not a quotad-export/1 header", run->opts.export_path);
  }
  snprintf(run->cp_text, sizeof(run->cp_text), "%s", cp);
  json_decref(h);
  if (qa_checkpoint_check(run, run->cp_text, strlen(run->cp_text), &run->cp, "the export's checkpoint"))
    return QA_EXIT_FAILED;
  if (run->cp.size != (uint64_t)size) {
    qa_fail(run, UINT64_MAX, PROTO_E_BAD_CHECKPOINT,
            "the export announces %lld entries but its checkpoint covers %llu", (long long)size,
            (unsigned long long)run->cp.size);
    return QA_EXIT_FAILED;
  }
  run->progress_total = run->cp.size;
  return 0;
}

/* One leaf line: {"index": i, "leaf": "<base64>"}, and "legs" (base64 legs blob) for a version 2
 * settlement. */
static int read_leaf(struct qa_run *run, const char *line, uint64_t i, struct chunk *c) {
  json_error_t err;
  json_t *o = json_loads(line, 0, &err);
  json_int_t index = -1;
  const char *b64 = NULL, *legs = NULL;
  int rc = 0;
  if (!o || json_unpack(o, "{s:I, s:s, s?s}", "index", &index, "leaf", &b64, "legs", &legs) != 0) {
    qa_fail(run, i, PROTO_E_BAD_JSON, "entry %llu: export line %llu is not an entry line",
            (unsigned long long)i, (unsigned long long)i + 2);
    rc = QA_EXIT_FAILED;
  } else if ((uint64_t)index != i) {
    qa_fail(run, i, PROTO_E_BAD_ARGUMENT, "entry %llu: the export line says index %lld",
            (unsigned long long)i, (long long)index);
    rc = QA_EXIT_FAILED;
  } else {
    uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX + 3);
    long n = leaf ? proto_base64_decode(b64, strlen(b64), leaf, PROTO_ENTRY_BYTES_MAX + 3) : -1;
    if (n < 0 || n > (long)PROTO_ENTRY_BYTES_MAX) {
      free(leaf);
      qa_fail(run, i, PROTO_E_BAD_BASE64, "entry %llu: the leaf is not base64 of at most 65,535 bytes",
              (unsigned long long)i);
      rc = QA_EXIT_FAILED;
    } else {
      long ln = legs ? qa_legs_decode(legs, &c->legs[c->n]) : 0;
      c->legs_lens[c->n] = ln > 0 ? (size_t)ln : 0;
      c->leaves[c->n] = leaf;
      c->lens[c->n++] = (size_t)n;
      if (ln < 0) {
        qa_fail(run, i, PROTO_E_BAD_BASE64, "entry %llu: the legs are not base64 of a legs blob",
                (unsigned long long)i);
        rc = QA_EXIT_FAILED;
      }
    }
  }
  json_decref(o);
  return rc;
}

static int read_leaves(struct qa_run *run, FILE *f, char **line, size_t *cap) {
  static struct chunk c; /* 64 KiB of pointers: not for the stack */
  int rc = 0;
  for (uint64_t i = 0; i < run->cp.size && !rc; i++) {
    if (getline(line, cap, f) < 0) {
      qa_fail(run, i, PROTO_E_TRUNCATED, "entry %llu: the export ends after %llu of %llu entries",
              (unsigned long long)i, (unsigned long long)i, (unsigned long long)run->cp.size);
      rc = QA_EXIT_FAILED;
      break;
    }
    rc = read_leaf(run, *line, i, &c);
    if (!rc && c.n == QA_CHUNK_LEAVES) rc = chunk_flush(run, &c);
  }
  if (!rc && c.n) rc = chunk_flush(run, &c);
  chunk_clear(&c);
  if (!rc && audit_log_check_checkpoint(run->log, &run->cp, &run->fail)) rc = QA_EXIT_FAILED;
  if (!rc && audit_replay_finish(audit_log_replay(run->log), &run->fail)) rc = QA_EXIT_FAILED;
  return rc;
}

/* The optional last line; anything else after the leaves is refused. */
static int read_reported(struct qa_run *run, FILE *f, char **line, size_t *cap) {
  if (getline(line, cap, f) < 0) return 0;
  json_error_t err;
  json_t *o = json_loads(*line, 0, &err);
  json_t *rep = o ? json_object_get(o, "reported") : NULL;
  if (!json_is_object(rep) || getline(line, cap, f) >= 0) {
    json_decref(o);
    qa_fail(run, UINT64_MAX, PROTO_E_TRAILING_BYTES,
            "the export has lines after its entries that are not one \"reported\" line");
    return QA_EXIT_FAILED;
  }
  run->reported = json_incref(rep);
  json_decref(o);
  return 0;
}

/* --since-checkpoint and --tx, from the leaves themselves. */
static int export_proofs(struct qa_run *run) {
  if (run->have_since) {
    uint8_t root[PROTO_HASH_BYTES];
    bool ok = run->since.size <= run->cp.size && audit_log_root(run->log, run->since.size, root) == 0 &&
              memcmp(root, run->since.root, PROTO_HASH_BYTES) == 0;
    int rc = qa_since_verdict(run, ok, -1);
    if (rc) return rc;
  }
  if (run->opts.tx_hex) {
    uint8_t id[PROTO_ID_BYTES];
    uint64_t index;
    if (proto_hex_decode(run->opts.tx_hex, strlen(run->opts.tx_hex), id, sizeof(id)) != PROTO_ID_BYTES)
      return qa_io_error("--tx: not 32 hex digits: %s", run->opts.tx_hex);
    if (!audit_replay_tx_index(audit_log_replay(run->log), id, &index)) {
      qa_fail(run, UINT64_MAX, PROTO_E_NOT_FOUND, "transaction %s is not in the log", run->opts.tx_hex);
      return QA_EXIT_FAILED;
    }
    run->proof_note = run->proof_text;
    size_t at = strlen(run->proof_text);
    snprintf(run->proof_text + at, sizeof(run->proof_text) - at,
             "%stransaction %s is entry %llu under the signed root", at ? "; " : "",
             run->opts.tx_hex, (unsigned long long)index);
  }
  return 0;
}

int qa_export_run(struct qa_run *run) {
  FILE *f = fopen(run->opts.export_path, "re");
  if (!f) return qa_io_error("%s: %s", run->opts.export_path, strerror(errno));
  char *line = NULL;
  size_t cap = 0;
  int rc = read_header(run, f, &line, &cap);
  if (!rc) rc = read_leaves(run, f, &line, &cap);
  if (!rc) rc = read_reported(run, f, &line, &cap);
  free(line);
  fclose(f);
  if (!rc) rc = export_proofs(run);
  if (!rc && run->reported) {
    rc = qa_compare(run, run->reported, (uint64_t)time(NULL) * 1000u);
    run->state_compared = rc == 0;
  }
  return rc;
}
