/* etcd: the fence of publication and acknowledgement (etcd.endpoints, its v3 JSON gateway over
 * the project's libcurl client). quotad/<origin>/epoch is written by a promotion; every checkpoint
 * becomes public only by one transaction that compares the mod_revision of the epoch and of the
 * last checkpoint with what this node saw and puts the new checkpoint. A failed swap means another
 * node was promoted: this node stops writing and sends that checkpoint nowhere. */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon/server.h"
#include "tools/common/http_client.h"

#define ETCD_KEY_BYTES_MAX 256u
#define ETCD_REQUEST_MS_MAX 2000L /* one etcd request; then the next endpoint */
#define ETCD_TEST_PAUSE_MS_MAX 60000ul /* the promotion test hook's pause */

/* The writer (the epoch check, or the swap without a witness policy), the publisher (the swap) and
 * a promotion (the loop thread) share the revisions this node saw: one at a time. */
static pthread_mutex_t etcd_mu = PTHREAD_MUTEX_INITIALIZER;

json_t *daemon__etcd_b64(const void *data, size_t len) {
  char out[4 * (TLOG_CHECKPOINT_BYTES_MAX / 3) + 8];
  if (proto_base64_encode(data, len, out, sizeof out) < 0) return NULL;
  return json_string(out);
}

void daemon__etcd_key(const struct daemon_server *srv, const char *leaf, char *out, size_t cap) {
  snprintf(out, cap, "quotad/%s/%s", ledger_origin(srv->ledger), leaf);
}

/* POSTs body to each endpoint in turn until one answers 200. Returns 0 and *out, or a code. */
int daemon__etcd_call(struct daemon_server *srv, const char *path, json_t *body, json_t **out) {
  char eps[sizeof srv->cfg->etcd_endpoints], *save = NULL;
  snprintf(eps, sizeof eps, "%s", srv->cfg->etcd_endpoints);
  int rc = PROTO_E_BUSY;
  for (char *ep = strtok_r(eps, ",", &save); ep && rc; ep = strtok_r(NULL, ",", &save)) {
    struct http_client *h = http_client_new(ep, NULL);
    if (h) http_client_set_timeout_ms(h, ETCD_REQUEST_MS_MAX);
    long status = 0;
    *out = NULL;
    rc = h ? http_json(h, "POST", path, body, false, &status, out) : PROTO_E_NO_MEMORY;
    if (!rc && status != 200) {
      rc = PROTO_E_BUSY;
      json_decref(*out);
      *out = NULL;
    }
    http_client_free(h);
  }
  json_decref(body);
  return rc ? PROTO_E_BUSY : 0; /* no endpoint answered: the caller acknowledges nothing */
}

static uint64_t json_u64(json_t *v) {
  if (json_is_integer(v)) return (uint64_t)json_integer_value(v);
  return json_is_string(v) ? strtoull(json_string_value(v), NULL, 10) : 0;
}

/* The key's mod_revision (0 when absent) and value (when out is not NULL). */
static int etcd_get(struct daemon_server *srv, const char *key, uint64_t *mod, char *out, size_t cap) {
  json_t *ans = NULL;
  int rc = daemon__etcd_call(srv, "/v3/kv/range", json_pack("{s:o}", "key", daemon__etcd_b64(key, strlen(key))), &ans);
  if (rc) return rc;
  json_t *kv = json_array_get(json_object_get(ans, "kvs"), 0);
  *mod = kv ? json_u64(json_object_get(kv, "mod_revision")) : 0;
  if (out && cap) {
    const char *v = json_string_value(json_object_get(kv, "value"));
    long n = v ? proto_base64_decode(v, strlen(v), (uint8_t *)out, cap - 1) : 0;
    out[n > 0 ? n : 0] = '\0';
  }
  json_decref(ans);
  return 0;
}

/* One transaction: if every (key, mod_revision) compares equal, put value at put_key. *rev
 * receives the revision of the put. Returns 0, PROTO_E_SUPERSEDED when a compare failed, or a
 * transport code. */
