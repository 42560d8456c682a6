/* http: HTTP/1.1 request parsing over http-parser, with header and body limits enforced as bytes
 * arrive, pipelined requests queued in order; and the response writer. No sockets here. */
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/daemon.h"

enum { FIELD_NAME_BYTES_MAX = 32 }; /* longer names are headers we do not use */

struct daemon_http {
  http_parser parser;
  uint32_t header_bytes_max;
  uint64_t request_bytes_max;
  uint64_t header_bytes;  /* of the request being parsed */
  struct daemon_request *cur;
  struct daemon_buf url, value, body;
  char field[FIELD_NAME_BYTES_MAX + 1];
  size_t field_len;
  bool field_long;        /* the current header name did not fit: not one we keep */
  bool in_value;
  bool partial;
  bool headers_done;      /* of the request being parsed */
  uint64_t headers_seen;
  int err;
  unsigned status;
  struct daemon_request *head, *tail;
  size_t queued;
};

static struct daemon_http *of(http_parser *p) { return p->data; }

static int fail(struct daemon_http *h, int err, unsigned status) {
  h->err = err;
  h->status = status;
  return -1; /* stops http-parser (1 from on_headers_complete would mean "no body") */
}

static int count_header(struct daemon_http *h, size_t n) {
  h->header_bytes += n;
  if (h->header_bytes > h->header_bytes_max) return fail(h, PROTO_E_TOO_LARGE, 431);
  return 0;
}

static int on_message_begin(http_parser *p) {
  struct daemon_http *h = of(p);
  h->cur = calloc(1, sizeof *h->cur);
  if (!h->cur) return fail(h, PROTO_E_NO_MEMORY, 503);
  h->header_bytes = 0;
  h->url.len = h->value.len = h->body.len = 0;
  h->field_len = 0;
  h->field_long = h->in_value = false;
  h->partial = true;
  h->headers_done = false;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  struct daemon_http *h = of(p);
  if (count_header(h, len)) return -1;
  return daemon_buf_append(&h->url, at, len) ? fail(h, PROTO_E_NO_MEMORY, 503) : 0;
}

static char **kept_header(struct daemon_http *h) {
  if (h->field_long) return NULL;
  h->field[h->field_len] = '\0';
  if (!strcasecmp(h->field, "authorization")) return &h->cur->authorization;
  if (!strcasecmp(h->field, "content-type")) return &h->cur->content_type;
  if (!strcasecmp(h->field, "accept-encoding")) return &h->cur->accept_encoding; /* public pages: gzip */
  if (!strcasecmp(h->field, "if-none-match")) return &h->cur->if_none_match;     /* public pages: ETag */
  if (!strcasecmp(h->field, "x-forwarded-for")) return &h->cur->forwarded_for;
  return NULL;
}

/* Called when a header's value is complete (next field begins, or headers end). */
static int finish_header(struct daemon_http *h) {
  if (!h->in_value) return 0;
  char **slot = kept_header(h);
  if (slot == &h->cur->forwarded_for && *slot) {
    /* Proxies append: the last line holds the last hop, the one a trusted proxy vouches for. */
    free(*slot);
    *slot = NULL;
  }
  if (slot && !*slot) {
    *slot = strndup(h->value.data ? h->value.data : "", h->value.len);
    if (!*slot) return fail(h, PROTO_E_NO_MEMORY, 503);
  }
  h->in_value = false;
  h->field_len = 0;
  h->field_long = false;
  h->value.len = 0;
  return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  struct daemon_http *h = of(p);
  if (count_header(h, len) || finish_header(h)) return -1;
  if (h->field_len + len > FIELD_NAME_BYTES_MAX) h->field_long = true;
  else {
    memcpy(h->field + h->field_len, at, len);
    h->field_len += len;
  }
  return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  struct daemon_http *h = of(p);
  if (count_header(h, len)) return -1;
  h->in_value = true;
  if (!kept_header(h)) return 0;
  return daemon_buf_append(&h->value, at, len) ? fail(h, PROTO_E_NO_MEMORY, 503) : 0;
}

