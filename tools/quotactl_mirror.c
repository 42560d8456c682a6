/* mirror: `quotactl mirror --from URL DIR` keeps a verified copy of a log served as C2SP
 * tlog-tiles (following C2SP tlog-mirror where it applies): the checkpoint's signature and
 * quorum, its consistency with the mirror's last one, every new tile bound to the signed root,
 * and the checkpoint written last, so that a static server can serve DIR at any moment. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/common/tile_client.h"
#include "tools/quotactl.h"

#define MIRROR_PATH_BYTES_MAX 4096u
#define MIRROR_INCOMING ".incoming" /* fetched, not yet verified: never served */

struct mirror {
  const char *dir;
  char incoming[MIRROR_PATH_BYTES_MAX];
  struct tile_client tc;
  char name[PROTO_ORIGIN_BYTES_MAX + 1];
  uint8_t pub[PROTO_PUBKEY_BYTES];
  char note[TLOG_NOTE_BYTES_MAX + 1];
  long note_len;
  struct tlog_checkpoint cp, old;
  bool have_old;
  uint64_t fetched, reused;
  struct tlog_tile parent_t; /* the last parent tile read, to check full tiles against */
  bool parent_valid;
  uint8_t parent[TLOG_TILE_WIDTH][PROTO_HASH_BYTES];
  struct tlog_tile_fetcher local; /* get_tile as a fetcher, for the root and consistency */
  struct tlog_tile_store ts;
  /* entry bundles: read at the server's root with the full path signed (--read-key) */
  struct http_client *root_http;
  char prefix[MIRROR_PATH_BYTES_MAX]; /* the path part of --from ("/log") */
  uint64_t bundles_fetched, bundles_reused;
  const char *bundles_skipped; /* why none were copied, or NULL */
};

static int tile_file(const char *base, const struct tlog_tile *t, char *out, size_t cap) {
  int n = snprintf(out, cap, "%s/", base);
  if (n < 0 || (size_t)n >= cap) return PROTO_E_FIELD_TOO_LONG;
  long pn = tlog_tile_path(t, out + n, cap - (size_t)n);
  return pn < 0 ? (int)pn : 0;
}

/* 0 when path holds exactly len bytes (read into out). */
static int read_exact(const char *path, void *out, size_t len) {
  FILE *f = fopen(path, "re");
  if (!f) return PROTO_E_NOT_FOUND;
  size_t n = fread(out, 1, len, f);
  bool more = fgetc(f) != EOF;
  fclose(f);
  return n == len && !more ? 0 : PROTO_E_NOT_FOUND;
}

static int make_parents(char *path) {
  for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
    *p = '\0';
    int rc = mkdir(path, 0755);
    *p = '/';
    if (rc && errno != EEXIST) return -errno;
  }
  return 0;
}

/* A tile from DIR (verified by an earlier run), from .incoming (fetched by an interrupted run:
 * verified again now), or fetched and kept in .incoming. */
static int get_tile(struct mirror *m, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]) {
  char path[MIRROR_PATH_BYTES_MAX];
  size_t len = (size_t)t->width * PROTO_HASH_BYTES;
  int rc = tile_file(m->dir, t, path, sizeof path);
  if (!rc && read_exact(path, out, len) == 0) return m->reused++, 0;
  if (!rc) rc = tile_file(m->incoming, t, path, sizeof path);
  if (!rc && read_exact(path, out, len) == 0) return m->reused++, 0;
  if (!rc) rc = tile_client_hashes(&m->tc, t, out);
  if (rc) return rc;
  m->fetched++;
  if (make_parents(path) || tile_write_atomic(path, out, len)) {
    fprintf(stderr, "quotactl mirror: cannot write %s: %s\n", path, strerror(errno));
    return PROTO_E_STORAGE;
  }
  return 0;
}

static int fetch_cb(void *ctx, const struct tlog_tile *t, uint8_t out[][PROTO_HASH_BYTES]) {
  return get_tile(ctx, t, out);
}

