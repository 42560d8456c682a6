/* journal: a standby's journal (DATA_DIR/standby.journal, docs/STORAGE.md). The follower checks
 * each page of its primary's stream against the tree it holds (the leaves' hashes on the tree's
 * right edge give the root the page names), appends the page to this file and fdatasyncs it: that
 * is what its next ask confirms. An append and one fdatasync cost far less than the ledger's
 * commit, so the confirmation reaches the primary while its own commit of the batch still runs.
 * The applier thread then appends the pages to the ledger (ledger_append_entries_deferred: every
 * rule, the root again, the LMDB commit), merging the pages that wait into one commit, and the
 * verifier checks their signatures after it. An entry the applier refuses stops the standby
 * loudly, as the verifier's refusal does. At start, what the file holds past the ledger's tree is
 * applied first (daemon_journal_replay) and the file marked applied: a restarted standby, or one
 * started as a primary, holds every entry it ever confirmed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/server.h"

#define JOURNAL_FILE "standby.journal"
#define JOURNAL_MAGIC "QSJ1"
/* magic, from (u64), entries (u32), body bytes (u32), the root at from + entries */
#define JOURNAL_HEAD_BYTES (4u + 8u + 4u + 4u + PROTO_HASH_BYTES)
#define JOURNAL_ENTRY_HEAD_BYTES 8u /* leaf bytes (u32), legs bytes (u32) */
#define JOURNAL_MERGE_ENTRIES_MAX 8192u /* one ledger commit of the applier, at most */
#define JOURNAL_PAGE_ENTRIES_MAX 1000u  /* one record: a page of the stream, at most */
/* One record's body, at most: a page of the largest entries, each with the most legs. A head that
 * claims more is no record (replay reads one record at a time, never more than this). */
#define JOURNAL_BODY_BYTES_MAX \
  ((uint64_t)JOURNAL_PAGE_ENTRIES_MAX * (JOURNAL_ENTRY_HEAD_BYTES + PROTO_ENTRY_BYTES_MAX + PROTO_LEGS_BYTES_MAX))
/* Entries confirmed and not yet applied, at most: beyond, the follower waits for the applier (and
 * the primary for the follower's confirmation), so that a slow applier slows the primary rather
 * than the queue growing without bound. */
#define JOURNAL_LAG_ENTRIES_MAX 65536u
/* The file is written with zeros to this length when the standby starts and reused from its start
 * once all of it is applied: a record then overwrites blocks already written, so its fdatasync
 * flushes data alone, no file metadata (a record that does not fit while some are unapplied
 * extends the file instead). */
#define JOURNAL_FILE_BYTES (16u << 20)
#define JOURNAL_ZEROS_BYTES (1u << 20) /* one write of the zeros */
#define JOURNAL_WAIT_STEP_NS 100000000u  /* a waiting follower looks at quit this often */
#define JOURNAL_TEST_DELAY_MS_MAX 60000u

struct jrec {
  struct jrec *next;
  uint64_t from;
  size_t n;
  uint8_t root[PROTO_HASH_BYTES];
  struct ledger_entry_in *in; /* into buf */
  uint8_t *buf;               /* the record as the file holds it */
  size_t len;
};

struct daemon_journal {
  char path[DAEMON_PATH_BYTES_MAX + sizeof "/" JOURNAL_FILE];
  int fd;
  uint64_t bytes; /* where the next record goes */
  uint64_t cap;   /* the file's length */
  uv_mutex_t mu;
  uv_cond_t cv; /* with mu: a page queued, a commit done, a failure, quit */
  struct jrec *head, *tail;
  uint64_t end;     /* the tree this node holds durably (ledger and journal): what it confirms */
  uint64_t applied; /* the ledger's tree after the applier's last commit */
  uint64_t queued;  /* entries queued, not applied */
  struct tlog_root_builder edge; /* the tree of size end's complete subtrees (its right edge) */
  uint8_t root[PROTO_HASH_BYTES]; /* of size end */
  struct tlog_checkpoint cp;      /* the primary's latest checkpoint past applied: checked later */
  bool cp_waiting;
  int failed; /* the applier's refusal or fault (it stopped): the follower stops too */
  bool quit;
  bool started;
  uv_thread_t thread;
  struct ledger_entry_in *merged; /* the applier's commit: JOURNAL_MERGE_ENTRIES_MAX entries */
};

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void jrec_free(struct jrec *r) {
  if (!r) return;
  free(r->in);
  free(r->buf);
  free(r);
}

