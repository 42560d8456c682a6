/* writer: group commit, pipelined. The loop fills one batch while the writer thread commits the
 * one before it with a single ledger_apply (one fsync) and the fence thread holds the ones before
 * that until something outside this node confirmed them (the synchronous standby, an etcd check
 * of the epoch) and signs their checkpoint; the loop answers each batch's clients only after its
 * fence, in the order the batches were committed. So the next commit does not wait for the last
 * confirmation: with a synchronous standby the two overlap (docs/BENCHMARKS.md). */
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

static struct daemon_batch *batch_at(struct daemon_server *srv, uint64_t k) {
  return &srv->batches[k % DAEMON_WRITER_BATCHES];
}

/* The size this fence signs: its batch's or, when batches after it are committed already (and,
 * with standby.sync, confirmed), the last of them: one signature and one publication for them all;
 * their own fences then find it signed and published. (The fence thread; b is the oldest batch
 * not fenced.) */
static uint64_t fence_sign_size(struct daemon_server *srv, const struct daemon_batch *b) {
  uint64_t size = b->info.tree_size;
  bool sync = srv->cfg->standby_sync && !__atomic_load_n(&srv->standby_alone, __ATOMIC_ACQUIRE);
  uint64_t confirmed = __atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE);
  uv_mutex_lock(&srv->writer_mu);
  PROTO_ASSERT(b == batch_at(srv, srv->fenced));
  for (uint64_t k = srv->fenced + 1; k < srv->committed; k++) {
    const struct daemon_batch *next = batch_at(srv, k);
    if (next->rc || (sync && next->info.tree_size > confirmed)) break;
    size = next->info.tree_size;
  }
  uv_mutex_unlock(&srv->writer_mu);
  PROTO_ASSERT(size >= b->info.tree_size && size <= ledger_tree_size(srv->ledger));
  return size;
}

/* After the commit, before any client hears ok (the fence thread, one batch at a time in commit
 * order): with standby.sync the standby's confirmation of the batch's tree, then the signature
 * over exactly that tree (a later batch may be committed already and is not confirmed yet).
 * Without a witness policy the checkpoint is then published through the one publication pipeline
 * (publish.c: etcd swap, high-water file); with one the publisher thread does that, and
 * acknowledgement is fenced here by the standby's confirmation or, without a confirming standby,
 * an etcd check of the epoch. A code here answers the batch's accepted submissions instead of ok;
 * so does a node whose writes stopped after the batch was committed (superseded, read-only). */
static int commit_fence(struct daemon_server *srv, const struct daemon_batch *b) {
  PROTO_ASSERT(b->rc == 0 && b->info.tree_size <= ledger_tree_size(srv->ledger));
  int rc = srv->cfg->standby_sync ? daemon_standby_wait(srv, b->info.tree_size) : 0;
  if (rc || !b->info.accepted) return rc;
  if (__atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE)) return PROTO_E_READ_ONLY;
  rc = ledger_sign_at(srv->ledger, fence_sign_size(srv, b)); /* deferred until now with standby.sync */
  if (rc) return rc;
  if (!srv->publisher) return daemon_publish_signed(srv);
  bool confirmed = srv->cfg->standby_sync && !__atomic_load_n(&srv->standby_alone, __ATOMIC_ACQUIRE);
  return confirmed ? 0 : daemon_etcd_check_epoch(srv);
}

/* The writer thread's next batch (writer_mu held): waits until one was handed over; NULL at the
 * end, once every handed batch is committed. */
static struct daemon_batch *writer_next(struct daemon_server *srv) {
  while (srv->committed == srv->handed && !srv->writer_quit) uv_cond_wait(&srv->writer_cv, &srv->writer_mu);
  return srv->committed == srv->handed ? NULL : batch_at(srv, srv->committed);
}

