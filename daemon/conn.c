/* conn: listeners and client connections on the libuv loop: accept, read (through TLS when it
 * is on), parse, hand requests to the API in order, write replies in order, time out, close. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/server.h"

enum { READ_BUF_BYTES = 65536 };

struct write_req {
  uv_write_t req;
  struct daemon_conn *conn;
  char *data;
  size_t len;
};

static void conn_process(struct daemon_conn *c);

static void conn_free(struct daemon_conn *c) {
  /* Freed only once libuv closed the handle and the batcher holds none of its requests. */
  DAEMON_ASSERT(c->closed && c->inflight == 0);
  DAEMON_ASSERT(!c->peer_counted);
  while (c->replies) {
    struct daemon_reply *n = c->replies->next;
    daemon_buf_free(&c->replies->buf);
    free(c->replies->access_target);
    free(c->replies);
    c->replies = n;
  }
  daemon_request_free(c->parked);
  daemon_http_free(c->http);
  if (c->tls_on) daemon_tls_free(&c->tls);
  free(c);
}

static void conn_maybe_free(struct daemon_conn *c) {
  if (c->closed && c->inflight == 0) {
    struct daemon_server *srv = c->srv;
    conn_free(c);
    daemon_server_maybe_finish(srv);
  }
}

static void conn_peer_release(struct daemon_conn *c) {
  if (!c->peer_counted) return;
  daemon_peers_remove(&c->srv->peers, c->peer);
  c->peer_counted = false;
}

static void on_conn_closed(uv_handle_t *h) {
  struct daemon_conn *c = h->data;
  struct daemon_server *srv = c->srv;
  DAEMON_ASSERT(c->closing && !c->closed);
  DAEMON_ASSERT(srv->conn_count > 0);
  if (c->prev) c->prev->next = c->next;
  else srv->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  srv->conn_count--;
  c->closed = true;
  conn_peer_release(c);
  conn_maybe_free(c);
}