/* The record of n entries from from with root: head, each entry (its lengths, leaf, legs), and
 * the SHA-256 of all that. NULL without memory or for an entry too large for its length field. */
static struct jrec *jrec_encode(uint64_t from, const struct ledger_entry_in *in, size_t n,
                                const uint8_t root[PROTO_HASH_BYTES]) {
  size_t body = 0;
  for (size_t i = 0; i < n; i++) {
    if (in[i].leaf_len > UINT32_MAX || in[i].legs_len > UINT32_MAX) return NULL;
    body += JOURNAL_ENTRY_HEAD_BYTES + in[i].leaf_len + in[i].legs_len;
  }
  if (n > UINT32_MAX || body > UINT32_MAX) return NULL;
  struct jrec *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->len = JOURNAL_HEAD_BYTES + body + PROTO_HASH_BYTES;
  r->buf = malloc(r->len);
  r->in = calloc(n ? n : 1, sizeof *r->in);
  if (!r->buf || !r->in) return jrec_free(r), NULL;
  r->from = from;
  r->n = n;
  memcpy(r->root, root, PROTO_HASH_BYTES);
  uint8_t *p = r->buf;
  memcpy(p, JOURNAL_MAGIC, 4);
  put_u64(p + 4, from);
  put_u32(p + 12, (uint32_t)n);
  put_u32(p + 16, (uint32_t)body);
  memcpy(p + 20, root, PROTO_HASH_BYTES);
  p += JOURNAL_HEAD_BYTES;
  for (size_t i = 0; i < n; i++) {
    put_u32(p, (uint32_t)in[i].leaf_len);
    put_u32(p + 4, (uint32_t)in[i].legs_len);
    p += JOURNAL_ENTRY_HEAD_BYTES;
    memcpy(p, in[i].leaf, in[i].leaf_len);
    r->in[i] = (struct ledger_entry_in){.leaf = p, .leaf_len = in[i].leaf_len};
    p += in[i].leaf_len;
    if (in[i].legs_len) {
      memcpy(p, in[i].legs, in[i].legs_len);
      r->in[i].legs = p;
      r->in[i].legs_len = in[i].legs_len;
      p += in[i].legs_len;
    }
  }
  proto_sha256(r->buf, (size_t)(p - r->buf), p);
  return r;
}

/* The record at p (avail bytes): 0 with r filled (its entries point into p) and *used; 1 when
 * the bytes hold no whole record with its checksum (the end of what was written, or a torn tail);
 * NO_MEMORY. */
static int jrec_parse(const uint8_t *p, size_t avail, struct jrec *r, size_t *used) {
  if (avail < JOURNAL_HEAD_BYTES + PROTO_HASH_BYTES || memcmp(p, JOURNAL_MAGIC, 4)) return 1;
  uint64_t from = get_u64(p + 4);
  size_t n = get_u32(p + 12), body = get_u32(p + 16);
  if (body > avail - JOURNAL_HEAD_BYTES - PROTO_HASH_BYTES) return 1;
  size_t len = JOURNAL_HEAD_BYTES + body;
  uint8_t sum[PROTO_HASH_BYTES];
  proto_sha256(p, len, sum);
  if (memcmp(sum, p + len, PROTO_HASH_BYTES) || n > body / JOURNAL_ENTRY_HEAD_BYTES || n > JOURNAL_PAGE_ENTRIES_MAX)
    return 1;
  struct ledger_entry_in *in = calloc(n ? n : 1, sizeof *in);
  if (!in) return PROTO_E_NO_MEMORY;
  const uint8_t *q = p + JOURNAL_HEAD_BYTES, *stop = q + body;
  for (size_t i = 0; i < n; i++) {
    if ((size_t)(stop - q) < JOURNAL_ENTRY_HEAD_BYTES) return free(in), 1;
    size_t ll = get_u32(q), lg = get_u32(q + 4);
    q += JOURNAL_ENTRY_HEAD_BYTES;
    if (ll > (size_t)(stop - q) || lg > (size_t)(stop - q) - ll) return free(in), 1;
    in[i] = (struct ledger_entry_in){.leaf = q, .leaf_len = ll, .legs = lg ? q + ll : NULL, .legs_len = lg};
    q += ll + lg;
  }
  if (q != stop) return free(in), 1;
  *r = (struct jrec){.from = from, .n = n, .in = in, .len = len + PROTO_HASH_BYTES};
  memcpy(r->root, p + 20, PROTO_HASH_BYTES);
  *used = r->len;
  return 0;
}

