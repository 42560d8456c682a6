/* server: start-up and shutdown of quotad around the libuv loop: the ledger, listeners, the
 * writer, signals (TERM/INT stop cleanly, HUP reopens logs and reloads TLS), the connection
 * sweep, and systemd's notify protocol. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/publish.h"
#include "daemon/server.h"
#include "daemon/web.h"

uint64_t daemon_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t daemon_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* systemd's notify protocol is one datagram to $NOTIFY_SOCKET; a dozen lines instead of a
 * dependency on libsystemd. Without the variable (not under systemd) it does nothing. */
static void sd_notify_text(const char *text) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (!path || !path[0]) return;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t len = strlen(path);
  if (len >= sizeof sa.sun_path || (path[0] != '/' && path[0] != '@')) return;
  memcpy(sa.sun_path, path, len);
  if (path[0] == '@') sa.sun_path[0] = '\0'; /* abstract namespace */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
  if (sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
    daemon_log(DAEMON_LOG_WARNING, "sd_notify: %s", strerror(errno));
  close(fd);
}

static void on_sweep(uv_timer_t *t) {
  struct daemon_server *srv = t->data;
  uint64_t now = daemon_now_ms();
  daemon_conns_sweep(srv, now);
  daemon_streams_resume(srv, now, false); /* waiting stream requests past their deadline */
  /* Only a loop that turns and a writer that is not stuck earn the watchdog ping. */
  if (srv->watchdog_interval_ms && now - srv->watchdog_last_ms >= srv->watchdog_interval_ms / 2) {
    srv->watchdog_last_ms = now;
    sd_notify_text("WATCHDOG=1");
  }
}

/* The periodic full store check: a re-executed quotad walks the store (ledger_check_dir), waited
 * for on the thread pool, so neither a damaged page nor the walk's length reaches the loop. */
static void check_work(uv_work_t *req) {
  struct daemon_server *srv = req->data;
  struct ledger_check_options opt = {
      .depth = LEDGER_CHECK_FULL, .child_pid = &srv->check_child, .exec_path = srv->exe_path};
  ledger_check_dir(srv->cfg->data_dir, &opt, &srv->check_report);
}

static void check_done(uv_work_t *req, int status) {
  struct daemon_server *srv = req->data;
  srv->check_running = false;
  const struct ledger_check_report *r = &srv->check_report;
  if (status || srv->stopping) return; /* cancelled, or its child killed at shutdown */
  if (r->result == PROTO_E_CORRUPT) {
    ledger_set_damaged(srv->ledger);
    daemon_log(DAEMON_LOG_ERR, "store check: the store in %s is damaged: %s; every read and "
               "write now answers corrupt (run quotactl check %s)", srv->cfg->data_dir, r->why,
               srv->cfg->data_dir);
  } else if (r->result) {
    daemon_log(DAEMON_LOG_WARNING, "store check could not run: %s", ledger_err_message(r->result));
  } else {
    daemon_log(DAEMON_LOG_INFO, "store check: sound (%llu entries, %llu records, %llu nodes, "
               "%.1f s)", (unsigned long long)r->tree_size, (unsigned long long)r->records,
               (unsigned long long)r->nodes, r->seconds);
  }
}

static void on_check_timer(uv_timer_t *t) {
  struct daemon_server *srv = t->data;
  if (srv->check_running || srv->stopping) return;
  srv->check_req.data = srv;
  if (uv_queue_work(srv->loop, &srv->check_req, check_work, check_done) == 0)
    srv->check_running = true;
}

static void check_start(struct daemon_server *srv) {
  uv_timer_init(srv->loop, &srv->check_timer);
  srv->check_timer.data = srv;
  ssize_t n = readlink("/proc/self/exe", srv->exe_path, sizeof(srv->exe_path) - 1);
  srv->exe_path[n > 0 ? n : 0] = '\0';
  uint64_t ms = (uint64_t)srv->cfg->check_interval_s * 1000u;
  if (ms && n > 0) uv_timer_start(&srv->check_timer, on_check_timer, ms, ms);
  else if (ms) daemon_log(DAEMON_LOG_WARNING, "store check off: cannot find this program");
}

void daemon_server_maybe_finish(struct daemon_server *srv) {
  if (!srv->stopping || srv->stopped || srv->conn_count || !daemon_writer_idle(srv)) return;
  srv->stopped = true;
  daemon_log(DAEMON_LOG_NOTICE, "all connections closed and batches committed; stopping");
  daemon_lease_stop(srv); /* its async handle would keep the loop running */
  uv_close((uv_handle_t *)&srv->sweep, NULL);
  uv_close((uv_handle_t *)&srv->check_timer, NULL);
  uv_close((uv_handle_t *)&srv->sig_term, NULL);
  uv_close((uv_handle_t *)&srv->sig_int, NULL);
  uv_close((uv_handle_t *)&srv->sig_hup, NULL);
  daemon_writer_stop(srv);
}

