/* follow: a standby (`quotad --follow URL`). It asks the primary for the entries after its tree
 * (GET /v1/stream, signed with the standby's operator or auditor key; the answer carries the
 * checkpoint signed by the registry's log key), appends them verbatim with
 * ledger_append_entries_deferred (rules checked, the root compared before the commit; signatures
 * and legs left to the verifier, follow_verify.c), and confirms its new size with its root. Two
 * threads: a fetcher asks for the next page while the appender appends and confirms the last. A
 * divergence, here or in the verifier, stops it, loudly. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/publish.h"
#include "daemon/server.h"
#include "tools/common/http_client.h"

/* A synchronous primary answers its clients only after the confirmation of their batch: the
 * fetcher asks with wait_ms, and a primary with nothing new holds the request until its next batch
 * (sent while it commits it, standby.c), so the standby learns of each batch at once; the appender
 * confirms each page it appended on a request of its own. A primary that answers an empty page at
 * once (one that does not wait) is asked again after FOLLOW_BUSY_SLEEP_US while entries keep
 * coming (the last ones came less than FOLLOW_BUSY_MS ago), after FOLLOW_IDLE_SLEEP_US otherwise. */
#define FOLLOW_WAIT_MS 500u
#define FOLLOW_IDLE_SLEEP_US 20000u
#define FOLLOW_BUSY_MS 200u
#define FOLLOW_BUSY_SLEEP_US 500u
#define FOLLOW_RETRY_SLEEP_US 200000u /* the primary unreachable: retry after 200 ms */
#define FOLLOW_REQUEST_MS_MAX 2000L    /* one stream request, whole: a paused primary cannot hold us */

#define FOLLOW_PAGE_ENTRIES_MAX 1000u /* the primary's page (STREAM_PAGE_ENTRIES_MAX) */

struct page {
  size_t n;
  struct ledger_entry_in in[FOLLOW_PAGE_ENTRIES_MAX];
  uint8_t *leaf[FOLLOW_PAGE_ENTRIES_MAX], *legs[FOLLOW_PAGE_ENTRIES_MAX];
};

static void page_free(struct page *pg) {
  for (size_t i = 0; i < pg->n; i++) {
    free(pg->leaf[i]);
    free(pg->legs[i]);
  }
  pg->n = 0;
}

static bool b64_into(const char *b64, uint8_t **out, size_t *len) {
  size_t cap = b64 ? strlen(b64) : 0;
  *out = cap ? malloc(cap) : NULL;
  long n = *out ? proto_base64_decode(b64, cap, *out, cap) : -1;
  *len = n > 0 ? (size_t)n : 0;
  return n > 0;
}

/* The entries of a stream answer, from index from on. */
static int page_load(json_t *entries, uint64_t from, struct page *pg) {
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e) {
    if (i >= FOLLOW_PAGE_ENTRIES_MAX) return PROTO_E_TOO_LARGE;
    if ((uint64_t)json_integer_value(json_object_get(e, "index")) != from + i) return PROTO_E_BAD_REQUEST;
    size_t k = pg->n++, ll = 0, lg = 0;
    pg->leaf[k] = pg->legs[k] = NULL;
    bool ok = b64_into(json_string_value(json_object_get(e, "leaf")), &pg->leaf[k], &ll);
    const char *legs_b64 = json_string_value(json_object_get(e, "legs_blob"));
    if (ok && legs_b64) ok = b64_into(legs_b64, &pg->legs[k], &lg);
    pg->in[k] = (struct ledger_entry_in){.leaf = pg->leaf[k], .leaf_len = ll, .legs = pg->legs[k], .legs_len = lg};
    if (!ok) return PROTO_E_BAD_BASE64;
  }
  return 0;
}

