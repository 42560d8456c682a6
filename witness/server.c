/* quota-witness's HTTP/1.1 server: one libuv loop, http-parser per connection, and a bound on
 * everything a client can make it hold (connections, header and body bytes, unsent answers, the
 * time to send headers and body, idle time). Requests are answered in order, one at a time. */
#include <http_parser.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "witness/witness.h"

#define READ_BUFFER_BYTES 65536u
#define EXPECT_BYTES_MAX 32u
#define RESPONSE_HEAD_BYTES_MAX 256u
/* After an answer that closes the connection, what the client still sends is read and dropped
 * for this long (at most this many bytes) so that the answer is not lost to a TCP reset. */
#define LINGER_MS 1000u
#define LINGER_BYTES_MAX (1u << 20)

struct server {
  struct witness *w;
  const struct witness_limits *lim;
  uv_loop_t *loop;
  uv_tcp_t listener;
  uv_signal_t sig_term, sig_int;
  struct conn *conns; /* every open connection, to close them at the end */
  unsigned conns_count;
  bool stopping;
  char read_buf[READ_BUFFER_BYTES]; /* each read is parsed before the next one: one buffer */
};

enum phase { PHASE_IDLE, PHASE_HEADERS, PHASE_BODY };

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_shutdown_t shutdown;
  http_parser parser;
  struct server *srv;
  struct conn *prev, *next;
  unsigned handles_open;
  enum phase phase;
  size_t header_bytes, url_len, field_len, expect_len;
  char url[WITNESS_URL_BYTES_MAX];
  char field[8];
  char expect[EXPECT_BYTES_MAX];
  bool field_done, closing, shut, reading;
  size_t lingered; /* bytes dropped after the closing answer */
  uint8_t peer[16]; /* the peer's IP address (IPv4 in the first 4 bytes), for the per-peer limit */
  unsigned fail_status; /* set by a callback that refuses the request */
  char *body;
  size_t body_len, body_cap;
};

struct write_req {
  uv_write_t req;
  struct conn *c;
  size_t len;
  char data[];
};

static http_parser_settings settings;

void witness_log(const char *level, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "quota-witness: %s: %s\n", level, msg);
}

static void conn_handle_closed(uv_handle_t *h) {
  struct conn *c = h->data;
  if (--c->handles_open > 0) return;
  struct server *s = c->srv;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  s->conns_count--;
  free(c->body);
  free(c);
}

static void conn_close(struct conn *c) {
  if (uv_is_closing((uv_handle_t *)&c->tcp)) return;
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
  uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  struct conn *c = h->data;
  *buf = uv_buf_init(c->srv->read_buf, READ_BUFFER_BYTES);
}

static void on_timer(uv_timer_t *t);
static void timer_set(struct conn *c, uint32_t ms) {
  uv_timer_start(&c->timer, on_timer, ms, 0);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  struct conn *c = req->data;
  if (status != 0) conn_close(c);
}

static void on_written(uv_write_t *req, int status) {
  struct write_req *wr = (struct write_req *)req;
  struct conn *c = wr->c;
  free(wr);
  if (uv_is_closing((uv_handle_t *)&c->tcp)) return;
  size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
  if (status != 0) {
    conn_close(c);
    return;
  }
  if (c->closing && queued == 0 && !c->shut) {
    /* the last answer is out: send FIN, then drop what still arrives for a moment */
    c->shut = true;
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
      conn_close(c);
      return;
    }
    timer_set(c, LINGER_MS);
    if (!c->reading) c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
    return;
  }
  /* a client that stopped reading its answers is read again once they drain */
  if (!c->reading && !c->closing && queued <= c->srv->lim->output_bytes_max / 2) {
    c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
  }
}