static int etcd_swap(struct daemon_server *srv, const char *const *keys, const uint64_t *mods,
                     size_t n, const char *put_key, const char *value, size_t len, uint64_t *rev) {
  json_t *cmp = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(cmp, json_pack("{s:o,s:s,s:s,s:I}", "key", daemon__etcd_b64(keys[i], strlen(keys[i])),
                                         "target", "MOD", "result", "EQUAL", "mod_revision", (json_int_t)mods[i]));
  json_t *put = json_pack("[{s:{s:o,s:o}}]", "request_put", "key", daemon__etcd_b64(put_key, strlen(put_key)),
                          "value", daemon__etcd_b64(value, len));
  json_t *ans = NULL;
  int rc = daemon__etcd_call(srv, "/v3/kv/txn", json_pack("{s:o,s:o}", "compare", cmp, "success", put), &ans);
  if (rc) return rc;
  bool ok = json_is_true(json_object_get(ans, "succeeded"));
  *rev = json_u64(json_object_get(json_object_get(ans, "header"), "revision"));
  json_decref(ans);
  return ok ? 0 : PROTO_E_SUPERSEDED;
}

static void superseded(struct daemon_server *srv, const char *why) {
  if (__atomic_exchange_n(&srv->etcd_superseded, true, __ATOMIC_ACQ_REL)) return;
  snprintf(srv->read_only_why, sizeof srv->read_only_why, "%s", why);
  srv->checkpoint_hidden = true; /* its latest checkpoint was never swapped in: not public */
  __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE);
  daemon_log(DAEMON_LOG_ERR, "SUPERSEDED: %s", why);
}

/* Reads the epoch (creating epoch 1 for the registry's first primary) and the last checkpoint. */
static int etcd_init(struct daemon_server *srv) {
  char ek[ETCD_KEY_BYTES_MAX], ck[ETCD_KEY_BYTES_MAX], note[TLOG_CHECKPOINT_BYTES_MAX + 1];
  daemon__etcd_key(srv, "epoch", ek, sizeof ek);
  daemon__etcd_key(srv, "checkpoint", ck, sizeof ck);
  int rc = etcd_get(srv, ek, &srv->etcd_epoch_mod, NULL, 0);
  if (!rc) rc = etcd_get(srv, ck, &srv->etcd_cp_mod, note, sizeof note);
  if (!rc && srv->etcd_epoch_mod == 0 && !srv->cfg->follow[0]) {
    /* the registry's first primary: epoch 1, created only if nobody did meanwhile */
    const char *keys[] = {ek};
    uint64_t zero = 0;
    rc = etcd_swap(srv, keys, &zero, 1, ek, "1", 1, &srv->etcd_epoch_mod);
  }
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "etcd (%s): %s: without the fence this node does not start",
               srv->cfg->etcd_endpoints, proto_err_message(rc));
    return rc;
  }
  uint64_t learned = 0;
  char why[sizeof srv->read_only_why];
  /* A standby is behind etcd's checkpoint by design: it is judged when it is promoted. */
  if (srv->etcd_cp_mod && !srv->cfg->follow[0] &&
      daemon_highwater_judge(srv, note, strlen(note), "etcd", &learned, why, sizeof why)) {
    daemon_log(DAEMON_LOG_ERR, "READ-ONLY: %s", why);
    snprintf(srv->read_only_why, sizeof srv->read_only_why, "%s", why);
    __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE);
    srv->checkpoint_hidden = true;
  }
  daemon_log(DAEMON_LOG_NOTICE, "etcd fence: epoch revision %llu, checkpoint revision %llu",
             (unsigned long long)srv->etcd_epoch_mod, (unsigned long long)srv->etcd_cp_mod);
  srv->etcd_ready = true;
  srv->etcd_uncertain = false; /* the revisions were just read */
  return 0;
}

static int etcd_start_locked(struct daemon_server *srv) {
  if (!srv->cfg->etcd_endpoints[0]) return 0;
  /* The keys are named by the origin: before the genesis the fence starts with its first swap. */
  return ledger_origin(srv->ledger)[0] ? etcd_init(srv) : 0;
}

/* After a swap that got no answer, its transaction may still have been applied (a member that was
 * paused, say, reads it from its socket later): etcd's checkpoint then has a revision this node did
 * not see. While the epoch is still the one this node saw, nobody else writes the checkpoint (a
 * promotion writes the epoch first), so a checkpoint of this log that this tree holds is ours and
 * its revision is adopted; anything else means another node: superseded. */