static void conn_close(struct daemon_conn *c) {
  if (c->closing) return;
  DAEMON_ASSERT(!c->closed);
  c->closing = true;
  c->reading = false;
  uv_close(&c->h.handle, on_conn_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  (void)status;
  struct daemon_conn *c = req->data;
  free(req);
  conn_close(c);
}

/* May c take on another request's answer? Bounded by what it already holds unsent. */
static bool conn_output_room(const struct daemon_conn *c) {
  return c->held_bytes + c->output_bytes < c->srv->cfg->limits.conn_output_bytes_max;
}

static void on_written(uv_write_t *req, int status) {
  struct write_req *w = req->data;
  struct daemon_conn *c = w->conn;
  DAEMON_ASSERT(c->output_bytes >= w->len);
  bool had_room = conn_output_room(c);
  c->output_bytes -= w->len;
  free(w->data);
  free(w);
  /* A failed write (the peer reset: EPIPE, ECONNRESET) costs this connection only. */
  if (status < 0) {
    if (!c->closing) conn_close(c);
    return;
  }
  /* Drained below the limit: go on with the requests held back, and read again. */
  if (!had_room && conn_output_room(c) && !c->closing && !c->shutting_down) conn_process(c);
}

/* Hands len bytes at data (malloc'd; owned from here on) to libuv. 0 or STORAGE. */
static int conn_write(struct daemon_conn *c, char *data, size_t len) {
  DAEMON_ASSERT(len > 0 && len <= UINT32_MAX);
  struct write_req *w = malloc(sizeof *w);
  if (!w) {
    free(data);
    return PROTO_E_NO_MEMORY;
  }
  DAEMON_ASSERT(!c->closed);
  w->conn = c;
  w->data = data;
  w->len = len;
  w->req.data = w;
  uv_buf_t b = uv_buf_init(data, (unsigned)len);
  if (uv_write(&w->req, &c->h.stream, &b, 1, on_written) != 0) {
    free(data);
    free(w);
    return PROTO_E_STORAGE;
  }
  c->output_bytes += len;
  return 0;
}

/* Close after what was queued is written: uv_shutdown waits for pending writes. */
static void conn_close_gracefully(struct daemon_conn *c) {
  if (c->closing || c->shutting_down) return;
  c->shutting_down = true;
  if (c->reading) uv_read_stop(&c->h.stream);
  c->reading = false;
  if (c->tls_on && c->tls.handshake_done) {
    struct daemon_buf out = {0};
    daemon_tls_close_notify(&c->tls); /* so the client sees a clean end */
    if (!daemon_tls_take_out(&c->tls, &out) && out.len) conn_write(c, out.data, out.len);
    else daemon_buf_free(&out);
  }
  uv_shutdown_t *req = malloc(sizeof *req);
  if (!req || uv_shutdown(req, &c->h.stream, on_shutdown) != 0) {
    free(req);
    conn_close(c);
    return;
  }
  req->data = c;
}

static int conn_send(struct daemon_conn *c, struct daemon_buf *plain) {
  DAEMON_ASSERT(plain->len == 0 || plain->data);
  DAEMON_ASSERT(!c->closed);
  struct daemon_buf out = {0};
  int rc = 0;
  if (c->tls_on) {
    rc = daemon_tls_write(&c->tls, plain->data, plain->len);
    if (!rc) rc = daemon_tls_take_out(&c->tls, &out);
  } else {
    out = *plain; /* hand the buffer over */
    *plain = (struct daemon_buf){0};
  }
  if (rc || !out.len) {
    daemon_buf_free(&out);
    return rc;
  }
  return conn_write(c, out.data, out.len);
}

/* The access log's record of a request, kept on its reply until the answer goes out. */
static void access_begin(struct daemon_reply *reply, const struct daemon_request *r) {
  reply->access_target = strdup(r->target);
  reply->access_method = r->method;
  reply->access_start_us = daemon_now_us();
  const char *k = r->authorization ? strstr(r->authorization, "key=") : NULL;
  if (k) {
    size_t n = strcspn(k + 4, ", ");
    if (n > 8) n = 8;
    memcpy(reply->access_key, k + 4, n);
    reply->access_key[n] = '\0';
  }
}

static void access_log(struct daemon_reply *r) {
  static const char *const methods[] = {"OTHER", "GET", "POST", "HEAD", "OTHER"};
  struct daemon_access a = {
      .method = methods[r->access_method <= DAEMON_OTHER ? r->access_method : 0],
      .path = r->access_target,
      .status = r->status, .bytes = r->buf.len, .us = daemon_now_us() - r->access_start_us,
      .key_id = r->access_key[0] ? r->access_key : NULL,
      .tx_id = r->access_tx[0] ? r->access_tx : NULL,
      .result = r->access_result[0] ? r->access_result : NULL};
  daemon_log_access(&a);
  free(r->access_target);
  r->access_target = NULL;
}

static void conn_update_reading(struct daemon_conn *c);

void daemon_conn_flush(struct daemon_conn *c) {
  if (c->closing || c->shutting_down) return;
  while (c->replies && c->replies->ready) {
    struct daemon_reply *r = c->replies;
    /* Answers leave in the order the requests came: the head is the oldest. */
    DAEMON_ASSERT(r->next || c->replies_tail == r);
    c->replies = r->next;
    if (!c->replies) c->replies_tail = NULL;
    daemon_metrics_request(r->endpoint, r->status);
    if (r->access_target) access_log(r);
    DAEMON_ASSERT(c->held_bytes >= r->held_bytes);
    c->held_bytes -= r->held_bytes;
    int rc = conn_send(c, &r->buf);
    bool close_after = r->close_after || rc != 0;
    daemon_buf_free(&r->buf);
    free(r);
    if (close_after) {
      conn_close_gracefully(c);
      return;
    }
  }
  bool ending = c->srv->stopping || c->eof || c->no_more_requests;
  if (ending && !c->replies && !c->inflight && !c->parked &&
      (c->no_more_requests || !daemon_http_queued(c->http))) {
    conn_close_gracefully(c);
    return;
  }
  conn_update_reading(c);
}

static struct daemon_reply *reply_new(struct daemon_conn *c) {
  DAEMON_ASSERT(!c->replies_tail == !c->replies);
  struct daemon_reply *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  if (c->replies_tail) c->replies_tail->next = r;
  else c->replies = r;
  c->replies_tail = r;
  return r;
}

/* Behind a trusted proxy the peer is the last hop of X-Forwarded-For, counted like a socket's
 * peer. False (with a 503 answer in reply) when that peer is at connections_per_peer_max. */
static bool conn_forwarded_peer(struct daemon_conn *c, const struct daemon_request *r,
                                struct daemon_reply *reply) {
  uint8_t peer[DAEMON_PEER_BYTES];
  if (!r->forwarded_for || daemon_forwarded_last_hop(r->forwarded_for, peer)) return true;
  if (c->peer_counted && !memcmp(peer, c->peer, sizeof peer)) return true;
  conn_peer_release(c);
  memcpy(c->peer, peer, sizeof peer);
  if (daemon_peers_add(&c->srv->peers, peer, c->srv->cfg->limits.connections_per_peer_max)) {
    c->peer_counted = true;
    return true;
  }
  daemon_reply_error_as(reply, 503, PROTO_E_BUSY, "connections_per_peer_max reached", false);
  return false;
}

/* Hands one request to the API; false when the connection must stop taking requests. */
static bool conn_handle(struct daemon_conn *c, struct daemon_request *r, struct daemon_reply *reply) {
  DAEMON_ASSERT(r && reply && !reply->ready);
  DAEMON_ASSERT(!c->parked && !c->parked_reply);
  if (c->from_proxy && !conn_forwarded_peer(c, r, reply)) {
    c->no_more_requests = true;
    daemon_request_free(r);
    return false;
  }
  int rc = daemon_api_handle(c->srv, c, r, reply);
  if (rc == DAEMON_PARK) {
    c->parked = r;
    c->parked_reply = reply;
    return false;
  }
  if (reply->ready && !reply->held_bytes) {
    reply->held_bytes = reply->buf.len;
    c->held_bytes += reply->held_bytes;
  }
  if (!r->keep_alive) {
    reply->close_after = true;
    c->no_more_requests = true;
  }
  daemon_request_free(r);
  return true;
}

/* Runs the parsed requests in order until one must wait for room in the batch, or the
 * connection holds conn_output_bytes_max of answers its peer has not taken. */
static void conn_process(struct daemon_conn *c) {
  while (!c->closing && !c->no_more_requests && !c->verifying && conn_output_room(c)) {
    struct daemon_request *r = c->parked;
    struct daemon_reply *reply = c->parked_reply;
    DAEMON_ASSERT(!r == !reply); /* a parked request keeps its place in the answers */
    c->parked = NULL;
    c->parked_reply = NULL;
    if (!r) {
      r = daemon_http_pop(c->http);
      if (!r) break;
      reply = reply_new(c);
      if (!reply) {
        daemon_request_free(r);
        conn_close(c);
        return;
      }
      if (c->srv->cfg->access_log) access_begin(reply, r);
    }
    if (!conn_handle(c, r, reply)) break;
  }
  /* The stream failed: answer the error after the requests parsed before it, then close. */
  if (c->http_err && !c->no_more_requests && !c->parked && !c->verifying && !daemon_http_queued(c->http)) {
    struct daemon_reply *reply = reply_new(c);
    c->no_more_requests = true;
    if (!reply) {
      conn_close(c);
      return;
    }
    daemon_reply_error_as(reply, c->http_status, c->http_err,
                          c->http_status == 408 ? "the request did not arrive within request_timeout_ms" : NULL,
                          false);
  }
  daemon_conn_flush(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  buf->base = malloc(READ_BUF_BYTES);
  buf->len = buf->base ? READ_BUF_BYTES : 0;
}

static void conn_feed(struct daemon_conn *c, const char *data, size_t len) {
  DAEMON_ASSERT(data && len > 0);
  DAEMON_ASSERT(!c->closing);
  uint64_t now = daemon_now_ms();
  c->last_active_ms = now;
  if (!c->http_err) c->http_err = daemon_http_feed(c->http, data, len, &c->http_status);
  if (daemon_http_partial(c->http)) {
    if (!c->partial_since_ms) c->partial_since_ms = now;
  } else {
    c->partial_since_ms = 0;
  }
  /* The header clock runs from the connect until the first header is whole, then from the
   * first byte of each later request until its header is whole. */
  if (daemon_http_header_pending(c->http)) {
    if (!c->header_since_ms) c->header_since_ms = now;
  } else if (daemon_http_headers_seen(c->http)) {
    c->header_since_ms = 0;
  }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct daemon_conn *c = s->data;
  DAEMON_ASSERT(c && !c->closed);
  DAEMON_ASSERT(nread <= 0 || (size_t)nread <= buf->len);
  if (nread < 0) {
    /* End of input (or a reset): answer what was already received, then close. */
    free(buf->base);
    c->eof = true;
    if (c->reading) uv_read_stop(s);
    c->reading = false;
    conn_process(c);
    return;
  }
  if (nread > 0) {
    if (c->tls_on) {
      struct daemon_buf plain = {0}, out = {0};
      int rc = daemon_tls_feed(&c->tls, buf->base, (size_t)nread, &plain);
      daemon_tls_take_out(&c->tls, &out); /* handshake messages */
      if (out.len) {
        struct daemon_buf tmp = out;
        bool was = c->tls_on;
        c->tls_on = false; /* already ciphertext */
        conn_send(c, &tmp);
        c->tls_on = was;
        daemon_buf_free(&tmp);
      } else {
        daemon_buf_free(&out);
      }
      if (plain.len) conn_feed(c, plain.data, plain.len);
      daemon_buf_free(&plain);
      if (rc) {
        free(buf->base);
        daemon_log(DAEMON_LOG_DEBUG, "tls session ended or failed");
        conn_close_gracefully(c);
        return;
      }
    } else {
      conn_feed(c, buf->base, (size_t)nread);
    }
  }
  free(buf->base);
  conn_process(c);
}

static void conn_update_reading(struct daemon_conn *c) {
  if (c->closing || c->shutting_down) return;
  bool want = !c->srv->stopping && !c->eof && !c->no_more_requests && !c->http_err && !c->parked &&
              daemon_http_queued(c->http) < c->srv->cfg->limits.pipeline_max && conn_output_room(c);
  if (want && !c->reading) {
    if (uv_read_start(&c->h.stream, on_alloc, on_read) == 0) c->reading = true;
    /* The time we did not read does not count against the peer's header. */
    if (c->header_since_ms) c->header_since_ms = daemon_now_ms();
  } else if (!want && c->reading) {
    uv_read_stop(&c->h.stream);
    c->reading = false;
  }
}

void daemon_conn_done(struct daemon_conn *c) {
  DAEMON_ASSERT(c->inflight > 0);
  c->inflight--;
  if (c->closed) {
    conn_maybe_free(c);
    return;
  }
  daemon_conn_flush(c);
}

void daemon_conn_continue(struct daemon_conn *c) {
  if (!c->closing && !c->closed) conn_process(c);
}

void daemon_streams_resume(struct daemon_server *srv, uint64_t now_ms, bool all) {
  for (struct daemon_conn *c = srv->conns, *next; c; c = next) {
    next = c->next;
    if (c->parked && !c->closing && c->stream_until_ms && (all || now_ms >= c->stream_until_ms))
      conn_process(c); /* the handler answers, or parks it again until the same deadline */
  }
}

size_t daemon_streams_parked(const struct daemon_server *srv) {
  size_t n = 0;
  for (const struct daemon_conn *c = srv->conns; c; c = c->next) n += c->parked && c->stream_until_ms;
  return n;
}

void daemon_conns_resume(struct daemon_server *srv) {
  for (struct daemon_conn *c = srv->conns, *next; c; c = next) {
    next = c->next;
    if (c->parked && !c->closing && !c->stream_until_ms) conn_process(c);
    if (!daemon_writer_room(srv, 1)) break;
  }
}

/* Answers 503 busy (why) and closes: the connection is never read. */
static void conn_refuse(struct daemon_conn *c, const char *why) {
  DAEMON_ASSERT(!c->reading && !c->replies);
  if (c->tls_on) { conn_close(c); return; } /* no handshake for a refused connection */
  struct daemon_reply *reply = reply_new(c);
  c->no_more_requests = true;
  if (!reply) { conn_close(c); return; }
  daemon_reply_error_as(reply, 503, PROTO_E_BUSY, why, false);
  daemon_conn_flush(c);
}

static bool is_trusted_proxy(const struct daemon_server *srv, const uint8_t peer[DAEMON_PEER_BYTES]) {
  for (size_t i = 0; i < srv->proxies_n; i++)
    if (!memcmp(srv->proxies[i], peer, DAEMON_PEER_BYTES)) return true;
  return false;
}

/* Counts a TCP connection against its peer address; false when that peer is at its limit. A
 * trusted proxy is not counted itself: the peers it forwards for are, request by request. */
static bool conn_count_peer(struct daemon_conn *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) != 0 ||
      daemon_peer_from_sockaddr(&ss, c->peer) != 0)
    return true; /* no address to count by (the socket is already gone) */
  DAEMON_ASSERT(!c->peer_counted);
  if (is_trusted_proxy(c->srv, c->peer)) {
    c->from_proxy = true;
    return true;
  }
  if (!daemon_peers_add(&c->srv->peers, c->peer, c->srv->cfg->limits.connections_per_peer_max))
    return false;
  c->peer_counted = true;
  return true;
}

