/* catch-up: brings a stopped registry's data directory (a restored backup) up to the latest
 * checkpoint another quotad serves or an export holds, appending the entries verbatim after every
 * root has been checked, so that quotad starts writing again without forking its log. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger.h"
#include "tlog/tlog.h"
#include "tools/quotactl.h"

#define CATCHUP_CHUNK_ENTRIES 1000u /* entries per fetch and per appended batch (one fsync) */
#define CATCHUP_LINE_BYTES_MAX (4u * 1024u * 1024u) /* one export line (entry plus legs) */

/* Where the entries come from: another quotad's API, or an export file. */
struct source {
  struct qctl *q;
  FILE *f;                 /* an export; NULL for a URL */
  long entries_at;         /* the file offset of the first entry line */
  char *line;
  size_t line_cap;
  char checkpoint[TLOG_CHECKPOINT_BYTES_MAX + 1];
};

/* One chunk of entries [start, start + n), each leaf and legs blob malloc'd. */
struct chunk {
  uint64_t start;
  size_t n;
  uint8_t *leaves[CATCHUP_CHUNK_ENTRIES], *legs[CATCHUP_CHUNK_ENTRIES];
  struct ledger_entry_in in[CATCHUP_CHUNK_ENTRIES];
};

/* The tree over leaves [0, size) as its complete subtrees, largest first (a compact range). */
struct range {
  uint64_t size;
  size_t n;
  uint8_t h[TLOG_LEVELS][PROTO_HASH_BYTES];
  uint64_t w[TLOG_LEVELS]; /* leaves under h[i] */
};

static void catchup_help(FILE *out) {
  fprintf(out,
          "usage: quotactl catch-up --data-dir DATA --from URL|EXPORT [--log-key FILE]\n"
          "Brings the ledger in DATA (quotad stopped; typically a restored backup) up to the\n"
          "latest checkpoint of the same registry: another quotad's (URL, read with --key of an\n"
          "operator or auditor) or a quotactl export (EXPORT). The checkpoint must verify with the\n"
          "ledger's log key, the ledger's tree must be a prefix of it, and the entries after it\n"
          "must hash to its root before any is appended; then they are appended verbatim, their\n"
          "signatures and rules checked again. --log-key: the log key (default DATA/log.key).\n"
          "Start quotad afterwards: it writes again once its tree reaches every checkpoint it\n"
          "learned (the high-water file, --known-checkpoint).\n");
}

static void chunk_clear(struct chunk *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->leaves[i]);
    free(c->legs[i]);
    c->leaves[i] = c->legs[i] = NULL;
  }
  c->n = 0;
}

/* Decodes one entry's base64 leaf (and legs) into the chunk's next slot. */
static int chunk_add(struct chunk *c, uint64_t index, const char *leaf_b64, const char *legs_b64) {
  assert(c->n < CATCHUP_CHUNK_ENTRIES);
  if (!leaf_b64 || index != c->start + c->n) {
    fprintf(stderr, "quotactl catch-up: entry %" PRIu64 " missing or out of order\n", c->start + c->n);
    return QCTL_EXIT_IO;
  }
  size_t i = c->n;
  c->leaves[i] = malloc(PROTO_ENTRY_BYTES_MAX + 3);
  c->legs[i] = legs_b64 ? malloc(strlen(legs_b64)) : NULL;
  long ln = 0, n = c->leaves[i] ? proto_base64_decode(leaf_b64, strlen(leaf_b64), c->leaves[i], PROTO_ENTRY_BYTES_MAX + 3) : -1;
  if (legs_b64) ln = c->legs[i] ? proto_base64_decode(legs_b64, strlen(legs_b64), c->legs[i], strlen(legs_b64)) : -1;
  c->n++; /* owned now, freed by chunk_clear whatever happens */
  if (n <= 0 || n > (long)PROTO_ENTRY_BYTES_MAX || ln < 0) {
    fprintf(stderr, "quotactl catch-up: entry %" PRIu64 " is not valid base64\n", index);
    return QCTL_EXIT_IO;
  }
  c->in[i] = (struct ledger_entry_in){.leaf = c->leaves[i], .leaf_len = (size_t)n,
                                      .legs = c->legs[i], .legs_len = (size_t)ln};
  return 0;
}

