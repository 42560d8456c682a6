/* quota-bench: the load generator of quotad. Builds a realistic registry through the API, signs
 * every transaction of the measured window beforehand, then drives quotad over N keep-alive
 * HTTP/1.1 connections and reports throughput, latency percentiles and CPU use (table or JSON). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/quota_bench.h"

#define SWEEP_MAX 16u
#define BENCH_QUOTAD_ARGS_MAX 16u
#define BENCH_WATCH_MAX 8u /* --watch NAME=PID */

struct options {
  const char *url, *quotad, *quotad_config, *dir, *log_key, *operator_key, *origin, *mix_text;
  const char *quotad_args[BENCH_QUOTAD_ARGS_MAX];
  size_t quotad_args_n;
  unsigned enterprises, threads, setup_chunk, legs;
  unsigned connections[SWEEP_MAX], per_request[SWEEP_MAX];
  size_t connections_n, per_request_n;
  double duration_s, sweep_duration_s, rate_tx_s;
  uint64_t count, pool_max;
  struct bench_mix mix;
  bool json, half_load, keep, count_checkpoints;
  pid_t quotad_pid;
  char *watch_name[BENCH_WATCH_MAX]; /* malloc'd */
  pid_t watch_pid[BENCH_WATCH_MAX];
  size_t watch_n;
};

static void usage(FILE *f) {
  fprintf(f,
    "usage: quota-bench (--quotad PATH [--quotad-config FILE] | --url http://HOST:PORT\n"
    "                    --log-key FILE --operator-key FILE [--quotad-pid PID]) [options]\n"
    "  --quotad PATH        start quotad (fresh keys, fresh data dir) and stop it at the end;\n"
    "                       DIR keeps log.key and operator.key (with --keep, the data too)\n"
    "  --quotad-arg ARG     one more argument for quotad (repeat: --quotad-arg --log-level ...)\n"
    "  --url URL            drive a running, empty quotad whose log key is --log-key\n"
    "  --connections N[,N]  keep-alive connections (default 64); a list sweeps\n"
    "  --per-request P[,P]  transactions per POST /v1/tx (binary frames; default 1); a list sweeps\n"
    "  --duration S         measured window in seconds (default 10)\n"
    "  --sweep-duration S   windows of the sweep after the first (default: --duration)\n"
    "  --count N            send exactly N transactions instead of a timed window\n"
    "  --pool N             transactions signed ahead for a timed window (default 200000)\n"
    "  --mix M              transfer | surrender | settle | e.g. transfer:90,surrender:5,settle:5\n"
    "  --batch-legs L       legs per settle (default 100, at most 1000)\n"
    "  --rate R             open loop at R transactions/s (latency counted from when each\n"
    "                       request was due)\n"
    "  --half-load          right after the first window, another at half the rate it reached\n"
    "  --enterprises N      enterprises in the registry (default 3378, 2025's key emitters)\n"
    "  --watch NAME=PID     also report that process's CPU in each window (repeatable: a\n"
    "                       standby, witnesses)\n"
    "  --count-checkpoints  count the checkpoints quotad publishes in each window (polls\n"
    "                       GET /log/checkpoint every 10 ms)\n"
    "  --threads T          signing threads (default: cores)\n"
    "  --origin O --dir DIR --keep --setup-chunk N --json\n");
}

static size_t parse_list(const char *s, unsigned *out, unsigned max) {
  size_t n = 0;
  for (char *end = NULL; *s && n < SWEEP_MAX; s = end + (*end == ',')) {
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || v == 0 || v > max) return 0;
    out[n++] = (unsigned)v;
    if (*end != ',' && *end != '\0') return 0;
  }
  return n;
}

static int parse_mix(const char *s, struct bench_mix *mix) {
  static const char *names[BENCH_KINDS] = {"transfer", "surrender", "settle"};
  memset(mix->weight, 0, sizeof(mix->weight));
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", s);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *colon = strchr(tok, ':');
    unsigned long w = colon ? strtoul(colon + 1, NULL, 10) : 1;
    if (colon) *colon = '\0';
    unsigned k = 0;
    while (k < BENCH_KINDS && strcmp(tok, names[k]) != 0) k++;
    if (k == BENCH_KINDS || w == 0 || w > 1000) return -1;
    mix->weight[k] = (unsigned)w;
  }
  return mix->weight[0] + mix->weight[1] + mix->weight[2] > 0 ? 0 : -1;
}