static int etcd_resolve_locked(struct daemon_server *srv) {
  char ek[ETCD_KEY_BYTES_MAX], ck[ETCD_KEY_BYTES_MAX], note[TLOG_CHECKPOINT_BYTES_MAX + 1], why[256];
  daemon__etcd_key(srv, "epoch", ek, sizeof ek);
  daemon__etcd_key(srv, "checkpoint", ck, sizeof ck);
  uint64_t emod = 0, cmod = 0, learned = 0;
  int rc = etcd_get(srv, ek, &emod, NULL, 0);
  if (!rc) rc = etcd_get(srv, ck, &cmod, note, sizeof note);
  if (rc) return rc;
  srv->etcd_uncertain = false;
  if (emod == srv->etcd_epoch_mod && cmod == srv->etcd_cp_mod) return 0; /* it was not applied */
  if (emod == srv->etcd_epoch_mod && cmod > srv->etcd_cp_mod &&
      daemon_highwater_judge(srv, note, strlen(note), "etcd", &learned, why, sizeof why) == 0) {
    daemon_log(DAEMON_LOG_NOTICE, "etcd: the swap of size %llu that got no answer was applied "
               "(revision %llu)", (unsigned long long)learned, (unsigned long long)cmod);
    srv->etcd_cp_mod = cmod;
    return 0;
  }
  return PROTO_E_SUPERSEDED;
}

static int etcd_swap_locked(struct daemon_server *srv, const char *note, size_t len) {
  if (!srv->cfg->etcd_endpoints[0]) return 0;
  if (__atomic_load_n(&srv->etcd_superseded, __ATOMIC_ACQUIRE)) return PROTO_E_SUPERSEDED;
  int rc = srv->etcd_ready ? 0 : etcd_init(srv);
  if (!rc && srv->etcd_uncertain) rc = etcd_resolve_locked(srv);
  if (rc == PROTO_E_SUPERSEDED)
    superseded(srv, "etcd holds a checkpoint or an epoch this node did not write: another node was "
               "promoted; this node stopped writing and publishes nothing more");
  if (rc) return rc;
  char ek[ETCD_KEY_BYTES_MAX], ck[ETCD_KEY_BYTES_MAX];
  daemon__etcd_key(srv, "epoch", ek, sizeof ek);
  daemon__etcd_key(srv, "checkpoint", ck, sizeof ck);
  const char *keys[] = {ek, ck};
  uint64_t mods[] = {srv->etcd_epoch_mod, srv->etcd_cp_mod}, rev = 0;
  rc = etcd_swap(srv, keys, mods, 2, ck, note, len, &rev);
  if (rc == PROTO_E_SUPERSEDED && etcd_resolve_locked(srv) == 0 && srv->etcd_cp_mod != mods[1]) {
    /* A swap of ours that got no answer was applied only after the resolve above read etcd (its
     * request still sat in a paused member's socket): seen under load. Its revision is adopted as
     * there, under the same rule, and this swap runs once more. */
    mods[1] = srv->etcd_cp_mod;
    rc = etcd_swap(srv, keys, mods, 2, ck, note, len, &rev);
  }
  if (rc == 0) {
    srv->etcd_cp_mod = rev;
  } else if (rc == PROTO_E_SUPERSEDED) {
    superseded(srv, "the etcd swap of our checkpoint failed: another node was promoted (a new epoch, "
               "or a checkpoint we did not write); this node stopped writing and publishes nothing more");
  } else {
    srv->etcd_uncertain = true; /* applied or not: etcd_resolve_locked learns which */
    daemon_log(DAEMON_LOG_ERR, "etcd unreachable (%s): the batch is not acknowledged", proto_err_message(rc));
  }
  return rc;
}

/* A test hook (QUOTAD_TEST_PROMOTE_PAUSE_MS, at most ETCD_TEST_PAUSE_MS_MAX): a pause between the
 * promotion's reading of etcd and its epoch write, so that a test can change the epoch there. */
