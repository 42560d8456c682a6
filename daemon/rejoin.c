/* rejoin: an old primary started as a standby (quotad --follow) whose tree is not a prefix of its
 * new primary's. Its entries after the last index both logs share were never confirmed by the
 * standby that was promoted, so never acknowledged nor published: they are set aside into a file
 * beside the high-water file, and the store is rebuilt from the shared prefix before it follows.
 * So is a standby's tail that its primary sent ahead of a commit it then lost (standby.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/api_util.h"
#include "tools/common/http_client.h"

#define REJOIN_CONTACT_TRIES 50u        /* the start waits 50 x 200 ms for the primary to answer */
#define REJOIN_CONTACT_SLEEP_US 200000u
#define REJOIN_COPY_ENTRIES_MAX 1000u   /* entries per batch when the store is rebuilt */
#define REJOIN_REQUEST_MS_MAX 2000L    /* one probe of the primary */
#define REJOIN_TMP_DIR "rejoin.tmp"    /* inside the data directory: same file system, writable */

/* Does the primary hold our tree of size k (GET /v1/stream?from=k&root=R&limit=0, which is also a
 * confirmation of what is truly ours)? 1 yes, 0 no, or a negative code (it does not answer). */
static int rejoin_probe(struct http_client *h, struct ledger *l, uint64_t k) {
  uint8_t root[PROTO_HASH_BYTES];
  char hex[2 * PROTO_HASH_BYTES + 1], path[200];
  int rc = ledger_root(l, k, root);
  if (rc) return rc;
  proto_hex_encode(root, sizeof root, hex, sizeof hex);
  /* pending=1: a batch the primary is committing right now counts as held */
  snprintf(path, sizeof path, "/v1/stream?from=%" PRIu64 "&root=%s&limit=0&pending=1", k, hex);
  long status = 0;
  json_t *ans = NULL;
  rc = http_json(h, "GET", path, NULL, true, &status, &ans);
  const char *code = "", *msg = "";
  if (!rc && status != 200) http_error_code(ans, &code, &msg);
  /* another root at k, or k beyond the primary's tree: not a prefix */
  bool not_prefix = !strcmp(code, "inconsistent") || !strcmp(code, "bad_argument");
  json_decref(ans); /* code and msg point into it */
  if (rc) return rc;
  return status == 200 ? 1 : not_prefix ? 0 : PROTO_E_BAD_REQUEST;
}

/* The largest k in [lo, n] whose tree the primary holds (lo is known held); by bisection, since
 * a held tree's prefixes are held too. Returns 0 with *k, or a code. */
static int rejoin_fork_point(struct http_client *h, struct ledger *l, uint64_t lo, uint64_t n, uint64_t *k) {
  uint64_t hi = n;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo + 1) / 2;
    int yes = rejoin_probe(h, l, mid);
    if (yes < 0) return yes;
    if (yes) lo = mid;
    else hi = mid - 1;
  }
  *k = lo;
  return 0;
}

/* The tail [k, n) as JSON: {"origin", "from", "to", "reason", "entries": [{"index", "leaf",
 * "legs_blob"?}]}, written durably to a new file beside the high-water file. */
static int rejoin_set_aside(struct daemon_server *srv, uint64_t k, uint64_t n, char *path, size_t cap) {
  char dir[DAEMON_PATH_BYTES_MAX];
  snprintf(dir, sizeof dir, "%s", srv->high_water_path);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
  else snprintf(dir, sizeof dir, ".");
  int w = snprintf(path, cap, "%s/set-aside-%" PRIu64 "-%" PRIu64 "-%" PRIu64 ".json", dir, k, n, daemon_now_ms());
  if (w < 0 || (size_t)w >= cap) return PROTO_E_FIELD_TOO_LONG;
  json_t *list = json_array();
  uint8_t *buf = malloc(PROTO_ENTRY_BYTES_MAX + PROTO_LEGS_BYTES_MAX);
  int rc = buf && list ? 0 : PROTO_E_NO_MEMORY;
  for (uint64_t i = k; i < n && !rc; i++) {
    long len = ledger_entry_get(srv->ledger, i, buf, PROTO_ENTRY_BYTES_MAX);
    if (len < 0) {
      rc = (int)len;
      break;
    }
    json_t *e = json_pack("{s:I,s:o}", "index", (json_int_t)i, "leaf", api__b64(buf, (size_t)len));
    long ln = ledger_entry_legs(srv->ledger, i, buf + PROTO_ENTRY_BYTES_MAX, PROTO_LEGS_BYTES_MAX);
    if (ln > 0) json_object_set_new(e, "legs_blob", api__b64(buf + PROTO_ENTRY_BYTES_MAX, (size_t)ln));
    else if (ln != PROTO_E_NOT_FOUND) rc = (int)ln;
    json_array_append_new(list, e);
  }
  free(buf);
  json_t *doc = json_pack("{s:s,s:I,s:I,s:s,s:o}", "origin", ledger_origin(srv->ledger), "from", (json_int_t)k,
                          "to", (json_int_t)n, "reason", "entries the primary's log does not hold: an "
                          "old primary's that its promoted standby never confirmed, or a standby's that its "
                          "primary sent before a commit it lost; never acknowledged to a client, never "
                          "published", "entries", list);
  char *text = doc && !rc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
  if (!rc) rc = text ? daemon_highwater_write(path, text, strlen(text)) : PROTO_E_NO_MEMORY;
  free(text);
  json_decref(doc);
  return rc;
}