/* A full tile's 256 hashes are the children of one hash of the next level's tile: check it. */
static int check_full(struct mirror *m, const struct tlog_tile *t, uint8_t (*h)[PROTO_HASH_BYTES]) {
  struct tlog_tile p = {t->level + 1, t->index / TLOG_TILE_WIDTH,
                        tlog_tile_width_at(t->level + 1, t->index / TLOG_TILE_WIDTH, m->cp.size)};
  if (!m->parent_valid || m->parent_t.level != p.level || m->parent_t.index != p.index) {
    m->parent_valid = false;
    int rc = get_tile(m, &p, m->parent);
    if (rc) return rc;
    m->parent_t = p;
    m->parent_valid = true;
  }
  uint8_t root[PROTO_HASH_BYTES];
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])h, TLOG_TILE_WIDTH, root);
  if (memcmp(root, m->parent[t->index % TLOG_TILE_WIDTH], PROTO_HASH_BYTES)) {
    fprintf(stderr, "quotactl mirror: tile %u/%" PRIu64 " does not hash to its parent: the log's tiles do not match its tree\n",
            t->level, t->index);
    return PROTO_E_BAD_PROOF;
  }
  return 0;
}

/* Every tile that is new since the mirror's last checkpoint, level by level. */
static int copy_levels(struct mirror *m) {
  static uint8_t h[TLOG_TILE_WIDTH][PROTO_HASH_BYTES];
  uint64_t s = m->cp.size, o = m->have_old ? m->old.size : 0;
  for (unsigned l = 0; l <= TLOG_TILE_LEVEL_MAX && (s >> (TLOG_TILE_HEIGHT * l)); l++) {
    uint64_t have = o >> (TLOG_TILE_HEIGHT * l), want = s >> (TLOG_TILE_HEIGHT * l), count = 0;
    for (uint64_t n = have / TLOG_TILE_WIDTH; n * TLOG_TILE_WIDTH < want; n++) {
      struct tlog_tile t = {l, n, tlog_tile_width_at(l, n, s)};
      if (t.width == TLOG_TILE_WIDTH && have >= (n + 1) * TLOG_TILE_WIDTH) continue;
      int rc = get_tile(m, &t, h);
      if (!rc && t.width == TLOG_TILE_WIDTH) rc = check_full(m, &t, h);
      if (rc) return rc;
      count++;
    }
    fprintf(stderr, "level %u: %" PRIu64 " tiles (%" PRIu64 " fetched so far, %" PRIu64 " bytes)\n", l, count,
            m->fetched, m->tc.fetched_bytes);
  }
  return 0;
}

/* The partial tiles and the top of the tree: the root the tiles give must be the signed one, and
 * the tree must extend the mirror's last checkpoint. */
static int check_root(struct mirror *m) {
  struct tlog_store s;
  m->local = (struct tlog_tile_fetcher){m, fetch_cb};
  tlog_tile_store_init(&m->ts, &m->local, m->cp.size, &s);
  uint8_t root[PROTO_HASH_BYTES], proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  int rc = tlog_root(&s, m->cp.size, root);
  if (rc) return rc;
  if (memcmp(root, m->cp.root, PROTO_HASH_BYTES)) {
    /* the tiles kept from earlier runs were verified: a mismatch is the source's tiles, or a
     * checkpoint of another tree than the one mirrored so far */
    fprintf(stderr, "quotactl mirror: the tiles do not give the signed checkpoint's root: tampered tiles, or a fork "
            "of the mirrored log\n");
    return PROTO_E_BAD_PROOF;
  }
  if (!m->have_old) return 0;
  size_t n = 0;
  rc = tlog_consistency(&s, m->old.size, m->cp.size, proof, &n);
  if (!rc && tlog_verify_consistency(m->old.size, m->cp.size, m->old.root, m->cp.root,
                                     (const uint8_t(*)[PROTO_HASH_BYTES])proof, n)) {
    fprintf(stderr, "quotactl mirror: the new checkpoint is not consistent with the mirror's (size %" PRIu64 "): a fork\n",
            m->old.size);
    return PROTO_E_INCONSISTENT;
  }
  return rc;
}

