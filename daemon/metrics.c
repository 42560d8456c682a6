/* metrics: request, transaction-result, batch-size and commit-latency counters, rendered in the
 * Prometheus text format. Loop thread only. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/daemon.h"

static const char *const endpoint_names[DAEMON_EP_COUNT] = {
  "tx", "tx_get", "tx_encode", "accounts", "account", "balances", "history", "keys",
  "instruments", "compliance", "entries", "checkpoint", "log", "proof_inclusion",
  "proof_consistency", "healthz", "metrics", "log_checkpoint", "tile", "freeze_orders", "other",
};

const char *daemon_endpoint_name(unsigned ep) {
  return ep < DAEMON_EP_COUNT ? endpoint_names[ep] : "other";
}

enum { STATUS_SLOTS = 16, RESULT_SLOTS = 128 };
static const unsigned statuses[STATUS_SLOTS] = {200, 400, 401, 403, 404, 405, 408, 409,
                                                413, 415, 422, 431, 500, 503, 507, 0};
static const uint64_t batch_le[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
static const uint64_t latency_le_us[] = {250, 500, 1000, 2000, 5000, 10000, 20000,
                                         50000, 100000, 250000, 500000, 1000000};
static const char *const latency_le_text[] = {"0.00025", "0.0005", "0.001", "0.002", "0.005",
                                              "0.01", "0.02", "0.05", "0.1", "0.25", "0.5", "1"};
#define BATCH_BUCKETS (sizeof batch_le / sizeof batch_le[0])
#define LATENCY_BUCKETS (sizeof latency_le_us / sizeof latency_le_us[0])

static struct {
  uint64_t requests[DAEMON_EP_COUNT][STATUS_SLOTS]; /* last slot: any other status */
  uint64_t results[RESULT_SLOTS];                   /* slot 0 ok, 1 exists, others by code */
  int result_codes[RESULT_SLOTS];
  uint64_t batch_buckets[BATCH_BUCKETS + 1], batch_count, batch_sum;
  uint64_t latency_buckets[LATENCY_BUCKETS + 1], latency_count, latency_sum_us;
  uint64_t fence_count, fence_sum_us, fence_queued_sum_us;
} m;

void daemon_metrics_request(unsigned endpoint, unsigned status) {
  if (endpoint >= DAEMON_EP_COUNT) endpoint = DAEMON_EP_OTHER;
  unsigned s = STATUS_SLOTS - 1;
  for (unsigned i = 0; i + 1 < STATUS_SLOTS; i++)
    if (statuses[i] == status) s = i;
  m.requests[endpoint][s]++;
}

void daemon_metrics_tx_result(int result) {
  for (unsigned i = 0; i < RESULT_SLOTS; i++) {
    if (m.results[i] && m.result_codes[i] == result) { m.results[i]++; return; }
    if (!m.results[i]) {
      m.result_codes[i] = result;
      m.results[i] = 1;
      return;
    }
  }
}

void daemon_metrics_batch(size_t entries, uint64_t commit_us) {
  size_t b = 0;
  while (b < BATCH_BUCKETS && entries > batch_le[b]) b++;
  m.batch_buckets[b]++;
  m.batch_count++;
  m.batch_sum += entries;
  size_t l = 0;
  while (l < LATENCY_BUCKETS && commit_us > latency_le_us[l]) l++;
  m.latency_buckets[l]++;
  m.latency_count++;
  m.latency_sum_us += commit_us;
}

/* A standby's rounds (its follower and verifier threads, not the loop): atomic counters. */
static struct {
  uint64_t appends, appended, ask_us, append_us, verify_us, verified, applies, applied, apply_us;
  uint64_t sent_ahead, confirmed_at_commit; /* the primary's side (loop, writer thread) */
} sb;

void daemon_metrics_sent_ahead(void) { __atomic_fetch_add(&sb.sent_ahead, 1, __ATOMIC_RELAXED); }

void daemon_metrics_confirmed_at_commit(void) { __atomic_fetch_add(&sb.confirmed_at_commit, 1, __ATOMIC_RELAXED); }

void daemon_metrics_standby_append(uint64_t ask_us, uint64_t append_us, uint64_t entries) {
  __atomic_fetch_add(&sb.appends, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sb.appended, entries, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sb.ask_us, ask_us, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sb.append_us, append_us, __ATOMIC_RELAXED);
}

