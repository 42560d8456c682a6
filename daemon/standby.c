/* standby (the primary's side): GET /v1/stream?from=N&root=R serves a following standby the
 * committed entries after N, with the legs stored beside them, the root at the page's end and the
 * latest checkpoint signed by the log key. Asking from N with the root of N is the standby's
 * confirmation that its tree of size N is durable: the primary records it and compares roots.
 * With standby.sync the writer waits for that confirmation before it signs and acknowledges, and a
 * standby that asks with pending=1 is sent each batch while this node commits it (the precommit
 * hook below): the two nodes' fsyncs overlap, and the standby's confirmation may come before this
 * node's commit ends. Should that commit fail, writes stop here (writer.c): the standby holds
 * entries this node does not, which were never acknowledged nor signed. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/api_util.h"
#include "daemon/publish.h"

#define STREAM_PAGE_ENTRIES_MAX 1000u /* entries in one stream answer */
#define STREAM_WAIT_MS_MAX 1000u      /* longest a stream request with nothing new waits (wait_ms) */
/* Stream requests waiting at once: each is handled again at every commit, so their number bounds
 * that work (a standby or two need one each); more answer at once, as without wait_ms. */
#define STREAMS_PARKED_MAX 8u

/* What the stream request sees of the batch being committed (a copy of its bounds and root). */
struct pending_view {
  uint64_t from, to;
  uint8_t root[PROTO_HASH_BYTES];
};

static void pending_view(struct daemon_server *srv, struct pending_view *pv) {
  uv_mutex_lock(&srv->pending_mu);
  pv->from = srv->pending_from;
  pv->to = srv->pending_to;
  memcpy(pv->root, srv->pending_root, sizeof pv->root);
  uv_mutex_unlock(&srv->pending_mu);
}

/* The root of size k: committed, or (k beyond the committed tree) the pending batch's. */
static int root_at(struct daemon_server *srv, const struct pending_view *pv, uint64_t k, uint8_t out[PROTO_HASH_BYTES]) {
  if (k <= ledger_tree_size(srv->ledger)) return ledger_root(srv->ledger, k, out);
  if (k != pv->to) return PROTO_E_BAD_ARGUMENT;
  memcpy(out, pv->root, PROTO_HASH_BYTES);
  return 0;
}

/* The standby's confirmation of (from, root): recorded when the roots agree; a standby holding
 * another tree is logged once per size, and refused. A confirmation of the pending batch (from
 * its end) is compared with the root its commit gives: it may come before that commit ends. */
static int stream_confirm(struct daemon_server *srv, const struct daemon_request *r,
                          const struct pending_view *pv, uint64_t from) {
  char hex[2 * PROTO_HASH_BYTES + 2];
  uint8_t mine[PROTO_HASH_BYTES], theirs[PROTO_HASH_BYTES + 1];
  if (daemon_query_get(r->query, "root", hex, sizeof hex) < 0) return 0; /* a reader, not a standby */
  long n = proto_hex_decode(hex, strlen(hex), theirs, sizeof theirs);
  if (n != PROTO_HASH_BYTES || root_at(srv, pv, from, mine)) return PROTO_E_BAD_ARGUMENT;
  if (memcmp(mine, theirs, sizeof mine)) {
    if (srv->standby_diverged_at != from)
      daemon_log(DAEMON_LOG_ERR, "the standby's tree of size %llu has another root than ours: it "
                 "diverged; its confirmations are refused", (unsigned long long)from);
    srv->standby_diverged_at = from;
    return PROTO_E_INCONSISTENT;
  }
  if (from > __atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE))
    __atomic_store_n(&srv->standby_confirmed, from, __ATOMIC_RELEASE);
  srv->standby_seen_ms = daemon_now_ms();
  daemon_writer_standby_confirmed(srv);
  return 0;
}

