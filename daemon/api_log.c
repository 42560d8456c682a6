/* api_log: the log as C2SP tlog-tiles: /log/checkpoint, hash tiles (public) and entry bundles (by
 * the read rules), never past the published checkpoint, built from the stored tree nodes. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_util.h"
#include "daemon/publish.h"

/* Full tiles never change: caches may keep them for a year. The checkpoint and partial tiles
 * are replaced as the log grows: a few seconds. */
#define TILE_CACHE_FULL_PUBLIC "public, max-age=31536000, immutable"
#define TILE_CACHE_FULL_PRIVATE "private, max-age=31536000, immutable"
#define TILE_CACHE_SHORT_PUBLIC "public, max-age=5"
#define TILE_CACHE_SHORT_PRIVATE "private, max-age=5"

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

/* The checkpoint of the tiles: the published one, cosignature lines included. */
void api__log_checkpoint(struct daemon_server *srv, struct daemon_reply *reply, bool ka) {
  static char note[DAEMON_PUBLISHED_BYTES_MAX + 1]; /* the loop thread's: cosignature lines included */
  uint64_t size = 0;
  long n = daemon_published_note(srv, note, sizeof note, &size);
  if (n < 0) return daemon_reply_error(reply, (int)n, "no checkpoint yet", ka);
  daemon_reply_set_cached(reply, 200, "text/plain; charset=utf-8", TILE_CACHE_SHORT_PUBLIC, note, (size_t)n, ka);
}

/* A tile below /log/tile/ (path is what follows it); entries says the route was the entry
 * bundles' (whose access rule the route table has checked), shared whether caches other than
 * the reader's may keep it. */
void api__log_tile(struct daemon_server *srv, const char *path, bool entries, bool shared,
                   struct daemon_reply *reply, bool ka) {
  assert(path != NULL);
  struct tlog_tile t;
  char full[160];
  int w = snprintf(full, sizeof full, "tile/%s%s", entries ? "entries/" : "", path);
  if (w < 0 || (size_t)w >= sizeof full || tlog_tile_path_parse(full, &t) ||
      (t.level == TLOG_TILE_ENTRIES) != entries)
    return daemon_reply_error(reply, PROTO_E_NOT_FOUND, "no such tile", ka);
  static char note[DAEMON_PUBLISHED_BYTES_MAX + 1];
  uint64_t size = 0;
  long n = daemon_published_note(srv, note, sizeof note, &size);
  /* Only what the published checkpoint covers: a cache keeps a full tile for ever. */
  if (n < 0 || t.width > tlog_tile_width_at(t.level, t.index, size))
    return daemon_reply_error(reply, PROTO_E_NOT_FOUND, "beyond the published checkpoint", ka);
  assert(t.width >= 1 && t.width <= TLOG_TILE_WIDTH);
  tile_reply(srv, &t, shared, reply, ka);
}