/* An entry bundle's bytes against the verified level-0 hash tile: exactly t->width entries, each
 * a big-endian uint16 length then the leaf, whose RFC 6962 leaf hash is the tile's hash. */
static int check_bundle(struct mirror *m, const struct tlog_tile *t, const uint8_t *b, size_t len) {
  static uint8_t h[TLOG_TILE_WIDTH][PROTO_HASH_BYTES];
  struct tlog_tile ht = {0, t->index, t->width};
  int rc = get_tile(m, &ht, h);
  if (rc) return rc;
  size_t at = 0;
  for (unsigned i = 0; i < t->width; i++) {
    if (len - at < 2 || len - at - 2 < (size_t)(b[at] << 8 | b[at + 1])) return PROTO_E_BAD_PROOF;
    size_t n = (size_t)(b[at] << 8 | b[at + 1]);
    uint8_t leaf[PROTO_HASH_BYTES];
    tlog_leaf_hash(b + at + 2, n, leaf);
    if (memcmp(leaf, h[i], PROTO_HASH_BYTES)) return PROTO_E_BAD_PROOF;
    at += 2 + n;
  }
  return at == len ? 0 : PROTO_E_BAD_PROOF;
}

/* GET one bundle, signed when a read key is set: 0, FORBIDDEN (401/403: not ours to read) or
 * NOT_FOUND (a static copy of hash tiles only), with m->bundles_skipped saying why, or BUSY. */
static int fetch_bundle(struct mirror *m, const struct tlog_tile *t, struct http_response *r) {
  char path[MIRROR_PATH_BYTES_MAX];
  int n = snprintf(path, sizeof path, "%s/", m->prefix);
  long pn = n > 0 && (size_t)n < sizeof path ? tlog_tile_path(t, path + n, sizeof path - (size_t)n) : -1;
  if (pn < 0) return PROTO_E_FIELD_TOO_LONG;
  memset(r, 0, sizeof *r);
  if (http_request(m->root_http, "GET", path, NULL, NULL, 0, true, r)) return PROTO_E_BUSY;
  if (r->status == 200) return m->tc.fetched_bytes += r->len, 0;
  long st = r->status;
  http_response_free(r);
  if (st == 401 || st == 403) {
    m->bundles_skipped = st == 401 ? "the log is not public: give --read-key (an auditor's or the operator's key)"
                                   : "the read key may not read entries (an auditor's or the operator's may)";
    return PROTO_E_FORBIDDEN;
  }
  if (st == 404) m->bundles_skipped = "the source serves no entry bundles (404: hash tiles only)";
  return st == 404 ? PROTO_E_NOT_FOUND : PROTO_E_BUSY;
}

/* One bundle: kept from an earlier run, or fetched, checked and put in .incoming. */
static int copy_bundle(struct mirror *m, const struct tlog_tile *t) {
  char path[MIRROR_PATH_BYTES_MAX];
  struct stat st;
  int rc = tile_file(m->dir, t, path, sizeof path);
  if (!rc && stat(path, &st) == 0) return m->bundles_reused++, 0; /* verified when it was copied */
  struct http_response r;
  if (!rc) rc = fetch_bundle(m, t, &r);
  if (rc) return rc;
  rc = check_bundle(m, t, (const uint8_t *)r.body, r.len);
  if (rc == PROTO_E_BAD_PROOF)
    fprintf(stderr, "quotactl mirror: entry bundle %" PRIu64 " does not match the hash tiles: tampered entries\n",
            t->index);
  if (!rc) rc = tile_file(m->incoming, t, path, sizeof path);
  if (!rc && (make_parents(path) || tile_write_atomic(path, r.body, r.len))) rc = PROTO_E_STORAGE;
  http_response_free(&r);
  if (!rc) m->bundles_fetched++;
  return rc;
}