void daemon_metrics_standby_verify(uint64_t verify_us, uint64_t entries) {
  __atomic_fetch_add(&sb.verify_us, verify_us, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sb.verified, entries, __ATOMIC_RELAXED);
}

void daemon_metrics_standby_apply(uint64_t apply_us, uint64_t entries) {
  __atomic_fetch_add(&sb.applies, 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sb.applied, entries, __ATOMIC_RELAXED);
  __atomic_fetch_add(&sb.apply_us, apply_us, __ATOMIC_RELAXED);
}

static uint64_t sb_get(const uint64_t *v) { return __atomic_load_n(v, __ATOMIC_RELAXED); }

static int render_standby_rounds(struct daemon_buf *o) {
  uint64_t ask = sb_get(&sb.ask_us), app = sb_get(&sb.append_us), ver = sb_get(&sb.verify_us);
  uint64_t apl = sb_get(&sb.apply_us);
  return daemon_buf_printf(
      o, "# HELP quotad_standby_appends_total Batches a standby appended from its primary's stream.\n"
         "# TYPE quotad_standby_appends_total counter\nquotad_standby_appends_total %llu\n"
         "# HELP quotad_standby_appended_entries_total Entries a standby appended.\n"
         "# TYPE quotad_standby_appended_entries_total counter\nquotad_standby_appended_entries_total %llu\n"
         "# HELP quotad_standby_ask_seconds_sum Time from a standby's ask (which confirms what it holds) "
         "to the answer that brought the entries it appended: the primary's next commit and the page.\n"
         "# TYPE quotad_standby_ask_seconds_sum counter\nquotad_standby_ask_seconds_sum %llu.%06llu\n"
         "# HELP quotad_standby_append_seconds_sum Time a standby spent appending a page to its journal "
         "(decoding, the root from the tree's right edge, the write and its fdatasync) before it confirms by "
         "asking again.\n"
         "# TYPE quotad_standby_append_seconds_sum counter\nquotad_standby_append_seconds_sum %llu.%06llu\n"
         "# HELP quotad_standby_verify_seconds_sum Time a standby's verifier spent checking signatures and "
         "legs, after the confirmation.\n"
         "# TYPE quotad_standby_verify_seconds_sum counter\nquotad_standby_verify_seconds_sum %llu.%06llu\n"
         "# HELP quotad_standby_applies_total Ledger commits of a standby's applier (journaled pages, merged), "
         "after the confirmation.\n"
         "# TYPE quotad_standby_applies_total counter\nquotad_standby_applies_total %llu\n"
         "# HELP quotad_standby_applied_entries_total Entries a standby's applier committed to its ledger.\n"
         "# TYPE quotad_standby_applied_entries_total counter\nquotad_standby_applied_entries_total %llu\n"
         "# HELP quotad_standby_apply_seconds_sum Time a standby's applier spent committing (rules, root, "
         "the ledger's commit with its fsync).\n"
         "# TYPE quotad_standby_apply_seconds_sum counter\nquotad_standby_apply_seconds_sum %llu.%06llu\n"
         "# HELP quotad_standby_verified_entries_total Entries a standby's verifier checked.\n"
         "# TYPE quotad_standby_verified_entries_total counter\nquotad_standby_verified_entries_total %llu\n"
         "# HELP quotad_standby_sent_ahead_total Batches a primary sent its standby while committing them.\n"
         "# TYPE quotad_standby_sent_ahead_total counter\nquotad_standby_sent_ahead_total %llu\n"
         "# HELP quotad_standby_confirmed_at_commit_total Batches the standby had confirmed by the time "
         "the primary's own commit of them ended.\n"
         "# TYPE quotad_standby_confirmed_at_commit_total counter\nquotad_standby_confirmed_at_commit_total %llu\n",
      (unsigned long long)sb_get(&sb.appends), (unsigned long long)sb_get(&sb.appended),
      (unsigned long long)(ask / 1000000), (unsigned long long)(ask % 1000000),
      (unsigned long long)(app / 1000000), (unsigned long long)(app % 1000000),
      (unsigned long long)(ver / 1000000), (unsigned long long)(ver % 1000000),
      (unsigned long long)sb_get(&sb.applies), (unsigned long long)sb_get(&sb.applied),
      (unsigned long long)(apl / 1000000), (unsigned long long)(apl % 1000000),
      (unsigned long long)sb_get(&sb.verified), (unsigned long long)sb_get(&sb.sent_ahead),
      (unsigned long long)sb_get(&sb.confirmed_at_commit));
}