static int source_open(struct source *s, const char *from) {
  if (!strncmp(from, "http://", 7) || !strncmp(from, "https://", 8)) {
    s->q->url = from;
    s->q->unix_path = NULL;
    json_t *unused = NULL;
    struct http_response r;
    int rc = qctl_connect(s->q);
    if (rc) return rc;
    rc = http_request(s->q->http, "GET", "/v1/checkpoint", NULL, NULL, 0, false, &r);
    if (rc || r.status != 200 || strlen(r.body) > TLOG_CHECKPOINT_BYTES_MAX) {
      rc = qctl_report_http(s->q, "GET /v1/checkpoint", rc, r.status, unused);
      http_response_free(&r);
      return rc ? rc : QCTL_EXIT_IO;
    }
    snprintf(s->checkpoint, sizeof s->checkpoint, "%s", r.body);
    http_response_free(&r);
    return 0;
  }
  s->f = fopen(from, "re");
  if (!s->f) {
    perror(from);
    return QCTL_EXIT_IO;
  }
  json_t *h = getline(&s->line, &s->line_cap, s->f) > 0 ? json_loads(s->line, 0, NULL) : NULL;
  const char *format = json_string_value(json_object_get(h, "format"));
  const char *cp = json_string_value(json_object_get(h, "checkpoint"));
  int rc = format && !strcmp(format, "quotad-export/1") && cp && strlen(cp) <= TLOG_CHECKPOINT_BYTES_MAX ? 0 : QCTL_EXIT_USAGE;
  if (rc) fprintf(stderr, "quotactl catch-up: %s is not a quotad-export/1 file\n", from);
  else snprintf(s->checkpoint, sizeof s->checkpoint, "%s", cp);
  json_decref(h);
  s->entries_at = ftell(s->f);
  return rc;
}

/* Reads entries [c->start, c->start + n) from an export (lines before start are skipped). */
static int file_chunk(struct source *s, struct chunk *c, size_t n) {
  while (c->n < n) {
    if (getline(&s->line, &s->line_cap, s->f) <= 0 || strlen(s->line) > CATCHUP_LINE_BYTES_MAX) {
      fprintf(stderr, "quotactl catch-up: the export ends before entry %" PRIu64 "\n", c->start + c->n);
      return QCTL_EXIT_IO;
    }
    json_t *e = json_loads(s->line, 0, NULL);
    json_t *idx = json_object_get(e, "index");
    int rc = 0;
    if (!json_is_integer(idx) || (uint64_t)json_integer_value(idx) >= c->start)
      rc = chunk_add(c, (uint64_t)json_integer_value(idx), json_string_value(json_object_get(e, "leaf")),
                     json_string_value(json_object_get(e, "legs")));
    json_decref(e);
    if (rc) return rc;
  }
  return 0;
}

static int url_chunk(struct source *s, struct chunk *c, size_t n) {
  char path[96];
  snprintf(path, sizeof path, "/v1/entries?start=%" PRIu64 "&limit=%zu", c->start, n);
  json_t *page = NULL;
  int rc = qctl_get(s->q, path, true, &page);
  if (rc) return rc;
  json_t *list = json_object_get(page, "entries");
  for (size_t k = 0; k < n && !rc; k++) {
    json_t *e = json_array_get(list, k);
    rc = chunk_add(c, e ? (uint64_t)json_integer_value(json_object_get(e, "index")) : UINT64_MAX,
                   json_string_value(json_object_get(e, "leaf")),
                   json_string_value(json_object_get(e, "legs_blob")));
  }
  json_decref(page);
  return rc;
}

static int source_chunk(struct source *s, struct chunk *c, uint64_t start, size_t n) {
  chunk_clear(c);
  c->start = start;
  return s->f ? file_chunk(s, c, n) : url_chunk(s, c, n);
}

static void range_push(struct range *r, const uint8_t leaf_hash[PROTO_HASH_BYTES]) {
  memcpy(r->h[r->n], leaf_hash, PROTO_HASH_BYTES);
  r->w[r->n++] = 1;
  /* two equal subtrees side by side become their parent */
  while (r->n >= 2 && r->w[r->n - 1] == r->w[r->n - 2]) {
    tlog_node_hash(r->h[r->n - 2], r->h[r->n - 1], r->h[r->n - 2]);
    r->w[r->n - 2] *= 2;
    r->n--;
  }
  r->size++;
}