/* Every entry bundle of the signed tree the mirror lacks; none (and why) when they are not
 * readable. A bundle that does not match the verified hash tiles fails the run. */
static int copy_bundles(struct mirror *m) {
  uint64_t s = m->cp.size;
  for (uint64_t n = 0; n * TLOG_TILE_WIDTH < s; n++) {
    struct tlog_tile t = {TLOG_TILE_ENTRIES, n, tlog_tile_width_at(TLOG_TILE_ENTRIES, n, s)};
    int rc = copy_bundle(m, &t);
    if (rc == PROTO_E_FORBIDDEN || rc == PROTO_E_NOT_FOUND) return 0; /* skipped, and why, once */
    if (rc) return rc;
  }
  return 0;
}

static const char *g_incoming, *g_dir; /* for the nftw callbacks */

static int promote_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)ftw;
  if (type != FTW_F) return 0;
  char to[MIRROR_PATH_BYTES_MAX];
  if (snprintf(to, sizeof to, "%s%s", g_dir, path + strlen(g_incoming)) >= (int)sizeof to) return -1;
  if (strstr(to, ".tmp")) return unlink(path) ? -1 : 0;
  return make_parents(to) || rename(path, to) ? -1 : 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)st, (void)ftw;
  return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Verified: the new tiles move into DIR, then the checkpoint is written, last. */