void daemon_metrics_fence(uint64_t queued_us, uint64_t fence_us) {
  m.fence_count++;
  m.fence_queued_sum_us += queued_us;
  m.fence_sum_us += fence_us;
}

static const char *result_name(int code) {
  if (code == 0) return "ok";
  if (code == 1) return "exists";
  return proto_err_name(code);
}

static int render_requests(struct daemon_buf *o) {
  int rc = daemon_buf_printf(o, "# HELP quotad_requests_total HTTP requests by endpoint and status.\n"
                                "# TYPE quotad_requests_total counter\n");
  for (unsigned e = 0; e < DAEMON_EP_COUNT && !rc; e++)
    for (unsigned s = 0; s < STATUS_SLOTS && !rc; s++)
      if (m.requests[e][s])
        rc = daemon_buf_printf(o, "quotad_requests_total{endpoint=\"%s\",status=\"%s%u\"} %llu\n",
                               endpoint_names[e], statuses[s] ? "" : "other", statuses[s] ? statuses[s] : 0,
                               (unsigned long long)m.requests[e][s]);
  if (rc) return rc;
  rc = daemon_buf_printf(o, "# HELP quotad_tx_results_total Transaction results by code.\n"
                            "# TYPE quotad_tx_results_total counter\n");
  for (unsigned i = 0; i < RESULT_SLOTS && m.results[i] && !rc; i++)
    rc = daemon_buf_printf(o, "quotad_tx_results_total{result=\"%s\"} %llu\n",
                           result_name(m.result_codes[i]), (unsigned long long)m.results[i]);
  return rc;
}

/* seconds from microseconds, as Prometheus reads them */
#define SECONDS_US(us) (unsigned long long)((us) / 1000000), (unsigned long long)((us) % 1000000)

static int render_fence(struct daemon_buf *o) {
  return daemon_buf_printf(
      o, "# HELP quotad_fence_seconds Time committed batches spent in their fence before their answer "
         "(the synchronous standby's confirmation, the checkpoint's signature and publication, or the "
         "etcd epoch check).\n# TYPE quotad_fence_seconds summary\n"
         "quotad_fence_seconds_sum %llu.%06llu\nquotad_fence_seconds_count %llu\n"
         "# HELP quotad_fence_queued_seconds Time committed batches waited for the fence to finish the "
         "batch before them.\n# TYPE quotad_fence_queued_seconds summary\n"
         "quotad_fence_queued_seconds_sum %llu.%06llu\nquotad_fence_queued_seconds_count %llu\n",
      SECONDS_US(m.fence_sum_us), (unsigned long long)m.fence_count, SECONDS_US(m.fence_queued_sum_us),
      (unsigned long long)m.fence_count);
}

static int render_histograms(struct daemon_buf *o) {
  int rc = daemon_buf_printf(o, "# HELP quotad_batch_entries Envelopes per group commit.\n"
                                "# TYPE quotad_batch_entries histogram\n");
  uint64_t cum = 0;
  for (size_t b = 0; b < BATCH_BUCKETS && !rc; b++) {
    cum += m.batch_buckets[b];
    rc = daemon_buf_printf(o, "quotad_batch_entries_bucket{le=\"%llu\"} %llu\n",
                           (unsigned long long)batch_le[b], (unsigned long long)cum);
  }
  if (!rc)
    rc = daemon_buf_printf(o, "quotad_batch_entries_bucket{le=\"+Inf\"} %llu\nquotad_batch_entries_sum %llu\n"
                              "quotad_batch_entries_count %llu\n",
                           (unsigned long long)m.batch_count, (unsigned long long)m.batch_sum,
                           (unsigned long long)m.batch_count);
  if (!rc)
    rc = daemon_buf_printf(o, "# HELP quotad_commit_seconds Time of ledger_apply per batch (fsync included).\n"
                              "# TYPE quotad_commit_seconds histogram\n");
  cum = 0;
  for (size_t l = 0; l < LATENCY_BUCKETS && !rc; l++) {
    cum += m.latency_buckets[l];
    rc = daemon_buf_printf(o, "quotad_commit_seconds_bucket{le=\"%s\"} %llu\n", latency_le_text[l],
                           (unsigned long long)cum);
  }
  if (!rc)
    rc = daemon_buf_printf(o, "quotad_commit_seconds_bucket{le=\"+Inf\"} %llu\n"
                              "quotad_commit_seconds_sum %llu.%06llu\nquotad_commit_seconds_count %llu\n",
                           (unsigned long long)m.latency_count,
                           (unsigned long long)(m.latency_sum_us / 1000000),
                           (unsigned long long)(m.latency_sum_us % 1000000),
                           (unsigned long long)m.latency_count);
  if (!rc) rc = render_fence(o);
  if (!rc) rc = render_standby_rounds(o);
  return rc;
}