/* Nothing in the file counts any more: its first record's magic is zeroed (the zeros after it are
 * kept for the next records). */
static int file_consumed(int fd) {
  static const uint8_t zero[4];
  return pwrite(fd, zero, sizeof zero, 0) != (ssize_t)sizeof zero || fdatasync(fd) ? PROTO_E_STORAGE : 0;
}

static bool all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

static int read_at(int fd, uint8_t *out, size_t n, uint64_t at) {
  for (size_t got = 0; got < n;) {
    ssize_t k = pread(fd, out + got, n - got, (off_t)(at + got));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return PROTO_E_STORAGE;
    got += (size_t)k;
  }
  return 0;
}

/* The record at offset at of the file (len bytes): read into *buf (grown to the record's length,
 * never past JOURNAL_BODY_BYTES_MAX and the file's end) and parsed into r, as jrec_parse; 1 when
 * no whole record is there (said in the log unless the magic is zero: the file's unused part, or
 * a file marked applied); STORAGE, NO_MEMORY. */
static int record_at(int fd, uint64_t at, uint64_t len, uint8_t **buf, size_t *buf_cap, struct jrec *r,
                     size_t *used) {
  uint8_t head[JOURNAL_HEAD_BYTES];
  uint64_t avail = len - at;
  size_t hn = avail < sizeof head ? (size_t)avail : sizeof head;
  if (read_at(fd, head, hn, at)) return PROTO_E_STORAGE;
  uint64_t need = JOURNAL_HEAD_BYTES + (hn == sizeof head ? (uint64_t)get_u32(head + 16) : 0) + PROTO_HASH_BYTES;
  bool whole = hn == sizeof head && need <= avail && need - JOURNAL_HEAD_BYTES - PROTO_HASH_BYTES <= JOURNAL_BODY_BYTES_MAX;
  if (whole && need > *buf_cap) {
    uint8_t *nb = realloc(*buf, (size_t)need);
    if (!nb) return PROTO_E_NO_MEMORY;
    *buf = nb;
    *buf_cap = (size_t)need;
  }
  if (whole && read_at(fd, *buf, (size_t)need, at)) return PROTO_E_STORAGE;
  int rc = whole ? jrec_parse(*buf, (size_t)need, r, used) : 1;
  if (rc == 1 && !all_zero(head, hn < 4 ? hn : 4))
    daemon_log(DAEMON_LOG_NOTICE, "standby journal: the records end at offset %llu; what follows is no "
               "whole record (a write a crash cut short, never confirmed, or an older record's bytes): "
               "not applied", (unsigned long long)at);
  return rc;
}

/* Applies the file's records past the ledger's tree, one at a time; *applied gets the entries.
 * Records run on from one another: one that does not (an older record: the file is reused from its
 * start), or that is not whole, ends what the file holds. A record that starts past the tree leaves
 * a gap: CORRUPT. */
static int replay_records(struct daemon_server *srv, int fd, uint64_t len, uint64_t *applied, char *why,
                          size_t cap) {
  uint64_t at = 0, next = 0;
  uint8_t *buf = NULL;
  size_t buf_cap = 0;
  bool first = true;
  int rc = 0;
  while (!rc && at < len) {
    struct jrec r;
    size_t used = 0;
    rc = record_at(fd, at, len, &buf, &buf_cap, &r, &used);
    if (rc == 1) rc = 0;
    if (rc || used == 0) break;
    if (!first && r.from != next) {
      free(r.in);
      return 0; /* an older record, from before the file was reused: already in the ledger */
    }
    first = false;
    next = r.from + r.n;
    at += used;
    used = 0;
    uint64_t tree = ledger_tree_size(srv->ledger);
    if (r.from > tree) {
      snprintf(why, cap, "the standby journal's record from %llu starts past the tree (size %llu)",
               (unsigned long long)r.from, (unsigned long long)tree);
      rc = PROTO_E_CORRUPT;
    } else if (next > tree) {
      size_t skip = (size_t)(tree - r.from);
      rc = ledger_append_entries_deferred(srv->ledger, r.in + skip, r.n - skip, r.root, why, cap);
      if (!rc) *applied += r.n - skip;
    }
    free(r.in);
  }
  free(buf);
  return rc;
}