static void promote_test_pause(void) {
  const char *v = getenv("QUOTAD_TEST_PROMOTE_PAUSE_MS");
  unsigned long ms = v ? strtoul(v, NULL, 10) : 0;
  if (ms == 0) return;
  if (ms > ETCD_TEST_PAUSE_MS_MAX) ms = ETCD_TEST_PAUSE_MS_MAX;
  daemon_log(DAEMON_LOG_WARNING, "promote: pausing %lu ms before the epoch write (QUOTAD_TEST_PROMOTE_PAUSE_MS)", ms);
  struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) continue;
}

/* The new epoch, in one transaction that compares the epoch's and the checkpoint's mod_revision
 * with what the promotion's check read (daemon_etcd_start): a concurrent promotion, or a checkpoint
 * published since the check, makes it fail, so two promotions cannot both win. */
static int etcd_promote_locked(struct daemon_server *srv) {
  if (!srv->cfg->etcd_endpoints[0]) return 0;
  int rc = srv->etcd_ready ? 0 : etcd_init(srv);
  if (rc) return rc;
  PROTO_ASSERT(srv->etcd_epoch_mod != 0); /* etcd_init made epoch 1 when there was none */
  char ek[ETCD_KEY_BYTES_MAX], ck[ETCD_KEY_BYTES_MAX], value[64];
  daemon__etcd_key(srv, "epoch", ek, sizeof ek);
  daemon__etcd_key(srv, "checkpoint", ck, sizeof ck);
  snprintf(value, sizeof value, "%llu", (unsigned long long)daemon_now_ms());
  const char *keys[] = {ek, ck};
  uint64_t mods[] = {srv->etcd_epoch_mod, srv->etcd_cp_mod}, rev = 0;
  promote_test_pause();
  /* the new epoch: whoever held the old one fails its next swap */
  rc = etcd_swap(srv, keys, mods, 2, ek, value, strlen(value), &rev);
  if (rc == PROTO_E_SUPERSEDED) return PROTO_E_PROMOTION_LOST;
  if (!rc) srv->etcd_epoch_mod = rev;
  PROTO_ASSERT(rc || srv->etcd_epoch_mod > mods[0]);
  return rc;
}

/* The fence of an acknowledgement without a confirming standby, when the swap is the publisher's
 * (a witness policy): the epoch still the one this node saw. A linearizable read of its key. */
static int etcd_check_epoch_locked(struct daemon_server *srv) {
  if (__atomic_load_n(&srv->etcd_superseded, __ATOMIC_ACQUIRE)) return PROTO_E_SUPERSEDED;
  int rc = srv->etcd_ready ? 0 : etcd_init(srv);
  if (rc) return rc;
  char ek[ETCD_KEY_BYTES_MAX];
  daemon__etcd_key(srv, "epoch", ek, sizeof ek);
  uint64_t mod = 0;
  rc = etcd_get(srv, ek, &mod, NULL, 0);
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "etcd unreachable (%s): the batch is not acknowledged", proto_err_message(rc));
    return rc;
  }
  if (mod == srv->etcd_epoch_mod) return 0;
  superseded(srv, "the etcd epoch changed: another node was promoted; this node stopped writing "
             "and publishes nothing more");
  return PROTO_E_SUPERSEDED;
}

int daemon_etcd_start(struct daemon_server *srv) {
  pthread_mutex_lock(&etcd_mu);
  int rc = etcd_start_locked(srv);
  pthread_mutex_unlock(&etcd_mu);
  return rc;
}

int daemon_etcd_swap(struct daemon_server *srv, const char *note, size_t len) {
  if (!srv->cfg->etcd_endpoints[0]) return 0;
  pthread_mutex_lock(&etcd_mu);
  int rc = etcd_swap_locked(srv, note, len);
  pthread_mutex_unlock(&etcd_mu);
  return rc;
}

int daemon_etcd_check_epoch(struct daemon_server *srv) {
  if (!srv->cfg->etcd_endpoints[0]) return 0;
  pthread_mutex_lock(&etcd_mu);
  int rc = etcd_check_epoch_locked(srv);
  pthread_mutex_unlock(&etcd_mu);
  return rc;
}

int daemon_etcd_promote(struct daemon_server *srv) {
  pthread_mutex_lock(&etcd_mu);
  int rc = etcd_promote_locked(srv);
  pthread_mutex_unlock(&etcd_mu);
  return rc;
}