static json_t *stream_entries(struct daemon_server *srv, uint64_t from, uint64_t end, int *err) {
  json_t *list = json_array();
  uint8_t *buf = malloc(PROTO_ENTRY_BYTES_MAX + PROTO_LEGS_BYTES_MAX);
  *err = buf && list ? 0 : PROTO_E_NO_MEMORY;
  for (uint64_t i = from; i < end && !*err; i++) {
    long n = ledger_entry_get(srv->ledger, i, buf, PROTO_ENTRY_BYTES_MAX);
    if (n < 0) {
      *err = (int)n;
      break;
    }
    json_t *e = json_pack("{s:I,s:o}", "index", (json_int_t)i, "leaf", api__b64(buf, (size_t)n));
    long ln = ledger_entry_legs(srv->ledger, i, buf + PROTO_ENTRY_BYTES_MAX, PROTO_LEGS_BYTES_MAX);
    if (ln > 0) json_object_set_new(e, "legs_blob", api__b64(buf + PROTO_ENTRY_BYTES_MAX, (size_t)ln));
    else if (ln != PROTO_E_NOT_FOUND) *err = (int)ln;
    json_array_append_new(list, e);
  }
  free(buf);
  return list;
}

/* The pending batch's entries (pv's, when it is still the pending one), as stream_entries. */
static json_t *pending_entries(struct daemon_server *srv, const struct pending_view *pv, int *err) {
  json_t *list = json_array();
  *err = list ? 0 : PROTO_E_NO_MEMORY;
  uv_mutex_lock(&srv->pending_mu);
  if (srv->pending_from != pv->from || srv->pending_to != pv->to) *err = PROTO_E_BUSY; /* replaced, or dropped */
  for (uint64_t i = pv->from; i < pv->to && !*err; i++) {
    const struct ledger_entry_in *in = &srv->pending_in[i - pv->from];
    json_t *e = json_pack("{s:I,s:o}", "index", (json_int_t)i, "leaf", api__b64(in->leaf, in->leaf_len));
    if (in->legs_len) json_object_set_new(e, "legs_blob", api__b64(in->legs, in->legs_len));
    json_array_append_new(list, e);
  }
  uv_mutex_unlock(&srv->pending_mu);
  return list;
}

/* Tests only (QUOTAD_TEST_BEFORE_COMMIT=exit:N or fail:N): the batch that reaches tree size N,
 * once sent ahead and confirmed by the standby (at most 5 s), ends the process before its commit
 * (a crash in that window) or fails its commit (a storage fault). */
static void daemon_standby_test_setup(struct daemon_server *srv) {
  const char *v = getenv("QUOTAD_TEST_BEFORE_COMMIT");
  unsigned long long n = 0;
  char mode[8] = "";
  if (!v || sscanf(v, "%7[a-z]:%llu", mode, &n) != 2) return;
  srv->test_before_commit = !strcmp(mode, "exit") ? 1 : !strcmp(mode, "fail") ? 2 : 0;
  srv->test_before_commit_size = n;
  if (srv->test_before_commit)
    daemon_log(DAEMON_LOG_WARNING, "TEST: the batch reaching size %llu will %s before its commit", n,
               srv->test_before_commit == 1 ? "end the process" : "fail");
}

static int daemon_standby_test_before_commit(struct daemon_server *srv, uint64_t to) {
  if (to < srv->test_before_commit_size) return 0;
  for (int i = 0; i < 5000 && __atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE) < to; i++) usleep(1000);
  daemon_log(DAEMON_LOG_WARNING, "TEST: the batch up to size %llu was sent ahead (confirmed up to %llu); "
             "%s before its commit", (unsigned long long)to,
             (unsigned long long)__atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE),
             srv->test_before_commit == 1 ? "ending the process" : "failing it");
  if (srv->test_before_commit == 1) _exit(75);
  srv->test_before_commit = 0;
  return PROTO_E_STORAGE;
}