static void writer_main(void *arg) {
  struct daemon_server *srv = arg;
  /* Named so that per-thread CPU (top -H, /proc/PID/task, quota-bench) tells the writer apart. */
  (void)pthread_setname_np(pthread_self(), "quotad-writer");
  for (;;) {
    uv_mutex_lock(&srv->writer_mu);
    struct daemon_batch *b = writer_next(srv);
    uv_mutex_unlock(&srv->writer_mu);
    if (!b) return;
    PROTO_ASSERT(b->n > 0 && b->n <= srv->cfg->limits.batch_entries_max);
    uint64_t size_before = ledger_tree_size(srv->ledger);
    b->start_us = now_us();
    memset(&b->info, 0, sizeof b->info);
    /* A read-only node signs nothing: not even what was already in the batch when it stopped. */
    bool ro = __atomic_load_n(&srv->read_only, __ATOMIC_ACQUIRE) || __atomic_load_n(&srv->commit_lost, __ATOMIC_ACQUIRE);
    b->rc = ro ? PROTO_E_READ_ONLY : ledger_apply(srv->ledger, b->subs, b->n, daemon_now_ms(), &b->info);
    b->rc_errno = b->rc == PROTO_E_STORAGE ? ledger_storage_errno() : 0;
    /* A batch the standby was sent ahead (standby.c) and that then failed here: the standby may
     * hold it durably. Nothing more is written (the next batch would take the same indexes). */
    if (b->rc && !ro && daemon_standby_pending_drop(srv, size_before)) {
      __atomic_store_n(&srv->commit_lost, true, __ATOMIC_RELEASE);
      daemon_log(DAEMON_LOG_ERR, "the batch from tree size %llu was sent to the standby and then failed "
                 "its commit here (%s): writes stop", (unsigned long long)size_before, proto_err_name(b->rc));
    }
    b->committed_us = now_us();
    if (b->rc == 0 && srv->cfg->standby_sync && b->info.tree_size > size_before &&
        __atomic_load_n(&srv->standby_confirmed, __ATOMIC_ACQUIRE) >= b->info.tree_size)
      daemon_metrics_confirmed_at_commit(); /* its fsync and the standby's overlapped */
    b->commit_us = b->committed_us - b->start_us;
    /* A batch adds at most one entry per submission and never takes one away. */
    PROTO_ASSERT(b->rc != 0 || (b->info.tree_size >= size_before && b->info.tree_size - size_before <= b->n));
    uv_mutex_lock(&srv->writer_mu);
    srv->committed++;
    uv_cond_signal(&srv->fence_cv);
    uv_mutex_unlock(&srv->writer_mu);
    uv_async_send(&srv->writer_async); /* free again: the loop hands over what filled meanwhile */
  }
}

/* The fence thread's next batch (writer_mu held): waits until one was committed; NULL at the end,
 * once every committed batch is fenced. While a signed checkpoint waits for its etcd swap
 * (publish.c), it tries that swap again every DAEMON_PUBLISH_RETRY_MS meanwhile. */
static struct daemon_batch *fence_next(struct daemon_server *srv) {
  while (srv->fenced == srv->committed && !srv->fence_quit) {
    if (!daemon_publish_waiting_since_ms(srv)) {
      uv_cond_wait(&srv->fence_cv, &srv->writer_mu);
      continue;
    }
    if (uv_cond_timedwait(&srv->fence_cv, &srv->writer_mu, DAEMON_PUBLISH_RETRY_MS * 1000000ull) != UV_ETIMEDOUT ||
        srv->fenced != srv->committed || srv->fence_quit)
      continue;
    uv_mutex_unlock(&srv->writer_mu); /* the writer commits meanwhile */
    daemon_publish_retry(srv);
    uv_mutex_lock(&srv->writer_mu);
  }
  return srv->fenced == srv->committed ? NULL : batch_at(srv, srv->fenced);
}

void daemon_writer_wake(struct daemon_server *srv) {
  uv_mutex_lock(&srv->writer_mu);
  uv_cond_signal(&srv->fence_cv);
  uv_mutex_unlock(&srv->writer_mu);
}

static void fence_main(void *arg) {
  struct daemon_server *srv = arg;
  (void)pthread_setname_np(pthread_self(), "quotad-fence");
  for (;;) {
    uv_mutex_lock(&srv->writer_mu);
    struct daemon_batch *b = fence_next(srv);
    uv_mutex_unlock(&srv->writer_mu);
    if (!b) return;
    uint64_t t0 = now_us();
    b->queued_us = t0 - b->committed_us;
    b->fence = b->rc == 0 ? commit_fence(srv, b) : 0;
    /* A signed acknowledgement only for what the fence let through. */
    b->ack = b->rc || b->fence ? NULL
                               : daemon_ack_make(ledger_origin(srv->ledger), srv->log_key, b->subs, b->n,
                                                 b->info.time_ms);
    b->fence_us = now_us() - t0;
    uv_mutex_lock(&srv->writer_mu);
    srv->fenced++;
    uv_mutex_unlock(&srv->writer_mu);
    uv_async_send(&srv->fence_async);
  }
}

static void batch_reset(struct daemon_batch *b) {
  PROTO_ASSERT(b->subs != NULL || b->n == 0);
  for (size_t i = 0; i < b->n; i++) {
    free(b->bytes[i]);
    b->bytes[i] = NULL;
  }
  b->n = 0;
  daemon_ack_unref(b->ack); /* the answers hold their own references */
  b->ack = NULL;
}

static bool writer_free(struct daemon_server *srv) {
  uv_mutex_lock(&srv->writer_mu);
  bool free_now = srv->committed == srv->handed;
  uv_mutex_unlock(&srv->writer_mu);
  return free_now;
}