/* The primary must serve this registry with our log key: learned once from GET /v1/log. */
static int follow_identity(struct daemon_server *srv, struct http_client *h, char *origin, size_t cap) {
  long status = 0;
  json_t *log = NULL;
  int rc = http_json(h, "GET", "/v1/log", NULL, false, &status, &log);
  const char *o = json_string_value(json_object_get(log, "origin"));
  const char *pk = json_string_value(json_object_get(log, "public_key"));
  uint8_t pub[PROTO_PUBKEY_BYTES + 2];
  long n = pk ? proto_base64_decode(pk, strlen(pk), pub, sizeof pub) : -1;
  /* Before its genesis a primary names no origin yet: ask again (the stream's read signatures
   * are bound to the origin, so following under an empty one would be refused for ever). */
  if (!rc && status == 200 && o && o[0] && n == PROTO_PUBKEY_BYTES)
    rc = memcmp(pub, srv->log_public_key, PROTO_PUBKEY_BYTES) ? PROTO_E_UNKNOWN_LOG_KEY : 0;
  else if (!rc)
    rc = PROTO_E_BAD_REQUEST;
  if (!rc) snprintf(origin, cap, "%s", o);
  json_decref(log);
  return rc;
}

void daemon_follow_stop_loudly(struct daemon_server *srv, const char *why) {
  /* the follower and the verifier may both stop it: the first reason is the one kept */
  if (__atomic_exchange_n(&srv->follow_stop_said, true, __ATOMIC_ACQ_REL)) return;
  snprintf(srv->follow_why, sizeof srv->follow_why, "%s", why);
  __atomic_store_n(&srv->follow_failed, true, __ATOMIC_RELEASE);
  daemon_log(DAEMON_LOG_ERR, "STANDBY STOPPED: %s; this node no longer follows %s (it still serves "
             "reads of what it holds)", why, srv->cfg->follow);
}

/* The entries past the primary's latest checkpoint came with no log-key signature over their root
 * (with standby.sync the primary signs only after this standby confirmed them): each checkpoint
 * the primary sends that this tree reaches must have this tree's root at its size. */
static int follow_check_signed(struct daemon_server *srv, const struct tlog_checkpoint *cp, char *why, size_t cap) {
  uint8_t mine[PROTO_HASH_BYTES];
  if (cp->size > ledger_tree_size(srv->ledger)) return 0; /* checked once this tree reaches it */
  int rc = ledger_root(srv->ledger, cp->size, mine);
  if (rc) return rc;
  if (memcmp(mine, cp->root, sizeof mine) == 0) {
    /* what this standby may sign too: its primary's log key signed this tree (the stream's pages
     * past it carry no signature over their root; a changed page must never get one here) */
    if (cp->size > __atomic_load_n(&srv->follow_signed_size, __ATOMIC_ACQUIRE)) {
      __atomic_store_n(&srv->follow_signed_size, cp->size, __ATOMIC_RELEASE);
      daemon_follow_appended(srv); /* the verifier signs it once verified (it may be already) */
    }
    return 0;
  }
  snprintf(why, cap, "the primary's checkpoint at size %llu has another root than the entries it "
           "streamed", (unsigned long long)cp->size);
  return PROTO_E_INCONSISTENT;
}

/* Checks the answer's checkpoint and the root the page must give; appends the page. Returns 0
 * (appended or nothing new) or a code; a divergence also fills why. */