int daemon_standby_precommit(void *ctx, uint64_t from, uint64_t to, const uint8_t root[PROTO_HASH_BYTES],
                             const struct ledger_entry_in *in) {
  struct daemon_server *srv = ctx;
  size_t n = (size_t)(to - from), bytes = 0;
  for (size_t i = 0; i < n; i++) bytes += in[i].leaf_len + in[i].legs_len;
  uv_mutex_lock(&srv->pending_mu);
  srv->pending_to = 0; /* none, until the copy is whole */
  bool fits = n <= STREAM_PAGE_ENTRIES_MAX; /* a larger batch goes to the standby once committed */
  if (fits && bytes > srv->pending_cap) {
    uint8_t *nb = realloc(srv->pending_buf, bytes);
    fits = nb != NULL;
    if (nb) srv->pending_buf = nb, srv->pending_cap = bytes;
  }
  for (size_t i = 0, off = 0; fits && i < n; i++) {
    struct ledger_entry_in *e = &srv->pending_in[i];
    memcpy(srv->pending_buf + off, in[i].leaf, in[i].leaf_len);
    *e = (struct ledger_entry_in){.leaf = srv->pending_buf + off, .leaf_len = in[i].leaf_len};
    off += in[i].leaf_len;
    if (in[i].legs_len) {
      memcpy(srv->pending_buf + off, in[i].legs, in[i].legs_len);
      e->legs = srv->pending_buf + off;
      e->legs_len = in[i].legs_len;
      off += in[i].legs_len;
    }
  }
  if (fits) {
    srv->pending_from = from;
    srv->pending_to = to;
    memcpy(srv->pending_root, root, PROTO_HASH_BYTES);
  }
  uv_mutex_unlock(&srv->pending_mu);
  if (fits) uv_async_send(&srv->pending_async);
  return srv->test_before_commit ? daemon_standby_test_before_commit(srv, to) : 0;
}

bool daemon_standby_pending_drop(struct daemon_server *srv, uint64_t from) {
  uv_mutex_lock(&srv->pending_mu);
  bool sent = srv->pending_to > from && srv->pending_from == from;
  if (sent) srv->pending_to = 0;
  uv_mutex_unlock(&srv->pending_mu);
  return sent;
}

static void on_pending(uv_async_t *a) {
  daemon_streams_resume(a->data, 0, true); /* the standby's waiting request takes the batch */
}

int daemon_standby_pending_start(struct daemon_server *srv) {
  srv->pending_in = calloc(STREAM_PAGE_ENTRIES_MAX, sizeof *srv->pending_in);
  if (!srv->pending_in) return PROTO_E_NO_MEMORY;
  uv_mutex_init(&srv->pending_mu);
  uv_async_init(srv->loop, &srv->pending_async, on_pending);
  srv->pending_async.data = srv;
  daemon_standby_test_setup(srv);
  return 0;
}

void daemon_standby_pending_stop(struct daemon_server *srv) {
  if (!srv->pending_in) return;
  uv_close((uv_handle_t *)&srv->pending_async, NULL);
  uv_mutex_destroy(&srv->pending_mu);
  free(srv->pending_in);
  free(srv->pending_buf);
  srv->pending_in = NULL;
  srv->pending_buf = NULL;
}

/* Whether a stream request with nothing new waits (the loop answers it when a batch is committed
 * or at *until, daemon_streams_resume): only on a primary that is not stopping, and only until the
 * deadline set the first time it waited. */
static bool stream_wait(struct daemon_server *srv, uint64_t wait_ms, uint64_t *until) {
  uint64_t now = daemon_now_ms();
  bool may = wait_ms > 0 && !srv->stopping && __atomic_load_n(&srv->cfg->follow[0], __ATOMIC_ACQUIRE) == '\0' &&
             (*until != 0 || daemon_streams_parked(srv) < STREAMS_PARKED_MAX);
  if (may && *until == 0) *until = now + wait_ms;
  if (may && now < *until) return true;
  *until = 0;
  return false;
}

struct stream_args {
  uint64_t from, limit, wait_ms, pending;
};

/* The query's numbers; NULL, or why one is refused (400 bad_argument). */
static const char *stream_args_parse(const struct daemon_request *r, struct stream_args *a) {
  if (api__query_u64(r, "limit", STREAM_PAGE_ENTRIES_MAX, &a->limit) || a->limit > STREAM_PAGE_ENTRIES_MAX)
    return "limit is 0 to 1000";
  if (api__query_u64(r, "wait_ms", 0, &a->wait_ms) || a->wait_ms > STREAM_WAIT_MS_MAX) return "wait_ms is 0 to 1000";
  if (api__query_u64(r, "pending", 0, &a->pending) || a->pending > 1) return "pending is 0 or 1";
  if (api__query_u64(r, "from", 0, &a->from)) return "from must be a tree size";
  return NULL;
}