static void server_stop(struct daemon_server *srv) {
  if (srv->stopping) return;
  srv->stopping = true;
  daemon_streams_resume(srv, 0, true); /* a stopping server makes no request wait */
  sd_notify_text("STOPPING=1");
  daemon_log(DAEMON_LOG_NOTICE, "stopping: no new connections; finishing the batch in flight");
  daemon_conns_stop(srv);
  int child = __atomic_load_n(&srv->check_child, __ATOMIC_ACQUIRE);
  if (child > 0) kill(child, SIGKILL); /* a store check in progress ends with the server */
  daemon_writer_kick(srv); /* what is filling goes now, without waiting for its delay */
  daemon_server_maybe_finish(srv);
}

static void reload_tls(struct daemon_server *srv) {
  const struct daemon_config *cfg = srv->cfg;
  if (!cfg->tls_listen[0]) return;
  SSL_CTX *ctx = NULL;
  char why[512];
  if (daemon_tls_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca,
                         cfg->tls_client_cert_required, &ctx, why, sizeof why)) {
    daemon_log(DAEMON_LOG_ERR, "TLS reload failed, keeping the old material: %s", why);
    return;
  }
  /* Open sessions hold their own reference to the old context. */
  daemon_tls_ctx_free(srv->tls_ctx);
  srv->tls_ctx = ctx;
  daemon_log(DAEMON_LOG_NOTICE, "TLS material reloaded");
}

static void on_signal(uv_signal_t *s, int signum) {
  struct daemon_server *srv = s->data;
  if (signum == SIGHUP) {
    sd_notify_text("RELOADING=1");
    if (daemon_log_reopen()) daemon_log(DAEMON_LOG_ERR, "cannot reopen the log file");
    char said[2048];
    int rc = daemon_config_reload(srv->cfg, said, sizeof said);
    if (rc == 0) daemon_log_configure(daemon_log_format_parse(srv->cfg->log_format), srv->cfg->log_level);
    daemon_log(rc ? DAEMON_LOG_ERR : DAEMON_LOG_NOTICE, "SIGHUP: configuration reloaded: %s", said);
    if (daemon_metrics_token_load(srv->cfg->metrics_token_file, said, sizeof said))
      daemon_log(DAEMON_LOG_ERR, "%s (the previous token stays)", said);
    reload_tls(srv);
    sd_notify_text("READY=1");
    return;
  }
  daemon_log(DAEMON_LOG_NOTICE, "signal %d", signum);
  server_stop(srv);
}

/* How quotad opens its ledger (again, after a rejoin rebuilt it). With standby.sync, or as a
 * standby (an old primary may rejoin with a tail no one confirmed), nothing is signed before
 * something outside this node confirmed it: the fence thread signs (ledger_sign_at). */
static struct ledger_config ledger_config_of(const struct daemon_config *cfg, const struct proto_key *log_key) {
  return (struct ledger_config){.dir = cfg->data_dir, .map_bytes_max = cfg->map_bytes_max, .log_key = log_key,
                                .invariants_every_batches = cfg->invariants_every_batches,
                                .sign_deferred = cfg->standby_sync || cfg->follow[0]};
}

static int open_ledger(struct daemon_server *srv, struct proto_key **log_key) {
  const struct daemon_config *cfg = srv->cfg;
  char why[600];
  bool empty = false;
  int rc = daemon_data_dir_state(cfg->data_dir, &empty, why, sizeof why);
  if (!rc) rc = daemon_load_log_key(cfg, log_key, why, sizeof why);
  if (rc) {
    daemon_log(DAEMON_LOG_ERR, "%s", why);
    return rc;
  }
  if (empty) {
    daemon_log(DAEMON_LOG_WARNING, "data directory %s is empty: starting a NEW registry there",
               cfg->data_dir);
  }
  proto_key_public(*log_key, srv->log_public_key);
  struct ledger_check_report check;
  struct ledger_config lc = ledger_config_of(cfg, *log_key);
  lc.open_check = &check;
  memset(&check, 0, sizeof check);
  rc = ledger_open(&lc, &srv->ledger);
  if (rc == PROTO_E_CORRUPT && check.result == PROTO_E_CORRUPT) {
    daemon_log(DAEMON_LOG_ERR, "ledger %s is damaged, refusing to open it: %s (corrupt; "
               "quotactl check %s walks all of it)", cfg->data_dir, check.why, cfg->data_dir);
  } else if (rc == PROTO_E_UNKNOWN_LOG_KEY) {
    char path[DAEMON_PATH_BYTES_MAX + 32] = "";
    daemon_log_key_path(cfg, path, sizeof path);
    daemon_log(DAEMON_LOG_ERR, "log key %s is not this registry's log key: the genesis in %s names "
               "another (start quotad with the registry's own log key)", path, cfg->data_dir);
  } else if (rc) {
    daemon_log(DAEMON_LOG_ERR, "ledger %s: %s (%s)", cfg->data_dir, ledger_err_message(rc), proto_err_name(rc));
  }
  return rc;
}