static int follow_apply(struct daemon_server *srv, json_t *ans, const char *origin, struct page *pg,
                        char *why, size_t cap) {
  const char *note = json_string_value(json_object_get(ans, "checkpoint"));
  const char *root_b64 = json_string_value(json_object_get(ans, "root"));
  uint64_t size = ledger_tree_size(srv->ledger), end = (uint64_t)json_integer_value(json_object_get(ans, "end"));
  struct tlog_checkpoint cp = {0};
  uint8_t root[PROTO_HASH_BYTES + 2];
  /* A synchronous primary signs its first checkpoint only once this standby confirmed the genesis:
   * its first page comes without one, which only an empty tree takes (its first batch is then
   * verified inline, the genesis with the log key; nothing is signed here before a checkpoint). */
  bool unsigned_start = !note && size == 0;
  if (!unsigned_start && (!note || tlog_checkpoint_verify(note, strlen(note), origin, srv->log_public_key, &cp))) {
    snprintf(why, cap, "the primary's answer carries no checkpoint signed by the log key");
    return PROTO_E_BAD_CHECKPOINT;
  }
  uint64_t tree = (uint64_t)json_integer_value(json_object_get(ans, "tree_size"));
  if (!root_b64 || proto_base64_decode(root_b64, strlen(root_b64), root, sizeof root) != PROTO_HASH_BYTES ||
      end > tree || cp.size > tree || end < size || (note && end == cp.size && memcmp(root, cp.root, PROTO_HASH_BYTES))) {
    snprintf(why, cap, "the primary's page (end %llu) does not agree with its checkpoint (size %llu)",
             (unsigned long long)end, (unsigned long long)cp.size);
    return PROTO_E_INCONSISTENT;
  }
  int rc = 0;
  if (end > size) {
    rc = page_load(json_object_get(ans, "entries"), size, pg);
    if (!rc && pg->n != end - size) rc = PROTO_E_BAD_REQUEST;
    if (rc) {
      snprintf(why, cap, "the primary's page from %llu is malformed (%s)", (unsigned long long)size,
               proto_err_name(rc));
      return rc;
    }
    /* Durable and root-checked is what the confirmation (the next ask) says; the signatures are
     * the verifier's, just after (a synchronous primary waits for the confirmation). */
    rc = ledger_append_entries_deferred(srv->ledger, pg->in, pg->n, root, why, cap);
    if (!rc) daemon_follow_appended(srv);
  }
  if (!rc && note) rc = follow_check_signed(srv, &cp, why, cap);
  const char *pub = json_string_value(json_object_get(ans, "published"));
  if (!rc && pub && (rc = daemon_published_learn(srv, pub, strlen(pub))))
    snprintf(why, cap, "the primary's published checkpoint does not match this tree (%s)", proto_err_name(rc));
  return rc;
}

static bool follow_fatal(int rc) {
  return rc == PROTO_E_DIVERGED || rc == PROTO_E_INCONSISTENT || rc == PROTO_E_BAD_CHECKPOINT ||
         rc == PROTO_E_UNKNOWN_LOG_KEY || rc == PROTO_E_CORRUPT || rc == PROTO_E_STORAGE ||
         rc == PROTO_E_MAP_FULL;
}

/* The stream, read by two threads: the fetcher asks for the next page while the appender appends
 * the last one (and confirms it on a request of its own), so that a page's round trip overlaps the
 * append before it. What the fetcher got waits in a slot of depth one. */
struct follower {
  struct daemon_server *srv;
  uv_mutex_t mu;
  uv_cond_t cv;
  bool full, quit, resync; /* resync: the appender refused a page; ask from the tree's size again */
  json_t *ans;             /* the answer in the slot, or NULL with rc and why */
  int rc;
  char why[512];
  uint64_t from, ask_us;   /* what the answer was asked from, and how long it took */
  char origin[PROTO_ORIGIN_BYTES_MAX + 1]; /* learned by the fetcher before its first answer */
};

/* A stream request as the follower makes it: 0 with the answer, or a code with why. A root is
 * sent when given: the confirmation that this node's tree of size `from` is durable. */
static int follow_ask(struct http_client *h, uint64_t from, const uint8_t *root, bool wait, json_t **ans,
                      char *why, size_t cap) {
  char hex[2 * PROTO_HASH_BYTES + 1] = "", path[200];
  if (root) proto_hex_encode(root, PROTO_HASH_BYTES, hex, sizeof hex);
  /* wait_ms: with nothing new the primary answers at its next batch (or after the wait);
   * pending=1: a synchronous primary sends each batch while it commits it (both fsyncs at once) */
  char tail[24];
  if (wait) snprintf(tail, sizeof tail, "&wait_ms=%u", FOLLOW_WAIT_MS);
  else snprintf(tail, sizeof tail, "&limit=0");
  snprintf(path, sizeof path, "/v1/stream?from=%llu%s%s&pending=1%s", (unsigned long long)from,
           root ? "&root=" : "", hex, tail);
  long status = 0;
  *ans = NULL;
  int rc = http_json(h, "GET", path, NULL, true, &status, ans);
  if (rc) snprintf(why, cap, "%s", http_client_error(h));
  if (!rc && status != 200) {
    const char *code = "", *msg = "";
    http_error_code(*ans, &code, &msg);
    snprintf(why, cap, "GET /v1/stream: HTTP %ld %s %s", status, code, msg);
    rc = !strcmp(code, "inconsistent") ? PROTO_E_INCONSISTENT : PROTO_E_BAD_REQUEST; /* by name, not status */
    json_decref(*ans);
    *ans = NULL;
  }
  return rc;
}

