/* writer: group commit. The loop fills one batch while the writer thread commits the previous
 * one with a single ledger_apply (one fsync); the loop answers a batch's clients only after its
 * commit returned, then hands over the next batch. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/ack.h"
#include "daemon/publish.h"
#include "daemon/server.h"

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* After the commit, before any client hears ok (the writer's thread): with standby.sync the
 * standby's confirmation of the new tree, then the signature. Without a witness policy the
 * checkpoint is then published through the one publication pipeline (publish.c: etcd swap,
 * high-water file); with one the publisher thread does that, and acknowledgement is fenced here
 * by the standby's confirmation or, without a confirming standby, an etcd check of the epoch.
 * A code here answers the batch's accepted submissions instead of ok. */
static int commit_fence(struct daemon_server *srv) {
  PROTO_ASSERT(srv->inflight_rc == 0);
  int rc = srv->cfg->standby_sync ? daemon_standby_wait(srv, srv->inflight_info.tree_size) : 0;
  if (rc || !srv->inflight_info.accepted) return rc;
  rc = ledger_sign_latest(srv->ledger); /* deferred until now with standby.sync (ledger_config) */
  if (rc) return rc;
  if (!srv->publisher) return daemon_publish_signed(srv);
  bool confirmed = srv->cfg->standby_sync && !__atomic_load_n(&srv->standby_alone, __ATOMIC_ACQUIRE);
  return confirmed ? 0 : daemon_etcd_check_epoch(srv);
}

/* Waits (writer_mu held) for a batch or the end. While a signed checkpoint waits for its etcd
 * swap (publish.c), it tries that swap again every DAEMON_PUBLISH_RETRY_MS meanwhile. */
static void writer_wait(struct daemon_server *srv) {
  while (!srv->writer_has_work && !srv->writer_quit) {
    if (!daemon_publish_waiting_since_ms(srv)) {
      uv_cond_wait(&srv->writer_cv, &srv->writer_mu);
      continue;
    }
    if (uv_cond_timedwait(&srv->writer_cv, &srv->writer_mu, DAEMON_PUBLISH_RETRY_MS * 1000000ull) != UV_ETIMEDOUT ||
        srv->writer_has_work || srv->writer_quit)
      continue;
    uv_mutex_unlock(&srv->writer_mu); /* the loop hands over batches meanwhile */
    daemon_publish_retry(srv);
    uv_mutex_lock(&srv->writer_mu);
  }
}

void daemon_writer_wake(struct daemon_server *srv) {
  uv_mutex_lock(&srv->writer_mu);
  uv_cond_signal(&srv->writer_cv);
  uv_mutex_unlock(&srv->writer_mu);
}

static void writer_main(void *arg) {
  struct daemon_server *srv = arg;
  /* Named so that per-thread CPU (top -H, /proc/PID/task, quota-bench) tells the writer apart. */
  (void)pthread_setname_np(pthread_self(), "quotad-writer");
  for (;;) {
    uv_mutex_lock(&srv->writer_mu);
    writer_wait(srv);
    bool quit = srv->writer_quit && !srv->writer_has_work;
    struct daemon_batch *b = srv->inflight;
    srv->writer_has_work = false;
    uv_mutex_unlock(&srv->writer_mu);
    if (quit) return;
    PROTO_ASSERT(b != NULL && b->n > 0 && b->n <= srv->cfg->limits.batch_entries_max);
    uint64_t size_before = ledger_tree_size(srv->ledger);
    uint64_t t0 = now_us();
    memset(&srv->inflight_info, 0, sizeof srv->inflight_info);
    /* A read-only node signs nothing: not even what was already in the batch when it stopped. */
    bool ro = __atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE);
    srv->inflight_rc = ro ? PROTO_E_READ_ONLY
                          : ledger_apply(srv->ledger, b->subs, b->n, daemon_now_ms(), &srv->inflight_info);
    srv->inflight_errno = srv->inflight_rc == PROTO_E_STORAGE ? ledger_storage_errno() : 0;
    srv->inflight_fence = srv->inflight_rc == 0 ? commit_fence(srv) : 0;
    /* A signed acknowledgement only for what the fence let through. */
    srv->inflight_ack = srv->inflight_rc || srv->inflight_fence
                        ? NULL
                        : daemon_ack_make(ledger_origin(srv->ledger), srv->log_key, b->subs, b->n,
                                          srv->inflight_info.time_ms);
    srv->inflight_commit_us = now_us() - t0;
    /* A batch adds at most one entry per submission and never takes one away. */
    PROTO_ASSERT(srv->inflight_rc != 0 || (srv->inflight_info.tree_size >= size_before &&
                                           srv->inflight_info.tree_size - size_before <= b->n));
    uv_mutex_lock(&srv->writer_mu);
    srv->writer_done = true;
    uv_mutex_unlock(&srv->writer_mu);
    uv_async_send(&srv->writer_async);
  }
}

