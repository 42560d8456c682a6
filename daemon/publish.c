/* publish: the one publication pipeline, sign -> etcd swap -> witnesses -> publish. With a witness
 * policy the publisher thread runs it, at most one round per checkpoint_interval_ms, and the loop
 * and the writer never wait for it; without one the writer runs it for each batch (no witnesses:
 * a checkpoint that passed its swap is published as it is). */
#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/publish.h"

/* The committed-but-unpublished warning repeats at most this often while it lasts. */
#define PUBLISH_BEHIND_LOG_INTERVAL_MS 30000u

/* Guards the fenced note of every server in the process (server.h: fenced_*). */
static pthread_mutex_t fenced_mu = PTHREAD_MUTEX_INITIALIZER;

struct daemon_publisher {
  struct daemon_server *srv;
  struct tlog_policy *policy;
  uv_thread_t thread;
  bool started, quit;
  uv_mutex_t mu; /* guards quit and the published note */
  uv_cond_t cv;
  char published[DAEMON_PUBLISHED_BYTES_MAX];
  size_t published_len;
  uint64_t published_size;
  uint64_t published_ms; /* when it was published (after a restart: the kept file's time) */
  char *policy_text;     /* the policy file as read at start, for /v1/log; NUL-terminated */
  /* Publisher thread only: */
  uint64_t witness_size[TLOG_POLICY_WITNESSES_MAX]; /* last size each witness cosigned (409) */
  long witness_status[TLOG_POLICY_WITNESSES_MAX];   /* last answer, to log only changes */
  uint64_t behind_logged_ms;
  char path[DAEMON_PATH_BYTES_MAX + 32];
};

/* One add-checkpoint request in flight. */
struct wcall {
  CURL *h;
  char *body;
  struct daemon_buf resp;
  long status;
  bool retry; /* a 409 taught a usable size: send again in the second pass */
};

int daemon_policy_load(const char *path, struct tlog_policy *out, char *why, size_t why_cap) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(why, why_cap, "witness_policy %s: %s", path, strerror(errno));
    return PROTO_E_BAD_POLICY;
  }
  char *text = malloc(TLOG_POLICY_BYTES_MAX + 1);
  size_t n = text ? fread(text, 1, TLOG_POLICY_BYTES_MAX + 1, f) : 0;
  fclose(f);
  if (!text) return PROTO_E_NO_MEMORY;
  struct tlog_policy_error err = {0};
  int rc = n > TLOG_POLICY_BYTES_MAX ? PROTO_E_BAD_POLICY : tlog_policy_parse(text, n, out, &err);
  free(text);
  if (!rc) rc = tlog_policy_check_majority(out, &err);
  unsigned with_url = 0;
  for (unsigned i = 0; !rc && i < out->witnesses_count; i++) with_url += out->witnesses[i].url[0] != 0;
  if (!rc && with_url == 0) {
    rc = PROTO_E_BAD_POLICY;
    snprintf(err.message, sizeof err.message, "no witness has a URL: nothing could cosign");
  }
  if (rc) {
    /* A quorum that is not a majority would let two forks each gather one: refuse to start. */
    snprintf(why, why_cap, "witness_policy %s:%u: %s (%s)", path, err.line, err.message,
             proto_err_name(rc));
  }
  return rc;
}

static void set_published(struct daemon_publisher *p, const char *note, size_t len, uint64_t size,
                          uint64_t when_ms) {
  assert(len < sizeof p->published);
  uv_mutex_lock(&p->mu);
  assert(size >= p->published_size);
  memcpy(p->published, note, len);
  p->published[len] = '\0';
  p->published_len = len;
  p->published_size = size;
  p->published_ms = when_ms;
  uv_mutex_unlock(&p->mu);
}