/* Queues bytes; a failed write closes the connection (a reset costs the connection only). */
static void conn_write(struct conn *c, const char *head, size_t head_len, const char *body,
                       size_t body_len) {
  struct write_req *wr = malloc(sizeof *wr + head_len + body_len);
  if (!wr) {
    conn_close(c);
    return;
  }
  wr->c = c;
  wr->len = head_len + body_len;
  memcpy(wr->data, head, head_len);
  if (body_len) memcpy(wr->data + head_len, body, body_len);
  uv_buf_t b = uv_buf_init(wr->data, (unsigned)wr->len);
  if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
    free(wr);
    conn_close(c);
    return;
  }
  if (c->reading && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > c->srv->lim->output_bytes_max) {
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
  }
}

static void conn_respond(struct conn *c, unsigned status, const char *type, const char *body,
                         size_t len, bool close_after) {
  char head[RESPONSE_HEAD_BYTES_MAX];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Cache-Control: no-store\r\n%s\r\n",
                   status, proto_http_reason(status), type, len, close_after ? "Connection: close\r\n" : "");
  PROTO_ASSERT(n > 0 && (size_t)n < sizeof head);
  if (close_after) c->closing = true; /* reads go on, dropped, until the linger ends */
  conn_write(c, head, (size_t)n, body, len);
}

/* An error answer, then the connection closes: after a refused request the stream's framing
 * cannot be trusted. */
static void conn_fail(struct conn *c, unsigned status, const char *why) {
  char body[160];
  int n = snprintf(body, sizeof body, "%s\n", why);
  PROTO_ASSERT(n > 0);
  conn_respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, true);
}

static void on_timer(uv_timer_t *t) {
  struct conn *c = t->data;
  if (c->closing || c->phase == PHASE_IDLE) {
    conn_close(c);
    return;
  }
  conn_fail(c, 408, c->phase == PHASE_HEADERS ? "the headers did not arrive within header_timeout_ms"
                                             : "the body did not arrive within request_timeout_ms");
}

/* ---- http-parser callbacks: non-zero stops the parser; fail_status says why ---- */

/* -1, not 1: on_headers_complete's 1 would mean "no body follows" rather than an error. */
static int refuse(struct conn *c, unsigned status) {
  c->fail_status = status;
  return -1;
}

static int header_bytes_add(struct conn *c, size_t len) {
  c->header_bytes += len;
  return c->header_bytes > c->srv->lim->header_bytes_max ? refuse(c, 431) : 0;
}

static int on_message_begin(http_parser *p) {
  struct conn *c = p->data;
  c->phase = PHASE_HEADERS;
  c->header_bytes = c->url_len = c->field_len = c->expect_len = c->body_len = 0;
  c->field_done = false;
  timer_set(c, c->srv->lim->header_timeout_ms);
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  if (header_bytes_add(c, len)) return -1;
  if (c->url_len + len >= sizeof c->url) return refuse(c, 414);
  memcpy(c->url + c->url_len, at, len);
  c->url_len += len;
  c->url[c->url_len] = '\0';
  return 0;
}

/* Only Expect matters here; a header name arrives in pieces, so it is kept up to 8 bytes. */
static int on_header_field(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  if (header_bytes_add(c, len)) return -1;
  if (c->field_done) c->field_len = 0;
  c->field_done = false;
  for (size_t i = 0; i < len && c->field_len < sizeof c->field; i++) c->field[c->field_len++] = at[i];
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  if (header_bytes_add(c, len)) return -1;
  c->field_done = true;
  if (c->field_len == 6 && strncasecmp(c->field, "expect", 6) == 0)
    for (size_t i = 0; i < len && c->expect_len < sizeof c->expect - 1; i++) c->expect[c->expect_len++] = at[i];
  return 0;
}