static struct daemon_conn *conn_new(struct daemon_server *srv, uv_stream_t *listener) {
  struct daemon_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  DAEMON_ASSERT(srv->loop && listener);
  c->srv = srv;
  c->kind = listener == (uv_stream_t *)&srv->unix_listener ? DAEMON_CONN_UNIX
            : listener == (uv_stream_t *)&srv->tls         ? DAEMON_CONN_TLS
                                                           : DAEMON_CONN_TCP;
  c->metrics_only = listener == (uv_stream_t *)&srv->metrics_listener;
  if (c->kind == DAEMON_CONN_UNIX) uv_pipe_init(srv->loop, &c->h.pipe, 0);
  else uv_tcp_init(srv->loop, &c->h.tcp);
  c->h.handle.data = c;
  c->next = srv->conns;
  if (srv->conns) srv->conns->prev = c;
  srv->conns = c;
  srv->conn_count++;
  c->last_active_ms = c->header_since_ms = daemon_now_ms();
  return c;
}

static void on_connection(uv_stream_t *listener, int status) {
  struct daemon_server *srv = listener->data;
  if (status < 0 || srv->stopping) return;
  struct daemon_conn *c = conn_new(srv, listener);
  if (!c) return;
  c->http = daemon_http_new(srv->cfg->limits.header_bytes_max, srv->cfg->limits.request_bytes_max);
  if (!c->http || uv_accept(listener, &c->h.stream) != 0) {
    conn_close(c);
    return;
  }
  if (c->kind == DAEMON_CONN_TCP || c->kind == DAEMON_CONN_TLS) {
    uv_tcp_nodelay(&c->h.tcp, 1);
    /* The kernel's send buffer is unsent output too: left to autotuning it grows to 4 MiB per
     * socket, and a peer that never reads makes quotad render and copy that much for it. Linux
     * doubles the value set, so the kernel holds at most conn_output_bytes_max as well. */
    uint64_t sndbuf = srv->cfg->limits.conn_output_bytes_max / 2;
    int v = (int)(sndbuf < (1u << 30) ? sndbuf : (1u << 30));
    uv_send_buffer_size(&c->h.handle, &v);
  }
  if (c->kind == DAEMON_CONN_TLS) {
    if (daemon_tls_init(&c->tls, srv->tls_ctx) != 0) {
      conn_close(c);
      return;
    }
    c->tls_on = true;
  }
  DAEMON_ASSERT(srv->conn_count > 0 && !c->reading);
  if (srv->conn_count > srv->cfg->limits.connections_max) {
    /* Over the limit: one clear answer, then close; never read from it. */
    daemon_log(DAEMON_LOG_WARNING, "connections_max (%u) reached; refusing a connection",
               srv->cfg->limits.connections_max);
    return conn_refuse(c, "connections_max reached");
  }
  if (c->kind != DAEMON_CONN_UNIX && !conn_count_peer(c)) {
    daemon_log(DAEMON_LOG_WARNING, "connections_per_peer_max (%u) reached; refusing a connection",
               srv->cfg->limits.connections_per_peer_max);
    return conn_refuse(c, "connections_per_peer_max reached");
  }
  conn_update_reading(c);
}