/* The filling batch goes to the writer when the writer is free and a batch is free to fill next
 * (every other one may still wait for its fence: then the next answer hands over). */
static void handoff(struct daemon_server *srv) {
  if (srv->filling->n == 0 || !writer_free(srv)) return;
  if (srv->handed + 1 - srv->answered >= DAEMON_WRITER_BATCHES) return;
  if (srv->batch_timer_on) {
    uv_timer_stop(&srv->batch_timer);
    srv->batch_timer_on = false;
  }
  uv_mutex_lock(&srv->writer_mu);
  srv->handed++;
  uv_cond_signal(&srv->writer_cv);
  uv_mutex_unlock(&srv->writer_mu);
  srv->filling = batch_at(srv, srv->handed);
  PROTO_ASSERT(srv->filling->n == 0 && srv->filling->ack == NULL); /* answered and emptied */
  /* The filling batch is empty again: requests parked for room can go on. */
  daemon_conns_resume(srv);
}

static void on_batch_timer(uv_timer_t *t) {
  struct daemon_server *srv = t->data;
  srv->batch_timer_on = false;
  handoff(srv);
}

/* The writer is free again: a batch was committed (or refused whole). Streams waiting for entries
 * take them now (standby.c): a synchronous standby learns of a batch as soon as it is durable. */
static void on_writer_free(uv_async_t *a) {
  struct daemon_server *srv = a->data;
  daemon_streams_resume(srv, 0, true);
  handoff(srv);
}

/* Answers every client of a fenced batch (accepted ones get its fence's code instead when it is
 * not 0: the fence or the synchronous standby did not confirm). */
static void batch_answer(struct daemon_server *srv, struct daemon_batch *b) {
  int rc = b->rc, unconfirmed = b->fence;
  for (size_t i = 0; i < b->n; i++) {
    struct daemon_txreq *req = b->reqs[i];
    struct daemon_txres *res = &req->res[b->slots[i]];
    const struct ledger_submission *s = &b->subs[i];
    PROTO_ASSERT(req->outstanding > 0);
    res->result = rc ? rc : unconfirmed && s->result == 0 ? unconfirmed : s->result;
    res->index = s->index;
    res->withheld = s->withheld;
    res->aux = rc == PROTO_E_STORAGE ? (uint64_t)b->rc_errno : s->aux; /* the cause, for the answer */
    if (!rc && res->result == 0 && b->ack) {
      res->ack = b->ack;
      daemon_ack_ref(res->ack);
    }
    res->leg = rc ? -1 : s->leg;
    req->tree_size = rc ? ledger_tree_size(srv->ledger) : b->info.tree_size;
    daemon_metrics_tx_result(res->result);
    if (--req->outstanding == 0) daemon_txreq_finish(srv, req);
  }
}

/* The standby confirmed a tree (the loop thread, standby.c): a node that was away comes back once
 * it holds all of ours, and the fence waiting in daemon_standby_wait looks again. */
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

/* One fenced batch, answered (the loop thread, in commit order). */
static void batch_done(struct daemon_server *srv, struct daemon_batch *b) {
  int rc = b->rc;
  if (rc)
    daemon_log(DAEMON_LOG_ERR, "batch of %zu not committed: %s (%s)", b->n, proto_err_name(rc),
               rc == PROTO_E_STORAGE ? ledger_storage_message(b->rc_errno) : proto_err_message(rc));
  else {
    srv->last_commit_ms = daemon_now_ms();
    daemon_tiles_kick(srv);
  }
  if (__atomic_load_n(&srv->commit_lost, __ATOMIC_ACQUIRE) && !srv->read_only) {
    snprintf(srv->read_only_why, sizeof srv->read_only_why, "a batch sent ahead to the standby failed "
             "its commit here: the standby may hold entries this node does not (never acknowledged "
             "nor signed); promote the standby, or restart this node and then the standby, which sets "
             "them aside");
    __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE);
    daemon_log(DAEMON_LOG_ERR, "READ-ONLY: %s", srv->read_only_why);
  }
  if (__atomic_load_n(&srv->high_water_failed, __ATOMIC_ACQUIRE) && !srv->read_only) {
    snprintf(srv->read_only_why, sizeof srv->read_only_why, "the high-water file %s cannot be "
             "written: writes stopped (a restore could fork the log)", srv->high_water_path);
    __atomic_store_n(&srv->read_only, true, __ATOMIC_RELEASE);
    daemon_log(DAEMON_LOG_ERR, "READ-ONLY: %s", srv->read_only_why);
  }
  daemon_metrics_batch(b->n, b->commit_us);
  daemon_metrics_fence(b->queued_us, b->fence_us);
  batch_answer(srv, b);
  batch_reset(b);
}