static void batch_reset(struct daemon_batch *b) {
  PROTO_ASSERT(b->subs != NULL || b->n == 0);
  for (size_t i = 0; i < b->n; i++) {
    free(b->bytes[i]);
    b->bytes[i] = NULL;
  }
  b->n = 0;
}

static void handoff(struct daemon_server *srv) {
  if (srv->writer_busy || srv->filling->n == 0) return;
  PROTO_ASSERT(srv->inflight->n == 0); /* the batch that came back was answered and emptied */
  if (srv->batch_timer_on) {
    uv_timer_stop(&srv->batch_timer);
    srv->batch_timer_on = false;
  }
  struct daemon_batch *t = srv->inflight;
  srv->inflight = srv->filling;
  srv->filling = t;
  srv->writer_busy = true;
  srv->inflight_start_us = now_us();
  uv_mutex_lock(&srv->writer_mu);
  srv->writer_has_work = true;
  uv_cond_signal(&srv->writer_cv);
  uv_mutex_unlock(&srv->writer_mu);
  /* The filling batch is empty again: requests parked for room can go on. */
  daemon_conns_resume(srv);
}

static void on_batch_timer(uv_timer_t *t) {
  struct daemon_server *srv = t->data;
  srv->batch_timer_on = false;
  handoff(srv);
}

/* Answers every client of the batch in flight (accepted ones get unconfirmed instead when it is
 * not 0: the fence or the synchronous standby did not confirm), then hands over the next batch. */
static void batch_answer(struct daemon_server *srv, int unconfirmed) {
  PROTO_ASSERT(srv->writer_busy);
  struct daemon_batch *b = srv->inflight;
  int rc = srv->inflight_rc;
  for (size_t i = 0; i < b->n; i++) {
    struct daemon_txreq *req = b->reqs[i];
    struct daemon_txres *res = &req->res[b->slots[i]];
    const struct ledger_submission *s = &b->subs[i];
    PROTO_ASSERT(req->outstanding > 0);
    res->result = rc ? rc : unconfirmed && s->result == 0 ? unconfirmed : s->result;
    res->index = s->index;
    res->withheld = s->withheld;
    res->aux = rc == PROTO_E_STORAGE ? (uint64_t)srv->inflight_errno : s->aux; /* the cause, for the answer */
    if (!rc && res->result == 0 && srv->inflight_ack) {
      res->ack = srv->inflight_ack;
      daemon_ack_ref(res->ack);
    }
    res->leg = rc ? -1 : s->leg;
    req->tree_size = rc ? ledger_tree_size(srv->ledger) : srv->inflight_info.tree_size;
    daemon_metrics_tx_result(res->result);
    if (--req->outstanding == 0) daemon_txreq_finish(srv, req);
  }
  daemon_ack_unref(srv->inflight_ack); /* the answers hold their own references */
  srv->inflight_ack = NULL;
  batch_reset(b);
  srv->writer_busy = false;
  /* Whatever filled up meanwhile has waited at least one commit: send it now. */
  handoff(srv);
  daemon_server_maybe_finish(srv);
}

/* The standby confirmed a tree (the loop thread, standby.c): a node that was away comes back once
 * it holds all of ours, and the writer waiting in daemon_standby_wait looks again. */
void daemon_writer_standby_confirmed(struct daemon_server *srv) {
  uint64_t confirmed = __atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE);
  bool away = __atomic_load_n(&srv->standby_alone, __ATOMIC_ACQUIRE) ||
              __atomic_load_n(&srv->standby_stalled, __ATOMIC_ACQUIRE);
  if (away && confirmed >= ledger_tree_size(srv->ledger)) {
    daemon_log(DAEMON_LOG_NOTICE, "standby back: it confirmed tree size %llu; acknowledging with it "
               "again", (unsigned long long)confirmed);
    __atomic_store_n(&srv->standby_alone, false, __ATOMIC_RELEASE);
    __atomic_store_n(&srv->standby_stalled, false, __ATOMIC_RELEASE);
  }
  uv_mutex_lock(&srv->writer_mu);
  uv_cond_signal(&srv->sync_cv);
  uv_mutex_unlock(&srv->writer_mu);
}

static void on_committed(uv_async_t *a) {
  struct daemon_server *srv = a->data;
  uv_mutex_lock(&srv->writer_mu);
  bool done = srv->writer_done;
  srv->writer_done = false;
  uv_mutex_unlock(&srv->writer_mu);
  if (!done) return;
  PROTO_ASSERT(srv->writer_busy);
  struct daemon_batch *b = srv->inflight;
  int rc = srv->inflight_rc;
  if (rc)
    daemon_log(DAEMON_LOG_ERR, "batch of %zu not committed: %s (%s)", b->n, proto_err_name(rc),
               rc == PROTO_E_STORAGE ? ledger_storage_message(srv->inflight_errno) : proto_err_message(rc));
  else {
    srv->last_commit_ms = daemon_now_ms();
    daemon_tiles_kick(srv);
  }
  if (__atomic_load_n(&srv->high_water_failed, __ATOMIC_ACQUIRE) && !srv->read_only) {
    snprintf(srv->read_only_why, sizeof srv->read_only_why, "the high-water file %s cannot be "
             "written: writes stopped (a restore could fork the log)", srv->high_water_path);
    __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE);
    daemon_log(DAEMON_LOG_ERR, "READ-ONLY: %s", srv->read_only_why);
  }
  daemon_metrics_batch(b->n, srv->inflight_commit_us);
  batch_answer(srv, srv->inflight_fence);
}

