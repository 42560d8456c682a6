/* api_log: the log as C2SP tlog-tiles: /log/checkpoint, hash tiles (public) and entry bundles (by
 * the read rules), never past the published checkpoint, built from the stored tree nodes. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_util.h"

/* Full tiles never change: caches may keep them for a year. The checkpoint and partial tiles
 * are replaced as the log grows: a few seconds. */
#define TILE_CACHE_FULL_PUBLIC "public, max-age=31536000, immutable"
#define TILE_CACHE_FULL_PRIVATE "private, max-age=31536000, immutable"
#define TILE_CACHE_SHORT_PUBLIC "public, max-age=5"
#define TILE_CACHE_SHORT_PRIVATE "private, max-age=5"

long daemon_published_checkpoint(struct daemon_server *srv, char *out, size_t cap, uint64_t *size) {
  /* Until checkpoints are published only once witnessed, every signed one is published: the
   * ledger's latest. A witness client replaces this one call. */
  long n = ledger_checkpoint_latest(srv->ledger, out, cap);
  if (n < 0) return n;
  struct tlog_note note;
  int rc = tlog_note_parse(out, (size_t)n, &note);
  if (rc) return PROTO_E_CORRUPT;
  *size = note.cp.size;
  return n;
}

/* The tile's bytes, cached for ever when full (immutable) and briefly when partial. */
static void tile_reply(struct daemon_server *srv, const struct tlog_tile *t, bool shared,
                       struct daemon_reply *reply, bool ka) {
  struct daemon_buf b = {0};
  int rc = daemon_tile_bytes(srv->ledger, t, &b);
  if (rc) {
    daemon_buf_free(&b);
    return daemon_reply_error(reply, rc, NULL, ka);
  }
  bool full = t->width == TLOG_TILE_WIDTH;
  const char *cc = full ? (shared ? TILE_CACHE_FULL_PUBLIC : TILE_CACHE_FULL_PRIVATE)
                        : (shared ? TILE_CACHE_SHORT_PUBLIC : TILE_CACHE_SHORT_PRIVATE);
  daemon_reply_set_cached(reply, 200, "application/octet-stream", cc, b.data ? b.data : "", b.len, ka);
  daemon_buf_free(&b);
}

static void entry_bundle(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                         const struct tlog_tile *t, struct daemon_reply *reply, bool ka) {
  bool pub = srv->cfg->public_log;
  if (!pub) { /* the read rules of /v1/entries: the operator and auditors */
    struct daemon_principal p = {.local = c->kind == DAEMON_CONN_UNIX};
    int rc = api__principal(srv, c, r, &p);
    if (rc) return daemon_reply_error(reply, rc, NULL, ka);
    if (!p.authenticated) return daemon_reply_error(reply, PROTO_E_UNAUTHORIZED, NULL, ka);
    if (!daemon_may_read_all(&p))
      return daemon_reply_error(reply, PROTO_E_FORBIDDEN, "entries are for the operator and auditors", ka);
  }
  tile_reply(srv, t, pub, reply, ka);
}

unsigned api__log_get(struct daemon_server *srv, struct daemon_conn *c, struct daemon_request *r,
                      struct daemon_reply *reply, bool ka) {
  assert(!strncmp(r->path, "/log/", 5));
  const char *path = r->path + 5;
  static char note[TLOG_NOTE_BYTES_MAX + 1]; /* the loop thread's: cosignature lines included */
  uint64_t size = 0;
  long n = daemon_published_checkpoint(srv, note, sizeof note, &size);
  if (!strcmp(path, "checkpoint")) {
    if (n < 0) daemon_reply_error(reply, (int)n, "no checkpoint yet", ka);
    else daemon_reply_set_cached(reply, 200, "text/plain; charset=utf-8", TILE_CACHE_SHORT_PUBLIC, note, (size_t)n, ka);
    return DAEMON_EP_LOG_CHECKPOINT;
  }
  struct tlog_tile t;
  if (tlog_tile_path_parse(path, &t)) {
    daemon_reply_error(reply, PROTO_E_NOT_FOUND, "no such endpoint", ka);
    return DAEMON_EP_OTHER;
  }
  /* Only what the published checkpoint covers: a cache keeps a full tile for ever. */
  if (n < 0 || t.width > tlog_tile_width_at(t.level, t.index, size)) {
    daemon_reply_error(reply, PROTO_E_NOT_FOUND, "beyond the published checkpoint", ka);
    return DAEMON_EP_TILE;
  }
  if (t.level == TLOG_TILE_ENTRIES) entry_bundle(srv, c, r, &t, reply, ka);
  else tile_reply(srv, &t, true, reply, ka);
  return DAEMON_EP_TILE;
}