void daemon_conns_sweep(struct daemon_server *srv, uint64_t now_ms) {
  const struct daemon_limits *l = &srv->cfg->limits;
  DAEMON_ASSERT(l->header_timeout_ms > 0 && l->request_timeout_ms > 0);
  for (struct daemon_conn *c = srv->conns, *next; c; c = next) {
    next = c->next;
    DAEMON_ASSERT(!c->closed); /* a closed connection has left the list */
    if (c->closing || c->shutting_down) continue;
    if (c->header_since_ms && c->reading && now_ms - c->header_since_ms > l->header_timeout_ms) {
      /* No whole header in time (a silent or trickling socket): it holds a slot for nothing. */
      daemon_log(DAEMON_LOG_DEBUG, "no request header within header_timeout_ms; closing");
      conn_close(c);
      continue;
    }
    if (c->partial_since_ms && now_ms - c->partial_since_ms > l->request_timeout_ms &&
        !c->http_err) {
      /* A slow sender: answer 408 after what it already has pending, then close. */
      c->http_err = PROTO_E_BAD_REQUEST;
      c->http_status = 408;
      c->partial_since_ms = 0;
      if (c->reading) uv_read_stop(&c->h.stream);
      c->reading = false;
      conn_process(c);
    } else if (!c->partial_since_ms && !c->replies && !c->inflight && !c->parked &&
               now_ms - c->last_active_ms > l->idle_timeout_ms) {
      conn_close(c);
    }
  }
}