bool daemon_standby_stream(struct daemon_server *srv, const struct daemon_principal *p,
                           const struct daemon_request *r, struct daemon_reply *reply, bool ka,
                           uint64_t *until) {
  assert(p->authenticated);
  if (!daemon_may_read_all(p))
    return daemon_reply_error(reply, PROTO_E_FORBIDDEN, "the stream is for a standby's operator or auditor key", ka), false;
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  struct stream_args a = {0};
  long cn = ledger_checkpoint_latest(srv->ledger, note, sizeof note);
  /* With standby.sync the first checkpoint waits for the standby's confirmation of the genesis:
   * until then the page goes without one (the standby verifies the genesis with the log key). */
  bool unsigned_start = cn == PROTO_E_NOT_FOUND && srv->cfg->standby_sync && ledger_origin(srv->ledger)[0];
  if (cn < 0 && !unsigned_start) return daemon_reply_error(reply, (int)cn, "no checkpoint yet", ka), false;
  const char *bad = stream_args_parse(r, &a);
  if (bad) return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, bad, ka), false;
  uint64_t from = a.from, limit = a.limit;
  /* Every committed entry, also past the latest checkpoint: with standby.sync the checkpoint is
   * signed only once the standby confirmed them. The standby checks each checkpoint it is sent
   * against its own tree (follow.c). With pending=1 also the batch being committed (top is then
   * its end), when it fits the page. */
  struct pending_view pv = {0};
  if (a.pending && srv->pending_in) pending_view(srv, &pv);
  uint64_t size = ledger_tree_size(srv->ledger);
  bool known = pv.to > size; /* a batch being committed: sent ahead of its commit, the next one */
  PROTO_ASSERT(!known || pv.from == size);
  uint64_t top = known ? pv.to : size;
  if (from > top) {
    char why[160];
    snprintf(why, sizeof why, "from must be at most the tree size (%llu): a standby ahead of its "
             "primary holds entries the primary lost before its commit", (unsigned long long)top);
    return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, why, ka), false;
  }
  int rc = stream_confirm(srv, r, &pv, from);
  if (rc) return daemon_reply_error(reply, rc, "root at from", ka), false;
  /* the pending batch goes whole, when it fits the page (else once committed) */
  bool ahead = known && from == pv.from && pv.to - pv.from <= limit;
  bool nothing = from >= size && !ahead;
  /* Nothing new: wait for the next batch rather than have the standby ask again and again. */
  if (nothing && stream_wait(srv, a.wait_ms, until)) return true;
  uint64_t end = ahead ? pv.to : nothing ? from : size - from > limit ? from + limit : size;
  uint8_t root[PROTO_HASH_BYTES];
  json_t *list = ahead ? pending_entries(srv, &pv, &rc) : NULL;
  if (rc == PROTO_E_BUSY) { /* replaced since (so committed) or dropped (its commit failed) */
    json_decref(list);
    list = NULL;
    ahead = false;
    pv.to = 0;
    top = size = ledger_tree_size(srv->ledger);
    end = from < size && size - from > limit ? from + limit : size; /* what is committed */
    rc = 0;
  }
  if (!ahead) list = stream_entries(srv, from, end, &rc);
  if (!rc) rc = root_at(srv, &pv, end, root);
  if (rc) {
    json_decref(list);
    return daemon_reply_error(reply, rc, NULL, ka), false;
  }
  json_t *ans = json_pack("{s:I,s:I,s:o,s:o}", "tree_size", (json_int_t)top, "end", (json_int_t)end,
                          "root", api__b64(root, sizeof root), "entries", list);
  if (!unsigned_start) json_object_set_new(ans, "checkpoint", json_string(note));
  if (ahead) json_object_set_new(ans, "pending", json_true()), daemon_metrics_sent_ahead(); /* not durable here yet */
  char *pub = malloc(DAEMON_PUBLISHED_BYTES_MAX); /* with a witness policy: the cosigned note */
  /* with a policy the cosigned note; with etcd and none, the one its swap let through */
  if (pub && (srv->publisher || srv->cfg->etcd_endpoints[0]) && daemon_published_checkpoint(srv, pub, DAEMON_PUBLISHED_BYTES_MAX) > 0)
    json_object_set_new(ans, "published", json_string(pub));
  free(pub);
  api__reply_json(reply, 200, ans, ka);
  return false;
}

/* The witnesses' latest cosigned checkpoints as a lower bound (with a witness policy). A witness
 * that does not answer bounds nothing: said in the log and in the promotion's answer. */