static int batch_init(struct daemon_batch *b, size_t cap) {
  b->subs = calloc(cap, sizeof *b->subs);
  b->reqs = calloc(cap, sizeof(struct daemon_txreq *));
  b->slots = calloc(cap, sizeof *b->slots);
  b->bytes = calloc(cap, sizeof *b->bytes);
  return b->subs && b->reqs && b->slots && b->bytes ? 0 : PROTO_E_NO_MEMORY;
}

static void batch_free(struct daemon_batch *b) {
  batch_reset(b);
  free(b->subs);
  free(b->reqs);
  free(b->slots);
  free(b->bytes);
}

int daemon_writer_start(struct daemon_server *srv) {
  size_t cap = srv->cfg->limits.batch_entries_max;
  int rc = batch_init(&srv->batches[0], cap);
  if (!rc) rc = batch_init(&srv->batches[1], cap);
  if (rc) return rc;
  srv->filling = &srv->batches[0];
  srv->inflight = &srv->batches[1];
  uv_timer_init(srv->loop, &srv->batch_timer);
  srv->batch_timer.data = srv;
  uv_async_init(srv->loop, &srv->writer_async, on_committed);
  srv->writer_async.data = srv;
  uv_mutex_init(&srv->writer_mu);
  uv_cond_init(&srv->writer_cv);
  uv_cond_init(&srv->sync_cv);
  rc = uv_thread_create(&srv->writer_thread, writer_main, srv);
  if (rc) return rc;
  srv->writer_started = true;
  return 0;
}

void daemon_writer_stop(struct daemon_server *srv) {
  if (srv->writer_started) {
    uv_mutex_lock(&srv->writer_mu);
    srv->writer_quit = true;
    uv_cond_signal(&srv->writer_cv);
    uv_cond_signal(&srv->sync_cv); /* a batch waiting on the standby gives up at once */
    uv_mutex_unlock(&srv->writer_mu);
    uv_thread_join(&srv->writer_thread);
    uv_mutex_destroy(&srv->writer_mu);
    uv_cond_destroy(&srv->writer_cv);
    uv_cond_destroy(&srv->sync_cv);
    srv->writer_started = false;
  }
  uv_close((uv_handle_t *)&srv->batch_timer, NULL);
  uv_close((uv_handle_t *)&srv->writer_async, NULL);
  batch_free(&srv->batches[0]);
  batch_free(&srv->batches[1]);
}

bool daemon_writer_room(const struct daemon_server *srv, size_t n) {
  return srv->filling->n + srv->verify_reserved + n <= srv->cfg->limits.batch_entries_max;
}

bool daemon_writer_idle(const struct daemon_server *srv) {
  return !srv->writer_busy && srv->filling->n == 0 && srv->verifying == 0;
}

void daemon_writer_add(struct daemon_server *srv, struct daemon_txreq *req, uint32_t slot,
                       uint8_t *bytes, size_t len, size_t legs_len, bool sigs_verified,
                       bool legs_verified) {
  struct daemon_batch *b = srv->filling;
  PROTO_ASSERT(b->n < srv->cfg->limits.batch_entries_max); /* daemon_writer_room said so */
  PROTO_ASSERT(bytes != NULL && len > 0);
  size_t i = b->n++;
  b->subs[i] = (struct ledger_submission){.envelope = bytes, .envelope_len = len,
                                          .signatures_verified = sigs_verified,
                                          .legs = legs_len ? bytes + len : NULL,
                                          .legs_len = legs_len,
                                          .legs_verified = legs_verified};
  b->reqs[i] = req;
  b->slots[i] = slot;
  b->bytes[i] = bytes;
}

void daemon_writer_kick(struct daemon_server *srv) {
  if (srv->filling->n == 0) return;
  if (srv->filling->n >= srv->cfg->limits.batch_entries_max || srv->stopping ||
      srv->cfg->limits.batch_delay_ms == 0) {
    handoff(srv);
  } else if (!srv->batch_timer_on && !srv->writer_busy) {
    /* The delay starts with the first envelope; while the writer is busy, its completion
     * hands the batch over instead. */
    uv_timer_start(&srv->batch_timer, on_batch_timer, srv->cfg->limits.batch_delay_ms, 0);
    srv->batch_timer_on = true;
  }
}