/* Appends entries [start, end) of src to dst verbatim, root-checked. */
static int rejoin_copy(struct ledger *src, struct ledger *dst, uint64_t start, uint64_t end, char *why, size_t cap) {
  struct ledger_entry_in in[REJOIN_COPY_ENTRIES_MAX];
  uint8_t *bufs[REJOIN_COPY_ENTRIES_MAX] = {0};
  size_t n = (size_t)(end - start);
  uint8_t root[PROTO_HASH_BYTES];
  int rc = ledger_root(src, end, root);
  for (size_t i = 0; i < n && !rc; i++) {
    bufs[i] = malloc(PROTO_ENTRY_BYTES_MAX + PROTO_LEGS_BYTES_MAX);
    if (!bufs[i]) {
      rc = PROTO_E_NO_MEMORY;
      break;
    }
    long len = ledger_entry_get(src, start + i, bufs[i], PROTO_ENTRY_BYTES_MAX);
    long ln = len < 0 ? 0 : ledger_entry_legs(src, start + i, bufs[i] + PROTO_ENTRY_BYTES_MAX, PROTO_LEGS_BYTES_MAX);
    if (len < 0 || (ln < 0 && ln != PROTO_E_NOT_FOUND)) rc = len < 0 ? (int)len : (int)ln;
    in[i] = (struct ledger_entry_in){.leaf = bufs[i], .leaf_len = len > 0 ? (size_t)len : 0,
                                     .legs = ln > 0 ? bufs[i] + PROTO_ENTRY_BYTES_MAX : NULL,
                                     .legs_len = ln > 0 ? (size_t)ln : 0};
  }
  if (!rc) rc = ledger_append_entries(dst, in, n, root, why, cap);
  for (size_t i = 0; i < n; i++) free(bufs[i]);
  return rc;
}

static void rejoin_tmp_remove(const char *tmp) {
  static const char *const files[] = {"data.mdb", "lock.mdb", "quotad.lock"};
  char p[DAEMON_PATH_BYTES_MAX + 32];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
    (void)unlink(p);
  }
  (void)rmdir(tmp);
}

/* The store becomes its first k entries: they are copied into a new store in the data directory,
 * which then replaces the old one's data file; the ledger is opened again. */
static int rejoin_rebuild(struct daemon_server *srv, const struct ledger_config *lc, uint64_t k,
                          char *why, size_t cap) {
  char tmp[DAEMON_PATH_BYTES_MAX + 16], from[DAEMON_PATH_BYTES_MAX + 32], to[DAEMON_PATH_BYTES_MAX + 16];
  snprintf(tmp, sizeof tmp, "%s/%s", lc->dir, REJOIN_TMP_DIR);
  rejoin_tmp_remove(tmp); /* a rebuild a crash interrupted */
  struct ledger_config tc = *lc;
  tc.dir = tmp;
  tc.no_open_check = true;
  tc.open_check = NULL;
  struct ledger *dst = NULL;
  int rc = ledger_open(&tc, &dst);
  for (uint64_t s = 0; s < k && !rc; s += REJOIN_COPY_ENTRIES_MAX)
    rc = rejoin_copy(srv->ledger, dst, s, k - s > REJOIN_COPY_ENTRIES_MAX ? s + REJOIN_COPY_ENTRIES_MAX : k, why, cap);
  ledger_close(dst);
  if (rc) {
    rejoin_tmp_remove(tmp);
    return rc;
  }
  ledger_close(srv->ledger);
  srv->ledger = NULL;
  snprintf(from, sizeof from, "%s/data.mdb", tmp);
  snprintf(to, sizeof to, "%s/data.mdb", lc->dir);
  rc = rename(from, to) ? -errno : 0;
  rejoin_tmp_remove(tmp);
  int ro = ledger_open(lc, &srv->ledger); /* the new store, or the old one when the rename failed */
  if (!rc) rc = ro;
  PROTO_ASSERT(rc != 0 || ledger_tree_size(srv->ledger) == k);
  return rc;
}