/* Write-then-rename with both fsyncs: after a crash the file is the old note or the new one. */
static int persist(const struct daemon_publisher *p, const char *note, size_t len) {
  char tmp[sizeof p->path + 8];
  snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  ssize_t w = write(fd, note, len);
  int rc = w == (ssize_t)len && fsync(fd) == 0 ? 0 : (w < 0 || errno ? -errno : -EIO);
  close(fd);
  if (!rc && rename(tmp, p->path) != 0) rc = -errno;
  if (rc) return rc;
  int dfd = open(p->srv->cfg->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return -errno;
  rc = fsync(dfd) == 0 ? 0 : -errno;
  close(dfd);
  return rc;
}

/* The kept note must be this log's, signed by its key, and not ahead of the tree (a store
 * restored from an older backup must not sign a checkpoint that forks the published one). */
static int load_published(struct daemon_publisher *p, char *why, size_t why_cap) {
  FILE *f = fopen(p->path, "rb");
  if (!f) return errno == ENOENT ? 0 : (snprintf(why, why_cap, "%s: %s", p->path, strerror(errno)), PROTO_E_STORAGE);
  struct stat st;
  uint64_t when_ms = fstat(fileno(f), &st) == 0 ? (uint64_t)st.st_mtim.tv_sec * 1000u + (uint64_t)st.st_mtim.tv_nsec / 1000000u : 0;
  char *buf = malloc(DAEMON_PUBLISHED_BYTES_MAX);
  size_t n = buf ? fread(buf, 1, DAEMON_PUBLISHED_BYTES_MAX, f) : 0;
  fclose(f);
  if (!buf) return PROTO_E_NO_MEMORY;
  struct tlog_checkpoint cp;
  const char *origin = ledger_origin(p->srv->ledger);
  int rc = n < DAEMON_PUBLISHED_BYTES_MAX
               ? tlog_checkpoint_verify(buf, n, origin, p->srv->log_public_key, &cp) : PROTO_E_CORRUPT;
  uint64_t tree = ledger_tree_size(p->srv->ledger);
  if (rc) {
    snprintf(why, why_cap, "%s does not verify with the log key (%s)", p->path, proto_err_name(rc));
    rc = PROTO_E_CORRUPT;
  } else if (cp.size > tree) {
    snprintf(why, why_cap, "%s publishes size %llu but the tree holds %llu: a store older than "
             "what was published must not sign again", p->path, (unsigned long long)cp.size,
             (unsigned long long)tree);
    rc = PROTO_E_CORRUPT;
  } else {
    set_published(p, buf, n, cp.size, when_ms);
    for (unsigned i = 0; i < TLOG_POLICY_WITNESSES_MAX; i++) p->witness_size[i] = cp.size;
  }
  free(buf);
  return rc;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg) {
  struct wcall *c = arg;
  size_t len = size * nmemb;
  if (c->resp.len + len > DAEMON_WITNESS_RESPONSE_BYTES_MAX) return 0; /* aborts the transfer */
  return daemon_buf_append(&c->resp, data, len) ? 0 : len;
}

/* The options every call to a witness shares: its timeout (connecting included), no signals
 * from libcurl's resolver, HTTP(S) only, the answer kept in the call's body buffer. */
static int witness_call_options(struct daemon_publisher *p, struct wcall *c) {
  PROTO_ASSERT(c->h != NULL);
  curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, (long)p->srv->cfg->witness_timeout_ms);
  curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, (long)p->srv->cfg->witness_timeout_ms);
  curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
  return 0;
}

/* The add-checkpoint body for witness i: the proof from the size it last cosigned. */
static int call_prepare(struct daemon_publisher *p, unsigned i, const char *note, size_t note_len,
                        uint64_t size, struct wcall *c) {
  uint64_t old = p->witness_size[i];
  if (old > size) return PROTO_E_BAD_ARGUMENT; /* no proof goes backwards */
  uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t proof_len = 0;
  int rc = old && old < size ? ledger_proof_consistency(p->srv->ledger, old, size, proof, &proof_len) : 0;
  if (rc) return rc;
  c->body = malloc(TLOG_WITNESS_REQUEST_BYTES_MAX);
  if (!c->body) return PROTO_E_NO_MEMORY;
  long n = tlog_witness_request_build(old, (const uint8_t(*)[PROTO_HASH_BYTES])proof, proof_len,
                                      note, note_len, c->body, TLOG_WITNESS_REQUEST_BYTES_MAX);
  if (n < 0) return (int)n;
  c->h = curl_easy_init();
  if (!c->h) return PROTO_E_NO_MEMORY;
  char url[TLOG_POLICY_URL_BYTES_MAX + 32];
  const char *base = p->policy->witnesses[i].url;
  size_t bl = strlen(base);
  snprintf(url, sizeof url, "%s%sadd-checkpoint", base, bl && base[bl - 1] == '/' ? "" : "/");
  curl_easy_setopt(c->h, CURLOPT_URL, url);
  curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body);
  curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
  return witness_call_options(p, c);
}

static void call_free(struct wcall *c) {
  if (c->h) curl_easy_cleanup(c->h);
  free(c->body);
  daemon_buf_free(&c->resp);
  memset(c, 0, sizeof *c);
}

