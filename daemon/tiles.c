/* tiles: the bytes of a C2SP tile from the ledger (for /log/tile/ and for tiles_dir), and the
 * thread that writes completed tiles and then the published checkpoint into tiles_dir, so that a
 * static web server or a CDN can serve the log's reads. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/publish.h"
#include "daemon/server.h"

/* How often the writer looks for a new checkpoint when no commit woke it. */
#define TILES_POLL_MS 1000u

int daemon_tile_bytes(struct ledger *ledger, const struct tlog_tile *t, struct daemon_buf *out) {
  assert(t->width >= 1 && t->width <= TLOG_TILE_WIDTH);
  if (t->level != TLOG_TILE_ENTRIES) {
    uint8_t(*h)[PROTO_HASH_BYTES] = malloc(TLOG_TILE_BYTES_MAX);
    if (!h) return PROTO_E_NO_MEMORY;
    int rc = ledger_nodes(ledger, TLOG_TILE_HEIGHT * t->level, t->index * TLOG_TILE_WIDTH, t->width, h);
    if (!rc) rc = daemon_buf_append(out, h, (size_t)t->width * PROTO_HASH_BYTES);
    free(h);
    return rc;
  }
  /* an entry bundle: each entry as a big-endian uint16 length then its bytes (an entry is at most
   * PROTO_ENTRY_BYTES_MAX = 65535 bytes, so every entry fits) */
  uint8_t *leaf = malloc(PROTO_ENTRY_BYTES_MAX + 2);
  if (!leaf) return PROTO_E_NO_MEMORY;
  int rc = 0;
  for (unsigned i = 0; i < t->width && !rc; i++) {
    long len = ledger_entry_get(ledger, t->index * TLOG_TILE_WIDTH + i, leaf + 2, PROTO_ENTRY_BYTES_MAX);
    if (len < 0) rc = (int)len;
    else if (len > 0xFFFF) rc = PROTO_E_CORRUPT;
    if (rc) break;
    leaf[0] = (uint8_t)(len >> 8);
    leaf[1] = (uint8_t)len;
    rc = daemon_buf_append(out, leaf, (size_t)len + 2);
  }
  free(leaf);
  return rc;
}

/* mkdir -p of path's parent directories. */
static int make_parents(char *path) {
  for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = '\0';
    int rc = mkdir(path, 0755);
    *p = '/';
    if (rc && errno != EEXIST) return -errno;
  }
  return 0;
}