static int split_target(struct daemon_request *r, const char *url, size_t len) {
  if (len == 0 || url[0] != '/') return PROTO_E_BAD_REQUEST; /* origin-form only */
  r->target = strndup(url, len);
  const char *q = memchr(url, '?', len);
  size_t plen = q ? (size_t)(q - url) : len;
  r->path = strndup(url, plen);
  r->query = q ? strndup(q + 1, len - plen - 1) : strdup("");
  if (!r->target || !r->path || !r->query) return PROTO_E_NO_MEMORY;
  return 0;
}

static int on_headers_complete(http_parser *p) {
  struct daemon_http *h = of(p);
  if (finish_header(h)) return -1;
  h->headers_done = true;
  h->headers_seen++;
  /* Refuse a declared body past the limit before reading it. */
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > h->request_bytes_max)
    return fail(h, PROTO_E_TOO_LARGE, 413);
  int rc = split_target(h->cur, h->url.data ? h->url.data : "", h->url.len);
  if (rc) return fail(h, rc, rc == PROTO_E_NO_MEMORY ? 503 : 400);
  switch (p->method) {
  case HTTP_GET: h->cur->method = DAEMON_GET; break;
  case HTTP_POST: h->cur->method = DAEMON_POST; break;
  case HTTP_HEAD: h->cur->method = DAEMON_HEAD; break;
  default: h->cur->method = DAEMON_OTHER; break;
  }
  return 0;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  struct daemon_http *h = of(p);
  if (h->body.len + len > h->request_bytes_max) return fail(h, PROTO_E_TOO_LARGE, 413);
  return daemon_buf_append(&h->body, at, len) ? fail(h, PROTO_E_NO_MEMORY, 503) : 0;
}

static int on_message_complete(http_parser *p) {
  struct daemon_http *h = of(p);
  struct daemon_request *r = h->cur;
  r->keep_alive = http_should_keep_alive(p) != 0;
  r->body = malloc(h->body.len + 1);
  if (!r->body) return fail(h, PROTO_E_NO_MEMORY, 503);
  if (h->body.len) memcpy(r->body, h->body.data, h->body.len);
  r->body[h->body.len] = 0;
  r->body_len = h->body.len;
  if (h->tail) h->tail->next = r;
  else h->head = r;
  h->tail = r;
  h->queued++;
  h->cur = NULL;
  h->partial = false;
  return 0;
}