/* Runs every prepared call in parallel; each has its own timeout, so this ends. */
static void calls_run(struct wcall *calls, unsigned n) {
  CURLM *m = curl_multi_init();
  if (!m) return;
  for (unsigned i = 0; i < n; i++)
    if (calls[i].h) curl_multi_add_handle(m, calls[i].h);
  int running = 1;
  while (running) {
    if (curl_multi_perform(m, &running) != CURLM_OK) break;
    if (running && curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK) break;
  }
  for (unsigned i = 0; i < n; i++) {
    if (!calls[i].h) continue;
    curl_easy_getinfo(calls[i].h, CURLINFO_RESPONSE_CODE, &calls[i].status);
    curl_multi_remove_handle(m, calls[i].h);
  }
  curl_multi_cleanup(m);
}

static void witness_log(struct daemon_publisher *p, unsigned i, long status, const char *what) {
  if (p->witness_status[i] == status) return; /* each change once, not every round */
  p->witness_status[i] = status;
  daemon_log(status == 200 ? DAEMON_LOG_NOTICE : DAEMON_LOG_WARNING, "witness %s (%s): %s",
             p->policy->witnesses[i].name, p->policy->witnesses[i].url, what);
}

/* A 409 says which size the witness holds: behind ours, it is asked again with a proof from
 * there; ahead of ours, it has cosigned a tree this store does not have: a fork or an old
 * backup, and it must never be shown anything else by this process. */
static void on_conflict(struct daemon_publisher *p, unsigned i, struct wcall *c, uint64_t size) {
  uint64_t known = 0;
  char ct_ok = 0;
  char *ct = NULL;
  curl_easy_getinfo(c->h, CURLINFO_CONTENT_TYPE, &ct);
  ct_ok = ct && !strncmp(ct, TLOG_WITNESS_SIZE_CONTENT_TYPE, strlen(TLOG_WITNESS_SIZE_CONTENT_TYPE));
  if (!ct_ok || tlog_witness_size_parse(c->resp.data ? c->resp.data : "", c->resp.len, &known)) {
    witness_log(p, i, 409, "409 without a readable size");
    return;
  }
  if (known > size) {
    daemon_log(DAEMON_LOG_ERR, "witness %s has cosigned size %llu of this log, beyond this tree's "
               "%llu: this store is behind or a fork of what was published; not published",
               p->policy->witnesses[i].name, (unsigned long long)known, (unsigned long long)size);
    p->witness_status[i] = 409;
    return;
  }
  c->retry = p->witness_size[i] != known;
  p->witness_size[i] = known;
  if (!c->retry) witness_log(p, i, 409, "409 again at the same size: refuses this checkpoint");
}

/* Reads one answer: a verified cosignature line is appended to cosigs and marks the witness. */
static void call_answer(struct daemon_publisher *p, unsigned i, struct wcall *c,
                        const struct tlog_note *tn, struct daemon_buf *cosigs, bool *witnessed) {
  char what[96];
  c->retry = false;
  if (c->status == 409) return on_conflict(p, i, c, tn->cp.size);
  if (c->status != 200) {
    snprintf(what, sizeof what, c->status ? "answered %ld" : "unreachable or timed out", c->status);
    return witness_log(p, i, c->status, what);
  }
  const char *line = NULL;
  size_t line_len = 0;
  uint64_t t = 0;
  int rc = tlog_witness_response_parse(c->resp.data ? c->resp.data : "", c->resp.len, tn->text,
                                       tn->text_len, &p->policy->witnesses[i].key, &t, &line, &line_len);
  if (rc) {
    snprintf(what, sizeof what, "200 without a valid cosignature (%s)", proto_err_name(rc));
    return witness_log(p, i, -1, what);
  }
  if (daemon_buf_append(cosigs, line, line_len)) return;
  witnessed[i] = true;
  p->witness_size[i] = tn->cp.size;
  witness_log(p, i, 200, "cosigning");
}

/* Step 3: every witness with a URL, in parallel; those whose 409 taught a usable size once more.
 * Returns 0 when the quorum cosigned (cosigs holds their lines), NO_QUORUM otherwise. */