static int promote_witnesses(struct daemon_server *srv, char *why, size_t cap) {
  unsigned asked = 0, answered = 0;
  int rc = daemon_witnesses_floor(srv, &asked, &answered, why, cap);
  srv->promote_witnesses_asked = asked;
  srv->promote_witnesses_answered = answered;
  if (rc || asked == 0) return rc;
  daemon_log(answered == asked ? DAEMON_LOG_NOTICE : DAEMON_LOG_WARNING,
             "promote: %u of %u witnesses answered; the tree (size %llu) holds every checkpoint they "
             "cosigned%s", answered, asked, (unsigned long long)ledger_tree_size(srv->ledger),
             answered == asked ? "" : " (an unreachable witness bounds nothing: what only it cosigned is not checked)");
  return 0;
}

/* The latest published checkpoint this node can learn, judged against its tree: etcd's (through
 * daemon_etcd_start's reading, again now), the high-water file, known_checkpoint. */
static int promote_check(struct daemon_server *srv, char *why, size_t cap) {
  const char *files[] = {srv->high_water_path, srv->cfg->known_checkpoint};
  for (size_t i = 0; i < 2; i++) {
    char note[TLOG_CHECKPOINT_BYTES_MAX + 1];
    uint64_t learned = 0;
    if (!files[i][0]) continue;
    long n = daemon_checkpoint_file_read(files[i], note, sizeof note);
    if (n == PROTO_E_NOT_FOUND) continue;
    if (n < 0) return snprintf(why, cap, "%s cannot be read", files[i]), PROTO_E_STORAGE;
    int rc = daemon_highwater_judge(srv, note, (size_t)n, files[i], &learned, why, cap);
    if (rc) return rc;
  }
  int rc = promote_witnesses(srv, why, cap);
  if (rc) return rc;
  /* etcd last: the epoch write compares the revisions read here (daemon_etcd_promote) */
  srv->etcd_ready = false;
  rc = daemon_etcd_start(srv); /* etcd's checkpoint: read-only when the tree is behind it */
  PROTO_ASSERT(srv->cfg->follow[0] == '\0'); /* judged as the primary it is about to become */
  if (!rc && srv->read_only) rc = PROTO_E_READ_ONLY, snprintf(why, cap, "%s", srv->read_only_why);
  return rc;
}

/* Leaves the primary, judges the tree against what can be learned, writes the new epoch. */
static int promote_steps(struct daemon_server *srv, char *why, size_t cap) {
  daemon_follow_stop(srv); /* the follower ends its batch: nothing else writes the ledger now */
  /* Every entry's signatures verified before anything is judged: the follower confirmed batches
   * before its verifier reached them. A divergence (now or before) keeps this node a stopped
   * standby: it never writes. */
  int vrc = daemon_follow_verify_rest(srv, why, cap);
  if (vrc) {
    daemon_log(DAEMON_LOG_ERR, "promote refused: %s (%s)", why, proto_err_name(vrc));
    return vrc;
  }
  /* What a standby was judged at start (behind its own high-water file, say) is judged again now. */
  char primary[sizeof srv->cfg->follow];
  snprintf(primary, sizeof primary, "%s", srv->cfg->follow);
  __atomic_store_n(&srv->cfg->follow[0], '\0', __ATOMIC_RELEASE);
  __atomic_store_n(&srv->read_only, false, __ATOMIC_RELEASE);
  srv->checkpoint_hidden = false;
  int rc = promote_check(srv, why, cap);
  if (!rc) rc = daemon_etcd_promote(srv);
  if (rc == PROTO_E_PROMOTION_LOST)
    snprintf(why, cap, "the etcd epoch or checkpoint changed between this promotion's check and its "
             "epoch write: another node was promoted or published meanwhile; not promoted");
  if (rc) {
    if (!why[0]) snprintf(why, cap, "etcd: the new epoch could not be written");
    daemon_log(DAEMON_LOG_ERR, "promote refused: %s (%s)", why, proto_err_name(rc));
    if (!srv->read_only) snprintf(srv->read_only_why, sizeof srv->read_only_why, "promote refused: %s", why);
    __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE); /* neither standby nor primary now */
    return rc;
  }
  __atomic_store_n(&srv->standby_confirmed, 0, __ATOMIC_RELEASE);
  /* Its whole (verified) tree now, as the primary it is: only once judged against every checkpoint
   * it could learn and its epoch written, never before (a refused promotion signs nothing). */
  daemon_follow_sign_verified(srv, UINT64_MAX);
  daemon_log(DAEMON_LOG_NOTICE, "promote: the new epoch is written; this node followed %s", primary);
  return 0;
}

