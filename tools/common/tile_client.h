/* tile_client: reading a C2SP tlog-tiles log over HTTP (a quotad's /log, a mirror, a static
 * server): its checkpoint and its hash tiles, as a tlog_tile_fetcher for proofs built from tiles;
 * and writing a small file atomically (the monitor's state, a mirror's files). */
#ifndef QUOTAD_TOOLS_TILE_CLIENT_H
#define QUOTAD_TOOLS_TILE_CLIENT_H

#include "tlog/tlog.h"
#include "tools/common/http_client.h"

struct tile_client {
  struct http_client *http; /* its base URL is the log's prefix: <prefix>/checkpoint, <prefix>/tile/... */
  struct tlog_tile_fetcher fetcher;
  uint64_t fetched_bytes;
  char error[256]; /* why the last fetch failed */
};

/* Sets up tc over http (borrowed). */
void tile_client_init(struct tile_client *tc, struct http_client *http);
/* GET <prefix>/checkpoint into out (NUL-terminated). Returns its length, or a negative code with
 * tc->error saying why (NOT_FOUND for a 404, UNAVAILABLE when unreachable, TOO_LARGE). */
long tile_client_checkpoint(struct tile_client *tc, char *out, size_t cap);
/* GET one tile; exactly width * 32 bytes (or, for a partial tile that is gone, the full tile's
 * prefix: C2SP lets a log delete partial tiles once full). For entry bundles use
 * tile_client_get. */
int tile_client_hashes(struct tile_client *tc, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]);
/* GET <prefix>/<tile path> as bytes (resp freed by the caller). 0 or a negative code. */
int tile_client_get(struct tile_client *tc, const struct tlog_tile *t, struct http_response *resp);

/* Writes data to path through path.tmp, fsync and rename, then fsyncs the directory: readers see
 * the old or the new file, whole. Returns 0 or -errno. */
int tile_write_atomic(const char *path, const void *data, size_t len);

#endif