int daemon_journal_replay(struct daemon_server *srv) {
  struct daemon_journal *j = calloc(1, sizeof *j);
  if (!j) return PROTO_E_NO_MEMORY;
  j->fd = -1;
  srv->journal = j;
  snprintf(j->path, sizeof j->path, "%s/%s", srv->cfg->data_dir, JOURNAL_FILE);
  j->fd = open(j->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (j->fd < 0) {
    daemon_log(DAEMON_LOG_ERR, "not starting: the standby journal %s cannot be opened: %s", j->path, strerror(errno));
    return PROTO_E_STORAGE;
  }
  struct stat st;
  if (fstat(j->fd, &st)) {
    daemon_log(DAEMON_LOG_ERR, "not starting: the standby journal %s cannot be read", j->path);
    return PROTO_E_STORAGE;
  }
  uint64_t len = (uint64_t)st.st_size;
  char why[512] = "";
  uint64_t from = ledger_tree_size(srv->ledger), applied = 0;
  int rc = replay_records(srv, j->fd, len, &applied, why, sizeof why);
  if (rc == PROTO_E_STORAGE && !why[0]) snprintf(why, sizeof why, "it cannot be read: %s", strerror(errno));
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "not starting: the standby journal %s: entries it confirmed to its "
               "primary do not apply to this ledger from size %llu: %s (%s)", j->path,
               (unsigned long long)ledger_tree_size(srv->ledger), why[0] ? why : proto_err_message(rc),
               proto_err_name(rc));
    return rc;
  }
  if (applied)
    daemon_log(DAEMON_LOG_NOTICE, "standby journal: %llu entries it had confirmed applied to the ledger "
               "(tree size %llu to %llu)", (unsigned long long)applied, (unsigned long long)from,
               (unsigned long long)ledger_tree_size(srv->ledger));
  if (len > 0 && file_consumed(j->fd)) {
    daemon_log(DAEMON_LOG_ERR, "not starting: the standby journal %s cannot be marked applied: %s", j->path,
               strerror(errno));
    return PROTO_E_STORAGE;
  }
  return 0;
}

/* The right edge of the ledger's tree: one complete subtree per bit of its size, largest first
 * (what tlog_root_add keeps), checked against the tree's root. */
static int edge_of_ledger(struct ledger *l, struct tlog_root_builder *b, uint8_t root[PROTO_HASH_BYTES]) {
  uint64_t size = ledger_tree_size(l), start = 0;
  memset(b, 0, sizeof *b);
  for (int k = 63; k >= 0; k--) {
    if (!(size >> k & 1)) continue;
    int rc = ledger_subtree(l, start, start + (UINT64_C(1) << k), b->stack[b->depth++]);
    if (rc) return rc;
    start += UINT64_C(1) << k;
  }
  b->count = size;
  struct tlog_root_builder t = *b;
  uint8_t mine[PROTO_HASH_BYTES];
  tlog_root_finish(&t, mine);
  int rc = ledger_root(l, size, root);
  return rc ? rc : memcmp(mine, root, PROTO_HASH_BYTES) ? PROTO_E_CORRUPT : 0;
}

/* Checks the waiting checkpoint once the ledger holds its size (the applier's thread). */
static int check_waiting(struct daemon_server *srv, char *why, size_t cap) {
  struct daemon_journal *j = srv->journal;
  uv_mutex_lock(&j->mu);
  bool now = j->cp_waiting && j->cp.size <= j->applied;
  struct tlog_checkpoint cp = j->cp;
  if (now) j->cp_waiting = false;
  uv_mutex_unlock(&j->mu);
  return now ? daemon_follow_check_signed(srv, &cp, why, cap) : 0;
}

