/* tile_client: a C2SP tlog-tiles log read over HTTP (checkpoint, hash tiles, bundles), and atomic
 * small-file writes for the monitor's state and a mirror's files. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/common/tile_client.h"

static int fetch_cb(void *ctx, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]) {
  return tile_client_hashes(ctx, t, out);
}

void tile_client_init(struct tile_client *tc, struct http_client *http) {
  assert(tc && http);
  memset(tc, 0, sizeof *tc);
  tc->http = http;
  tc->fetcher.ctx = tc;
  tc->fetcher.fetch = fetch_cb;
}

/* GET path; 0 with a 200 answer in resp, else a code and tc->error. */
static int get(struct tile_client *tc, const char *path, struct http_response *resp) {
  memset(resp, 0, sizeof *resp);
  int rc = http_request(tc->http, "GET", path, NULL, NULL, 0, false, resp);
  if (rc) {
    snprintf(tc->error, sizeof tc->error, "%s: %s", path, rc == -EMSGSIZE ? "answer too large" : http_client_error(tc->http));
    return rc == -EMSGSIZE ? PROTO_E_TOO_LARGE : PROTO_E_BUSY;
  }
  if (resp->status == 200) {
    tc->fetched_bytes += resp->len;
    return 0;
  }
  long status = resp->status;
  snprintf(tc->error, sizeof tc->error, "%s: HTTP %ld", path, status);
  http_response_free(resp);
  return status == 404 ? PROTO_E_NOT_FOUND : PROTO_E_BAD_REQUEST;
}

long tile_client_checkpoint(struct tile_client *tc, char *out, size_t cap) {
  struct http_response r;
  int rc = get(tc, "/checkpoint", &r);
  if (rc) return rc;
  long n = (long)r.len;
  if (r.len >= cap) {
    snprintf(tc->error, sizeof tc->error, "/checkpoint: more than %zu bytes", cap - 1);
    n = PROTO_E_TOO_LARGE;
  } else {
    memcpy(out, r.body, r.len);
    out[r.len] = '\0';
  }
  http_response_free(&r);
  return n;
}

int tile_client_get(struct tile_client *tc, const struct tlog_tile *t, struct http_response *resp) {
  char path[TLOG_TILE_PATH_BYTES_MAX + 1];
  path[0] = '/';
  long n = tlog_tile_path(t, path + 1, sizeof path - 1);
  if (n < 0) return (int)n;
  return get(tc, path, resp);
}

int tile_client_hashes(struct tile_client *tc, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]) {
  struct http_response r;
  int rc = tile_client_get(tc, t, &r);
  if (rc == PROTO_E_NOT_FOUND && t->width < TLOG_TILE_WIDTH) { /* the partial tile may be gone */
    struct tlog_tile full = *t;
    full.width = TLOG_TILE_WIDTH;
    rc = tile_client_get(tc, &full, &r);
    if (!rc && r.len == TLOG_TILE_BYTES_MAX) r.len = (size_t)t->width * PROTO_HASH_BYTES;
  }
  if (rc) return rc;
  if (r.len != (size_t)t->width * PROTO_HASH_BYTES) {
    snprintf(tc->error, sizeof tc->error, "tile %u/%llu.p/%u: %zu bytes, not %u", t->level,
             (unsigned long long)t->index, t->width, r.len, t->width * PROTO_HASH_BYTES);
    http_response_free(&r);
    return PROTO_E_CORRUPT;
  }
  memcpy(out, r.body, r.len);
  http_response_free(&r);
  return 0;
}

int tile_write_atomic(const char *path, const void *data, size_t len) {
  char tmp[4096], dir[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -ENAMETOOLONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  const char *p = data;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, p + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  int err = done == len && fsync(fd) == 0 ? 0 : -(errno ? errno : EIO);
  if (close(fd) != 0 && !err) err = -errno;
  if (!err && rename(tmp, path) != 0) err = -errno;
  if (err) {
    unlink(tmp);
    return err;
  }
  snprintf(dir, sizeof dir, "%s", path); /* the rename is durable once the directory is */
  int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return 0;
}