/* Puts what was fetched into the slot once the appender took the last; false when ending. */
static bool slot_put(struct follower *f, json_t *ans, int rc, const char *why, uint64_t from, uint64_t ask_us) {
  uv_mutex_lock(&f->mu);
  while (f->full && !f->quit) uv_cond_wait(&f->cv, &f->mu);
  bool ok = !f->quit;
  if (ok) {
    f->ans = ans, f->rc = rc, f->from = from, f->ask_us = ask_us, f->full = true;
    snprintf(f->why, sizeof f->why, "%s", why);
    uv_cond_broadcast(&f->cv);
  }
  uv_mutex_unlock(&f->mu);
  if (!ok) json_decref(ans);
  return ok;
}

/* Where the fetcher asks next: after the page it fetched last, or the tree's size after a refusal. */
static uint64_t fetch_from(struct follower *f, uint64_t next, bool *known) {
  uv_mutex_lock(&f->mu);
  if (f->resync || !*known) next = ledger_tree_size(f->srv->ledger), f->resync = false, *known = true;
  uv_mutex_unlock(&f->mu);
  return next;
}

/* The fetcher: the origin once, then page after page; a primary that does not answer is asked
 * again after FOLLOW_RETRY_SLEEP_US, one that answers an empty page at once (one that does not
 * wait) after FOLLOW_BUSY_SLEEP_US while entries keep coming, FOLLOW_IDLE_SLEEP_US otherwise. */
static void fetch_main(void *arg) {
  struct follower *f = arg;
  struct daemon_server *srv = f->srv;
  (void)pthread_setname_np(pthread_self(), "quotad-fetch");
  struct http_client *h = http_client_new(srv->cfg->follow, NULL);
  if (h) http_client_set_timeout_ms(h, FOLLOW_REQUEST_MS_MAX);
  char origin[PROTO_ORIGIN_BYTES_MAX + 1] = "", why[512];
  bool have_origin = false, known = false;
  uint64_t next = 0, last_new_ms = 0;
  for (;;) {
    why[0] = '\0';
    int rc = !h ? PROTO_E_NO_MEMORY : have_origin ? 0 : follow_identity(srv, h, origin, sizeof origin);
    if (rc == 0 && !have_origin) {
      http_client_set_read_key(h, srv->follow_key, origin);
      uv_mutex_lock(&f->mu);
      snprintf(f->origin, sizeof f->origin, "%s", origin);
      uv_mutex_unlock(&f->mu);
      have_origin = true;
    } else if (rc && !why[0]) {
      snprintf(why, sizeof why, "%s", h ? http_client_error(h) : "no memory");
    }
    next = fetch_from(f, next, &known);
    json_t *ans = NULL;
    uint64_t t0 = uv_hrtime(), size = ledger_tree_size(srv->ledger);
    uint8_t root[PROTO_HASH_BYTES];
    /* our root when nothing fetched waits for its append: a confirmation on the way */
    bool confirm = next == size && ledger_root(srv->ledger, size, root) == 0;
    if (!rc) rc = follow_ask(h, next, confirm ? root : NULL, true, &ans, why, sizeof why);
    uint64_t t1 = uv_hrtime();
    json_t *entries = json_object_get(ans, "entries");
    size_t n = json_is_array(entries) ? json_array_size(entries) : 0;
    if (!slot_put(f, ans, rc, why, next, (t1 - t0) / 1000u)) break;
    if (rc) {
      known = false;
      usleep(FOLLOW_RETRY_SLEEP_US);
      continue;
    }
    next += n; /* the page's end: the appender checks it against the tree */
    if (n) last_new_ms = daemon_now_ms();
    bool busy = daemon_now_ms() - last_new_ms < FOLLOW_BUSY_MS;
    if (!n && (t1 - t0) / 1000000u < FOLLOW_WAIT_MS / 2) usleep(busy ? FOLLOW_BUSY_SLEEP_US : FOLLOW_IDLE_SLEEP_US);
  }
  http_client_free(h);
}