static void range_root(const struct range *r, uint8_t out[PROTO_HASH_BYTES]) {
  if (r->n == 0) {
    tlog_root_of(NULL, 0, out);
    return;
  }
  memcpy(out, r->h[r->n - 1], PROTO_HASH_BYTES);
  for (size_t i = r->n - 1; i-- > 0;) tlog_node_hash(r->h[i], out, out);
}

/* The ledger's own tree of size as a compact range. */
static int range_of_ledger(struct ledger *l, uint64_t size, struct range *r) {
  memset(r, 0, sizeof *r);
  uint64_t at = 0;
  for (unsigned bit = 63; size && bit < 64; bit--) {
    uint64_t w = UINT64_C(1) << bit;
    if (!(size & w)) continue;
    int rc = ledger_subtree(l, at, at + w, r->h[r->n]);
    if (rc) return rc;
    r->w[r->n++] = w;
    at += w;
    if (bit == 0) break;
  }
  r->size = size;
  return 0;
}

/* Pass one: the entries after the ledger's tree, hashed onto it, must give the checkpoint's
 * root; the root at every chunk's end is kept for pass two. Nothing is written. */
static int pass_roots(struct source *s, struct ledger *l, const struct tlog_checkpoint *cp,
                      uint8_t (*roots)[PROTO_HASH_BYTES], struct chunk *c) {
  struct range r;
  uint64_t size = ledger_tree_size(l);
  int rc = range_of_ledger(l, size, &r);
  if (rc) return fprintf(stderr, "quotactl catch-up: reading the tree: %s\n", proto_err_name(rc)), QCTL_EXIT_IO;
  for (size_t k = 0; size < cp->size; k++) {
    size_t n = cp->size - size < CATCHUP_CHUNK_ENTRIES ? (size_t)(cp->size - size) : CATCHUP_CHUNK_ENTRIES;
    if ((rc = source_chunk(s, c, size, n))) return rc;
    for (size_t i = 0; i < n; i++) {
      uint8_t h[PROTO_HASH_BYTES];
      tlog_leaf_hash(c->in[i].leaf, c->in[i].leaf_len, h);
      range_push(&r, h);
    }
    size += n;
    range_root(&r, roots[k]);
  }
  if (memcmp(roots[(cp->size - ledger_tree_size(l) - 1) / CATCHUP_CHUNK_ENTRIES], cp->root, PROTO_HASH_BYTES)) {
    fprintf(stderr, "quotactl catch-up: this tree and the entries after it do not give the checkpoint's "
            "root: the ledger holds another history than the source (inconsistent); nothing written\n");
    return QCTL_EXIT_VERIFY;
  }
  return 0;
}

/* Pass two: each chunk appended in one batch whose root must be pass one's. */
static int pass_append(struct source *s, struct ledger *l, uint64_t target,
                       const uint8_t (*roots)[PROTO_HASH_BYTES], struct chunk *c) {
  if (s->f && fseek(s->f, s->entries_at, SEEK_SET)) return perror("export"), QCTL_EXIT_IO;
  for (size_t k = 0; ledger_tree_size(l) < target; k++) {
    uint64_t size = ledger_tree_size(l);
    size_t n = target - size < CATCHUP_CHUNK_ENTRIES ? (size_t)(target - size) : CATCHUP_CHUNK_ENTRIES;
    int rc = source_chunk(s, c, size, n);
    if (rc) return rc;
    char why[256] = "";
    rc = ledger_append_entries(l, c->in, n, roots[k], why, sizeof why);
    if (rc) {
      fprintf(stderr, "quotactl catch-up: appending entries %" PRIu64 "..%" PRIu64 " refused: %s (%s)\n",
              size, size + n - 1, proto_err_name(rc), why[0] ? why : ledger_err_message(rc));
      return rc == PROTO_E_DIVERGED || rc == PROTO_E_INCONSISTENT ? QCTL_EXIT_VERIFY : QCTL_EXIT_IO;
    }
    fprintf(stderr, "\rcatch-up: %" PRIu64 " / %" PRIu64 " entries", size + n, target);
  }
  fprintf(stderr, "\n");
  return 0;
}

/* The source's checkpoint, verified with the ledger's log key (or the log key's, before any
 * genesis), and compared with the ledger's tree. *todo: whether entries are missing. */
