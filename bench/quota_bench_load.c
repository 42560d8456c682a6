/* quota-bench's load loop: one epoll thread drives N keep-alive connections, closed loop (each
 * connection sends its next request when the answer comes) or open loop at a fixed rate, where
 * latency counts from the moment a request was due, so a slow server cannot hide its queue. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/quota_bench.h"

#define EVENTS_MAX 256
#define DRAIN_S 30.0 /* after the window, how long answers in flight may take */

struct conn {
  struct http_conn http;
  bool busy, dead;
  size_t req, sent;
  double due; /* when its request was due (open loop) or sent (closed loop) */
};

struct loop {
  const struct bench_target *t;
  const struct bench_pool *pool;
  const struct bench_load_options *o;
  struct bench_load_result *r;
  struct conn *conns;
  int ep;
  size_t next;         /* next request of the pool */
  unsigned busy;
  /* Connections without a request in flight, oldest first: taken in turn, so that at a low rate
   * every connection keeps sending (quotad closes a connection that sends no request header
   * within limits.header_timeout_ms of its connect, 5 s by default; a stack left the bottom ones
   * unused for that long in a 30-second half-load window, then found them closed). */
  struct conn **idle;
  unsigned idle_count, idle_head;
  double t0, stop_at, interval_s;
};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_error(struct bench_load_result *r, const char *prefix, const char *detail) {
  if (r->first_error[0] == '\0')
    snprintf(r->first_error, sizeof(r->first_error), "%s%s", prefix, detail);
}

static size_t count_of(const char *hay, size_t len, const char *needle) {
  size_t n = 0, nlen = strlen(needle);
  for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, nlen)) != NULL; p += nlen) n++;
  return n;
}

/* quotad's answer when it accepted every transaction of the request: one "result" per
 * transaction, each "ok". Checked without a JSON parse (quota-bench shares the cores with
 * quotad); any other answer is parsed in full below. */
static bool all_accepted(const struct bench_request *req, const struct http_response *resp) {
  if (resp->status != 200 || resp->body_len == 0) return false;
  size_t results = count_of(resp->body, resp->body_len, "\"result\":");
  return results == req->txs && count_of(resp->body, resp->body_len, "{\"result\":\"ok\",\"index\":") == results;
}

/* Counts the per-transaction results of one answer. */
static void count_results(struct loop *l, const struct bench_request *req,
                          const struct http_response *resp) {
  if (all_accepted(req, resp)) {
    l->r->txs_ok += req->txs;
    l->r->legs_ok += req->legs;
    return;
  }
  json_error_t jerr;
  json_t *root = json_loadb(resp->body, resp->body_len, 0, &jerr);
  json_t *results = root ? json_object_get(root, "results") : NULL;
  if (resp->status != 200 || !json_is_array(results)) {
    l->r->http_errors++;
    l->r->txs_error += req->txs;
    char detail[200];
    snprintf(detail, sizeof(detail), "HTTP %d %.*s", resp->status,
             (int)(resp->body_len < 150 ? resp->body_len : 150), resp->body);
    note_error(l->r, "", detail);
    json_decref(root);
    return;
  }
  size_t i;
  json_t *v;
  bool all_ok = json_array_size(results) == req->txs;
  json_array_foreach(results, i, v) {
    const char *res = json_string_value(json_object_get(v, "result"));
    if (res && strcmp(res, "ok") == 0) l->r->txs_ok++;
    else if (res && strcmp(res, "exists") == 0) l->r->txs_exists++;
    else {
      all_ok = false;
      l->r->txs_error++;
      const char *code = json_string_value(json_object_get(json_object_get(v, "error"), "code"));
      note_error(l->r, "refused: ", code ? code : "?");
    }
  }
  /* Legs count only when the whole request was accepted (a settle is all or nothing). */
  if (all_ok) l->r->legs_ok += req->legs;
  json_decref(root);
}

static void conn_fail(struct loop *l, struct conn *c, const char *why) {
  note_error(l->r, "connection: ", why);
  l->r->http_errors++;
  if (c->busy) {
    l->busy--;
    l->r->txs_error += l->pool->req[c->req].txs;
  }
  c->busy = false;
  c->dead = true;
  epoll_ctl(l->ep, EPOLL_CTL_DEL, c->http.fd, NULL);
  http_close(&c->http);
}

static void conn_write(struct loop *l, struct conn *c) {
  const struct bench_request *req = &l->pool->req[c->req];
  while (c->sent < req->len) {
    ssize_t n = write(c->http.fd, req->bytes + c->sent, req->len - c->sent);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      conn_fail(l, c, strerror(n < 0 ? errno : EPIPE));
      return;
    }
    c->sent += (size_t)n;
  }
  struct epoll_event ev = {.events = EPOLLIN | (c->sent < req->len ? EPOLLOUT : 0u),
                           .data.ptr = c};
  epoll_ctl(l->ep, EPOLL_CTL_MOD, c->http.fd, &ev);
}

static void conn_send(struct loop *l, struct conn *c, double due) {
  PROTO_ASSERT(!c->busy && !c->dead && l->next < l->pool->count);
  PROTO_ASSERT(l->busy < l->o->connections);
  c->req = l->next++;
  c->sent = 0;
  c->busy = true;
  c->due = due;
  l->busy++;
  conn_write(l, c);
}

static void idle_push(struct loop *l, struct conn *c) {
  PROTO_ASSERT(l->idle_count < l->o->connections);
  l->idle[(l->idle_head + l->idle_count++) % l->o->connections] = c;
}