/* The process_* family Prometheus' client libraries export, from /proc/self. */
static int render_process(struct daemon_buf *o, uint64_t start_time_s) {
  unsigned long long utime = 0, stime = 0, vsize = 0;
  long long rss_pages = 0;
  FILE *f = fopen("/proc/self/stat", "r");
  if (f) {
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    /* Fields after ")": state(3) ... utime(14) stime(15) ... vsize(23) rss(24). */
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
                    "%*d %*d %*d %*u %llu %lld", &utime, &stime, &vsize, &rss_pages) != 4) {
      utime = stime = vsize = 0;
      rss_pages = 0;
    }
  }
  long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
  unsigned long long fds = 0;
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    while (readdir(d)) fds++;
    closedir(d);
    fds = fds > 3 ? fds - 3 : 0; /* ".", ".." and the directory's own fd */
  }
  struct rlimit rl = {0};
  getrlimit(RLIMIT_NOFILE, &rl);
  unsigned long long cpu_ms = tick > 0 ? (utime + stime) * 1000ull / (unsigned long long)tick : 0;
  return daemon_buf_printf(
      o,
      "# HELP process_cpu_seconds_total User and system CPU time spent.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %llu.%03llu\n"
      "# HELP process_resident_memory_bytes Resident memory size.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %llu\n"
      "# HELP process_virtual_memory_bytes Virtual memory size.\n"
      "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %llu\n"
      "# HELP process_open_fds Open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds %llu\n"
      "# HELP process_max_fds Maximum open file descriptors.\n"
      "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n"
      "# HELP process_start_time_seconds Start time of the process since the epoch.\n"
      "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %llu\n",
      cpu_ms / 1000, cpu_ms % 1000, (unsigned long long)rss_pages * (unsigned long long)page,
      vsize, fds, (unsigned long long)rl.rlim_cur, (unsigned long long)start_time_s);
}