/* Takes the queue's first records, up to JOURNAL_MERGE_ENTRIES_MAX entries (one record at least)
 * into j->merged; *last is the last one taken. Under mu. */
static size_t merge_take(struct daemon_journal *j, struct jrec **last) {
  size_t n = 0;
  for (struct jrec *r = j->head; r && (n == 0 || n + r->n <= JOURNAL_MERGE_ENTRIES_MAX); r = r->next) {
    memcpy(j->merged + n, r->in, r->n * sizeof *r->in);
    n += r->n;
    *last = r;
  }
  return n;
}

/* A test hook (QUOTAD_TEST_APPLY_DELAY_MS, at most JOURNAL_TEST_DELAY_MS_MAX): the applier waits
 * this long before each commit past the genesis (unless quitting), so that a test can stop the
 * standby while entries it confirmed are only in its journal. Under mu. */
static void applier_test_delay(struct daemon_journal *j, unsigned long ms) {
  uint64_t until = uv_hrtime() + (uint64_t)ms * 1000000u;
  while (ms && j->applied > 0 && !j->quit && uv_hrtime() < until)
    (void)uv_cond_timedwait(&j->cv, &j->mu, until - uv_hrtime());
}

/* The applier stops the standby: its reason said first (the follower, woken by the failure, would
 * otherwise say a reason of its own), then the follower told. Called without mu. */
static void applier_failed(struct daemon_server *srv, int rc, const char *why) {
  struct daemon_journal *j = srv->journal;
  daemon_follow_stop_loudly(srv, why);
  __atomic_store_n(&srv->follow_quit, true, __ATOMIC_RELEASE);
  uv_mutex_lock(&j->mu);
  j->failed = rc;
  uv_cond_broadcast(&j->cv);
  uv_mutex_unlock(&j->mu);
}

static void applier_main(void *arg) {
  struct daemon_server *srv = arg;
  struct daemon_journal *j = srv->journal;
  (void)pthread_setname_np(pthread_self(), "quotad-sbapply");
  unsigned long delay_ms = daemon_test_delay_ms("QUOTAD_TEST_APPLY_DELAY_MS", JOURNAL_TEST_DELAY_MS_MAX,
                                                "the standby's applier, before each commit,");
  char why[512];
  uv_mutex_lock(&j->mu);
  for (;;) {
    if (!j->head) {
      if (j->quit || j->failed) break;
      uv_cond_wait(&j->cv, &j->mu);
      continue;
    }
    applier_test_delay(j, delay_ms);
    struct jrec *last = NULL;
    size_t n = merge_take(j, &last);
    PROTO_ASSERT(n > 0 && last);
    uint64_t from = j->head->from;
    uv_mutex_unlock(&j->mu);
    why[0] = '\0';
    uint64_t t0 = uv_hrtime();
    /* the records stay queued (their bytes with them) until the commit is done */
    int rc = ledger_append_entries_deferred(srv->ledger, j->merged, n, last->root, why, sizeof why);
    if (rc) {
      char said[700];
      if (from == 0) /* the genesis page, applied before its confirmation */
        snprintf(said, sizeof said, "%s", why[0] ? why : proto_err_message(rc));
      else
        snprintf(said, sizeof said, "the entries from %llu that this standby confirmed do not apply: %s",
                 (unsigned long long)from, why[0] ? why : proto_err_message(rc));
      return applier_failed(srv, rc, said);
    }
    daemon_metrics_standby_apply((uv_hrtime() - t0) / 1000u, n);
    uv_mutex_lock(&j->mu);
    for (struct jrec *r = j->head, *next; r; r = next) {
      next = r->next;
      bool done = r == last;
      j->head = next;
      jrec_free(r);
      if (done) break;
    }
    if (!j->head) j->tail = NULL;
    j->applied = from + n;
    j->queued -= n;
    uv_cond_broadcast(&j->cv);
    uv_mutex_unlock(&j->mu);
    daemon_follow_appended(srv); /* the verifier's turn */
    why[0] = '\0';
    rc = check_waiting(srv, why, sizeof why);
    if (rc) return applier_failed(srv, rc, why[0] ? why : proto_err_message(rc));
    uv_mutex_lock(&j->mu);
  }
  uv_mutex_unlock(&j->mu);
}