/* A number option: the whole text must be a finite number. */
static int num(const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || errno != 0 || !(v > -1e300 && v < 1e300)) return -1;
  *out = v;
  return 0;
}

/* --watch NAME=PID: a name for the report and a live process id. */
static int parse_watch(const char *v, struct options *o) {
  const char *eq = strchr(v, '=');
  char *end = NULL;
  long pid = eq ? strtol(eq + 1, &end, 10) : 0;
  if (!eq || eq == v || o->watch_n >= BENCH_WATCH_MAX || end == eq + 1 || *end != '\0' || pid <= 0)
    return -1;
  PROTO_ASSERT(o->watch_n < BENCH_WATCH_MAX);
  o->watch_name[o->watch_n] = strndup(v, (size_t)(eq - v));
  o->watch_pid[o->watch_n++] = (pid_t)pid;
  return o->watch_name[o->watch_n - 1] ? 0 : -1;
}

/* Options without a value; returns 1 when a was one. */
static int parse_flag(const char *a, struct options *o) {
  if (strcmp(a, "--json") == 0) o->json = true;
  else if (strcmp(a, "--half-load") == 0) o->half_load = true;
  else if (strcmp(a, "--keep") == 0) o->keep = true;
  else if (strcmp(a, "--count-checkpoints") == 0) o->count_checkpoints = true;
  else if (strcmp(a, "--help") == 0) {
    usage(stdout);
    exit(0);
  } else return 0;
  return 1;
}

static int parse_options(int argc, char **argv, struct options *o) {
  *o = (struct options){.enterprises = 3378, .setup_chunk = 256, .legs = 100,
                        .connections = {64}, .per_request = {1}, .connections_n = 1,
                        .per_request_n = 1, .duration_s = 10.0, .pool_max = 200000,
                        .origin = BENCH_ORIGIN_DEFAULT, .mix_text = "transfer"};
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  o->threads = cores > 0 ? (unsigned)cores : 1;
  parse_mix("transfer", &o->mix);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d = 0;
    if (parse_flag(a, o)) continue;
    if (!v) return -1;
    i++;
    if (strcmp(a, "--url") == 0) o->url = v;
    else if (strcmp(a, "--quotad") == 0) o->quotad = v;
    else if (strcmp(a, "--quotad-config") == 0) o->quotad_config = v;
    else if (strcmp(a, "--quotad-pid") == 0) o->quotad_pid = (pid_t)strtol(v, NULL, 10);
    else if (strcmp(a, "--dir") == 0) o->dir = v;
    else if (strcmp(a, "--log-key") == 0) o->log_key = v;
    else if (strcmp(a, "--operator-key") == 0) o->operator_key = v;
    else if (strcmp(a, "--origin") == 0) o->origin = v;
    else if (strcmp(a, "--enterprises") == 0) o->enterprises = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--threads") == 0) o->threads = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--setup-chunk") == 0) o->setup_chunk = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--batch-legs") == 0) o->legs = (unsigned)strtoul(v, NULL, 10);
    else if (strcmp(a, "--duration") == 0 && num(v, &d) == 0) o->duration_s = d;
    else if (strcmp(a, "--sweep-duration") == 0 && num(v, &d) == 0) o->sweep_duration_s = d;
    else if (strcmp(a, "--rate") == 0 && num(v, &d) == 0) o->rate_tx_s = d;
    else if (strcmp(a, "--count") == 0) o->count = strtoull(v, NULL, 10);
    else if (strcmp(a, "--pool") == 0) o->pool_max = strtoull(v, NULL, 10);
    else if (strcmp(a, "--mix") == 0) {
      o->mix_text = v;
      if (parse_mix(v, &o->mix) != 0) return -1;
    } else if (strcmp(a, "--watch") == 0) {
      if (parse_watch(v, o) != 0) return -1;
    } else if (strcmp(a, "--quotad-arg") == 0) {
      if (o->quotad_args_n >= BENCH_QUOTAD_ARGS_MAX) return -1;
      o->quotad_args[o->quotad_args_n++] = v;
    }
    else if (strcmp(a, "--connections") == 0) {
      if (!(o->connections_n = parse_list(v, o->connections, BENCH_CONNECTIONS_MAX))) return -1;
    } else if (strcmp(a, "--per-request") == 0) {
      if (!(o->per_request_n = parse_list(v, o->per_request, BENCH_PER_REQUEST_MAX))) return -1;
    } else return -1;
  }
  o->mix.legs = o->legs;
  if (o->sweep_duration_s == 0) o->sweep_duration_s = o->duration_s;
  if (!o->url == !o->quotad) return -1;
  if (o->url && (!o->log_key || !o->operator_key)) return -1;
  if (o->enterprises < 2 || o->enterprises > BENCH_ENTERPRISES_MAX || o->legs == 0 ||
      o->legs > PROTO_LEGS_MAX || o->setup_chunk == 0 || o->setup_chunk > BENCH_PER_REQUEST_MAX ||
      o->count > BENCH_POOL_MAX || o->pool_max == 0 || o->pool_max > BENCH_POOL_MAX ||
      !(o->duration_s > 0 && o->duration_s < 86400) || !(o->sweep_duration_s < 86400) ||
      o->sweep_duration_s < 0 || o->rate_tx_s < 0)
    return -1;
  return 0;
}

