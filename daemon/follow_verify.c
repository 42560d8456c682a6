/* follow_verify: a standby's verifier. The follower appends its primary's batches with signatures
 * and legs deferred (ledger_append_entries_deferred) and confirms them once durable; this thread
 * verifies them just after, in chunks, and a failure stops the standby as a divergence does. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/server.h"

/* Entries one chunk verifies: the thread looks for quit between chunks (about 0.1 s of Ed25519
 * on one core), and a chunk's progress is what promotion may have to finish inline. */
#define FOLLOW_VERIFY_CHUNK_ENTRIES 1000u
#define FOLLOW_VERIFY_IDLE_MS 1000u /* no wake-up: look again anyway (a missed signal costs this) */
#define FOLLOW_VERIFY_TEST_DELAY_MS_MAX 60000u
#define FOLLOW_VERIFY_QUIT_STEP_US 50000u /* a delayed verifier looks at quit this often */

/* A test hook (QUOTAD_TEST_VERIFY_DELAY_MS, at most FOLLOW_VERIFY_TEST_DELAY_MS_MAX): the verifier
 * waits this long before it verifies what was appended, so that a test sees the confirmation of
 * a batch reach the primary before the verifier judges that batch. */
static void verifier_test_delay(struct daemon_server *srv, unsigned long ms) {
  if (ms == 0 || ledger_verified_size(srv->ledger) == ledger_tree_size(srv->ledger)) return;
  for (unsigned long waited_us = 0; waited_us < ms * 1000u && !__atomic_load_n(&srv->verify_quit, __ATOMIC_ACQUIRE);
       waited_us += FOLLOW_VERIFY_QUIT_STEP_US)
    usleep(FOLLOW_VERIFY_QUIT_STEP_US);
}

/* Verifies [verified size, tree size) in chunks until done, quit, or a failure (its code, with
 * the reason in why). quit may be NULL (promotion: to the end). */
static int verify_to_tree(struct daemon_server *srv, const bool *quit, char *why, size_t cap) {
  for (;;) {
    uint64_t from = ledger_verified_size(srv->ledger), to = ledger_tree_size(srv->ledger), bad = 0;
    PROTO_ASSERT(from <= to);
    if (from == to || (quit && __atomic_load_n(quit, __ATOMIC_ACQUIRE))) return 0;
    if (to - from > FOLLOW_VERIFY_CHUNK_ENTRIES) to = from + FOLLOW_VERIFY_CHUNK_ENTRIES;
    uint64_t t0 = uv_hrtime();
    int rc = ledger_verify_entries(srv->ledger, from, to, &bad, why, cap);
    if (rc == 0) daemon_metrics_standby_verify((uv_hrtime() - t0) / 1000u, to - from);
    if (rc == 0) PROTO_ASSERT(ledger_verified_size(srv->ledger) >= to);
    if (rc && rc != PROTO_E_DIVERGED)
      snprintf(why, cap, "the entries from %llu cannot be verified: %s", (unsigned long long)from,
               ledger_err_message(rc));
    if (rc) return rc;
  }
}

static void verifier_main(void *arg) {
  struct daemon_server *srv = arg;
  (void)pthread_setname_np(pthread_self(), "quotad-sbverify"); /* not the pool's quotad-verify */
  unsigned long delay_ms = daemon_test_delay_ms("QUOTAD_TEST_VERIFY_DELAY_MS", FOLLOW_VERIFY_TEST_DELAY_MS_MAX,
                                                "the standby's verifier, before each round,");
  char why[512];
  uv_mutex_lock(&srv->verify_mu);
  while (!srv->verify_quit) {
    uv_mutex_unlock(&srv->verify_mu);
    why[0] = '\0';
    verifier_test_delay(srv, delay_ms);
    int rc = verify_to_tree(srv, &srv->verify_quit, why, sizeof why);
    if (rc) {
      daemon_follow_stop_loudly(srv, why);
      __atomic_store_n(&srv->follow_quit, true, __ATOMIC_RELEASE); /* the follower stops too */
      return;
    }
    /* Here, not on the follower's thread: the signature and the high-water file's fsync would
     * otherwise stand between an append and its confirmation (ledger_sign_at runs beside it). */
    daemon_follow_sign_verified(srv, __atomic_load_n(&srv->follow_signed_size, __ATOMIC_ACQUIRE));
    uv_mutex_lock(&srv->verify_mu);
    /* the follower signals after each append (under the mutex): no wake-up is lost between the
     * look at the sizes above and this wait, but for one that came before the lock */
    if (!srv->verify_quit && ledger_verified_size(srv->ledger) == ledger_tree_size(srv->ledger))
      (void)uv_cond_timedwait(&srv->verify_cv, &srv->verify_mu, (uint64_t)FOLLOW_VERIFY_IDLE_MS * 1000000u);
  }
  uv_mutex_unlock(&srv->verify_mu);
}

int daemon_follow_verifier_start(struct daemon_server *srv) {
  PROTO_ASSERT(!srv->verify_started);
  srv->verify_quit = false;
  int rc = daemon_thread_start(&srv->verify_thread, &srv->verify_mu, &srv->verify_cv, verifier_main, srv);
  if (rc) return rc;
  srv->verify_started = true;
  return 0;
}

void daemon_follow_appended(struct daemon_server *srv) {
  if (!srv->verify_started) return;
  uv_mutex_lock(&srv->verify_mu);
  uv_cond_signal(&srv->verify_cv);
  uv_mutex_unlock(&srv->verify_mu);
}

void daemon_follow_verifier_stop(struct daemon_server *srv) {
  if (!srv->verify_started) return;
  daemon_thread_stop(&srv->verify_thread, &srv->verify_mu, &srv->verify_cv, &srv->verify_quit);
  srv->verify_started = false;
}

void daemon_follow_sign_verified(struct daemon_server *srv, uint64_t size_max) {
  bool signed_now = false;
  int rc = ledger_sign_verified(srv->ledger, size_max, &signed_now);
  if (rc) daemon_log(DAEMON_LOG_WARNING, "standby: the checkpoint over the verified entries is not "
                     "signed (%s); it stays behind", proto_err_name(rc));
  if (signed_now) daemon_highwater_publish(srv);
}

int daemon_follow_verify_rest(struct daemon_server *srv, char *why, size_t cap) {
  PROTO_ASSERT(!srv->verify_started && cap > 0); /* the verifier has stopped: no chunk in flight */
  if (__atomic_load_n(&srv->follow_failed, __ATOMIC_ACQUIRE)) {
    snprintf(why, cap, "this standby stopped on a divergence: %s", srv->follow_why);
    return PROTO_E_DIVERGED;
  }
  uint64_t from = ledger_verified_size(srv->ledger), to = ledger_tree_size(srv->ledger);
  if (from < to)
    daemon_log(DAEMON_LOG_NOTICE, "verifying the signatures and legs of entries %llu to %llu before "
               "this node writes", (unsigned long long)from, (unsigned long long)to);
  int rc = verify_to_tree(srv, NULL, why, cap);
  if (rc) daemon_follow_stop_loudly(srv, why);
  PROTO_ASSERT(rc != 0 || ledger_verified_size(srv->ledger) == ledger_tree_size(srv->ledger));
  return rc;
}