static int on_headers_complete(http_parser *p) {
  struct conn *c = p->data;
  c->expect[c->expect_len] = '\0';
  /* content_length is ULLONG_MAX when absent (chunked or empty); the body callback bounds it */
  if (p->content_length != ULLONG_MAX && p->content_length > c->srv->lim->request_bytes_max)
    return refuse(c, 413);
  if (c->expect_len && strcasecmp(c->expect, "100-continue") == 0) {
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    conn_write(c, cont, sizeof cont - 1, NULL, 0);
  }
  c->phase = PHASE_BODY;
  timer_set(c, c->srv->lim->request_timeout_ms);
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  struct conn *c = p->data;
  size_t max = c->srv->lim->request_bytes_max;
  if (len > max - c->body_len) return refuse(c, 413);
  if (c->body_len + len > c->body_cap) {
    size_t cap = c->body_cap ? c->body_cap : 4096;
    while (cap < c->body_len + len) cap *= 2;
    if (cap > max) cap = max;
    char *b = realloc(c->body, cap);
    if (!b) return refuse(c, 500);
    c->body = b;
    c->body_cap = cap;
  }
  memcpy(c->body + c->body_len, at, len);
  c->body_len += len;
  return 0;
}

static uint64_t now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec > 0 ? (uint64_t)ts.tv_sec : 0;
}

static int on_message_complete(http_parser *p) {
  struct conn *c = p->data;
  struct witness_answer *a = malloc(sizeof *a);
  if (!a) return refuse(c, 500);
  witness_handle(c->srv->w, http_method_str((enum http_method)p->method), c->url, c->body ? c->body : "",
                 c->body_len, now_s(), a);
  bool keep = http_should_keep_alive(p) && !c->srv->stopping;
  conn_respond(c, a->status, a->content_type, a->body, a->body_len, !keep);
  free(a);
  c->phase = PHASE_IDLE;
  if (keep) timer_set(c, c->srv->lim->idle_timeout_ms);
  return keep ? 0 : 1;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  struct conn *c = stream->data;
  if (nread == 0) return;
  if (nread < 0) {
    conn_close(c);
    return;
  }
  if (c->closing) {
    c->lingered += (size_t)nread;
    if (c->lingered > LINGER_BYTES_MAX) conn_close(c);
    return;
  }
  size_t done = http_parser_execute(&c->parser, &settings, buf->base, (size_t)nread);
  if (c->closing) return; /* answered and closing (Connection: close) */
  if (c->fail_status) {
    static const char *const why[] = {"the request is larger than a configured limit"};
    conn_fail(c, c->fail_status, c->fail_status == 413 ? why[0] : proto_http_reason(c->fail_status));
  } else if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || c->parser.upgrade || done != (size_t)nread) {
    conn_fail(c, 400, http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
  }
}

/* Records the peer's address in c and counts the open connections from that address. */
static unsigned peer_count(struct server *s, struct conn *c) {
  struct sockaddr_storage sa;
  int len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0) {
    if (sa.ss_family == AF_INET) memcpy(c->peer, &((struct sockaddr_in *)&sa)->sin_addr, 4);
    else if (sa.ss_family == AF_INET6) memcpy(c->peer, &((struct sockaddr_in6 *)&sa)->sin6_addr, 16);
  }
  unsigned n = 0;
  for (const struct conn *o = s->conns; o; o = o->next)
    if (memcmp(o->peer, c->peer, sizeof c->peer) == 0 && !uv_is_closing((const uv_handle_t *)&o->tcp)) n++;
  PROTO_ASSERT(n >= 1); /* c itself */
  return n;
}

static void on_connection(uv_stream_t *listener, int status) {
  struct server *s = listener->data;
  if (status != 0 || s->stopping) return;
  struct conn *c = calloc(1, sizeof *c);
  if (!c) return;
  c->srv = s;
  uv_tcp_init(s->loop, &c->tcp);
  uv_timer_init(s->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->handles_open = 2;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->conns_count++;
  if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c);
    return;
  }
  if (s->conns_count > s->lim->connections_max || peer_count(s, c) > s->lim->connections_per_peer_max) {
    conn_close(c); /* past a limit: closed at once, nothing read */
    return;
  }
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
  timer_set(c, s->lim->header_timeout_ms);
}

/* systemd's notify protocol is one datagram to $NOTIFY_SOCKET ('@' for the abstract namespace). */
static void notify_ready(void) {
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (!path || !*path || strlen(path) >= sizeof sa.sun_path) return;
  memcpy(sa.sun_path, path, strlen(path));
  if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  static const char msg[] = "READY=1";
  if (sendto(fd, msg, sizeof msg - 1, 0, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path))) < 0)
    witness_log("warning", "cannot notify systemd");
  close(fd);
}