/* While promoting (server.h) the node neither publishes nor takes writes: the publisher would
 * otherwise swap with the revisions this node read as a standby and be superseded by its own
 * promotion's epoch, and a write would be acknowledged before that epoch exists. */
int daemon_standby_promote_now(struct daemon_server *srv, char *why, size_t cap) {
  PROTO_ASSERT(srv->cfg->follow[0] != '\0' && cap > 0);
  __atomic_store_n(&srv->promoting, true, __ATOMIC_RELEASE);
  int rc = promote_steps(srv, why, cap);
  __atomic_store_n(&srv->promoting, false, __ATOMIC_RELEASE);
  if (!rc) {
    daemon_publish_fenced_start(srv); /* the old primary's last signed one may never have passed its swap */
    daemon_log(DAEMON_LOG_NOTICE, "PROMOTED: this node is the primary now (tree size %llu); writes are "
               "accepted", (unsigned long long)ledger_tree_size(srv->ledger));
  }
  return rc;
}

void daemon_standby_promote(struct daemon_server *srv, const struct daemon_principal *p,
                            struct daemon_reply *reply, bool ka) {
  if (!p->local && !(p->authenticated && p->role == PROTO_ROLE_OPERATOR))
    return daemon_reply_error(reply, PROTO_E_FORBIDDEN, "promote: the Unix socket or an operator key", ka);
  if (!srv->cfg->follow[0]) return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, "this node is no standby", ka);
  char why[sizeof srv->read_only_why] = "";
  int rc = daemon_standby_promote_now(srv, why, sizeof why);
  if (rc) return daemon_reply_error(reply, rc, why, ka);
  api__reply_json(reply, 200, json_pack("{s:s,s:I,s:I,s:{s:i,s:i}}", "status", "primary", "tree_size",
                                        (json_int_t)ledger_tree_size(srv->ledger), "epoch_revision",
                                        (json_int_t)srv->etcd_epoch_mod, "witnesses", "asked",
                                        (int)srv->promote_witnesses_asked, "answered",
                                        (int)srv->promote_witnesses_answered), ka);
}

/* The writer's side of standby.sync: see server.h. */
int daemon_standby_wait(struct daemon_server *srv, uint64_t size) {
  PROTO_ASSERT(srv->cfg->standby_sync);
  if (__atomic_load_n(&srv->standby_alone, __ATOMIC_ACQUIRE)) return 0;
  uint64_t timeout_ns = (uint64_t)srv->cfg->standby_timeout_ms * 1000000u, start = uv_hrtime();
  bool stalled = __atomic_load_n(&srv->standby_stalled, __ATOMIC_ACQUIRE), confirmed = false;
  uv_mutex_lock(&srv->writer_mu);
  for (;;) {
    confirmed = __atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE) >= size;
    uint64_t waited = uv_hrtime() - start;
    /* stalled: the standby must come back first; no batch waits the whole timeout again */
    if (confirmed || stalled || srv->writer_quit || waited >= timeout_ns) break;
    (void)uv_cond_timedwait(&srv->sync_cv, &srv->writer_mu, timeout_ns - waited);
  }
  uv_mutex_unlock(&srv->writer_mu);
  if (confirmed) return 0;
  if (srv->cfg->standby_required) {
    if (!__atomic_exchange_n(&srv->standby_stalled, true, __ATOMIC_ACQ_REL))
      daemon_log(DAEMON_LOG_ERR, "standby away: tree size %llu not confirmed within %u ms; writes "
                 "stall (503 standby_away) until it confirms (standby.required)",
                 (unsigned long long)size, srv->cfg->standby_timeout_ms);
    return PROTO_E_STANDBY_AWAY;
  }
  __atomic_store_n(&srv->standby_alone, true, __ATOMIC_RELEASE);
  daemon_log(DAEMON_LOG_ERR, "standby away: tree size %llu not confirmed within %u ms; going on "
             "ALONE: a failover now could lose acknowledged transactions",
             (unsigned long long)size, srv->cfg->standby_timeout_ms);
  return 0;
}