/* The size of the last checkpoint this node published: its high-water file's, else 0. */
static uint64_t rejoin_published_size(const struct daemon_server *srv) {
  char note[TLOG_CHECKPOINT_BYTES_MAX + 1];
  struct tlog_note parsed;
  long n = daemon_checkpoint_file_read(srv->high_water_path, note, sizeof note);
  if (n <= 0 || tlog_note_parse(note, (size_t)n, &parsed)) return 0;
  return parsed.cp.size <= ledger_tree_size(srv->ledger) ? parsed.cp.size : 0;
}

/* Waits for the primary to answer whether it holds our whole tree: 1, 0, or a negative code. */
static int rejoin_contact(struct http_client *h, struct ledger *l) {
  int yes = PROTO_E_BUSY;
  for (unsigned t = 0; t < REJOIN_CONTACT_TRIES && yes < 0; t++) {
    yes = rejoin_probe(h, l, ledger_tree_size(l));
    if (yes < 0) usleep(REJOIN_CONTACT_SLEEP_US);
  }
  return yes;
}

/* Finds the shared prefix, sets the tail aside and rebuilds; the reason of a refusal in why. */
static int rejoin_tail(struct daemon_server *srv, struct http_client *h, const struct ledger_config *lc,
                       char *why, size_t cap) {
  uint64_t n = ledger_tree_size(srv->ledger), published = rejoin_published_size(srv), k = 0;
  if (rejoin_probe(h, srv->ledger, published) != 1) {
    snprintf(why, cap, "the primary %s does not hold the checkpoint this node published (size %" PRIu64
             "): another history; this node does not follow it", srv->cfg->follow, published);
    return PROTO_E_INCONSISTENT;
  }
  int rc = rejoin_fork_point(h, srv->ledger, published, n - 1, &k);
  char path[DAEMON_PATH_BYTES_MAX + 64];
  if (!rc) rc = rejoin_set_aside(srv, k, n, path, sizeof path);
  if (rc) {
    snprintf(why, cap, "the tail after %" PRIu64 " could not be set aside (%s)", k, proto_err_name(rc));
    return rc;
  }
  daemon_log(DAEMON_LOG_WARNING, "REJOIN: entries %" PRIu64 "..%" PRIu64 " of this node are not in the "
             "primary's log (never confirmed by it, so never acknowledged nor published): set aside "
             "into %s; the store is rebuilt from the %" PRIu64 " entries both hold", k, n - 1, path, k);
  rc = rejoin_rebuild(srv, lc, k, why, cap);
  if (rc && !why[0]) snprintf(why, cap, "rebuilding the store failed (%s)", proto_err_name(rc));
  return rc;
}

int daemon_rejoin(struct daemon_server *srv, const struct ledger_config *lc) {
  uint64_t n = ledger_tree_size(srv->ledger);
  if (n == 0 || !ledger_origin(srv->ledger)[0]) return 0; /* nothing of its own: it just follows */
  struct http_client *h = http_client_new(srv->cfg->follow, NULL);
  if (!h) return PROTO_E_NO_MEMORY;
  http_client_set_timeout_ms(h, REJOIN_REQUEST_MS_MAX);
  http_client_set_read_key(h, srv->follow_key, ledger_origin(srv->ledger));
  char why[512] = "";
  int yes = rejoin_contact(h, srv->ledger), rc = 0;
  if (yes < 0)
    daemon_log(DAEMON_LOG_WARNING, "standby: the primary %s does not answer; following without the "
               "rejoin check (a tree that is no prefix of its log stops the standby: restart it then)",
               srv->cfg->follow);
  else if (yes == 0)
    rc = rejoin_tail(srv, h, lc, why, sizeof why);
  if (rc) daemon_log(DAEMON_LOG_ERR, "REJOIN refused: %s", why[0] ? why : proto_err_message(rc));
  http_client_free(h);
  return rc;
}