int daemon_metrics_render(struct daemon_buf *out, const struct daemon_gauges *g) {
  int rc = render_requests(out);
  if (!rc) rc = render_histograms(out);
  if (!rc)
    rc = daemon_buf_printf(out,
                           "# HELP quotad_build_info The running build.\n# TYPE quotad_build_info gauge\n"
                           "quotad_build_info{version=\"%s\"} 1\n"
                           "# HELP quotad_tree_size Entries in the log.\n# TYPE quotad_tree_size gauge\n"
                           "quotad_tree_size %llu\n"
                           "# HELP quotad_published_tree_size Tree size of the latest published checkpoint.\n"
                           "# TYPE quotad_published_tree_size gauge\nquotad_published_tree_size %llu\n"
                           "# HELP quotad_unpublished_entries Entries committed but not yet under a published checkpoint.\n"
                           "# TYPE quotad_unpublished_entries gauge\nquotad_unpublished_entries %llu\n"
                           "# HELP quotad_checkpoint_age_seconds Age of the latest signed checkpoint.\n"
                           "# TYPE quotad_checkpoint_age_seconds gauge\nquotad_checkpoint_age_seconds %llu\n"
                           "# HELP quotad_connections Open client connections.\n"
                           "# TYPE quotad_connections gauge\nquotad_connections %u\n"
                           "# HELP quotad_lmdb_map_bytes Current LMDB map size.\n"
                           "# TYPE quotad_lmdb_map_bytes gauge\nquotad_lmdb_map_bytes %llu\n"
                           "# HELP quotad_lmdb_used_bytes LMDB pages in use.\n"
                           "# TYPE quotad_lmdb_used_bytes gauge\nquotad_lmdb_used_bytes %llu\n"
                           "# HELP quotad_lmdb_map_bytes_max The map ceiling (map_bytes_max): writes fail when used reaches it.\n"
                           "# TYPE quotad_lmdb_map_bytes_max gauge\nquotad_lmdb_map_bytes_max %llu\n",
                           QUOTAD_VERSION, (unsigned long long)g->tree_size,
                           (unsigned long long)g->published_size,
                           (unsigned long long)(g->tree_size > g->published_size
                                                    ? g->tree_size - g->published_size : 0),
                           (unsigned long long)g->checkpoint_age_s, g->connections,
                           (unsigned long long)g->map_bytes, (unsigned long long)g->map_used_bytes,
                           (unsigned long long)g->map_bytes_max);
  if (!rc)
    rc = daemon_buf_printf(out,
                           "# HELP quotad_read_only 1 while writes are stopped (behind a learned checkpoint, high-water file).\n"
                           "# TYPE quotad_read_only gauge\nquotad_read_only %d\n"
                           "# HELP quotad_standby_diverged 1 when this standby stopped following: its primary's entries diverged.\n"
                           "# TYPE quotad_standby_diverged gauge\nquotad_standby_diverged %d\n"
                           "# HELP quotad_standby_unverified Entries a standby appended (and confirmed) whose signatures and legs its verifier has not checked yet.\n"
                           "# TYPE quotad_standby_unverified gauge\nquotad_standby_unverified %llu\n"
                           "# HELP quotad_standby_unapplied Entries a standby confirmed (in its journal) that its applier has not committed to its ledger yet.\n"
                           "# TYPE quotad_standby_unapplied gauge\nquotad_standby_unapplied %llu\n"
                           "# HELP quotad_standby_away 1 while the synchronous standby is away (going on alone, or stalled).\n"
                           "# TYPE quotad_standby_away gauge\nquotad_standby_away %d\n"
                           "# HELP quotad_unpublished 1 while a signed checkpoint waits for its etcd swap (etcd unreachable): it is not served.\n"
                           "# TYPE quotad_unpublished gauge\nquotad_unpublished %d\n",
                           g->read_only ? 1 : 0, g->standby_diverged ? 1 : 0,
                           (unsigned long long)g->standby_unverified, (unsigned long long)g->standby_unapplied,
                           g->standby_away ? 1 : 0,
                           g->unpublished ? 1 : 0);
  if (!rc) rc = render_process(out, g->start_time_s);
  return rc;
}

/* The bearer token that lets a scraper read /metrics over TCP; empty: none configured. */
static char metrics_token[256];

bool daemon_metrics_token_ok(const char *authorization) {
  size_t tlen = strlen(metrics_token);
  if (!tlen || !authorization || strncmp(authorization, "Bearer ", 7) != 0) return false;
  const char *given = authorization + 7;
  size_t glen = strlen(given);
  unsigned char diff = (unsigned char)(glen != tlen);
  for (size_t i = 0; i < tlen; i++) diff |= (unsigned char)(metrics_token[i] ^ (i < glen ? given[i] : 0));
  return diff == 0;
}

int daemon_metrics_token_load(const char *path, char *why, size_t why_cap) {
  if (!path[0]) {
    metrics_token[0] = '\0';
    return 0;
  }
  struct stat st;
  FILE *f = fopen(path, "r");
  if (!f || fstat(fileno(f), &st) != 0) {
    snprintf(why, why_cap, "metrics token %s: %s", path, strerror(errno));
    if (f) fclose(f);
    return PROTO_E_BAD_ARGUMENT;
  }
  char line[sizeof metrics_token + 2] = "";
  bool got = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  line[strcspn(line, "\r\n")] = '\0';
  if (st.st_mode & 077) {
    snprintf(why, why_cap, "metrics token %s is readable by group or others: chmod 600 it", path);
    return PROTO_E_BAD_ARGUMENT;
  }
  if (!got || strlen(line) < 16 || strlen(line) >= sizeof metrics_token || strpbrk(line, " \t")) {
    snprintf(why, why_cap, "metrics token %s: one line of 16 to 255 characters, no spaces", path);
    return PROTO_E_BAD_ARGUMENT;
  }
  memcpy(metrics_token, line, strlen(line) + 1);
  return 0;
}