/* The file written with zeros up to JOURNAL_FILE_BYTES, synced: j->cap its length. */
static int file_prepare(struct daemon_journal *j) {
  struct stat st;
  if (fstat(j->fd, &st)) return PROTO_E_STORAGE;
  uint8_t *zeros = calloc(1, JOURNAL_ZEROS_BYTES);
  if (!zeros) return PROTO_E_NO_MEMORY;
  uint64_t at = (uint64_t)st.st_size;
  while (at < JOURNAL_FILE_BYTES) {
    size_t k = JOURNAL_FILE_BYTES - at < JOURNAL_ZEROS_BYTES ? (size_t)(JOURNAL_FILE_BYTES - at) : JOURNAL_ZEROS_BYTES;
    ssize_t w = pwrite(j->fd, zeros, k, (off_t)at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    at += (uint64_t)w;
  }
  free(zeros);
  if (at < JOURNAL_FILE_BYTES || fsync(j->fd)) return PROTO_E_STORAGE;
  j->cap = at;
  j->bytes = 0;
  return 0;
}

int daemon_journal_start(struct daemon_server *srv) {
  struct daemon_journal *j = srv->journal;
  PROTO_ASSERT(j && !j->started && j->fd >= 0);
  int rc = file_prepare(j);
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "not starting: the standby journal %s cannot be written: %s", j->path, strerror(errno));
    return rc;
  }
  rc = edge_of_ledger(srv->ledger, &j->edge, j->root);
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "not starting: the tree's right edge cannot be read (%s)", proto_err_name(rc));
    return rc;
  }
  j->end = j->applied = ledger_tree_size(srv->ledger);
  if (!j->merged) j->merged = calloc(JOURNAL_MERGE_ENTRIES_MAX, sizeof *j->merged); /* freed with j */
  if (!j->merged) return PROTO_E_NO_MEMORY;
  j->quit = false;
  j->failed = 0;
  rc = daemon_thread_start(&j->thread, &j->mu, &j->cv, applier_main, srv);
  if (rc) return rc;
  j->started = true;
  return 0;
}

void daemon_journal_stop(struct daemon_server *srv) {
  struct daemon_journal *j = srv->journal;
  if (!j || !j->started) return;
  /* the applier applies what is queued first: every entry confirmed */
  daemon_thread_stop(&j->thread, &j->mu, &j->cv, &j->quit);
  for (struct jrec *r = j->head, *next; r; r = next) { /* after a failure: left in the file */
    next = r->next;
    jrec_free(r);
  }
  j->head = j->tail = NULL;
  j->queued = 0;
  j->started = false;
}

void daemon_journal_free(struct daemon_server *srv) {
  struct daemon_journal *j = srv->journal;
  if (!j) return;
  daemon_journal_stop(srv);
  if (j->fd >= 0) close(j->fd);
  free(j->merged);
  free(j);
  srv->journal = NULL;
}

uint64_t daemon_journal_end(struct daemon_server *srv, uint8_t root[PROTO_HASH_BYTES]) {
  struct daemon_journal *j = srv->journal;
  uv_mutex_lock(&j->mu);
  uint64_t end = j->end;
  if (root) memcpy(root, j->root, PROTO_HASH_BYTES);
  uv_mutex_unlock(&j->mu);
  return end;
}

uint64_t daemon_journal_unapplied(struct daemon_server *srv) {
  struct daemon_journal *j = srv->journal;
  if (!j || !j->started) return 0;
  uv_mutex_lock(&j->mu);
  uint64_t n = j->end - j->applied;
  uv_mutex_unlock(&j->mu);
  return n;
}

/* Writes r after the last record and fdatasyncs it; from the file's start again when r does not
 * fit and all of it is applied (the records there follow on from one another from offset 0 on).
 * Under mu (the follower's thread: the only one that writes the file). */