static int start_handles(struct daemon_server *srv) {
  /* Signals and the sweep first: once they exist, every failure path closes the same set. */
  uv_signal_init(srv->loop, &srv->sig_term);
  uv_signal_init(srv->loop, &srv->sig_int);
  uv_signal_init(srv->loop, &srv->sig_hup);
  srv->sig_term.data = srv->sig_int.data = srv->sig_hup.data = srv;
  uv_signal_start(&srv->sig_term, on_signal, SIGTERM);
  uv_signal_start(&srv->sig_int, on_signal, SIGINT);
  uv_signal_start(&srv->sig_hup, on_signal, SIGHUP);
  uv_timer_init(srv->loop, &srv->sweep);
  srv->sweep.data = srv;
  check_start(srv);
  const char *wd = getenv("WATCHDOG_USEC");
  uint64_t usec = 0;
  if (wd && !daemon_parse_u64(wd, &usec)) srv->watchdog_interval_ms = usec / 1000;
  uint64_t period = srv->cfg->limits.request_timeout_ms / 4;
  if (srv->cfg->limits.header_timeout_ms / 4 < period) period = srv->cfg->limits.header_timeout_ms / 4;
  if (period > 500) period = 500;
  if (srv->watchdog_interval_ms && srv->watchdog_interval_ms / 4 < period) period = srv->watchdog_interval_ms / 4;
  if (period < 10) period = 10;
  uv_timer_start(&srv->sweep, on_sweep, period, period);
  char why[600] = "";
  int rc = daemon_listen_all(srv, why, sizeof why);
  if (rc) daemon_log(DAEMON_LOG_ERR, "%s", why);
  return rc;
}

/* What quotad reads besides the ledger before it serves: TLS material, the metrics token, the
 * public pages. Returns 0, or non-zero with the reason logged. */
static int load_material(struct daemon_server *srv) {
  const struct daemon_config *cfg = srv->cfg;
  char why[512];
  if (cfg->tls_listen[0] && daemon_tls_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca,
                                               cfg->tls_client_cert_required, &srv->tls_ctx, why, sizeof why)) {
    daemon_log(DAEMON_LOG_ERR, "TLS: %s", why);
    return 1;
  }
  if (daemon_metrics_token_load(cfg->metrics_token_file, why, sizeof why) ||
      daemon_web_load(cfg, why, sizeof why)) {
    daemon_log(DAEMON_LOG_ERR, "%s", why);
    return 1;
  }
  return 0;
}

/* The writer, the publisher (with a witness policy), the tiles writer (with tiles_dir) and the
 * lease thread (with etcd.lease_ttl_s); each
 * stop function is safe whether or not its thread started. */
static int start_threads(struct daemon_server *srv) {
  char why[512];
  if (daemon_writer_start(srv)) {
    daemon_log(DAEMON_LOG_ERR, "cannot start the writer thread");
    return 1;
  }
  /* Before the tiles writer: it writes only what the publisher has published. */
  if (daemon_publisher_start(srv, why, sizeof why)) {
    daemon_log(DAEMON_LOG_ERR, "%s", why);
    return 1;
  }
  if (daemon_tiles_start(srv)) {
    daemon_log(DAEMON_LOG_ERR, "cannot start the tiles writer");
    return 1;
  }
  if (daemon_lease_start(srv)) {
    daemon_log(DAEMON_LOG_ERR, "cannot start the lease thread");
    return 1;
  }
  daemon_publish_fenced_start(srv); /* with etcd and no policy: the latest signed one is swapped first */
  return 0;
}