static int step_witnesses(struct daemon_publisher *p, const char *note, size_t note_len,
                          const struct tlog_note *tn, struct daemon_buf *cosigs) {
  unsigned n = p->policy->witnesses_count;
  bool witnessed[TLOG_POLICY_WITNESSES_MAX] = {false};
  bool todo[TLOG_POLICY_WITNESSES_MAX] = {false};
  struct wcall calls[TLOG_POLICY_WITNESSES_MAX];
  memset(calls, 0, sizeof calls);
  for (unsigned i = 0; i < n; i++) todo[i] = p->policy->witnesses[i].url[0] != 0;
  for (int pass = 0; pass < 2; pass++) {
    for (unsigned i = 0; i < n; i++) {
      if (!todo[i]) continue;
      int rc = call_prepare(p, i, note, note_len, tn->cp.size, &calls[i]);
      if (rc) daemon_log(DAEMON_LOG_ERR, "witness %s: request not built (%s)",
                         p->policy->witnesses[i].name, proto_err_name(rc));
      if (rc) call_free(&calls[i]);
    }
    calls_run(calls, n);
    for (unsigned i = 0; i < n; i++) {
      if (calls[i].h) call_answer(p, i, &calls[i], tn, cosigs, witnessed);
      todo[i] = calls[i].h && calls[i].retry;
      call_free(&calls[i]);
    }
  }
  return tlog_policy_quorum_met(p->policy, witnessed) ? 0 : PROTO_E_NO_QUORUM;
}

/* With etcd and without a witness policy the etcd swap is the last step before publication: only
 * a checkpoint that passed it is served (a failed swap publishes nothing, not even the signed
 * checkpoint as it is). */
static bool fenced(const struct daemon_server *srv) {
  return srv->publisher == NULL && srv->cfg->etcd_endpoints[0] != '\0';
}

static void fenced_set(struct daemon_server *srv, const char *note, size_t len, uint64_t size) {
  PROTO_ASSERT(len < sizeof srv->fenced_note);
  pthread_mutex_lock(&fenced_mu);
  if (srv->fenced_len == 0 || size > srv->fenced_size) {
    memcpy(srv->fenced_note, note, len);
    srv->fenced_note[len] = '\0';
    srv->fenced_len = len;
    srv->fenced_size = size;
  }
  PROTO_ASSERT(srv->fenced_size >= size);
  pthread_mutex_unlock(&fenced_mu);
}

/* After a swap (fenced mode): published, or waiting for etcd (said once, with a metric and a
 * /healthz detail, until it passes). */
static void fenced_after_swap(struct daemon_server *srv, int rc, const char *note, size_t len, uint64_t size) {
  uint64_t since = __atomic_load_n(&srv->fenced_waiting_since_ms, __ATOMIC_ACQUIRE);
  if (rc == 0) {
    fenced_set(srv, note, len, size);
    __atomic_store_n(&srv->fenced_waiting_since_ms, 0, __ATOMIC_RELEASE);
    if (since) daemon_log(DAEMON_LOG_NOTICE, "etcd answers again: checkpoint of size %llu swapped and "
                          "published", (unsigned long long)size);
  } else if (rc != PROTO_E_SUPERSEDED && since == 0) {
    __atomic_store_n(&srv->fenced_waiting_since_ms, daemon_now_ms(), __ATOMIC_RELEASE);
    daemon_log(DAEMON_LOG_ERR, "UNPUBLISHED: the checkpoint of size %llu is signed but its etcd swap "
               "failed (%s): it is not served, nor written to the high-water file, until etcd "
               "answers; trying again every %u ms", (unsigned long long)size, proto_err_name(rc),
               DAEMON_PUBLISH_RETRY_MS);
  } else if (rc == PROTO_E_SUPERSEDED) {
    __atomic_store_n(&srv->fenced_waiting_since_ms, 0, __ATOMIC_RELEASE); /* never: it stopped */
  }
}

/* Step 1: the checkpoint to publish. The ledger signs one after each batch is durable (fsync
 * before signature), only over its own growing tree, so every note taken here was signed over a
 * durable tree and is consistent with every earlier one. Returns its length, 0 when there is
 * nothing newer than what is published (p NULL: no policy, the latest is always new), or a code. */
static long step_sign(struct daemon_server *srv, struct daemon_publisher *p, char *note, size_t cap,
                      struct tlog_note *tn) {
  long n = ledger_checkpoint_latest(srv->ledger, note, cap);
  if (n <= 0) return n;
  if (tlog_note_parse(note, (size_t)n, tn)) return PROTO_E_CORRUPT;
  if (!p && fenced(srv)) {
    pthread_mutex_lock(&fenced_mu);
    bool ahead = srv->fenced_len == 0 || tn->cp.size > srv->fenced_size;
    pthread_mutex_unlock(&fenced_mu);
    return ahead ? n : 0;
  }
  /* one fence may sign for several batches (writer.c): the file is written once per size */
  if (!p) return tn->cp.size > __atomic_load_n(&srv->plain_published_size, __ATOMIC_ACQUIRE) ? n : 0;
  uv_mutex_lock(&p->mu);
  bool newer = tn->cp.size > p->published_size || p->published_len == 0;
  uv_mutex_unlock(&p->mu);
  return newer ? n : 0;
}