/* The appender's next answer from the slot: false when ending (follow_quit, or the fetcher gone). */
static bool slot_take(struct follower *f, json_t **ans, int *rc, char *why, size_t cap, uint64_t *from,
                      uint64_t *ask_us, char origin[PROTO_ORIGIN_BYTES_MAX + 1]) {
  uv_mutex_lock(&f->mu);
  while (!f->full && !__atomic_load_n(&f->srv->follow_quit, __ATOMIC_ACQUIRE))
    (void)uv_cond_timedwait(&f->cv, &f->mu, 100 * 1000000ull);
  bool got = f->full;
  if (got) {
    *ans = f->ans, *rc = f->rc, *from = f->from, *ask_us = f->ask_us, f->full = false, f->ans = NULL;
    snprintf(why, cap, "%s", f->why);
    memcpy(origin, f->origin, PROTO_ORIGIN_BYTES_MAX + 1);
    uv_cond_broadcast(&f->cv);
  }
  uv_mutex_unlock(&f->mu);
  return got;
}

/* After an append: confirms the new tree on the appender's own request (the fetcher's may be
 * waiting on the primary already). Only a divergence counts: the next ask confirms again. */
static int follow_confirm(struct follower *f, struct http_client *h, char *why, size_t cap) {
  uint64_t size = ledger_tree_size(f->srv->ledger);
  uint8_t root[PROTO_HASH_BYTES];
  json_t *ans = NULL;
  int rc = ledger_root(f->srv->ledger, size, root);
  if (!rc) rc = follow_ask(h, size, root, false, &ans, why, cap);
  json_decref(ans);
  return rc == PROTO_E_INCONSISTENT ? rc : 0;
}

/* Takes one answer: appends and confirms it, or says why not. 0; 1 for an answer asked from
 * another size than the tree's (asked before a page was refused: the fetcher asks again from the
 * tree's size); or a code (why filled). */
static int follow_take(struct follower *f, struct http_client *h, struct page *pg, json_t *ans, uint64_t from,
                       uint64_t ask_us, const char *origin, char *why, size_t cap) {
  struct daemon_server *srv = f->srv;
  uint64_t size = ledger_tree_size(srv->ledger), t1 = uv_hrtime();
  if (from != size) return 1;
  int rc = follow_apply(srv, ans, origin, pg, why, cap);
  uint64_t appended = ledger_tree_size(srv->ledger) - size;
  if (!rc && appended) {
    daemon_metrics_standby_append(ask_us, (uv_hrtime() - t1) / 1000u, appended);
    rc = follow_confirm(f, h, why, cap);
  }
  page_free(pg);
  return rc;
}