static int parse_url(const char *url, struct bench_target *t) {
  const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : url;
  const char *colon = strrchr(p, ':');
  if (!colon || (size_t)(colon - p) >= sizeof(t->host)) return -1;
  memcpy(t->host, p, (size_t)(colon - p));
  t->host[colon - p] = '\0';
  unsigned long port = strtoul(colon + 1, NULL, 10);
  if (port == 0 || port > 65535) return -1;
  t->port = (unsigned)port;
  return 0;
}

/* quotad's CPU by thread, from /proc/PID/task/TID/stat: the loop (the main thread), the writer
 * ("quotad-writer"), the verifiers ("quotad-verify", libuv's pool) and anything else; user and
 * system seconds of each. The daemon names its threads for this. */
enum { TH_LOOP, TH_WRITER, TH_VERIFY, TH_OTHER, TH_KINDS };
static const char *const th_names[TH_KINDS] = {"loop", "writer", "verify", "other"};
struct thread_cpu {
  double user[TH_KINDS], sys[TH_KINDS];
  bool ok;
};

static struct thread_cpu threads_cpu(pid_t pid) {
  struct thread_cpu t = {.ok = false};
  if (pid <= 0) return t;
  char dir[64];
  snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
  DIR *d = opendir(dir);
  if (!d) return t;
  double hz = (double)sysconf(_SC_CLK_TCK);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[sizeof(dir) + sizeof(e->d_name) + 8], comm[32];
    unsigned long long ut, st;
    snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
    if (!bench_stat_ticks(path, comm, sizeof(comm), &ut, &st)) continue;
    int kind = strtol(e->d_name, NULL, 10) == (long)pid ? TH_LOOP
               : strcmp(comm, "quotad-writer") == 0 ? TH_WRITER
               : strcmp(comm, "quotad-verify") == 0 ? TH_VERIFY
                                                    : TH_OTHER;
    t.user[kind] += (double)ut / hz;
    t.sys[kind] += (double)st / hz;
    t.ok = true;
  }
  closedir(d);
  return t;
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static double percentile_ms(const uint32_t *sorted, size_t n, unsigned per_mille) {
  if (n == 0) return 0;
  size_t i = (size_t)(((uint64_t)n * per_mille + 999u) / 1000u);
  return (double)sorted[i == 0 ? 0 : i - 1] / 1e3;
}

