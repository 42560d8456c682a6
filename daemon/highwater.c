/* highwater: the latest published checkpoint kept outside the data directory (restoring a backup
 * of the data directory does not restore it), and the start-up judgement of the tree against
 * every checkpoint quotad can learn: a tree behind one, or not consistent with it, is read-only. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/server.h"

int daemon_highwater_path(const struct daemon_config *cfg, char *out, size_t cap) {
  assert(cap > 0);
  int n;
  if (cfg->high_water_file[0]) {
    n = snprintf(out, cap, "%s", cfg->high_water_file);
  } else {
    /* /var/lib/quotad -> /var/lib/quotad-hw/checkpoint: beside the data directory, not in it. */
    size_t len = strlen(cfg->data_dir);
    while (len > 1 && cfg->data_dir[len - 1] == '/') len--;
    n = snprintf(out, cap, "%.*s-hw/checkpoint", (int)len, cfg->data_dir);
  }
  return n > 0 && (size_t)n < cap ? 0 : PROTO_E_FIELD_TOO_LONG;
}

static int fsync_dir_of(const char *path) {
  char copy[DAEMON_PATH_BYTES_MAX];
  snprintf(copy, sizeof copy, "%s", path);
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = fsync(fd) ? -errno : 0;
  close(fd);
  return rc;
}

/* Written to PATH.tmp, synced, renamed over PATH, the directory synced: a crash leaves the old
 * checkpoint or the new one, never a torn file. The directory is made (0700) when missing. */
int daemon_highwater_write(const char *path, const char *note, size_t len) {
  assert(path && path[0]);
  char tmp[DAEMON_PATH_BYTES_MAX + 8], dir[DAEMON_PATH_BYTES_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  if (mkdir(dirname(dir), 0700) && errno != EEXIST) return -errno;
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return PROTO_E_FIELD_TOO_LONG;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  int rc = write(fd, note, len) == (ssize_t)len ? 0 : -EIO;
  if (!rc && fsync(fd)) rc = -errno;
  close(fd);
  if (!rc && rename(tmp, path)) rc = -errno;
  if (!rc) rc = fsync_dir_of(path);
  if (rc) unlink(tmp);
  return rc;
}

long daemon_checkpoint_file_read(const char *path, char *out, size_t cap) {
  assert(cap > 1);
  FILE *f = fopen(path, "re");
  if (!f) return errno == ENOENT ? PROTO_E_NOT_FOUND : -errno;
  size_t n = fread(out, 1, cap - 1, f);
  bool more = fgetc(f) != EOF;
  fclose(f);
  if (more) return PROTO_E_TOO_LARGE;
  out[n] = '\0';
  return (long)n;
}

/* The key that signs this registry's checkpoints: the genesis's, or before any genesis the log key
 * quotad was started with (a restored empty directory still knows whose log it serves). */
static void log_identity(struct daemon_server *srv, const char *note, size_t len,
                         char origin[PROTO_ORIGIN_BYTES_MAX + 1], uint8_t pub[PROTO_PUBKEY_BYTES]) {
  snprintf(origin, PROTO_ORIGIN_BYTES_MAX + 1, "%s", ledger_origin(srv->ledger));
  if (ledger_log_public_key(srv->ledger, pub)) memcpy(pub, srv->log_public_key, PROTO_PUBKEY_BYTES);
  struct tlog_note parsed;
  if (!origin[0] && tlog_note_parse(note, len, &parsed) == 0)
    snprintf(origin, PROTO_ORIGIN_BYTES_MAX + 1, "%s", parsed.cp.origin);
}

int daemon_highwater_judge(struct daemon_server *srv, const char *note, size_t len,
                           const char *source, uint64_t *learned_size, char *why, size_t cap) {
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES], root[PROTO_HASH_BYTES];
  struct tlog_checkpoint cp;
  log_identity(srv, note, len, origin, pub);
  if (tlog_checkpoint_verify(note, len, origin, pub, &cp)) {
    snprintf(why, cap, "the checkpoint in %s is not this registry's (origin %s, its log key)",
             source, origin[0] ? origin : "unknown");
    return PROTO_E_BAD_CHECKPOINT;
  }
  *learned_size = cp.size;
  uint64_t size = ledger_tree_size(srv->ledger);
  if (cp.size > size) {
    snprintf(why, cap, "the tree (size %llu) is behind the checkpoint in %s (size %llu): read-only "
             "until caught up (quotactl catch-up)", (unsigned long long)size, source,
             (unsigned long long)cp.size);
    return PROTO_E_READ_ONLY;
  }
  int rc = ledger_root(srv->ledger, cp.size, root);
  if (rc || memcmp(root, cp.root, sizeof root) != 0) {
    snprintf(why, cap, "the tree is not consistent with the checkpoint in %s (size %llu): another "
             "history; read-only (docs/QUOTACTL.md, restore)", source, (unsigned long long)cp.size);
    return PROTO_E_INCONSISTENT;
  }
  return 0;
}