int daemon_run(struct daemon_config *cfg) {
  if (daemon_log_open(cfg->log_file, cfg->log_level)) {
    fprintf(stderr, "quotad: cannot open log file %s\n", cfg->log_file);
    return 1;
  }
  daemon_log_configure(daemon_log_format_parse(cfg->log_format), cfg->log_level);
  struct daemon_server srv = {.cfg = cfg};
  /* A peer that resets while an answer is written must cost its connection, not the process:
   * without this, the write's EPIPE comes with SIGPIPE, whose default action ends quotad. */
  signal(SIGPIPE, SIG_IGN);
  long proxies = daemon_peer_list_parse(cfg->trusted_proxies, srv.proxies, DAEMON_TRUSTED_PROXIES_MAX);
  if (proxies < 0 || daemon_peers_init(&srv.peers, cfg->limits.connections_max)) {
    daemon_log(DAEMON_LOG_ERR, "%s", proxies < 0 ? "listen.trusted_proxies: not a list of addresses"
                                                  : "no memory for the peer table");
    daemon_log_close();
    return 1;
  }
  srv.proxies_n = (size_t)proxies;
  uv_loop_t loop;
  uv_loop_init(&loop);
  srv.loop = &loop;
  struct proto_key *log_key = NULL;
  int status = 1;
  if (open_ledger(&srv, &log_key) || daemon_journal_replay(&srv) || daemon_highwater_start(&srv) || daemon_etcd_start(&srv) ||
      load_material(&srv))
    goto out;
  srv.log_key = log_key;
  struct ledger_config lc = ledger_config_of(cfg, log_key);
  if (daemon_follow_start(&srv, &lc) || start_threads(&srv)) goto out;
  srv.last_commit_ms = daemon_now_ms();
  srv.start_time_s = srv.last_commit_ms / 1000;
  if (start_handles(&srv)) {
    server_stop(&srv);
    uv_run(&loop, UV_RUN_DEFAULT);
    goto out;
  }
  daemon_log(DAEMON_LOG_NOTICE, "quotad ready: data %s, tree size %llu%s%s%s%s%s%s", cfg->data_dir,
             (unsigned long long)ledger_tree_size(srv.ledger), cfg->listen[0] ? ", http " : "", cfg->listen,
             cfg->tls_listen[0] ? ", https " : "", cfg->tls_listen, cfg->unix_path[0] ? ", unix " : "", cfg->unix_path);
  if (srv.read_only) daemon_log(DAEMON_LOG_WARNING, "serving READ-ONLY: %s", srv.read_only_why);
  sd_notify_text("READY=1");
  uv_run(&loop, UV_RUN_DEFAULT);
  status = 0;
out:
  daemon_lease_stop(&srv); /* before the follower: a promotion it asked for must not start now */
  daemon_follow_stop(&srv); /* the follower writes the ledger: it ends before the ledger closes */
  daemon_tiles_stop(&srv);
  if (srv.writer_started) {
    srv.stopping = true;
    daemon_writer_stop(&srv);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  daemon_publisher_stop(&srv);
  int lrc = uv_loop_close(&loop);
  if (lrc) {
    daemon_log(DAEMON_LOG_ERR, "loop did not close clean: %s", uv_strerror(lrc));
    status = 1;
  }
  daemon_web_free();
  daemon_journal_free(&srv);
  if (srv.ledger) ledger_close(srv.ledger);
  daemon_peers_free(&srv.peers);
  daemon_cache_free(&srv.cache);
  daemon_tls_ctx_free(srv.tls_ctx);
  proto_key_free(log_key);
  if (cfg->unix_path[0] && status == 0) unlink(cfg->unix_path);
  daemon_log(DAEMON_LOG_NOTICE, "quotad stopped");
  daemon_log_close();
  return status;
}

int daemon_thread_start(uv_thread_t *t, uv_mutex_t *mu, uv_cond_t *cv, void (*fn)(void *), void *arg) {
  if (uv_mutex_init(mu)) return PROTO_E_NO_MEMORY;
  if (uv_cond_init(cv)) {
    uv_mutex_destroy(mu);
    return PROTO_E_NO_MEMORY;
  }
  if (uv_thread_create(t, fn, arg)) {
    uv_cond_destroy(cv);
    uv_mutex_destroy(mu);
    return PROTO_E_NO_MEMORY;
  }
  return 0;
}

void daemon_thread_stop(uv_thread_t *t, uv_mutex_t *mu, uv_cond_t *cv, bool *quit) {
  uv_mutex_lock(mu);
  __atomic_store_n(quit, true, __ATOMIC_RELEASE);
  uv_cond_broadcast(cv);
  uv_mutex_unlock(mu);
  uv_thread_join(t);
  uv_cond_destroy(cv);
  uv_mutex_destroy(mu);
}

unsigned long daemon_test_delay_ms(const char *env, unsigned long max, const char *what) {
  const char *v = getenv(env);
  unsigned long ms = v ? strtoul(v, NULL, 10) : 0;
  if (ms > max) ms = max;
  if (ms) daemon_log(DAEMON_LOG_WARNING, "TEST: %s waits %lu ms (%s)", what, ms, env);
  return ms;
}
