/* lease: optional automatic failover (etcd.lease_ttl_s, off by default). The primary keeps
 * quotad/<origin>/leader under an etcd lease, renewed every third of its time to live; a standby
 * that saw a leader and then finds the key gone (the primary stopped renewing it: dead, paused or
 * cut off) takes the key under its own lease and promotes itself, as `quotactl promote` would.
 * The lease only names which node tries to lead: the epoch swap stays the fence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon/server.h"

#define LEASE_SLEEP_STEP_US 50000u /* the thread looks at quit this often */

static bool lease_is_standby(struct daemon_server *srv) {
  return __atomic_load_n(&srv->cfg->follow[0], __ATOMIC_ACQUIRE) != '\0';
}

/* A new lease of ttl seconds: 0 and *id, or a code. */
static int lease_grant(struct daemon_server *srv, json_int_t *id) {
  json_t *ans = NULL;
  json_t *body = json_pack("{s:I}", "TTL", (json_int_t)srv->cfg->etcd_lease_ttl_s);
  int rc = daemon__etcd_call(srv, "/v3/lease/grant", body, &ans);
  if (rc) return rc;
  const char *s = json_string_value(json_object_get(ans, "ID"));
  *id = s ? (json_int_t)strtoll(s, NULL, 10) : 0;
  json_decref(ans);
  return *id ? 0 : PROTO_E_BUSY;
}

/* Puts the leader key (this node's name) under lease id; with only_if_absent, as one transaction
 * that succeeds only while no one holds it. *won tells whether the put happened. */
static int leader_put(struct daemon_server *srv, json_int_t id, bool only_if_absent, bool *won) {
  char key[256], name[300];
  daemon__etcd_key(srv, "leader", key, sizeof key);
  char host[128] = "";
  (void)gethostname(host, sizeof host - 1);
  snprintf(name, sizeof name, "%s pid %ld %s", host, (long)getpid(), srv->cfg->listen);
  json_t *put = json_pack("{s:{s:o,s:o,s:I}}", "request_put", "key", daemon__etcd_b64(key, strlen(key)),
                          "value", daemon__etcd_b64(name, strlen(name)), "lease", id);
  json_t *cmp = json_array();
  if (only_if_absent)
    json_array_append_new(cmp, json_pack("{s:o,s:s,s:s,s:I}", "key", daemon__etcd_b64(key, strlen(key)),
                                         "target", "CREATE", "result", "EQUAL", "create_revision", (json_int_t)0));
  json_t *ans = NULL;
  int rc = daemon__etcd_call(srv, "/v3/kv/txn", json_pack("{s:o,s:[o]}", "compare", cmp, "success", put), &ans);
  if (!rc) *won = json_is_true(json_object_get(ans, "succeeded"));
  json_decref(ans);
  return rc;
}

/* Is the leader key held? 0 and *present, or a code. */
static int leader_present(struct daemon_server *srv, bool *present) {
  char key[256];
  daemon__etcd_key(srv, "leader", key, sizeof key);
  json_t *ans = NULL;
  json_t *body = json_pack("{s:o}", "key", daemon__etcd_b64(key, strlen(key)));
  int rc = daemon__etcd_call(srv, "/v3/kv/range", body, &ans);
  if (!rc) *present = json_array_size(json_object_get(ans, "kvs")) > 0;
  json_decref(ans);
  return rc;
}

/* One round: the primary renews its claim; a standby that saw a leader vanish claims the key. */
static void lease_round(struct daemon_server *srv, bool *seen) {
  json_int_t id = 0;
  bool won = false, present = true;
  if (!lease_is_standby(srv)) {
    /* a superseded or read-only node does not claim to lead */
    if (!__atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE) && !lease_grant(srv, &id))
      (void)leader_put(srv, id, false, &won);
    return;
  }
  if (__atomic_load_n(&srv->follow_failed, __ATOMIC_ACQUIRE) || leader_present(srv, &present)) return;
  if (present) {
    *seen = true;
    return;
  }
  if (!*seen || lease_grant(srv, &id) || leader_put(srv, id, true, &won) || !won) return;
  daemon_log(DAEMON_LOG_WARNING, "lease: the primary's leader lease expired and this standby took "
             "it: promoting itself (etcd.lease_ttl_s %u)", srv->cfg->etcd_lease_ttl_s);
  uv_async_send(&srv->lease_async);
}

static void lease_main(void *arg) {
  struct daemon_server *srv = arg;
  bool seen = false;
  uint64_t step_us = (uint64_t)srv->cfg->etcd_lease_ttl_s * 1000000u / 3u;
  while (!__atomic_load_n(&srv->lease_quit, __ATOMIC_ACQUIRE)) {
    lease_round(srv, &seen);
    for (uint64_t slept = 0; slept < step_us && !__atomic_load_n(&srv->lease_quit, __ATOMIC_ACQUIRE);
         slept += LEASE_SLEEP_STEP_US)
      usleep(LEASE_SLEEP_STEP_US);
  }
}

/* The loop thread: the promotion the lease thread asked for. */
static void on_lease_won(uv_async_t *a) {
  struct daemon_server *srv = a->data;
  char why[sizeof srv->read_only_why] = "";
  if (!srv->cfg->follow[0]) return; /* promoted meanwhile by an operator */
  int rc = daemon_standby_promote_now(srv, why, sizeof why);
  if (rc) daemon_log(DAEMON_LOG_ERR, "lease: self-promotion refused: %s", why[0] ? why : proto_err_message(rc));
}

int daemon_lease_start(struct daemon_server *srv) {
  if (!srv->cfg->etcd_lease_ttl_s || !srv->cfg->etcd_endpoints[0]) return 0;
  PROTO_ASSERT(!srv->lease_started);
  uv_async_init(srv->loop, &srv->lease_async, on_lease_won);
  srv->lease_async.data = srv;
  if (uv_thread_create(&srv->lease_thread, lease_main, srv)) {
    uv_close((uv_handle_t *)&srv->lease_async, NULL);
    return PROTO_E_NO_MEMORY;
  }
  srv->lease_started = true;
  return 0;
}

void daemon_lease_stop(struct daemon_server *srv) {
  if (!srv->lease_started) return;
  __atomic_store_n(&srv->lease_quit, true, __ATOMIC_RELEASE);
  uv_thread_join(&srv->lease_thread);
  uv_close((uv_handle_t *)&srv->lease_async, NULL);
  srv->lease_started = false;
}