void daemon_conns_stop(struct daemon_server *srv) {
  if (srv->has_tcp) uv_close((uv_handle_t *)&srv->tcp, NULL);
  if (srv->has_tls) uv_close((uv_handle_t *)&srv->tls, NULL);
  if (srv->has_unix) uv_close((uv_handle_t *)&srv->unix_listener, NULL);
  if (srv->has_metrics) uv_close((uv_handle_t *)&srv->metrics_listener, NULL);
  srv->has_tcp = srv->has_tls = srv->has_unix = srv->has_metrics = false;
  for (struct daemon_conn *c = srv->conns, *next; c; c = next) {
    next = c->next;
    if (c->closing) continue;
    if (!c->replies && !c->inflight && !c->parked && !daemon_http_queued(c->http)) conn_close(c);
    else conn_update_reading(c); /* stops reading; flush closes it once answered */
  }
}

static int listen_tcp(struct daemon_server *srv, uv_tcp_t *t, const char *spec, char *why,
                      size_t why_cap) {
  char host[256];
  const char *colon = strrchr(spec, ':');
  if (!colon || (size_t)(colon - spec) >= sizeof host) {
    snprintf(why, why_cap, "listen address %s: want host:port", spec);
    return PROTO_E_BAD_ARGUMENT;
  }
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = '\0';
  uint64_t port = 0;
  if (daemon_parse_u64(colon + 1, &port) || port > 65535) {
    snprintf(why, why_cap, "listen address %s: bad port", spec);
    return PROTO_E_BAD_ARGUMENT;
  }
  char *h = host;
  if (h[0] == '[') { h++; h[strlen(h) - 1] = '\0'; }
  struct sockaddr_storage ss;
  if (uv_ip4_addr(h, (int)port, (struct sockaddr_in *)&ss) != 0 &&
      uv_ip6_addr(h, (int)port, (struct sockaddr_in6 *)&ss) != 0) {
    snprintf(why, why_cap, "listen address %s: bad host", spec);
    return PROTO_E_BAD_ARGUMENT;
  }
  uv_tcp_init(srv->loop, t);
  t->data = srv;
  int rc = uv_tcp_bind(t, (struct sockaddr *)&ss, 0);
  if (!rc) rc = uv_listen((uv_stream_t *)t, 511, on_connection);
  if (rc) {
    snprintf(why, why_cap, "listen %s: %s", spec, uv_strerror(rc));
    uv_close((uv_handle_t *)t, NULL);
    return rc;
  }
  return 0;
}