static int journal_write(struct daemon_journal *j, const struct jrec *r, char *why, size_t cap) {
  if (j->bytes + r->len > j->cap && j->applied == j->end) j->bytes = 0;
  size_t done = 0;
  while (done < r->len) {
    ssize_t k = pwrite(j->fd, r->buf + done, r->len - done, (off_t)(j->bytes + done));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0)
      return snprintf(why, cap, "the standby journal %s cannot be written: %s", j->path,
                      k < 0 ? strerror(errno) : "no space"), PROTO_E_STORAGE;
    done += (size_t)k;
  }
  if (fdatasync(j->fd))
    return snprintf(why, cap, "the standby journal %s cannot be synced: %s", j->path, strerror(errno)),
           PROTO_E_STORAGE;
  j->bytes += r->len;
  if (j->bytes > j->cap) j->cap = j->bytes;
  return 0;
}

int daemon_journal_append(struct daemon_server *srv, uint64_t from, const struct ledger_entry_in *in, size_t n,
                          const uint8_t root[PROTO_HASH_BYTES], bool apply_first, char *why, size_t cap) {
  struct daemon_journal *j = srv->journal;
  PROTO_ASSERT(j && j->started && n > 0 && n <= JOURNAL_PAGE_ENTRIES_MAX);
  /* the root the page names, from this tree's right edge and the page's leaves */
  struct tlog_root_builder edge;
  uv_mutex_lock(&j->mu);
  PROTO_ASSERT(from == j->end);
  edge = j->edge;
  uv_mutex_unlock(&j->mu);
  for (size_t i = 0; i < n; i++) {
    uint8_t leaf[PROTO_HASH_BYTES];
    tlog_leaf_hash(in[i].leaf, in[i].leaf_len, leaf);
    tlog_root_add(&edge, leaf);
  }
  struct tlog_root_builder t = edge;
  uint8_t mine[PROTO_HASH_BYTES];
  tlog_root_finish(&t, mine);
  /* apply_first: the ledger compares the root itself, after the genesis's inline checks (their
   * reasons name the entry) */
  if (!apply_first && memcmp(mine, root, PROTO_HASH_BYTES)) {
    snprintf(why, cap, "the primary's page from %llu (%zu entries) gives another root than the one it "
             "names", (unsigned long long)from, n);
    return PROTO_E_INCONSISTENT;
  }
  struct jrec *r = jrec_encode(from, in, n, root);
  if (!r) return PROTO_E_NO_MEMORY;
  uv_mutex_lock(&j->mu);
  /* a slow applier slows the follower (and so the primary) rather than the queue growing */
  while (!j->failed && j->queued >= JOURNAL_LAG_ENTRIES_MAX && !__atomic_load_n(&srv->follow_quit, __ATOMIC_ACQUIRE))
    (void)uv_cond_timedwait(&j->cv, &j->mu, JOURNAL_WAIT_STEP_NS);
  int rc = j->failed ? j->failed : __atomic_load_n(&srv->follow_quit, __ATOMIC_ACQUIRE) ? PROTO_E_BUSY : 0;
  /* apply_first (the genesis page, which no checkpoint covers): into the ledger before it counts
   * as held, so the file needs it not */
  if (!rc && !apply_first) rc = journal_write(j, r, why, cap);
  if (rc) {
    uv_mutex_unlock(&j->mu);
    jrec_free(r);
    return rc;
  }
  if (j->tail) j->tail->next = r;
  else j->head = r;
  j->tail = r;
  j->queued += n;
  j->end = from + n;
  j->edge = edge;
  memcpy(j->root, root, PROTO_HASH_BYTES);
  uv_cond_broadcast(&j->cv);
  while (apply_first && j->applied < from + n && !j->failed) uv_cond_wait(&j->cv, &j->mu);
  rc = j->failed; /* the applier's refusal stops the standby: nothing more is confirmed */
  uv_mutex_unlock(&j->mu);
  return rc;
}

int daemon_journal_checkpoint(struct daemon_server *srv, const struct tlog_checkpoint *cp, char *why, size_t cap) {
  struct daemon_journal *j = srv->journal;
  uv_mutex_lock(&j->mu);
  bool later = cp->size > j->applied;
  if (later && (!j->cp_waiting || cp->size >= j->cp.size)) {
    j->cp = *cp;
    j->cp_waiting = true;
  }
  /* the newest first: one whose size the ledger holds is checked now, here */
  uv_mutex_unlock(&j->mu);
  return later ? 0 : daemon_follow_check_signed(srv, cp, why, cap);
}