/* Step 2: the etcd compare-and-swap of the epoch and the last checkpoint. A checkpoint whose swap
 * fails was superseded (another node was promoted; etcd.c stops this node's writes and logs why)
 * and goes to no witness. One that passed leaves the data directory (the high-water file) before
 * any witness sees it, so that a restored backup cannot sign a fork of it. */
static int step_etcd_swap(struct daemon_server *srv, const char *note, size_t note_len) {
  int rc = daemon_etcd_swap(srv, note, note_len);
  if (!rc) daemon_highwater_publish_note(srv, note, note_len);
  return rc;
}

/* Step 4: durable first, then served. */
static int step_publish(struct daemon_publisher *p, const char *note, size_t note_len,
                        const struct daemon_buf *cosigs, uint64_t size) {
  char *full = malloc(DAEMON_PUBLISHED_BYTES_MAX);
  if (!full) return PROTO_E_NO_MEMORY;
  size_t len = note_len + cosigs->len;
  assert(len < DAEMON_PUBLISHED_BYTES_MAX);
  memcpy(full, note, note_len);
  if (cosigs->len) memcpy(full + note_len, cosigs->data, cosigs->len);
  int rc = persist(p, full, len);
  if (rc) daemon_log(DAEMON_LOG_ERR, "published checkpoint not written to %s: %s; not published",
                     p->path, strerror(-rc));
  else set_published(p, full, len, size, daemon_now_ms());
  free(full);
  if (!rc) daemon_tiles_kick(p->srv); /* tiles_dir may now cover the new size */
  return rc;
}

static void log_behind(struct daemon_publisher *p, uint64_t size) {
  uint64_t now = daemon_now_ms();
  if (p->behind_logged_ms && now - p->behind_logged_ms < PUBLISH_BEHIND_LOG_INTERVAL_MS) return;
  p->behind_logged_ms = now;
  uint64_t pub = daemon_published_size(p->srv);
  daemon_log(DAEMON_LOG_WARNING, "witness quorum not met: %llu entries committed but not published "
             "(tree %llu, published %llu); retrying every %u ms", (unsigned long long)(size - pub),
             (unsigned long long)size, (unsigned long long)pub, p->srv->cfg->checkpoint_interval_ms);
}

/* One checkpoint through the pipeline. p NULL (no witness policy): no witnesses, and a checkpoint
 * that passed its swap is the published one (daemon_published_checkpoint serves the latest signed).
 * Returns 0 (published, or nothing new) or the code of the step that stopped it. */
static int publish_pipeline(struct daemon_server *srv, struct daemon_publisher *p) {
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  struct tlog_note tn;
  long n = step_sign(srv, p, note, sizeof note, &tn);
  if ((n == 0 || n == PROTO_E_NOT_FOUND) && !p) __atomic_store_n(&srv->fenced_waiting_since_ms, 0, __ATOMIC_RELEASE);
  if (n <= 0) return (int)n;
  int rc = step_etcd_swap(srv, note, (size_t)n);
  if (!p && fenced(srv)) fenced_after_swap(srv, rc, note, (size_t)n, tn.cp.size);
  if (!p && !fenced(srv) && !rc) __atomic_store_n(&srv->plain_published_size, tn.cp.size, __ATOMIC_RELEASE);
  if (rc || !p) return rc;
  struct daemon_buf cosigs = {0};
  rc = step_witnesses(p, note, (size_t)n, &tn, &cosigs);
  if (rc) log_behind(p, tn.cp.size);
  else if (!(rc = step_publish(p, note, (size_t)n, &cosigs, tn.cp.size))) {
    if (p->behind_logged_ms) daemon_log(DAEMON_LOG_NOTICE, "publishing again: size %llu cosigned",
                                        (unsigned long long)tn.cp.size);
    p->behind_logged_ms = 0;
  }
  daemon_buf_free(&cosigs);
  return rc;
}

int daemon_publish_signed(struct daemon_server *srv) {
  DAEMON_ASSERT(srv->publisher == NULL);
  return publish_pipeline(srv, NULL);
}

uint64_t daemon_publish_waiting_since_ms(struct daemon_server *srv) {
  return __atomic_load_n(&srv->fenced_waiting_since_ms, __ATOMIC_ACQUIRE);
}

/* A standby publishes nothing (its primary does), nor does a node whose writes stopped
 * (superseded, behind a learned checkpoint), nor a standby being promoted: until its new epoch is
 * written, a swap with the revisions it read as a standby would fail and mark it superseded. */