static struct conn *idle_pop(struct loop *l) {
  PROTO_ASSERT(l->idle_count > 0);
  struct conn *c = l->idle[l->idle_head];
  l->idle_head = (l->idle_head + 1) % l->o->connections;
  l->idle_count--;
  return c;
}

static void conn_read(struct loop *l, struct conn *c) {
  for (;;) {
    long n = http_fill(&c->http);
    if (n == -EAGAIN || n == -EINTR) break;
    if (n <= 0) {
      conn_fail(l, c, n == 0 ? "closed by the server" : strerror((int)-n));
      return;
    }
  }
  struct http_response resp;
  int got;
  while ((got = http_parse(&c->http, &resp)) == 1) {
    if (!c->busy) {
      conn_fail(l, c, "an answer nobody asked for");
      return;
    }
    /* Each request is answered once: the latency array (one slot per request) cannot overflow. */
    PROTO_ASSERT(l->r->latency_count < l->pool->count && l->busy > 0);
    double t = now_s();
    uint64_t us = (uint64_t)((t - c->due) * 1e6);
    l->r->latency_us[l->r->latency_count++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    l->r->requests++;
    count_results(l, &l->pool->req[c->req], &resp);
    http_consume(&c->http, &resp);
    c->busy = false;
    l->busy--;
    idle_push(l, c);
    l->r->elapsed_s = t - l->t0;
  }
  if (got < 0) conn_fail(l, c, "malformed HTTP answer");
}

static int loop_open(struct loop *l) {
  unsigned n = l->o->connections;
  l->conns = calloc(n, sizeof(*l->conns));
  l->idle = calloc(n, sizeof(struct conn *));
  l->r->latency_us = calloc(l->pool->count ? l->pool->count : 1, sizeof(uint32_t));
  l->ep = epoll_create1(EPOLL_CLOEXEC);
  if (!l->conns || !l->idle || !l->r->latency_us || l->ep < 0) return -1;
  for (unsigned i = 0; i < n; i++) {
    struct conn *c = &l->conns[i];
    int err = http_connect(l->t->host, l->t->port, &c->http);
    if (err) {
      fprintf(stderr, "quota-bench: connect %s:%u: %s\n", l->t->host, l->t->port, strerror(-err));
      return -1;
    }
    fcntl(c->http.fd, F_SETFL, fcntl(c->http.fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, c->http.fd, &ev) != 0) return -1;
    idle_push(l, c);
  }
  return 0;
}

static void loop_close(struct loop *l) {
  for (unsigned i = 0; l->conns && i < l->o->connections; i++)
    if (!l->conns[i].dead) http_close(&l->conns[i].http);
  if (l->ep >= 0) close(l->ep);
  free(l->conns);
  free(l->idle);
}

/* Sends what is due; returns how long epoll may sleep, in ms. */
static int loop_issue(struct loop *l, double now) {
  while (l->idle_count > 0 && l->next < l->pool->count && now < l->stop_at) {
    double due = now;
    if (l->interval_s > 0) {
      due = l->t0 + (double)l->next * l->interval_s;
      if (due > now) break;
    }
    struct conn *c = idle_pop(l);
    if (!c->dead) conn_send(l, c, due);
  }
  /* Nothing to send, or no connection free to send it (an answer will wake the loop): no need
   * to spin on a due time that has passed. */
  if (l->interval_s <= 0 || l->next >= l->pool->count || l->idle_count == 0) return 100;
  double wait = l->t0 + (double)l->next * l->interval_s - now;
  return wait <= 0 ? 0 : (int)(wait * 1e3) + 1 > 100 ? 100 : (int)(wait * 1e3) + 1;
}

int bench_load_run(const struct bench_target *t, const struct bench_pool *pool,
                   const struct bench_load_options *o, struct bench_load_result *r) {
  memset(r, 0, sizeof(*r));
  struct loop l = {.t = t, .pool = pool, .o = o, .r = r, .ep = -1};
  if (o->connections == 0 || o->connections > BENCH_CONNECTIONS_MAX || loop_open(&l) != 0) {
    loop_close(&l);
    return -1;
  }
  double per_request = pool->count ? (double)pool->req[0].txs : 1.0;
  l.interval_s = o->rate_tx_s > 0 ? per_request / o->rate_tx_s : 0.0;
  l.t0 = now_s();
  l.stop_at = o->duration_s > 0 ? l.t0 + o->duration_s : 1e300;
  struct epoll_event events[EVENTS_MAX];
  for (;;) {
    double now = now_s();
    bool issuing = l.next < pool->count && now < l.stop_at;
    if (!issuing && l.busy == 0) break;
    if (!issuing && now > (l.stop_at < 1e300 ? l.stop_at : l.t0 + r->elapsed_s) + DRAIN_S) {
      note_error(r, "", "answers still outstanding after the drain time");
      break;
    }
    int wait_ms = loop_issue(&l, now);
    if (l.busy == 0 && l.idle_count == 0) {
      note_error(r, "", "every connection failed");
      break;
    }
    int n = epoll_wait(l.ep, events, EVENTS_MAX, wait_ms);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c->dead) continue;
      if (events[i].events & EPOLLOUT) conn_write(&l, c);
      if (!c->dead && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) conn_read(&l, c);
    }
  }
  if (l.interval_s > 0 && l.stop_at < 1e300) {
    /* A server slower than the rate leaves due requests unsent: say so rather than hide them. */
    double due = (l.stop_at - l.t0) / l.interval_s + 1.0;
    size_t due_n = due < (double)pool->count ? (size_t)due : pool->count;
    r->unsent_due = due_n > l.next ? due_n - l.next : 0;
  }
  loop_close(&l);
  return 0;
}