/* "host:port" or "[v6]:port" into a socket address. Returns 0 or BAD_ARGUMENT. */
static int listen_addr(const char *text, struct sockaddr_storage *sa) {
  char host[WITNESS_URL_BYTES_MAX];
  const char *colon = strrchr(text, ':');
  if (!colon || colon == text || strlen(colon + 1) == 0 || strlen(colon + 1) > 5) return PROTO_E_BAD_ARGUMENT;
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535) return PROTO_E_BAD_ARGUMENT;
  size_t hl = (size_t)(colon - text);
  bool v6 = text[0] == '[';
  if (v6 && (hl < 3 || text[hl - 1] != ']')) return PROTO_E_BAD_ARGUMENT;
  memcpy(host, text + v6, hl - 2 * v6);
  host[hl - 2 * v6] = '\0';
  int rc = v6 ? uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)sa)
              : uv_ip4_addr(host, (int)port, (struct sockaddr_in *)sa);
  return rc == 0 ? 0 : PROTO_E_BAD_ARGUMENT;
}

static void handle_closed_noop(uv_handle_t *h) { (void)h; }

static void on_signal(uv_signal_t *sig, int signum) {
  struct server *s = sig->data;
  if (s->stopping) return;
  s->stopping = true;
  witness_log("notice", "signal %d: stopping", signum);
  uv_close((uv_handle_t *)&s->listener, handle_closed_noop);
  uv_close((uv_handle_t *)&s->sig_term, handle_closed_noop);
  uv_close((uv_handle_t *)&s->sig_int, handle_closed_noop);
  /* requests are answered synchronously: no connection is in the middle of a cosignature */
  for (struct conn *c = s->conns; c; c = c->next) conn_close(c);
}

static void settings_init(void) {
  memset(&settings, 0, sizeof settings);
  settings.on_message_begin = on_message_begin;
  settings.on_url = on_url;
  settings.on_header_field = on_header_field;
  settings.on_header_value = on_header_value;
  settings.on_headers_complete = on_headers_complete;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
}

/* Binds and listens; returns 0 or a negative code with the reason logged. */
static int server_listen(struct server *s, const char *listen) {
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  if (listen_addr(listen, &sa) != 0) {
    witness_log("err", "listen: not host:port: %s", listen);
    return PROTO_E_BAD_ARGUMENT;
  }
  uv_tcp_init(s->loop, &s->listener);
  s->listener.data = s;
  int rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)&sa, 0);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection);
  if (rc != 0) {
    witness_log("err", "listen %s: %s", listen, uv_strerror(rc));
    uv_close((uv_handle_t *)&s->listener, handle_closed_noop);
    uv_run(s->loop, UV_RUN_DEFAULT);
    return rc;
  }
  return 0;
}

int witness_serve(struct witness *w) {
  struct server *s = calloc(1, sizeof *s);
  if (!s) return PROTO_E_NO_MEMORY;
  s->w = w;
  s->lim = &w->cfg->limits;
  s->loop = uv_default_loop();
  settings_init();
  int rc = server_listen(s, w->cfg->listen);
  if (rc == 0) {
    uv_signal_init(s->loop, &s->sig_term);
    uv_signal_init(s->loop, &s->sig_int);
    s->sig_term.data = s->sig_int.data = s;
    uv_signal_start(&s->sig_term, on_signal, SIGTERM);
    uv_signal_start(&s->sig_int, on_signal, SIGINT);
    witness_log("notice", "quota-witness ready on %s as %s, %u logs", w->cfg->listen, w->cfg->name,
                w->cfg->logs_count);
    notify_ready();
    uv_run(s->loop, UV_RUN_DEFAULT);
    PROTO_ASSERT(s->conns == NULL && s->conns_count == 0);
  }
  int closed = uv_loop_close(s->loop);
  PROTO_ASSERT(closed == 0 || rc != 0);
  free(s);
  return rc;
}