static bool may_publish(struct daemon_server *srv) {
  return __atomic_load_n(&srv->cfg->follow[0], __ATOMIC_ACQUIRE) == '\0' &&
         !__atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE) &&
         !__atomic_load_n(&srv->promoting, __ATOMIC_ACQUIRE);
}

void daemon_publish_retry(struct daemon_server *srv) {
  PROTO_ASSERT(srv->publisher == NULL);
  if (!may_publish(srv)) {
    __atomic_store_n(&srv->fenced_waiting_since_ms, 0, __ATOMIC_RELEASE);
    return;
  }
  (void)publish_pipeline(srv, NULL);
}

void daemon_publish_fenced_start(struct daemon_server *srv) {
  if (!fenced(srv) || srv->cfg->follow[0] || srv->read_only) return;
  /* The latest signed checkpoint may never have passed its swap (etcd away at the last batch, a
   * crash between signature and swap): swapped now, before it is served; if etcd does not answer,
   * the writer tries again. */
  (void)publish_pipeline(srv, NULL);
  daemon_writer_wake(srv);
}

/* A round is skipped while the node may not publish (may_publish). */
static void publish_round(struct daemon_publisher *p) {
  struct daemon_server *srv = p->srv;
  if (!may_publish(srv)) return;
  (void)publish_pipeline(srv, p);
}

static void publisher_main(void *arg) {
  struct daemon_publisher *p = arg;
  (void)pthread_setname_np(pthread_self(), "quotad-publish");
  uint64_t interval_ns = (uint64_t)p->srv->cfg->checkpoint_interval_ms * 1000000u;
  for (;;) {
    uv_mutex_lock(&p->mu);
    if (!p->quit) (void)uv_cond_timedwait(&p->cv, &p->mu, interval_ns);
    bool quit = p->quit;
    uv_mutex_unlock(&p->mu);
    if (quit) return;
    publish_round(p);
  }
}

/* The policy's text as served in /v1/log: what the public pages check the witnesses with. */
static int policy_text_load(struct daemon_publisher *p, char *why, size_t why_cap) {
  FILE *f = fopen(p->srv->cfg->witness_policy, "rb");
  p->policy_text = malloc(TLOG_POLICY_BYTES_MAX + 1);
  size_t n = f && p->policy_text ? fread(p->policy_text, 1, TLOG_POLICY_BYTES_MAX, f) : 0;
  if (f) fclose(f);
  if (!f || !p->policy_text) {
    snprintf(why, why_cap, "witness_policy %s: cannot read it again", p->srv->cfg->witness_policy);
    return f ? PROTO_E_NO_MEMORY : PROTO_E_BAD_POLICY;
  }
  p->policy_text[n] = '\0';
  return 0;
}

int daemon_publisher_start(struct daemon_server *srv, char *why, size_t why_cap) {
  if (!srv->cfg->witness_policy[0]) return 0;
  struct daemon_publisher *p = calloc(1, sizeof *p);
  if (!p) return PROTO_E_NO_MEMORY;
  p->srv = srv;
  srv->publisher = p;
  uv_mutex_init(&p->mu);
  uv_cond_init(&p->cv);
  p->policy = malloc(sizeof *p->policy);
  if (!p->policy) return PROTO_E_NO_MEMORY;
  int rc = daemon_policy_load(srv->cfg->witness_policy, p->policy, why, why_cap);
  if (rc) return rc;
  if ((rc = policy_text_load(p, why, why_cap))) return rc;
  snprintf(p->path, sizeof p->path, "%s/%s", srv->cfg->data_dir, DAEMON_PUBLISHED_FILE);
  rc = load_published(p, why, why_cap);
  if (rc) return rc;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return PROTO_E_NO_MEMORY;
  rc = uv_thread_create(&p->thread, publisher_main, p);
  if (rc) return snprintf(why, why_cap, "publisher thread: %s", uv_strerror(rc)), PROTO_E_NO_MEMORY;
  __atomic_store_n(&p->started, true, __ATOMIC_RELEASE); /* daemon_published_learn may run now */
  daemon_log(DAEMON_LOG_NOTICE, "witness policy %s: %u witnesses; published size %llu",
             srv->cfg->witness_policy, p->policy->witnesses_count, (unsigned long long)p->published_size);
  return 0;
}

void daemon_publisher_stop(struct daemon_server *srv) {
  struct daemon_publisher *p = srv->publisher;
  if (!p) return;
  if (p->started) {
    uv_mutex_lock(&p->mu);
    p->quit = true;
    uv_cond_signal(&p->cv);
    uv_mutex_unlock(&p->mu);
    uv_thread_join(&p->thread);
    curl_global_cleanup();
  }
  uv_mutex_destroy(&p->mu);
  uv_cond_destroy(&p->cv);
  free(p->policy);
  free(p->policy_text);
  free(p);
  srv->publisher = NULL;
}