static void follow_main(void *arg) {
  struct daemon_server *srv = arg;
  struct follower *f = calloc(1, sizeof *f);
  struct page *pg = calloc(1, sizeof *pg);
  struct http_client *h = http_client_new(srv->cfg->follow, NULL);
  uv_thread_t fetcher;
  bool started = false, said_away = false, keyed = false;
  int said_rc = 0; /* the kind of failure last said: a new kind is said again */
  if (f && pg && h) {
    f->srv = srv;
    http_client_set_timeout_ms(h, FOLLOW_REQUEST_MS_MAX);
    uv_mutex_init(&f->mu);
    uv_cond_init(&f->cv);
    started = uv_thread_create(&fetcher, fetch_main, f) == 0;
  }
  char why[512], origin[PROTO_ORIGIN_BYTES_MAX + 1];
  while (started && !__atomic_load_n(&srv->follow_quit, __ATOMIC_ACQUIRE)) {
    json_t *ans = NULL;
    int rc = 0;
    uint64_t from = 0, ask_us = 0;
    if (!slot_take(f, &ans, &rc, why, sizeof why, &from, &ask_us, origin)) continue;
    if (!keyed && origin[0]) http_client_set_read_key(h, srv->follow_key, origin), keyed = true;
    if (!rc) why[0] = '\0', rc = follow_take(f, h, pg, ans, from, ask_us, origin, why, sizeof why);
    json_decref(ans);
    if (follow_fatal(rc)) {
      daemon_follow_stop_loudly(srv, why[0] ? why : proto_err_message(rc));
      break;
    }
    if (rc) { /* the fetcher asks from the tree's size again */
      uv_mutex_lock(&f->mu);
      f->resync = true;
      uv_mutex_unlock(&f->mu);
    }
    if (rc < 0 && (!said_away || rc != said_rc))
      daemon_log(DAEMON_LOG_WARNING, "standby: no entries from the primary %s (%s); retrying",
                 srv->cfg->follow, why[0] ? why : proto_err_name(rc));
    if (rc >= 0 && said_away) daemon_log(DAEMON_LOG_NOTICE, "standby: following %s again", srv->cfg->follow);
    said_away = rc < 0;
    said_rc = rc < 0 ? rc : 0;
  }
  if (started) {
    uv_mutex_lock(&f->mu);
    f->quit = true;
    uv_cond_broadcast(&f->cv);
    uv_mutex_unlock(&f->mu);
    uv_thread_join(&fetcher);
    json_decref(f->ans);
    uv_mutex_destroy(&f->mu);
    uv_cond_destroy(&f->cv);
  }
  http_client_free(h);
  free(pg);
  free(f);
}

/* A node that was a standby and starts as a primary first verifies what its verifier had not. */
static int follow_verify_before_writing(struct daemon_server *srv) {
  char why[512] = "";
  int rc = daemon_follow_verify_rest(srv, why, sizeof why);
  if (rc) daemon_log(DAEMON_LOG_ERR, "not starting: %s (%s)", why, proto_err_name(rc));
  return rc;
}

int daemon_follow_start(struct daemon_server *srv, const struct ledger_config *lc) {
  if (!srv->cfg->follow[0]) return follow_verify_before_writing(srv);
  assert(!srv->follow_started);
  int rc = proto_key_load(srv->cfg->follow_key, &srv->follow_key);
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "standby.follow_key %s: %s (the standby signs its stream requests "
               "with an operator or auditor key of the registry)", srv->cfg->follow_key, proto_err_message(rc));
    return rc;
  }
  /* An old primary rejoining: its tail that the primary lacks is set aside first (rejoin.c). */
  rc = daemon_rejoin(srv, lc);
  if (rc) return rc;
  rc = daemon_follow_verifier_start(srv); /* from the verified size the store kept */
  if (rc) return rc;
  rc = uv_thread_create(&srv->follow_thread, follow_main, srv);
  if (rc) {
    daemon_follow_verifier_stop(srv);
    return PROTO_E_NO_MEMORY;
  }
  srv->follow_started = true;
  daemon_log(DAEMON_LOG_NOTICE, "standby of %s: writes here answer 503 standby", srv->cfg->follow);
  return 0;
}

void daemon_follow_stop(struct daemon_server *srv) {
  if (srv->follow_started) {
    __atomic_store_n(&srv->follow_quit, true, __ATOMIC_RELEASE);
    uv_thread_join(&srv->follow_thread);
    srv->follow_started = false;
  }
  daemon_follow_verifier_stop(srv); /* mid-chunk at most: promotion finishes the rest inline */
  proto_key_free(srv->follow_key);
  srv->follow_key = NULL;
}