struct window {
  unsigned connections, per_request;
  double rate_tx_s, duration_s;
  double expect_tx_s; /* the best rate seen so far (0: none yet), to size the pool */
  struct bench_load_result r;
  double tx_per_s, legs_per_s, quotad_cores, bench_cores, p50, p99, p999, max_ms;
  struct thread_cpu threads; /* cores over the window, by kind of thread */
  bool pool_exhausted;
  size_t pool_requests;
  double watch_cpu_s[BENCH_WATCH_MAX]; /* --watch: CPU seconds in the window (-1 unknown) */
  long long checkpoints;               /* --count-checkpoints: published in the window, else -1 */
};

/* --watch processes' CPU seconds so far, into cpu[]; after a window, the difference. */
static void watch_sample(const struct options *o, double *cpu, bool after) {
  for (size_t i = 0; i < o->watch_n; i++) {
    double now = bench_proc_cpu_s(o->watch_pid[i]);
    PROTO_ASSERT(i < BENCH_WATCH_MAX);
    cpu[i] = !after ? now : now >= 0 && cpu[i] >= 0 ? now - cpu[i] : -1;
  }
}

/* The --watch and --count-checkpoints figures of a window, into j. */
static void watch_json(const struct options *o, const struct window *w, json_t *j) {
  PROTO_ASSERT(j != NULL);
  double el = w->r.elapsed_s > 0 ? w->r.elapsed_s : 1e-9;
  if (o->watch_n) {
    json_t *cores = json_object(), *secs = json_object();
    for (size_t i = 0; i < o->watch_n; i++) {
      double c = w->watch_cpu_s[i];
      json_object_set_new(cores, o->watch_name[i], c >= 0 ? json_real(c / el) : json_null());
      json_object_set_new(secs, o->watch_name[i], c >= 0 ? json_real(c) : json_null());
    }
    json_object_set_new(j, "watched_cpu_cores", cores);
    json_object_set_new(j, "watched_cpu_s", secs);
  }
  if (w->checkpoints >= 0) {
    json_object_set_new(j, "checkpoints_published", json_integer(w->checkpoints));
    json_object_set_new(j, "checkpoint_poll_ms", json_integer(BENCH_CHECKPOINT_POLL_MS));
  }
}

static void window_print(FILE *f, const struct options *o, const struct window *w) {
  fprintf(f, "\nquota-bench: %u connections, %u tx/request, %s", w->connections, w->per_request,
         w->rate_tx_s > 0 ? "open loop at " : "closed loop\n");
  if (w->rate_tx_s > 0) fprintf(f, "%.0f tx/s\n", w->rate_tx_s);
  if (w->r.unsent_due > 0)
    fprintf(f, "  %-22s %10llu  (the server could not keep up with the rate)\n", "due but never sent",
            (unsigned long long)w->r.unsent_due);
  fprintf(f, "  %-22s %10.2f s%s\n", "window", w->r.elapsed_s,
         w->pool_exhausted ? "  (the pre-signed pool ran out first: raise --pool)" : "");
  fprintf(f, "  %-22s %10llu\n", "requests answered", (unsigned long long)w->r.requests);
  fprintf(f, "  %-22s %10llu  (exists %llu, refused %llu, HTTP errors %llu)\n", "transactions ok",
         (unsigned long long)w->r.txs_ok, (unsigned long long)w->r.txs_exists,
         (unsigned long long)w->r.txs_error, (unsigned long long)w->r.http_errors);
  fprintf(f, "  %-22s %10.0f tx/s\n", "throughput", w->tx_per_s);
  if (o->mix.weight[BENCH_SETTLE]) fprintf(f, "  %-22s %10.0f legs/s\n", "settlement", w->legs_per_s);
  fprintf(f, "  %-22s p50 %.3f  p99 %.3f  p999 %.3f  max %.3f\n", "latency (ms)", w->p50, w->p99,
         w->p999, w->max_ms);
  if (w->quotad_cores >= 0) fprintf(f, "  %-22s %10.2f cores\n", "quotad CPU", w->quotad_cores);
  if (w->threads.ok) {
    fprintf(f, "  %-22s", "quotad CPU by thread");
    for (int k = 0; k < TH_KINDS; k++)
      fprintf(f, " %s %.2f (sys %.2f)", th_names[k], w->threads.user[k] + w->threads.sys[k], w->threads.sys[k]);
    fprintf(f, " cores\n");
  }
  fprintf(f, "  %-22s %10.2f cores\n", "quota-bench CPU", w->bench_cores);
  for (size_t i = 0; i < o->watch_n; i++)
    fprintf(f, "  %-22s %10.2f cores  (%s)\n", "watched CPU",
            w->watch_cpu_s[i] / (w->r.elapsed_s > 0 ? w->r.elapsed_s : 1e-9), o->watch_name[i]);
  if (w->checkpoints >= 0) fprintf(f, "  %-22s %10lld\n", "checkpoints published", w->checkpoints);
  if (w->r.first_error[0]) fprintf(f, "  %-22s %s\n", "first error", w->r.first_error);
}