/* Promotion's lower bound from the witnesses (standby.c): GET <url>/<hex sha256(origin)>/checkpoint
 * asks a witness for the latest checkpoint of this log it cosigned. */
static int floor_prepare(struct daemon_publisher *p, unsigned i, const char *hex, struct wcall *c) {
  char url[TLOG_POLICY_URL_BYTES_MAX + 2 * PROTO_HASH_BYTES + 16];
  const char *base = p->policy->witnesses[i].url;
  size_t bl = strlen(base);
  snprintf(url, sizeof url, "%s%s%s/checkpoint", base, bl && base[bl - 1] == '/' ? "" : "/", hex);
  c->h = curl_easy_init();
  if (!c->h) return PROTO_E_NO_MEMORY;
  curl_easy_setopt(c->h, CURLOPT_URL, url);
  return witness_call_options(p, c);
}

/* One witness's answer: 404 (it cosigned nothing of this log) bounds nothing; a checkpoint signed
 * by the log key must be held by this tree with the same root. Returns 0 with *answered, or
 * WITNESS_AHEAD / INCONSISTENT with why; an unreadable answer counts as no answer. */
static int floor_judge(struct daemon_server *srv, struct daemon_publisher *p, unsigned i,
                       struct wcall *c, bool *answered, char *why, size_t cap) {
  const char *name = p->policy->witnesses[i].name;
  *answered = c->status == 404 || c->status == 200;
  if (c->status != 200) {
    if (!*answered) daemon_log(DAEMON_LOG_WARNING, "promote: witness %s (%s) %s", name,
                               p->policy->witnesses[i].url, c->status ? "answered an error" : "unreachable or timed out");
    return 0;
  }
  char source[TLOG_POLICY_NAME_BYTES_MAX + 16];
  snprintf(source, sizeof source, "witness %s", name);
  uint64_t size = 0;
  int rc = daemon_buf_append(&c->resp, "", 1) ? PROTO_E_NO_MEMORY
           : daemon_highwater_judge(srv, c->resp.data, c->resp.len - 1, source, &size, why, cap);
  if (rc == PROTO_E_READ_ONLY) {
    snprintf(why, cap, "witness %s cosigned tree size %llu of this log, beyond this node's %llu: "
             "promoting it would fork what was published; not promoted", name,
             (unsigned long long)size, (unsigned long long)ledger_tree_size(srv->ledger));
    return PROTO_E_WITNESS_AHEAD;
  }
  if (rc == PROTO_E_INCONSISTENT) return rc;
  if (rc) daemon_log(DAEMON_LOG_WARNING, "promote: witness %s answered no checkpoint of this log (%s)",
                     name, proto_err_name(rc));
  if (rc) why[0] = '\0'; /* not a refusal: an answer that bounds nothing */
  *answered = rc == 0;
  return 0;
}

int daemon_witnesses_floor(struct daemon_server *srv, unsigned *asked, unsigned *answered, char *why,
                           size_t cap) {
  struct daemon_publisher *p = srv->publisher;
  *asked = *answered = 0;
  if (!p) return 0;
  PROTO_ASSERT(p->policy->witnesses_count <= TLOG_POLICY_WITNESSES_MAX);
  uint8_t hash[PROTO_HASH_BYTES];
  char hex[2 * PROTO_HASH_BYTES + 1];
  const char *origin = ledger_origin(srv->ledger);
  proto_sha256(origin, strlen(origin), hash);
  proto_hex_encode(hash, sizeof hash, hex, sizeof hex);
  unsigned n = p->policy->witnesses_count;
  struct wcall calls[TLOG_POLICY_WITNESSES_MAX];
  memset(calls, 0, sizeof calls);
  int rc = 0;
  for (unsigned i = 0; i < n && !rc; i++)
    if (p->policy->witnesses[i].url[0]) rc = floor_prepare(p, i, hex, &calls[i]), *asked += 1;
  if (!rc) calls_run(calls, n); /* in parallel: a promotion waits one witness_timeout_ms at most */
  for (unsigned i = 0; i < n; i++) {
    bool ok = false;
    if (!rc && calls[i].h) rc = floor_judge(srv, p, i, &calls[i], &ok, why, cap);
    *answered += ok;
    call_free(&calls[i]);
  }
  PROTO_ASSERT(*answered <= *asked);
  return rc;
}

/* A standby publishes nothing itself: it serves what its primary published, once its own tree
 * holds that checkpoint with the same root (the cosignatures were checked by the primary). */