static int promote(struct mirror *m) {
  g_incoming = m->incoming;
  g_dir = m->dir;
  struct stat st;
  if (stat(m->incoming, &st) == 0 && nftw(m->incoming, promote_one, 16, FTW_PHYS)) return -errno;
  if (stat(m->incoming, &st) == 0) nftw(m->incoming, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  sync(); /* the renamed tiles are on disk before the checkpoint that names them */
  char path[MIRROR_PATH_BYTES_MAX];
  snprintf(path, sizeof path, "%s/checkpoint", m->dir);
  return tile_write_atomic(path, m->note, (size_t)m->note_len);
}

/* The remote checkpoint: signed by the log key, with the quorum of --policy when given. */
static int remote_checkpoint(struct mirror *m, const char *policy_path) {
  m->note_len = tile_client_checkpoint(&m->tc, m->note, sizeof m->note);
  if (m->note_len < 0) {
    fprintf(stderr, "quotactl mirror: %s\n", m->tc.error);
    return QCTL_EXIT_IO;
  }
  int rc = tlog_checkpoint_verify(m->note, (size_t)m->note_len, m->name, m->pub, &m->cp);
  if (rc) {
    fprintf(stderr, "quotactl mirror: the checkpoint does not verify with the log key: %s\n", proto_err_message(rc));
    return QCTL_EXIT_VERIFY;
  }
  if (!policy_path) return 0;
  static struct tlog_policy policy;
  static char text[TLOG_POLICY_BYTES_MAX + 1];
  FILE *f = fopen(policy_path, "re");
  size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  struct tlog_policy_error err = {0};
  if (!f || tlog_policy_parse(text, len, &policy, &err)) {
    fprintf(stderr, "quotactl mirror: %s:%u: %s\n", policy_path, err.line, f ? err.message : strerror(errno));
    return QCTL_EXIT_USAGE;
  }
  struct tlog_policy_result res;
  rc = tlog_policy_verify(&policy, m->note, (size_t)m->note_len, &res);
  if (rc) {
    fprintf(stderr, "quotactl mirror: the checkpoint does not meet the policy: %s (%u cosignatures verify)\n",
            proto_err_message(rc), res.cosigned);
    return QCTL_EXIT_VERIFY;
  }
  return 0;
}

/* The mirror's own last checkpoint (a fresh DIR has none). */
static int local_checkpoint(struct mirror *m) {
  static char note[TLOG_NOTE_BYTES_MAX + 1];
  char path[MIRROR_PATH_BYTES_MAX];
  snprintf(path, sizeof path, "%s/checkpoint", m->dir);
  FILE *f = fopen(path, "re");
  if (!f) return errno == ENOENT ? 0 : QCTL_EXIT_IO;
  size_t len = fread(note, 1, sizeof note - 1, f);
  fclose(f);
  if (tlog_checkpoint_verify(note, len, m->name, m->pub, &m->old)) {
    fprintf(stderr, "quotactl mirror: %s is not signed by the log key: not a mirror of this log\n", path);
    return QCTL_EXIT_VERIFY;
  }
  m->have_old = true;
  if (m->cp.size < m->old.size ||
      (m->cp.size == m->old.size && memcmp(m->cp.root, m->old.root, PROTO_HASH_BYTES))) {
    fprintf(stderr, "quotactl mirror: the log's checkpoint (size %" PRIu64 ") is %s the mirror's (size %" PRIu64 "): a fork or a rollback\n",
            m->cp.size, m->cp.size < m->old.size ? "older than" : "another tree than", m->old.size);
    return QCTL_EXIT_VERIFY;
  }
  return 0;
}

static void bundles_summary(const struct mirror *m) {
  if (m->bundles_skipped)
    printf("mirror: entry bundles skipped: %s\n", m->bundles_skipped);
  else
    printf("mirror: entry bundles: %" PRIu64 " fetched, %" PRIu64 " kept, every entry checked against the hash tiles\n",
           m->bundles_fetched, m->bundles_reused);
}

static int mirror_run(struct mirror *m, const char *policy_path) {
  int rc = remote_checkpoint(m, policy_path);
  if (!rc) rc = local_checkpoint(m);
  if (rc) return rc;
  bool current = m->have_old && m->old.size == m->cp.size;
  if (!current)
    fprintf(stderr, "mirroring %s: size %" PRIu64 " -> %" PRIu64 "\n", m->cp.origin, m->have_old ? m->old.size : 0, m->cp.size);
  int vrc = current ? 0 : copy_levels(m);
  if (!vrc && !current) vrc = check_root(m);
  if (!vrc) vrc = copy_bundles(m); /* also when current: a read key given since then */
  if (!vrc && current && !m->bundles_fetched) {
    printf("mirror: up to date at size %" PRIu64 "\n", m->cp.size);
    if (m->bundles_skipped) bundles_summary(m);
    return QCTL_EXIT_OK;
  }
  if (vrc == PROTO_E_BAD_PROOF || vrc == PROTO_E_INCONSISTENT) {
    nftw(m->incoming, remove_one, 16, FTW_DEPTH | FTW_PHYS); /* nothing unverified is kept */
    return QCTL_EXIT_VERIFY;
  }
  if (vrc) {
    fprintf(stderr, "quotactl mirror: stopped (%s); run it again to resume\n", m->tc.error[0] ? m->tc.error : proto_err_message(vrc));
    return QCTL_EXIT_IO;
  }
  if (promote(m)) {
    fprintf(stderr, "quotactl mirror: cannot move the tiles into %s: %s\n", m->dir, strerror(errno));
    return QCTL_EXIT_IO;
  }
  printf("mirror: %s size %" PRIu64 " -> %" PRIu64 ": %" PRIu64 " tiles fetched (%" PRIu64 " bytes), %" PRIu64
         " reused, every tile checked against the signed root; checkpoint written\n",
         m->cp.origin, m->have_old ? m->old.size : 0, m->cp.size, m->fetched, m->tc.fetched_bytes, m->reused);
  bundles_summary(m);
  return QCTL_EXIT_OK;
}

static void mirror_help(FILE *out) {
  fprintf(out,
          "usage: quotactl [--read-key FILE] mirror --from URL --verifier-key NAME+ID+KEY\n"
          "                [--policy FILE] DIR\n"
          "Copies the log served as C2SP tlog-tiles under URL (e.g. http://registry:8420/log) into\n"
          "DIR: verifies the checkpoint's signature (and the witness quorum of --policy), its\n"
          "consistency with DIR's last checkpoint, every new hash tile against the signed root,\n"
          "then moves the tiles in and writes DIR/checkpoint last. Rerun it to follow the log; an\n"
          "interrupted run resumes. Entry bundles are copied too when they can be read (a public\n"
          "log, or --read-key of an auditor or the operator), each entry checked against the hash\n"
          "tiles; otherwise the summary says why they were skipped. Exit 0 mirrored, 3 I/O, 4 a\n"
          "verification failed (a fork, tampered tiles or entries).\n");
}

/* The client for entry bundles: the server's root (scheme://host:port of URL) so that a read key
 * signs the whole path, which is what quotad checks; the read key is --read-key, else the first
 * --key (QUOTACTL_READ_KEY, QUOTACTL_KEY), else none. */
static int bundle_client(struct qctl *q, struct mirror *m, const char *url) {
  const char *host = strstr(url, "://");
  const char *path = host ? strchr(host + 3, '/') : NULL;
  size_t base_len = path ? (size_t)(path - url) : strlen(url);
  char base[MIRROR_PATH_BYTES_MAX];
  if (base_len >= sizeof base || snprintf(m->prefix, sizeof m->prefix, "%s", path ? path : "") >= (int)sizeof m->prefix)
    return QCTL_EXIT_USAGE;
  size_t pl = strlen(m->prefix);
  if (pl && m->prefix[pl - 1] == '/') m->prefix[pl - 1] = '\0';
  memcpy(base, url, base_len);
  base[base_len] = '\0';
  m->root_http = http_client_new(base, NULL);
  if (!m->root_http) return QCTL_EXIT_IO;
  if (q->read_key_path && !q->read_key && proto_key_load(q->read_key_path, &q->read_key)) {
    fprintf(stderr, "quotactl mirror: cannot load --read-key %s\n", q->read_key_path);
    return QCTL_EXIT_USAGE;
  }
  const struct proto_key *k = q->read_key;
  if (!k && q->nkeys && qctl_load_keys(q) == 0) k = q->keys[0];
  if (k) http_client_set_read_key(m->root_http, k, m->name);
  return 0;
}

int qctl_cmd_mirror(struct qctl *q, int argc, char **argv) {
  struct qopts o;
  int rc = qopts_parse(&o, argc, argv, NULL);
  if (rc) return rc;
  static const char *const allowed[] = {"from", "verifier-key", "policy", NULL};
  if (qopts_has(&o, "help") || !qopts_has(&o, "from") || !qopts_has(&o, "verifier-key") || o.npos != 1) {
    mirror_help(qopts_has(&o, "help") ? stdout : stderr);
    return qopts_has(&o, "help") ? QCTL_EXIT_OK : QCTL_EXIT_USAGE;
  }
  if ((rc = qopts_only(&o, "mirror", allowed))) return rc;
  static struct mirror m;
  memset(&m, 0, sizeof m);
  m.dir = o.pos[0];
  if (tlog_verifier_key_parse(qopts_get(&o, "verifier-key"), m.name, sizeof m.name, m.pub)) {
    fprintf(stderr, "quotactl mirror: not a verifier key (NAME+ID+KEY)\n");
    return QCTL_EXIT_USAGE;
  }
  if ((mkdir(m.dir, 0755) && errno != EEXIST) ||
      snprintf(m.incoming, sizeof m.incoming, "%s/%s", m.dir, MIRROR_INCOMING) >= (int)sizeof m.incoming) {
    fprintf(stderr, "quotactl mirror: %s: %s\n", m.dir, strerror(errno));
    return QCTL_EXIT_IO;
  }
  struct http_client *http = http_client_new(qopts_get(&o, "from"), NULL);
  if (!http || (rc = bundle_client(q, &m, qopts_get(&o, "from")))) {
    http_client_free(http);
    return http ? rc : QCTL_EXIT_IO;
  }
  tile_client_init(&m.tc, http);
  rc = mirror_run(&m, qopts_get(&o, "policy"));
  http_client_free(http);
  http_client_free(m.root_http);
  return rc;
}
