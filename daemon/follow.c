/* follow: a standby (`quotad --follow URL`). One thread asks the primary for the entries after its
 * tree (GET /v1/stream, signed with the standby's operator or auditor key; the answer carries the
 * checkpoint signed by the registry's log key), checks each page's root against its tree and writes
 * the page to its journal (journal.c: one fdatasync), and confirms by asking again from its new
 * size with its root. The journal's applier appends the pages to the ledger just after
 * (ledger_append_entries_deferred: every rule, the root again), and the verifier checks their
 * signatures and legs after that (follow_verify.c). A divergence anywhere stops it, loudly. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/publish.h"
#include "daemon/server.h"
#include "tools/common/http_client.h"

/* Asking is also how a batch is confirmed, and a synchronous primary answers its clients only
 * after that confirmation: the standby asks with wait_ms, and a primary with nothing new holds the
 * request until its next commit (standby.c), so the standby learns of each batch as soon as it is
 * durable and asks again at once. A primary that answers an empty page at once (one that does not
 * wait) is asked again after FOLLOW_BUSY_SLEEP_US while entries keep coming (the last ones came
 * less than FOLLOW_BUSY_MS ago), after FOLLOW_IDLE_SLEEP_US otherwise. */
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

/* See server.h. The follower's thread and the applier's (journal.c). */
int daemon_follow_check_signed(struct daemon_server *srv, const struct tlog_checkpoint *cp, char *why, size_t cap) {
  uint8_t mine[PROTO_HASH_BYTES];
  PROTO_ASSERT(cp->size <= ledger_tree_size(srv->ledger));
  int rc = ledger_root(srv->ledger, cp->size, mine);
  if (rc) return rc;
  if (memcmp(mine, cp->root, sizeof mine) == 0) {
    /* what this standby may sign too: its primary's log key signed this tree (the stream's pages
     * past it carry no signature over their root; a changed page must never get one here) */
    uint64_t was = __atomic_load_n(&srv->follow_signed_size, __ATOMIC_ACQUIRE);
    while (cp->size > was && !__atomic_compare_exchange_n(&srv->follow_signed_size, &was, cp->size, false,
                                                          __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    }
    if (cp->size > was) daemon_follow_appended(srv); /* the verifier signs it once verified (it may be already) */
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
  uint64_t size = daemon_journal_end(srv, NULL), end = (uint64_t)json_integer_value(json_object_get(ans, "end"));
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
    /* Durable and root-checked is what the confirmation (the next ask) says; the rules are the
     * applier's and the signatures the verifier's, just after (a synchronous primary waits for the
     * confirmation). The first page (the genesis, signed by the log key, which no keys database
     * holds) goes into the ledger before it counts as held: all its checks before the confirmation. */
    rc = daemon_journal_append(srv, size, pg->in, pg->n, root, size == 0, why, cap);
  }
  /* its root against the ledger's, now or once the applier reaches its size */
  if (!rc && note) rc = daemon_journal_checkpoint(srv, &cp, why, cap);
  const char *pub = json_string_value(json_object_get(ans, "published"));
  if (!rc && pub && (rc = daemon_published_learn(srv, pub, strlen(pub))))
    snprintf(why, cap, "the primary's published checkpoint does not match this tree (%s)", proto_err_name(rc));
  return rc;
}

/* One round: ask from our size with our root (the confirmation), append what came. Returns 0
 * when entries were appended, 1 when there was nothing new at once, 2 when nothing new came
 * within the primary's wait, a negative code otherwise. */
static int follow_round(struct daemon_server *srv, struct http_client *h, const char *origin,
                        struct page *pg, char *why, size_t cap) {
  uint8_t root[PROTO_HASH_BYTES];
  uint64_t size = daemon_journal_end(srv, root); /* held durably: in the ledger or the journal */
  char hex[2 * PROTO_HASH_BYTES + 1], path[160];
  int rc = 0;
  proto_hex_encode(root, sizeof root, hex, sizeof hex);
  /* wait_ms: with nothing new the primary answers at its next commit (or after the wait) */
  /* pending=1: a synchronous primary sends each batch while it commits it (both fsyncs at once) */
  snprintf(path, sizeof path, "/v1/stream?from=%llu&root=%s&wait_ms=%u&pending=1", (unsigned long long)size, hex,
           FOLLOW_WAIT_MS);
  long status = 0;
  json_t *ans = NULL;
  uint64_t t0 = uv_hrtime();
  rc = http_json(h, "GET", path, NULL, true, &status, &ans);
  uint64_t t1 = uv_hrtime();
  if (!rc && status != 200) {
    const char *code = "", *msg = "";
    http_error_code(ans, &code, &msg);
    snprintf(why, cap, "GET /v1/stream: HTTP %ld %s %s", status, code, msg);
    rc = !strcmp(code, "inconsistent") ? PROTO_E_INCONSISTENT : PROTO_E_BAD_REQUEST; /* by name, not status */
  }
  if (!rc) rc = follow_apply(srv, ans, origin, pg, why, cap);
  uint64_t appended = daemon_journal_end(srv, NULL) - size;
  if (!rc && appended) daemon_metrics_standby_append((t1 - t0) / 1000u, (uv_hrtime() - t1) / 1000u, appended);
  /* an empty answer well before the wait: a primary that does not wait (older): pause instead */
  if (!rc && !appended) rc = (t1 - t0) / 1000000u < FOLLOW_WAIT_MS / 2 ? 1 : 2;
  page_free(pg);
  json_decref(ans);
  return rc;
}

static bool follow_fatal(int rc) {
  return rc == PROTO_E_DIVERGED || rc == PROTO_E_INCONSISTENT || rc == PROTO_E_BAD_CHECKPOINT ||
         rc == PROTO_E_UNKNOWN_LOG_KEY || rc == PROTO_E_CORRUPT || rc == PROTO_E_STORAGE ||
         rc == PROTO_E_MAP_FULL;
}

static void follow_main(void *arg) {
  struct daemon_server *srv = arg;
  struct page *pg = calloc(1, sizeof *pg);
  struct http_client *h = http_client_new(srv->cfg->follow, NULL);
  if (h) http_client_set_timeout_ms(h, FOLLOW_REQUEST_MS_MAX);
  char origin[PROTO_ORIGIN_BYTES_MAX + 1] = "", why[512];
  bool have_origin = false, said_away = false;
  int said_rc = 0; /* the kind of failure last said: a new kind is said again */
  uint64_t last_new_ms = 0; /* when the last round appended entries */
  while (pg && h && !__atomic_load_n(&srv->follow_quit, __ATOMIC_ACQUIRE)) {
    why[0] = '\0';
    int rc = have_origin ? 0 : follow_identity(srv, h, origin, sizeof origin);
    if (rc == 0 && !have_origin) http_client_set_read_key(h, srv->follow_key, origin);
    have_origin = have_origin || rc == 0;
    if (rc == 0) rc = follow_round(srv, h, origin, pg, why, sizeof why);
    if (follow_fatal(rc)) {
      daemon_follow_stop_loudly(srv, why[0] ? why : proto_err_message(rc));
      break;
    }
    if (rc < 0 && (!said_away || rc != said_rc))
      daemon_log(DAEMON_LOG_WARNING, "standby: no entries from the primary %s (%s); retrying",
                 srv->cfg->follow, why[0] ? why : rc > -1000 ? http_client_error(h) : proto_err_name(rc));
    if (rc >= 0 && said_away) daemon_log(DAEMON_LOG_NOTICE, "standby: following %s again", srv->cfg->follow);
    said_away = rc < 0;
    said_rc = rc < 0 ? rc : 0;
    if (rc == 0) last_new_ms = daemon_now_ms();
    bool busy = daemon_now_ms() - last_new_ms < FOLLOW_BUSY_MS;
    if (rc && rc != 2) usleep(rc < 0 ? FOLLOW_RETRY_SLEEP_US : busy ? FOLLOW_BUSY_SLEEP_US : FOLLOW_IDLE_SLEEP_US);
  }
  http_client_free(h);
  free(pg);
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
  rc = daemon_journal_start(srv); /* the applier, from the tree the rejoin left */
  if (rc) {
    daemon_follow_verifier_stop(srv);
    return rc;
  }
  rc = uv_thread_create(&srv->follow_thread, follow_main, srv);
  if (rc) {
    daemon_journal_stop(srv);
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
  daemon_journal_stop(srv); /* every entry confirmed goes into the ledger first */
  daemon_follow_verifier_stop(srv); /* mid-chunk at most: promotion finishes the rest inline */
  proto_key_free(srv->follow_key);
  srv->follow_key = NULL;
}