static json_t *window_json(const struct options *o, const struct window *w) {
  json_t *j = json_pack("{s:i, s:i, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:{s:f, s:f, s:f, "
                   "s:f}, s:I, s:f, s:f, s:b, s:s}",
                   "connections", (json_int_t)w->connections, "per_request",
                   (json_int_t)w->per_request, "rate_target_tx_per_s", w->rate_tx_s, "seconds",
                   w->r.elapsed_s, "requests", (json_int_t)w->r.requests, "tx_ok",
                   (json_int_t)w->r.txs_ok, "tx_exists", (json_int_t)w->r.txs_exists,
                   "tx_refused", (json_int_t)w->r.txs_error, "http_errors",
                   (json_int_t)w->r.http_errors, "tx_per_s", w->tx_per_s, "legs_per_s",
                   w->legs_per_s, "latency_ms", "p50", w->p50, "p99", w->p99, "p999", w->p999,
                   "max", w->max_ms, "unsent_due", (json_int_t)w->r.unsent_due,
                   "quotad_cpu_cores", w->quotad_cores, "bench_cpu_cores",
                   w->bench_cores, "pool_exhausted", w->pool_exhausted, "first_error",
                   w->r.first_error);
  if (j && w->threads.ok) {
    json_t *th = json_object();
    for (int k = 0; k < TH_KINDS; k++) {
      char key[32];
      json_object_set_new(th, th_names[k], json_real(w->threads.user[k] + w->threads.sys[k]));
      snprintf(key, sizeof(key), "%s_sys", th_names[k]);
      json_object_set_new(th, key, json_real(w->threads.sys[k]));
    }
    json_object_set_new(j, "quotad_threads_cores", th);
  }
  if (j) watch_json(o, w, j);
  return j;
}

/* One measured window: sign its pool, run it, compute the figures. Returns 0, or -1 when it
 * could not run (errors inside the window are in w->r). */