static const http_parser_settings settings = {
  .on_message_begin = on_message_begin,
  .on_url = on_url,
  .on_header_field = on_header_field,
  .on_header_value = on_header_value,
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

struct daemon_http *daemon_http_new(uint32_t header_bytes_max, uint64_t request_bytes_max) {
  struct daemon_http *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  http_parser_init(&h->parser, HTTP_REQUEST);
  h->parser.data = h;
  h->header_bytes_max = header_bytes_max;
  h->request_bytes_max = request_bytes_max;
  return h;
}

void daemon_request_free(struct daemon_request *r) {
  if (!r) return;
  free(r->target);
  free(r->path);
  free(r->query);
  free(r->authorization);
  free(r->content_type);
  free(r->accept_encoding);
  free(r->if_none_match);
  free(r->forwarded_for);
  free(r->body);
  free(r);
}

void daemon_http_free(struct daemon_http *h) {
  if (!h) return;
  daemon_request_free(h->cur);
  while (h->head) {
    struct daemon_request *n = h->head->next;
    daemon_request_free(h->head);
    h->head = n;
  }
  daemon_buf_free(&h->url);
  daemon_buf_free(&h->value);
  daemon_buf_free(&h->body);
  free(h);
}

int daemon_http_feed(struct daemon_http *h, const char *data, size_t len, unsigned *status) {
  if (!h->err && len) {
    size_t done = http_parser_execute(&h->parser, &settings, data, len);
    if (!h->err && (HTTP_PARSER_ERRNO(&h->parser) != HPE_OK || done != len))
      fail(h, PROTO_E_BAD_REQUEST, 400);
    /* A connection upgrade is not something we speak. */
    if (!h->err && h->parser.upgrade) fail(h, PROTO_E_BAD_REQUEST, 400);
  }
  if (h->err && status) *status = h->status;
  return h->err;
}

struct daemon_request *daemon_http_pop(struct daemon_http *h) {
  struct daemon_request *r = h->head;
  if (!r) return NULL;
  h->head = r->next;
  if (!h->head) h->tail = NULL;
  r->next = NULL;
  h->queued--;
  return r;
}

size_t daemon_http_queued(const struct daemon_http *h) { return h->queued; }
bool daemon_http_partial(const struct daemon_http *h) { return h->partial; }
bool daemon_http_header_pending(const struct daemon_http *h) { return h->partial && !h->headers_done; }
uint64_t daemon_http_headers_seen(const struct daemon_http *h) { return h->headers_seen; }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long daemon_query_get(const char *query, const char *name, char *out, size_t cap) {
  size_t nlen = strlen(name);
  const char *p = query;
  while (p && *p) {
    const char *end = strchr(p, '&');
    size_t plen = end ? (size_t)(end - p) : strlen(p);
    if (plen > nlen && !memcmp(p, name, nlen) && p[nlen] == '=') {
      size_t o = 0;
      for (size_t i = nlen + 1; i < plen; i++) {
        char c = p[i];
        if (c == '%') {
          int a = i + 2 < plen ? hexval(p[i + 1]) : -1, b = i + 2 < plen ? hexval(p[i + 2]) : -1;
          /* %00 would end the value early for every C string reader after us: refused. */
          if (a < 0 || b < 0 || (a | b) == 0) return PROTO_E_BAD_REQUEST;
          c = (char)(a * 16 + b);
          i += 2;
        } else if (c == '+') c = ' ';
        if (o + 1 >= cap) return PROTO_E_FIELD_TOO_LONG;
        out[o++] = c;
      }
      out[o] = '\0';
      return (long)o;
    }
    p = end ? end + 1 : NULL;
  }
  return PROTO_E_NOT_FOUND;
}

int daemon_parse_u64(const char *s, uint64_t *out) {
  if (!s[0] || (s[0] == '0' && s[1])) return PROTO_E_BAD_ARGUMENT;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return PROTO_E_BAD_ARGUMENT;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
      return PROTO_E_BAD_ARGUMENT;
  }
  *out = v;
  return 0;
}

int daemon_http_response(struct daemon_buf *out, unsigned status, const char *content_type,
                         const void *body, size_t body_len, bool keep_alive) {
  return daemon_http_response_cached(out, status, content_type, "no-store", body, body_len, keep_alive);
}

int daemon_http_response_cached(struct daemon_buf *out, unsigned status, const char *content_type,
                                const char *cache_control, const void *body, size_t body_len,
                                bool keep_alive) {
  /* Built by appends, not printf: every answer pays for it. */
  char code[4] = {(char)('0' + status / 100 % 10), (char)('0' + status / 10 % 10), (char)('0' + status % 10), ' '};
  int rc = daemon_buf_append(out, "HTTP/1.1 ", 9);
  if (!rc) rc = daemon_buf_append(out, code, sizeof code);
  if (!rc) rc = daemon_buf_str(out, proto_http_reason(status));
  if (!rc) rc = daemon_buf_str(out, "\r\nContent-Type: ");
  if (!rc) rc = daemon_buf_str(out, content_type);
  if (!rc) rc = daemon_buf_str(out, "\r\nContent-Length: ");
  if (!rc) rc = daemon_buf_u64(out, body_len);
  if (!rc) rc = daemon_buf_str(out, "\r\nCache-Control: ");
  if (!rc) rc = daemon_buf_str(out, cache_control);
  if (!rc) rc = daemon_buf_str(out, keep_alive ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  return rc ? rc : daemon_buf_append(out, body, body_len);
}
