/* The witness's requests as functions from a request to an answer: add-checkpoint with the
 * C2SP tlog-witness checks in the spec's order, the latest cosigned checkpoint of an origin, and
 * the route table. No sockets here: the server, the unit tests and the fuzz target call these. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "witness/witness.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

/* The one place a witness outcome becomes an HTTP status (the codes tlog-witness names). */
static unsigned status_of(int code) {
  switch (code) {
  case 0: return 200;
  case PROTO_E_BAD_REQUEST: return 400;
  case PROTO_E_BAD_SIGNATURE: return 403;
  case PROTO_E_UNKNOWN_LOG: case PROTO_E_NOT_FOUND: return 404;
  case PROTO_E_SIZE_CONFLICT: return 409;
  case PROTO_E_TOO_LARGE: return 413;
  case PROTO_E_BAD_PROOF: return 422;
  default: return 500; /* storage, a corrupt record, memory */
  }
}

static void answer_text(struct witness_answer *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void answer_text(struct witness_answer *a, int code, const char *fmt, ...) {
  a->code = code;
  a->status = status_of(code);
  a->content_type = TEXT_PLAIN;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(a->body, sizeof a->body, fmt, ap);
  va_end(ap);
  PROTO_ASSERT(n >= 0);
  a->body_len = (size_t)n < sizeof a->body ? (size_t)n : sizeof a->body - 1;
}

static void answer_error(struct witness_answer *a, int code, const char *detail) {
  answer_text(a, code, "%s: %s%s%s\n", proto_err_name(code), proto_err_message(code),
              detail ? ": " : "", detail ? detail : "");
}

int witness_open(struct witness *w, const struct witness_config *cfg) {
  memset(w, 0, sizeof *w);
  w->cfg = cfg;
  int rc = proto_key_load(cfg->key_file, &w->key);
  uint8_t seed[PROTO_SEED_BYTES];
  if (rc == 0 && proto_key_seed(w->key, seed) != 0) rc = PROTO_E_BAD_KEY;
  if (rc != 0) {
    witness_log("err", "%s: cannot load the witness key: %s", cfg->key_file, proto_err_message(rc));
    witness_close(w);
    return rc;
  }
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(w->key, pub);
  w->key_id = tlog_cosig_key_id(cfg->name, pub);
  rc = witness_state_open(cfg->data_dir, cfg->limits.map_bytes_max, &w->state);
  if (rc != 0) {
    witness_log("err", "%s: cannot open the state: %s", cfg->data_dir, proto_err_message(rc));
    witness_close(w);
  }
  return rc;
}

void witness_close(struct witness *w) {
  proto_key_free(w->key);
  witness_state_close(w->state);
  w->key = NULL;
  w->state = NULL;
}

struct add_ctx {
  struct witness *w;
  const struct tlog_witness_request *req;
  const char *key_name; /* the log key whose signature verified */
  uint32_t key_id;
  uint64_t now_s;
  uint64_t stored_size;       /* for the 409 answer */
  char line[TLOG_COSIG_LINE_BYTES_MAX + 1];
  size_t line_len;
};

/* The cosigned checkpoint a record keeps: text, blank line, the log's lines, our line. */
static int record_note(struct add_ctx *c, struct witness_record *next) {
  const struct tlog_note *n = &c->req->note;
  PROTO_ASSERT(n->text_len <= TLOG_CHECKPOINT_BYTES_MAX);
  size_t at = n->text_len;
  memcpy(next->note, n->text, at);
  next->note[at++] = '\n';
  long lines = tlog_note_lines_of(n, c->key_name, c->key_id, next->note + at, WITNESS_LOG_LINES_BYTES_MAX);
  if (lines <= 0) return PROTO_E_TOO_LARGE; /* it verified, so there is one: too many then */
  at += (size_t)lines;
  memcpy(next->note + at, c->line, c->line_len);
  at += c->line_len;
  next->note[at] = '\0';
  next->note_len = at;
  return 0;
}

/* Inside the write transaction: the size and proof checks, then the cosignature. */
static int add_decide(void *ctx, const struct witness_record *stored, struct witness_record *next) {
  struct add_ctx *c = ctx;
  const struct tlog_witness_request *r = c->req;
  const struct tlog_checkpoint *cp = &r->note.cp;
  c->stored_size = stored->size;
  if (r->old_size != stored->size) return PROTO_E_SIZE_CONFLICT;
  if (r->old_size == cp->size) {
    if (memcmp(cp->root, stored->root, PROTO_HASH_BYTES) != 0) return PROTO_E_SIZE_CONFLICT;
    if (r->proof_len != 0) return PROTO_E_BAD_PROOF;
  } else if (r->old_size > 0 &&
             tlog_verify_consistency(r->old_size, cp->size, stored->root, cp->root,
                                     (const uint8_t(*)[PROTO_HASH_BYTES])r->proof, r->proof_len) != 0) {
    return PROTO_E_BAD_PROOF;
  }
  /* timestamps never go backwards for one log, whatever the clock does */
  next->time_s = c->now_s > stored->time_s ? c->now_s : stored->time_s;
  long n = tlog_cosign(r->note.text, r->note.text_len, c->w->cfg->name, c->w->key, next->time_s,
                       c->line, sizeof c->line);
  if (n < 0) return (int)n;
  c->line_len = (size_t)n;
  next->size = cp->size;
  memcpy(next->root, cp->root, PROTO_HASH_BYTES);
  return record_note(c, next);
}

/* The configured log of an origin and the first of its keys whose signature verifies.
 * Returns 0, UNKNOWN_LOG or BAD_SIGNATURE. */
static int log_check(struct witness *w, const struct tlog_witness_request *r, struct add_ctx *c) {
  const struct witness_log *log = NULL;
  for (unsigned i = 0; i < w->cfg->logs_count && !log; i++)
    if (strcmp(w->cfg->logs[i].origin, r->note.cp.origin) == 0) log = &w->cfg->logs[i];
  if (!log) return PROTO_E_UNKNOWN_LOG;
  const char *note = r->note.text;
  size_t len = r->note.text_len + 1 + r->note.sigs_len;
  for (unsigned k = 0; k < log->keys_count; k++) {
    if (tlog_checkpoint_verify(note, len, log->key_name[k], log->pub[k], NULL) != 0) continue;
    c->key_name = log->key_name[k];
    c->key_id = tlog_note_key_id(log->key_name[k], log->pub[k]);
    return 0;
  }
  return PROTO_E_BAD_SIGNATURE;
}

/* The answer to an add-checkpoint that was refused or failed. */
static void add_refused(struct add_ctx *c, const struct tlog_witness_request *r, int rc,
                        bool old_too_large, struct witness_answer *a) {
  if (rc == PROTO_E_SIZE_CONFLICT) {
    a->code = rc;
    a->status = 409;
    a->content_type = TLOG_WITNESS_SIZE_CONTENT_TYPE;
    long n = tlog_witness_size_format(c->stored_size, a->body, sizeof a->body);
    PROTO_ASSERT(n > 0);
    a->body_len = (size_t)n;
    return;
  }
  answer_error(a, rc, old_too_large ? "the old size is larger than the checkpoint's" : NULL);
  /* C2SP: a refused proof from a known log may be evidence of misbehaviour; keep a trace */
  if (rc == PROTO_E_BAD_PROOF || rc == PROTO_E_BAD_SIGNATURE)
    witness_log("warning", "refused a checkpoint of %s size %" PRIu64 " from old size %" PRIu64
                ": %s", r->note.cp.origin, r->note.cp.size, r->old_size, proto_err_name(rc));
}

void witness_add_checkpoint(struct witness *w, const char *body, size_t len, uint64_t now_s,
                            struct witness_answer *a) {
  struct tlog_witness_request *r = malloc(sizeof *r); /* 2 KiB of proof */
  struct add_ctx *c = calloc(1, sizeof *c);
  int rc = r && c ? tlog_witness_request_parse(body, len, r) : PROTO_E_NO_MEMORY;
  if (rc == 0) rc = log_check(w, r, c);
  bool old_too_large = rc == 0 && r->old_size > r->note.cp.size;
  if (old_too_large) rc = PROTO_E_BAD_REQUEST;
  if (rc == 0) {
    c->w = w;
    c->req = r;
    c->now_s = now_s;
    rc = witness_state_update(w->state, r->note.cp.origin, add_decide, c);
  }
  if (rc == 0) {
    answer_text(a, 0, "%.*s", (int)c->line_len, c->line);
    witness_log("info", "cosigned %s size %" PRIu64 " (from %" PRIu64 ")", r->note.cp.origin,
                r->note.cp.size, r->old_size);
  } else {
    add_refused(c, r, rc, old_too_large, a);
  }
  free(c);
  free(r);
}

/* GET /<64 lowercase hex>/checkpoint */
static void get_checkpoint(struct witness *w, const char *hex, struct witness_answer *a) {
  uint8_t hash[PROTO_HASH_BYTES];
  for (size_t i = 0; i < 2 * PROTO_HASH_BYTES; i++)
    if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f'))) {
      answer_error(a, PROTO_E_NOT_FOUND, "not a lowercase hex SHA-256 of an origin");
      return;
    }
  long n = proto_hex_decode(hex, 2 * PROTO_HASH_BYTES, hash, sizeof hash);
  PROTO_ASSERT(n == PROTO_HASH_BYTES);
  struct witness_record *rec = malloc(sizeof *rec);
  int rc = rec ? witness_state_get(w->state, hash, rec) : PROTO_E_NO_MEMORY;
  if (rc == 0) {
    answer_text(a, 0, "%s", rec->note);
  } else {
    answer_error(a, rc, rc == PROTO_E_NOT_FOUND ? "no checkpoint of that origin was cosigned" : NULL);
  }
  free(rec);
}

void witness_handle(struct witness *w, const char *method, const char *path, const char *body,
                    size_t len, uint64_t now_s, struct witness_answer *a) {
  static const char suffix[] = "/checkpoint";
  size_t plen = strlen(path), hex_len = 2 * PROTO_HASH_BYTES;
  bool is_add = strcmp(path, "/add-checkpoint") == 0, is_health = strcmp(path, "/healthz") == 0;
  bool is_get = plen == 1 + hex_len + sizeof suffix - 1 && path[0] == '/' &&
                strcmp(path + 1 + hex_len, suffix) == 0;
  bool post = strcmp(method, "POST") == 0, get = strcmp(method, "GET") == 0;
  if (!is_add && !is_health && !is_get) {
    answer_error(a, PROTO_E_NOT_FOUND, "no such path");
    return;
  }
  if ((is_add && !post) || (!is_add && !get)) {
    answer_error(a, PROTO_E_BAD_REQUEST, is_add ? "use POST" : "use GET");
    a->status = 405;
    return;
  }
  if (is_add) witness_add_checkpoint(w, body, len, now_s, a);
  else if (is_health) answer_text(a, 0, "ok\n");
  else get_checkpoint(w, path + 1, a);
}