/* One learned checkpoint: a conflict makes the node read-only (the first reason is kept). */
static int learn_from(struct daemon_server *srv, const char *path, bool required) {
  char note[TLOG_CHECKPOINT_BYTES_MAX + 1], why[sizeof srv->read_only_why];
  long n = daemon_checkpoint_file_read(path, note, sizeof note);
  if (n == PROTO_E_NOT_FOUND && !required) return 0; /* the first start: nothing published yet */
  if (n < 0) {
    daemon_log(DAEMON_LOG_ERR, "checkpoint file %s cannot be read: %s", path,
               n == PROTO_E_NOT_FOUND ? "no such file" : n == PROTO_E_TOO_LARGE ? "too large" : strerror((int)-n));
    return n == PROTO_E_TOO_LARGE || n == PROTO_E_NOT_FOUND ? (int)n : PROTO_E_STORAGE;
  }
  uint64_t learned = 0;
  int rc = daemon_highwater_judge(srv, note, (size_t)n, path, &learned, why, sizeof why);
  if (rc == 0) {
    daemon_log(DAEMON_LOG_INFO, "tree (size %llu) extends the checkpoint in %s (size %llu)",
               (unsigned long long)ledger_tree_size(srv->ledger), path, (unsigned long long)learned);
    return 0;
  }
  daemon_log(DAEMON_LOG_ERR, "READ-ONLY: %s", why);
  if (!srv->read_only) snprintf(srv->read_only_why, sizeof srv->read_only_why, "%s", why);
  __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE);
  srv->checkpoint_hidden = true;
  return 0;
}

int daemon_highwater_start(struct daemon_server *srv) {
  const struct daemon_config *cfg = srv->cfg;
  if (daemon_highwater_path(cfg, srv->high_water_path, sizeof srv->high_water_path)) {
    daemon_log(DAEMON_LOG_ERR, "ledger.high_water_file: path too long");
    return PROTO_E_FIELD_TOO_LONG;
  }
  int rc = learn_from(srv, srv->high_water_path, false);
  if (!rc && cfg->known_checkpoint[0]) rc = learn_from(srv, cfg->known_checkpoint, true);
  if (rc || srv->read_only) return rc;
  /* A standby's file follows what it appends. Not its own latest checkpoint: an old primary may
   * hold one it signed and never published, and the rejoin's lower bound is the published one. */
  if (cfg->follow[0]) return 0;
  /* The file now follows the tree: an upgraded node, or one caught up while it was stopped. */
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  long n = ledger_checkpoint_latest(srv->ledger, note, sizeof note);
  if (n == PROTO_E_NOT_FOUND) return 0;
  rc = n < 0 ? (int)n : daemon_highwater_write(srv->high_water_path, note, (size_t)n);
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "high-water file %s cannot be written (%s): without it a restored "
               "backup could fork the log; set ledger.high_water_file to a writable path outside "
               "the data directory", srv->high_water_path, rc < 0 && rc > -1000 ? strerror(-rc) : proto_err_name(rc));
  }
  return rc;
}

void daemon_highwater_publish_note(struct daemon_server *srv, const char *note, size_t len) {
  if (daemon_highwater_write(srv->high_water_path, note, len))
    __atomic_store_n(&srv->high_water_failed, true, __ATOMIC_RELEASE);
}

void daemon_highwater_publish(struct daemon_server *srv) {
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  long n = ledger_checkpoint_latest(srv->ledger, note, sizeof note);
  if (n < 0) __atomic_store_n(&srv->high_water_failed, true, __ATOMIC_RELEASE);
  else daemon_highwater_publish_note(srv, note, (size_t)n);
}