int daemon_listen_all(struct daemon_server *srv, char *why, size_t why_cap) {
  const struct daemon_config *cfg = srv->cfg;
  int rc;
  if (cfg->listen[0]) {
    if ((rc = listen_tcp(srv, &srv->tcp, cfg->listen, why, why_cap))) return rc;
    srv->has_tcp = true;
  }
  if (cfg->tls_listen[0]) {
    if ((rc = listen_tcp(srv, &srv->tls, cfg->tls_listen, why, why_cap))) return rc;
    srv->has_tls = true;
  }
  if (cfg->metrics_listen[0]) {
    if ((rc = listen_tcp(srv, &srv->metrics_listener, cfg->metrics_listen, why, why_cap))) return rc;
    srv->has_metrics = true;
  }
  if (cfg->unix_path[0]) {
    unlink(cfg->unix_path); /* a stale socket of a previous run; the ledger lock guards data */
    uv_pipe_init(srv->loop, &srv->unix_listener, 0);
    srv->unix_listener.data = srv;
    rc = uv_pipe_bind(&srv->unix_listener, cfg->unix_path);
    if (!rc) rc = chmod(cfg->unix_path, (mode_t)cfg->unix_mode) ? uv_translate_sys_error(errno) : 0;
    if (!rc) rc = uv_listen((uv_stream_t *)&srv->unix_listener, 511, on_connection);
    if (rc) {
      snprintf(why, why_cap, "unix socket %s: %s", cfg->unix_path, uv_strerror(rc));
      uv_close((uv_handle_t *)&srv->unix_listener, NULL);
      return rc;
    }
    srv->has_unix = true;
  }
  return 0;
}
