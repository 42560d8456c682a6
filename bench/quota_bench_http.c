/* quota-bench's HTTP/1.1 client: keep-alive requests over plain TCP, responses framed by
 * Content-Length (what quotad sends), parsed incrementally so that one epoll loop can drive
 * many connections. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/quota_bench.h"

#define HEAD_BYTES_MAX 16384u

int http_connect(const char *host, unsigned port, struct http_conn *c) {
  memset(c, 0, sizeof(*c));
  c->fd = -1;
  char portstr[16];
  snprintf(portstr, sizeof(portstr), "%u", port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) return -EHOSTUNREACH;
  int err = -ECONNREFUSED;
  for (struct addrinfo *a = res; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      int one = 1;
      /* Requests are written whole; Nagle would only delay them. */
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      c->fd = fd;
      err = 0;
      break;
    }
    err = -errno;
    close(fd);
  }
  freeaddrinfo(res);
  return err;
}

void http_close(struct http_conn *c) {
  if (c->fd >= 0) close(c->fd);
  free(c->in);
  memset(c, 0, sizeof(*c));
  c->fd = -1;
}

long http_format(const char *host, const char *method, const char *path, const char *type,
                 const void *body, size_t body_len, char **out) {
  char head[1024];
  int n = snprintf(head, sizeof(head),
                   "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n"
                   "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                   method, path, host, type ? type : "application/json", body_len);
  if (n < 0 || (size_t)n >= sizeof(head)) return -1;
  size_t total = (size_t)n + body_len;
  char *buf = malloc(total + 1);
  if (!buf) return -1;
  memcpy(buf, head, (size_t)n);
  if (body_len) memcpy(buf + n, body, body_len);
  buf[total] = '\0';
  *out = buf;
  return (long)total;
}

/* The value of a header inside head[0..len), or NULL. */
static const char *header_value(const char *head, size_t len, const char *name) {
  size_t nlen = strlen(name);
  for (const char *p = head; p && p < head + len;) {
    const char *eol = memchr(p, '\n', (size_t)(head + len - p));
    if (!eol) break;
    if ((size_t)(eol - p) > nlen + 1 && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
      const char *v = p + nlen + 1;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
    p = eol + 1;
  }
  return NULL;
}

int http_parse(const struct http_conn *c, struct http_response *r) {
  memset(r, 0, sizeof(*r));
  if (c->in_len < 12) return 0;
  const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
  if (!end) return c->in_len > HEAD_BYTES_MAX ? -EPROTO : 0;
  size_t head_len = (size_t)(end - c->in) + 4;
  if (strncmp(c->in, "HTTP/1.1 ", 9) != 0 && strncmp(c->in, "HTTP/1.0 ", 9) != 0) return -EPROTO;
  long status = strtol(c->in + 9, NULL, 10);
  if (status < 100 || status > 599) return -EPROTO;
  const char *cl = header_value(c->in, head_len, "Content-Length");
  if (!cl) return -EPROTO; /* quotad always frames its answers with a length */
  char *stop = NULL;
  unsigned long long body_len = strtoull(cl, &stop, 10);
  if (stop == cl || body_len > BENCH_RESPONSE_BYTES_MAX) return -EPROTO;
  if (c->in_len < head_len + body_len) return 0;
  r->status = (int)status;
  r->body = c->in + head_len;
  r->body_len = (size_t)body_len;
  r->consumed = head_len + (size_t)body_len;
  return 1;
}

void http_consume(struct http_conn *c, const struct http_response *r) {
  memmove(c->in, c->in + r->consumed, c->in_len - r->consumed);
  c->in_len -= r->consumed;
}

long http_fill(struct http_conn *c) {
  if (c->in_cap - c->in_len < 65536) {
    size_t cap = c->in_cap ? c->in_cap * 2 : 131072;
    if (cap > BENCH_RESPONSE_BYTES_MAX + HEAD_BYTES_MAX + 131072) return -ENOBUFS;
    char *p = realloc(c->in, cap);
    if (!p) return -ENOMEM;
    c->in = p;
    c->in_cap = cap;
  }
  ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
  if (n < 0) return -errno;
  c->in_len += (size_t)n;
  c->in[c->in_len] = '\0';
  return n;
}

static int write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? -errno : -EPIPE;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int http_roundtrip(struct http_conn *c, const char *host, const char *method, const char *path,
                   const char *type, const void *body, size_t body_len, int *status, char **resp,
                   size_t *resp_len) {
  char *req = NULL;
  long n = http_format(host, method, path, type, body, body_len, &req);
  if (n < 0) return -ENOMEM;
  int err = write_all(c->fd, req, (size_t)n);
  free(req);
  if (err) return err;
  struct http_response r;
  int got;
  while ((got = http_parse(c, &r)) == 0) {
    long m = http_fill(c);
    if (m == -EINTR) continue;
    if (m <= 0) return m == 0 ? -ECONNRESET : (int)m;
  }
  if (got < 0) return got;
  *status = r.status;
  *resp = malloc(r.body_len + 1);
  if (!*resp) return -ENOMEM;
  memcpy(*resp, r.body, r.body_len);
  (*resp)[r.body_len] = '\0';
  if (resp_len) *resp_len = r.body_len;
  http_consume(c, &r);
  return 0;
}
