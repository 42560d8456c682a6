/* standby (the primary's side): GET /v1/stream?from=N&root=R serves a following standby the
 * committed entries after N, with the legs stored beside them, the root at the page's end and the
 * latest checkpoint signed by the log key. Asking from N with the root of N is the standby's
 * confirmation that its tree of size N is durable: the primary records it and compares roots.
 * With standby.sync the writer waits for that confirmation before it signs and acknowledges. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/api_util.h"
#include "daemon/publish.h"

#define STREAM_PAGE_ENTRIES_MAX 1000u /* entries in one stream answer */
#define STREAM_WAIT_MS_MAX 1000u      /* longest a stream request with nothing new waits (wait_ms) */
/* Stream requests waiting at once: each is handled again at every commit, so their number bounds
 * that work (a standby or two need one each); more answer at once, as without wait_ms. */
#define STREAMS_PARKED_MAX 8u

/* The standby's confirmation of (from, root): recorded when the roots agree; a standby holding
 * another tree is logged once per size, and refused. */
static int stream_confirm(struct daemon_server *srv, const struct daemon_request *r, uint64_t from) {
  char hex[2 * PROTO_HASH_BYTES + 2];
  uint8_t mine[PROTO_HASH_BYTES], theirs[PROTO_HASH_BYTES + 1];
  if (daemon_query_get(r->query, "root", hex, sizeof hex) < 0) return 0; /* a reader, not a standby */
  long n = proto_hex_decode(hex, strlen(hex), theirs, sizeof theirs);
  if (n != PROTO_HASH_BYTES || ledger_root(srv->ledger, from, mine)) return PROTO_E_BAD_ARGUMENT;
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

bool daemon_standby_stream(struct daemon_server *srv, const struct daemon_principal *p,
                           const struct daemon_request *r, struct daemon_reply *reply, bool ka,
                           uint64_t *until) {
  assert(p->authenticated);
  if (!daemon_may_read_all(p))
    return daemon_reply_error(reply, PROTO_E_FORBIDDEN, "the stream is for a standby's operator or auditor key", ka), false;
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  uint64_t from = 0, limit = 0, wait_ms = 0;
  long cn = ledger_checkpoint_latest(srv->ledger, note, sizeof note);
  if (cn < 0) return daemon_reply_error(reply, (int)cn, "no checkpoint yet", ka), false;
  /* Every committed entry, also past the latest checkpoint: with standby.sync the checkpoint is
   * signed only once the standby confirmed them. The standby checks each checkpoint it is sent
   * against its own tree (follow.c). */
  uint64_t size = ledger_tree_size(srv->ledger);
  if (api__query_u64(r, "from", 0, &from) || from > size)
    return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, "from must be at most the tree size", ka), false;
  if (api__query_u64(r, "limit", STREAM_PAGE_ENTRIES_MAX, &limit) || limit > STREAM_PAGE_ENTRIES_MAX)
    return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, "limit is 0 to 1000", ka), false;
  if (api__query_u64(r, "wait_ms", 0, &wait_ms) || wait_ms > STREAM_WAIT_MS_MAX)
    return daemon_reply_error(reply, PROTO_E_BAD_ARGUMENT, "wait_ms is 0 to 1000", ka), false;
  int rc = stream_confirm(srv, r, from);
  if (rc) return daemon_reply_error(reply, rc, "root at from", ka), false;
  /* Nothing new: wait for the next commit rather than have the standby ask again and again. */
  if (from == size && stream_wait(srv, wait_ms, until)) return true;
  uint64_t end = size - from > limit ? from + limit : size;
  uint8_t root[PROTO_HASH_BYTES];
  json_t *list = stream_entries(srv, from, end, &rc);
  if (!rc) rc = ledger_root(srv->ledger, end, root);
  if (rc) {
    json_decref(list);
    return daemon_reply_error(reply, rc, NULL, ka), false;
  }
  json_t *ans = json_pack("{s:s,s:I,s:I,s:o,s:o}", "checkpoint", note, "tree_size", (json_int_t)size,
                          "end", (json_int_t)end, "root", api__b64(root, sizeof root), "entries", list);
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