static int window_run(const struct options *o, struct bench_registry *reg,
                      const struct bench_target *t, pid_t quotad_pid, struct window *w) {
  uint64_t txs = o->count ? o->count : o->pool_max;
  if (!o->count && w->rate_tx_s > 0 && w->rate_tx_s * w->duration_s * 1.05 + 1 < (double)txs)
    txs = (uint64_t)(w->rate_tx_s * w->duration_s * 1.05) + 1;
  /* Closed loop: sign what the window can use (a batched window may go several times faster
   * than the best so far), not the whole --pool, which only bounds it. */
  double want = 4.0 * w->expect_tx_s * w->duration_s + 4.0 * w->connections * w->per_request;
  if (!o->count && w->rate_tx_s <= 0 && w->expect_tx_s > 0 && want < (double)txs)
    txs = (uint64_t)want;
  PROTO_ASSERT(w->per_request > 0 && w->connections > 0);
  size_t requests = (size_t)((txs + w->per_request - 1) / w->per_request);
  struct bench_pool pool = {0};
  fprintf(stderr, "quota-bench: signing %zu requests of %u transactions\n", requests,
          w->per_request);
  if (bench_pool_build(reg, t, &o->mix, requests, w->per_request, o->threads, &pool) != 0) {
    bench_pool_free(&pool);
    return -1;
  }
  struct bench_load_options lo = {.connections = w->connections,
                                  .duration_s = o->count ? 0 : w->duration_s,
                                  .rate_tx_s = w->rate_tx_s};
  struct bench_checkpoint_watch cw;
  bool counting = o->count_checkpoints && bench_checkpoint_watch_start(&cw, t) == 0;
  struct thread_cpu th0 = threads_cpu(quotad_pid);
  watch_sample(o, w->watch_cpu_s, false);
  double q0 = bench_proc_cpu_s(quotad_pid), s0 = self_cpu_s();
  int rc = bench_load_run(t, &pool, &lo, &w->r);
  double q1 = bench_proc_cpu_s(quotad_pid), s1 = self_cpu_s();
  watch_sample(o, w->watch_cpu_s, true);
  struct thread_cpu th1 = threads_cpu(quotad_pid);
  w->checkpoints = counting ? (long long)bench_checkpoint_watch_stop(&cw) : -1;
  w->pool_requests = pool.count;
  w->pool_exhausted = !o->count && w->r.requests >= pool.count &&
                      w->r.elapsed_s < w->duration_s * 0.99;
  bench_pool_free(&pool);
  if (rc != 0) return -1;
  double el = w->r.elapsed_s > 0 ? w->r.elapsed_s : 1e-9;
  w->tx_per_s = (double)w->r.txs_ok / el;
  w->legs_per_s = (double)w->r.legs_ok / el;
  w->quotad_cores = q0 >= 0 && q1 >= 0 ? (q1 - q0) / el : -1;
  w->bench_cores = (s1 - s0) / el;
  w->threads.ok = th0.ok && th1.ok;
  for (int k = 0; k < TH_KINDS; k++) {
    w->threads.user[k] = (th1.user[k] - th0.user[k]) / el;
    w->threads.sys[k] = (th1.sys[k] - th0.sys[k]) / el;
  }
  qsort(w->r.latency_us, w->r.latency_count, sizeof(uint32_t), cmp_u32);
  w->p50 = percentile_ms(w->r.latency_us, w->r.latency_count, 500);
  w->p99 = percentile_ms(w->r.latency_us, w->r.latency_count, 990);
  w->p999 = percentile_ms(w->r.latency_us, w->r.latency_count, 999);
  w->max_ms = percentile_ms(w->r.latency_us, w->r.latency_count, 1000);
  free(w->r.latency_us);
  w->r.latency_us = NULL;
  return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static void stop_quotad(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 200; i++) {
    pid_t got = waitpid(pid, NULL, WNOHANG);
    if (got == pid || (got < 0 && errno == ECHILD)) return; /* gone, or already reaped */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  fprintf(stderr, "quota-bench: quotad (pid %d) did not stop on SIGTERM in 10 s; killing it\n",
          (int)pid);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* Target, keys and (when asked) a started quotad. */
static int prepare(const struct options *o, const char *dir, struct bench_registry *reg,
                   struct bench_target *t, pid_t *child) {
  snprintf(reg->origin, sizeof(reg->origin), "%s", o->origin);
  reg->enterprises = o->enterprises;
  reg->setup_chunk = o->setup_chunk;
  int rc = 0;
  if (o->log_key) rc = proto_key_load(o->log_key, &reg->log_key);
  if (rc == 0 && o->operator_key) rc = proto_key_load(o->operator_key, &reg->operator_key);
  if (rc) {
    fprintf(stderr, "quota-bench: key file: %s\n", proto_err_message(rc));
    return -1;
  }
  if (o->quotad) {
    if (bench_start_quotad(o->quotad, dir, o->quotad_config, o->quotad_args, o->quotad_args_n,
                           reg, t, child) != 0)
      return -1;
  } else if (parse_url(o->url, t) != 0) {
    fprintf(stderr, "quota-bench: bad --url %s (want http://HOST:PORT)\n", o->url);
    return -1;
  }
  return bench_wait_healthy(t, 30.0, *child);
}

static bool window_clean(const struct window *w) {
  return w->r.txs_ok > 0 && w->r.txs_error == 0 && w->r.http_errors == 0 &&
         w->r.first_error[0] == '\0';
}

/* The half-load window: open loop at half the rate the first window reached, run right after it,
 * so both see the registry at about the same size. */
static int run_half(const struct options *o, struct bench_registry *reg, const struct bench_target *t,
                    pid_t qpid, json_t *runs, const struct window *first) {
  struct window h = {.connections = first->connections, .per_request = first->per_request,
                     .rate_tx_s = first->tx_per_s / 2, .duration_s = o->duration_s};
  if (h.rate_tx_s < 1 || window_run(o, reg, t, qpid, &h) != 0) return -1;
  window_print(o->json ? stderr : stdout, o, &h);
  json_t *hj = window_json(o, &h);
  json_object_set_new(hj, "half_load", json_true());
  json_array_append_new(runs, hj);
  return window_clean(&h) ? 0 : -1;
}

/* The first window, the half-load one (when asked), then the rest of the sweep. Returns 0 when
 * all ran without errors. */
static int run_windows(const struct options *o, struct bench_registry *reg,
                       const struct bench_target *t, pid_t qpid, json_t *runs, double *peak) {
  int rc = 0;
  *peak = 0;
  for (size_t i = 0; i < o->connections_n; i++)
    for (size_t j = 0; j < o->per_request_n; j++) {
      struct window w = {.connections = o->connections[i], .per_request = o->per_request[j],
                         .rate_tx_s = o->rate_tx_s,
                         .duration_s = i + j == 0 ? o->duration_s : o->sweep_duration_s,
                         .expect_tx_s = *peak};
      if (window_run(o, reg, t, qpid, &w) != 0) return -1;
      window_print(o->json ? stderr : stdout, o, &w);
      json_array_append_new(runs, window_json(o, &w));
      if (!window_clean(&w)) rc = -1;
      if (w.tx_per_s > *peak) *peak = w.tx_per_s;
      if (i == 0 && j == 0 && o->half_load && run_half(o, reg, t, qpid, runs, &w) != 0) rc = -1;
    }
  return rc;
}

int main(int argc, char **argv) {
  struct options o;
  if (parse_options(argc, argv, &o) != 0) {
    usage(stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/quota-bench.XXXXXX";
  const char *dir = o.dir ? o.dir : mkdtemp(tmpl);
  if (!dir || (o.dir && mkdir(o.dir, 0700) != 0 && errno != EEXIST)) {
    fprintf(stderr, "quota-bench: %s: %s\n", o.dir ? o.dir : "mkdtemp", strerror(errno));
    return 1;
  }
  struct bench_registry reg = {0};
  struct bench_target t = {0};
  pid_t child = 0;
  int rc = prepare(&o, dir, &reg, &t, &child);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  if (rc == 0) rc = bench_setup(&t, &reg, o.mix.weight[BENCH_SETTLE] > 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double setup_s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  json_t *runs = json_array();
  double peak = 0;
  if (rc == 0) {
    fprintf(stderr, "quota-bench: set-up done in %.1f s\n", setup_s);
    rc = run_windows(&o, &reg, &t, child ? child : o.quotad_pid, runs, &peak);
  }
  if (o.json) {
    json_t *out = json_pack("{s:s, s:s, s:i, s:i, s:f, s:f, s:o, s:b}", "origin", reg.origin,
                            "mix", o.mix_text, "enterprises", (json_int_t)o.enterprises, "batch_legs",
                            (json_int_t)o.legs, "setup_s", setup_s, "peak_tx_per_s", peak,
                            "runs", runs, "ok", rc == 0);
    json_dumpf(out, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(out);
  } else {
    json_decref(runs);
  }
  stop_quotad(child);
  bench_registry_free(&reg);
  for (size_t i = 0; i < o.watch_n; i++) free(o.watch_name[i]);
  if (!o.dir && !o.keep) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  else fprintf(stderr, "quota-bench: kept %s\n", dir);
  return rc == 0 ? 0 : 1;
}