static int write_file(const char *path, const void *data, size_t len) {
  char tmp[DAEMON_PATH_BYTES_MAX + 128];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -ENAMETOOLONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  size_t done = 0;
  while (done < len) {
    ssize_t w = write(fd, (const char *)data + done, len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += (size_t)w;
  }
  /* durable before it is visible: a checkpoint is renamed in only after its tiles are on disk */
  int err = done == len && fsync(fd) == 0 ? 0 : -(errno ? errno : EIO);
  close(fd);
  if (!err && rename(tmp, path)) err = -errno;
  if (err) unlink(tmp);
  return err;
}

/* Once tile N is full, its partial versions (<N>.p/<W>) are dropped, as C2SP allows. */
static void drop_partials(const char *full_path) {
  char dir[DAEMON_PATH_BYTES_MAX + 128];
  if (snprintf(dir, sizeof dir, "%s.p", full_path) >= (int)sizeof dir) return;
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.' && unlinkat(dirfd(d), e->d_name, 0)) break;
  closedir(d);
  rmdir(dir);
}

static int write_tile(struct daemon_server *srv, const char *dir, const struct tlog_tile *t) {
  char path[DAEMON_PATH_BYTES_MAX + 96];
  int n = snprintf(path, sizeof path, "%s/", dir);
  long pn = tlog_tile_path(t, path + n, sizeof path - (size_t)n);
  if (pn < 0) return (int)pn;
  struct daemon_buf b = {0};
  int rc = daemon_tile_bytes(srv->ledger, t, &b);
  if (!rc) rc = make_parents(path);
  if (!rc) rc = write_file(path, b.data, b.len);
  daemon_buf_free(&b);
  if (!rc && t->width == TLOG_TILE_WIDTH) drop_partials(path);
  if (rc) daemon_log(DAEMON_LOG_ERR, "tiles_dir: cannot write %s: %s", path, rc < -1000 ? proto_err_name(rc) : strerror(-rc));
  return rc;
}

/* The tiles of level (or the entry bundles) that change from a tree of `from` leaves to `to`. */
static int write_level(struct daemon_server *srv, const char *dir, unsigned level, uint64_t from, uint64_t to) {
  unsigned shift = level == TLOG_TILE_ENTRIES ? 0 : TLOG_TILE_HEIGHT * level;
  uint64_t have = from >> shift, want = to >> shift;
  int rc = 0;
  for (uint64_t n = have / TLOG_TILE_WIDTH; n * TLOG_TILE_WIDTH < want && !rc; n++) {
    struct tlog_tile t = {level, n, tlog_tile_width_at(level, n, to)};
    if (t.width == TLOG_TILE_WIDTH && have >= (n + 1) * TLOG_TILE_WIDTH) continue; /* written */
    rc = write_tile(srv, dir, &t);
  }
  return rc;
}

int daemon_tiles_sync(struct daemon_server *srv, uint64_t *written) {
  const char *dir = srv->cfg->tiles_dir;
  static char note[DAEMON_PUBLISHED_BYTES_MAX + 1]; /* the tiles thread's own */
  uint64_t size = 0;
  long n = daemon_published_note(srv, note, sizeof note, &size);
  if (n < 0 || size <= *written) return n < 0 && n != PROTO_E_NOT_FOUND ? (int)n : 0;
  int rc = 0;
  for (unsigned level = 0; level <= TLOG_TILE_LEVEL_MAX && !rc && (size >> (TLOG_TILE_HEIGHT * level)); level++)
    rc = write_level(srv, dir, level, *written, size);
  /* entry bundles would bypass the read rules unless the whole log is public */
  if (!rc && srv->cfg->public_log) rc = write_level(srv, dir, TLOG_TILE_ENTRIES, *written, size);
  char path[DAEMON_PATH_BYTES_MAX + 16];
  snprintf(path, sizeof path, "%s/checkpoint", dir);
  if (!rc && (rc = write_file(path, note, (size_t)n)))
    daemon_log(DAEMON_LOG_ERR, "tiles_dir: cannot write %s: %s", path, strerror(-rc));
  if (!rc) *written = size;
  return rc;
}

/* The size of the checkpoint already in tiles_dir: tiles up to it are there. */
static uint64_t written_size(const char *dir) {
  char path[DAEMON_PATH_BYTES_MAX + 16], note[TLOG_NOTE_BYTES_MAX + 1];
  snprintf(path, sizeof path, "%s/checkpoint", dir);
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  size_t len = fread(note, 1, sizeof note - 1, f);
  fclose(f);
  struct tlog_note nt;
  return tlog_note_parse(note, len, &nt) == 0 ? nt.cp.size : 0;
}

static void tiles_thread(void *arg) {
  struct daemon_server *srv = arg;
  uint64_t written = written_size(srv->cfg->tiles_dir);
  uv_mutex_lock(&srv->tiles_mu);
  while (!srv->tiles_quit) {
    srv->tiles_kicked = false;
    uv_mutex_unlock(&srv->tiles_mu);
    daemon_tiles_sync(srv, &written);
    uv_mutex_lock(&srv->tiles_mu);
    if (!srv->tiles_quit && !srv->tiles_kicked)
      uv_cond_timedwait(&srv->tiles_cv, &srv->tiles_mu, (uint64_t)TILES_POLL_MS * 1000000u);
  }
  uv_mutex_unlock(&srv->tiles_mu);
}

int daemon_tiles_start(struct daemon_server *srv) {
  if (!srv->cfg->tiles_dir[0]) return 0;
  if (mkdir(srv->cfg->tiles_dir, 0755) && errno != EEXIST) {
    daemon_log(DAEMON_LOG_ERR, "tiles_dir %s: %s", srv->cfg->tiles_dir, strerror(errno));
    return PROTO_E_STORAGE;
  }
  srv->tiles_quit = srv->tiles_kicked = false;
  int rc = daemon_thread_start(&srv->tiles_thread, &srv->tiles_mu, &srv->tiles_cv, tiles_thread, srv);
  if (rc) return rc;
  srv->tiles_started = true;
  return 0;
}

void daemon_tiles_kick(struct daemon_server *srv) {
  if (!srv->tiles_started) return;
  uv_mutex_lock(&srv->tiles_mu);
  srv->tiles_kicked = true;
  uv_cond_signal(&srv->tiles_cv);
  uv_mutex_unlock(&srv->tiles_mu);
}

void daemon_tiles_stop(struct daemon_server *srv) {
  if (!srv->tiles_started) return;
  daemon_thread_stop(&srv->tiles_thread, &srv->tiles_mu, &srv->tiles_cv, &srv->tiles_quit);
  srv->tiles_started = false;
}