static void on_fenced(uv_async_t *a) {
  struct daemon_server *srv = a->data;
  uv_mutex_lock(&srv->writer_mu);
  uint64_t fenced = srv->fenced;
  uv_mutex_unlock(&srv->writer_mu);
  PROTO_ASSERT(srv->answered <= fenced && fenced <= srv->handed);
  while (srv->answered < fenced) batch_done(srv, batch_at(srv, srv->answered++));
  /* Whatever filled up meanwhile has waited at least one commit: send it now. */
  handoff(srv);
  daemon_server_maybe_finish(srv);
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
  int rc = 0;
  for (unsigned i = 0; i < DAEMON_WRITER_BATCHES && !rc; i++) rc = batch_init(&srv->batches[i], cap);
  if (!rc) rc = daemon_standby_pending_start(srv);
  if (rc) return rc;
  /* with standby.sync each batch goes to the standby while it is being committed here */
  if (srv->cfg->standby_sync) ledger_set_precommit(srv->ledger, daemon_standby_precommit, srv);
  srv->handed = srv->committed = srv->fenced = srv->answered = 0;
  srv->filling = batch_at(srv, 0);
  uv_timer_init(srv->loop, &srv->batch_timer);
  srv->batch_timer.data = srv;
  uv_async_init(srv->loop, &srv->writer_async, on_writer_free);
  srv->writer_async.data = srv;
  uv_async_init(srv->loop, &srv->fence_async, on_fenced);
  srv->fence_async.data = srv;
  uv_mutex_init(&srv->writer_mu);
  uv_cond_init(&srv->writer_cv);
  uv_cond_init(&srv->fence_cv);
  uv_cond_init(&srv->sync_cv);
  rc = uv_thread_create(&srv->writer_thread, writer_main, srv);
  if (rc) return rc;
  rc = uv_thread_create(&srv->fence_thread, fence_main, srv);
  if (rc) { /* the writer alone: stopped again */
    uv_mutex_lock(&srv->writer_mu);
    srv->writer_quit = true;
    uv_cond_signal(&srv->writer_cv);
    uv_mutex_unlock(&srv->writer_mu);
    uv_thread_join(&srv->writer_thread);
    return rc;
  }
  srv->writer_started = true;
  return 0;
}

/* The writer commits every batch handed over, then the fence thread fences every committed one
 * (a batch waiting on the standby gives up at once: writer_quit). */
void daemon_writer_stop(struct daemon_server *srv) {
  if (srv->writer_started) {
    uv_mutex_lock(&srv->writer_mu);
    srv->writer_quit = true;
    uv_cond_signal(&srv->writer_cv);
    uv_cond_signal(&srv->sync_cv);
    uv_mutex_unlock(&srv->writer_mu);
    uv_thread_join(&srv->writer_thread);
    uv_mutex_lock(&srv->writer_mu);
    srv->fence_quit = true;
    uv_cond_signal(&srv->fence_cv);
    uv_mutex_unlock(&srv->writer_mu);
    uv_thread_join(&srv->fence_thread);
    uv_mutex_destroy(&srv->writer_mu);
    uv_cond_destroy(&srv->writer_cv);
    uv_cond_destroy(&srv->fence_cv);
    uv_cond_destroy(&srv->sync_cv);
    srv->writer_started = false;
  }
  uv_close((uv_handle_t *)&srv->batch_timer, NULL);
  uv_close((uv_handle_t *)&srv->writer_async, NULL);
  uv_close((uv_handle_t *)&srv->fence_async, NULL);
  for (unsigned i = 0; i < DAEMON_WRITER_BATCHES; i++) batch_free(&srv->batches[i]);
  if (srv->ledger) ledger_set_precommit(srv->ledger, NULL, NULL);
  daemon_standby_pending_stop(srv);
}

bool daemon_writer_room(const struct daemon_server *srv, size_t n) {
  return srv->filling->n + srv->verify_reserved + n <= srv->cfg->limits.batch_entries_max;
}

/* Nothing filling, nothing between hand-over and answer, nothing being verified (the loop's own
 * counters: a batch handed over is answered on the loop). */
bool daemon_writer_idle(const struct daemon_server *srv) {
  return srv->handed == srv->answered && srv->filling->n == 0 && srv->verifying == 0;
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
  } else if (!srv->batch_timer_on && writer_free(srv)) {
    /* The delay starts with the first envelope; while the writer is busy, its completion
     * hands the batch over instead. */
    uv_timer_start(&srv->batch_timer, on_batch_timer, srv->cfg->limits.batch_delay_ms, 0);
    srv->batch_timer_on = true;
  }
}