static int judge(struct source *s, struct ledger *l, const struct proto_key *key,
                 struct tlog_checkpoint *cp, bool *todo) {
  uint8_t pub[PROTO_PUBKEY_BYTES], root[PROTO_HASH_BYTES];
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  struct tlog_note note;
  snprintf(origin, sizeof origin, "%s", ledger_origin(l));
  if (!origin[0] && tlog_note_parse(s->checkpoint, strlen(s->checkpoint), &note) == 0)
    snprintf(origin, sizeof origin, "%s", note.cp.origin);
  if (ledger_log_public_key(l, pub)) proto_key_public(key, pub);
  if (tlog_checkpoint_verify(s->checkpoint, strlen(s->checkpoint), origin, pub, cp)) {
    fprintf(stderr, "quotactl catch-up: the source's checkpoint does not verify with this registry's "
            "log key (origin %s)\n", origin);
    return QCTL_EXIT_VERIFY;
  }
  uint64_t size = ledger_tree_size(l);
  *todo = cp->size > size;
  if (*todo) return 0;
  if (ledger_root(l, cp->size, root) || memcmp(root, cp->root, sizeof root)) {
    fprintf(stderr, "quotactl catch-up: the tree (size %" PRIu64 ") has another root at size %" PRIu64
            " than the source's checkpoint: inconsistent histories\n", size, cp->size);
    return QCTL_EXIT_VERIFY;
  }
  printf("up to date: tree size %" PRIu64 " equals or extends the source's checkpoint (size %" PRIu64 ")\n",
         size, cp->size);
  return 0;
}

static int open_writer(const char *data, const char *key_path, struct proto_key **key,
                       struct ledger **l) {
  int rc = proto_key_load(key_path, key);
  if (rc) {
    fprintf(stderr, "quotactl catch-up: log key %s: %s\n", key_path, proto_err_message(rc));
    return QCTL_EXIT_USAGE;
  }
  struct ledger_config cfg = {.dir = data, .log_key = *key};
  rc = ledger_open(&cfg, l);
  if (rc == PROTO_E_LOCKED) {
    fprintf(stderr, "quotactl catch-up: %s is in use: stop quotad first (systemctl stop quotad)\n", data);
  } else if (rc) {
    fprintf(stderr, "quotactl catch-up: cannot open the ledger in %s: %s\n", data, ledger_err_message(rc));
  }
  return rc ? QCTL_EXIT_IO : 0;
}

static int catch_up(struct qctl *q, const char *data, const char *from, const char *key_path) {
  struct source s = {.q = q};
  struct proto_key *key = NULL;
  struct ledger *l = NULL;
  struct chunk *c = calloc(1, sizeof *c);
  uint8_t (*roots)[PROTO_HASH_BYTES] = NULL;
  struct tlog_checkpoint cp;
  bool todo = false;
  int rc = c ? open_writer(data, key_path, &key, &l) : QCTL_EXIT_IO;
  if (!rc) rc = source_open(&s, from);
  if (!rc) rc = judge(&s, l, key, &cp, &todo);
  uint64_t from_size = l ? ledger_tree_size(l) : 0;
  if (!rc && todo) {
    roots = calloc((cp.size - from_size) / CATCHUP_CHUNK_ENTRIES + 1, sizeof *roots);
    rc = roots ? pass_roots(&s, l, &cp, roots, c) : QCTL_EXIT_IO;
    if (!rc) rc = pass_append(&s, l, cp.size, (const uint8_t (*)[PROTO_HASH_BYTES])roots, c);
    if (!rc) printf("caught up: tree size %" PRIu64 " -> %" PRIu64 ", root verified against the "
                    "source's checkpoint\n", from_size, cp.size);
  }
  if (c) chunk_clear(c);
  free(c);
  free(roots);
  free(s.line);
  if (s.f) fclose(s.f);
  if (l) ledger_close(l);
  proto_key_free(key);
  return rc;
}

int qctl_cmd_catchup(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  static const char *const allowed[] = {"data-dir", "from", "log-key", NULL};
  if (qopts_has(&o, "help") || o.npos != 0 || !qopts_has(&o, "data-dir") || !qopts_has(&o, "from")) {
    catchup_help(qopts_has(&o, "help") ? stdout : stderr);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "catch-up", allowed))) return rc;
  const char *data = qopts_get(&o, "data-dir");
  char key_path[4200];
  if (qopts_has(&o, "log-key")) snprintf(key_path, sizeof key_path, "%s", qopts_get(&o, "log-key"));
  else snprintf(key_path, sizeof key_path, "%s/log.key", data);
  return catch_up(q, data, qopts_get(&o, "from"), key_path);
}
