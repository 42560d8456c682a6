/* quota-bench's watchers around a measured window: CPU seconds of any process from /proc (quotad,
 * its standby, the witnesses) and a thread counting the checkpoints quotad publishes. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/quota_bench.h"

/* After the command name: state (field 3), then fields 4..13; utime and stime are 14 and 15. */
static bool ticks_after_name(const char *close, unsigned long long *ut, unsigned long long *st) {
  const char *p = close;
  unsigned long long v[2] = {0, 0};
  for (int field = 3; field <= 15; field++) {
    p = strchr(p + 1, ' ');
    if (!p) return false;
    if (field >= 14) {
      char *end = NULL;
      v[field - 14] = strtoull(p + 1, &end, 10);
      if (end == p + 1) return false;
    }
  }
  *ut = v[0];
  *st = v[1];
  return true;
}

bool bench_stat_ticks(const char *path, char *comm, size_t comm_cap, unsigned long long *ut,
                      unsigned long long *st) {
  PROTO_ASSERT(path && comm && comm_cap > 0);
  char buf[2048];
  FILE *f = fopen(path, "re");
  if (!f) return false;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char *open = strchr(buf, '('), *close = strrchr(buf, ')'); /* the name may hold spaces */
  if (!open || !close || close < open) return false;
  size_t clen = (size_t)(close - open - 1) < comm_cap - 1 ? (size_t)(close - open - 1) : comm_cap - 1;
  memcpy(comm, open + 1, clen);
  comm[clen] = '\0';
  return ticks_after_name(close, ut, st);
}

double bench_proc_cpu_s(pid_t pid) {
  if (pid <= 0) return -1;
  char path[64], comm[64];
  unsigned long long ut = 0, st = 0;
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  if (!bench_stat_ticks(path, comm, sizeof(comm), &ut, &st)) return -1;
  long hz = sysconf(_SC_CLK_TCK);
  PROTO_ASSERT(hz > 0);
  return (double)(ut + st) / (double)hz;
}

/* One GET of the published checkpoint: 1 when it differs from the last one seen, 0 when not (or
 * nothing is published yet), -1 when the connection failed. */
static int poll_once(struct bench_checkpoint_watch *w, struct http_conn *c) {
  int status = 0;
  char *body = NULL;
  size_t len = 0;
  int err = http_roundtrip(c, w->target.host, "GET", "/log/checkpoint", NULL, NULL, 0, &status,
                           &body, &len);
  if (err != 0) {
    free(body);
    return -1;
  }
  int changed = 0;
  if (status == 200 && (len != w->last_len || memcmp(body, w->last, len) != 0)) {
    free(w->last);
    w->last = body;
    w->last_len = len;
    body = NULL;
    changed = 1;
  }
  free(body);
  return changed;
}

static void *watch_thread(void *arg) {
  struct bench_checkpoint_watch *w = arg;
  struct http_conn c;
  bool connected = http_connect(w->target.host, w->target.port, &c) == 0;
  while (!__atomic_load_n(&w->quit, __ATOMIC_ACQUIRE)) {
    int r = connected ? poll_once(w, &c) : -1;
    if (r < 0) { /* quotad closed the keep-alive connection: open another */
      if (connected) http_close(&c);
      connected = http_connect(w->target.host, w->target.port, &c) == 0;
    } else {
      if (r > 0 && w->started) w->changes++;
      w->started = true; /* the first answer is what was published before the window */
    }
    struct timespec ts = {0, (long)BENCH_CHECKPOINT_POLL_MS * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  if (connected) http_close(&c);
  return NULL;
}

int bench_checkpoint_watch_start(struct bench_checkpoint_watch *w, const struct bench_target *t) {
  PROTO_ASSERT(w && t);
  memset(w, 0, sizeof(*w));
  w->target = *t;
  if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) return -1;
  w->running = true;
  return 0;
}

uint64_t bench_checkpoint_watch_stop(struct bench_checkpoint_watch *w) {
  PROTO_ASSERT(w);
  if (!w->running) return 0;
  __atomic_store_n(&w->quit, true, __ATOMIC_RELEASE);
  pthread_join(w->thread, NULL);
  w->running = false;
  free(w->last);
  w->last = NULL;
  return w->changes;
}