int daemon_published_learn(struct daemon_server *srv, const char *note, size_t len) {
  struct daemon_publisher *p = srv->publisher;
  /* A standby's follower runs before the publisher has started (its file is not loaded, its path
   * not even set): it learns the note at a later round. */
  if (p && !__atomic_load_n(&p->started, __ATOMIC_ACQUIRE)) return 0;
  if (!p && !fenced(srv)) return 0;
  if (len >= (p ? DAEMON_PUBLISHED_BYTES_MAX : sizeof srv->fenced_note)) return PROTO_E_BAD_CHECKPOINT;
  struct tlog_checkpoint cp;
  uint8_t root[PROTO_HASH_BYTES];
  if (tlog_checkpoint_verify(note, len, ledger_origin(srv->ledger), srv->log_public_key, &cp))
    return PROTO_E_BAD_CHECKPOINT;
  if (cp.size > ledger_tree_size(srv->ledger)) return 0; /* learned again once the tree holds it */
  int rc = ledger_root(srv->ledger, cp.size, root);
  if (rc) return rc;
  if (memcmp(root, cp.root, PROTO_HASH_BYTES) != 0) return PROTO_E_INCONSISTENT;
  if (!p) return fenced_set(srv, note, len, cp.size), 0; /* what the primary's swap let through */
  uv_mutex_lock(&p->mu);
  bool newer = cp.size > p->published_size || p->published_len == 0;
  uv_mutex_unlock(&p->mu);
  if (!newer) return 0;
  rc = persist(p, note, len);
  if (rc) return PROTO_E_STORAGE;
  set_published(p, note, len, cp.size, daemon_now_ms());
  daemon_tiles_kick(srv);
  return 0;
}

static long fenced_get(struct daemon_server *srv, char *out, size_t cap) {
  pthread_mutex_lock(&fenced_mu);
  size_t len = srv->fenced_len;
  long rc = len == 0 ? PROTO_E_NOT_FOUND : len >= cap ? PROTO_E_FIELD_TOO_LONG : (long)len;
  if (rc > 0) memcpy(out, srv->fenced_note, len + 1);
  pthread_mutex_unlock(&fenced_mu);
  return rc;
}

long daemon_published_checkpoint(struct daemon_server *srv, char *out, size_t cap) {
  struct daemon_publisher *p = srv->publisher;
  /* Without a policy every signed checkpoint is published as it is signed. */
  if (!p) { /* ... but one that lost its etcd swap, or conflicts with a learned one, is not */
    if (srv->checkpoint_hidden) return PROTO_E_READ_ONLY;
    return fenced(srv) ? fenced_get(srv, out, cap) : ledger_checkpoint_latest(srv->ledger, out, cap);
  }
  uv_mutex_lock(&p->mu);
  size_t len = p->published_len;
  long rc = len == 0 ? PROTO_E_NOT_FOUND : len >= cap ? PROTO_E_FIELD_TOO_LONG : (long)len;
  if (rc > 0) memcpy(out, p->published, len + 1);
  uv_mutex_unlock(&p->mu);
  return rc;
}

long daemon_published_note(struct daemon_server *srv, char *out, size_t cap, uint64_t *size) {
  long n = daemon_published_checkpoint(srv, out, cap);
  if (n < 0) return n;
  struct tlog_note note;
  if (tlog_note_parse(out, (size_t)n, &note)) return PROTO_E_CORRUPT;
  *size = note.cp.size;
  DAEMON_ASSERT(*size <= ledger_tree_size(srv->ledger));
  return n;
}

uint64_t daemon_published_size(struct daemon_server *srv) {
  struct daemon_publisher *p = srv->publisher;
  if (!p) { /* the latest signed checkpoint's size: the tree may be ahead of it */
    char *note = malloc(TLOG_NOTE_BYTES_MAX + 1);
    uint64_t size = 0;
    if (note && daemon_published_note(srv, note, TLOG_NOTE_BYTES_MAX + 1, &size) < 0) size = 0;
    free(note);
    return size;
  }
  uv_mutex_lock(&p->mu);
  uint64_t size = p->published_size;
  uv_mutex_unlock(&p->mu);
  return size;
}

uint64_t daemon_published_time_ms(struct daemon_server *srv) {
  struct daemon_publisher *p = srv->publisher;
  if (!p) return 0;
  uv_mutex_lock(&p->mu);
  uint64_t ms = p->published_ms;
  uv_mutex_unlock(&p->mu);
  return ms;
}

const char *daemon_witness_policy_text(struct daemon_server *srv) {
  return srv->publisher ? srv->publisher->policy_text : NULL;
}
