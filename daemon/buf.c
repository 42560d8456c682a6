/* buf: a growable byte buffer for building responses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

static int buf_reserve(struct daemon_buf *b, size_t extra) {
  size_t need;
  if (__builtin_add_overflow(b->len, extra, &need) || __builtin_add_overflow(need, 1, &need))
    return PROTO_E_NO_MEMORY;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) {
    if (__builtin_mul_overflow(cap, 2, &cap)) return PROTO_E_NO_MEMORY;
  }
  char *p = realloc(b->data, cap);
  if (!p) return PROTO_E_NO_MEMORY;
  b->data = p;
  b->cap = cap;
  return 0;
}

int daemon_buf_append(struct daemon_buf *b, const void *data, size_t len) {
  int rc = buf_reserve(b, len);
  if (rc) return rc;
  if (len) memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0'; /* always terminated, so a text buffer can be printed */
  return 0;
}

int daemon_buf_printf(struct daemon_buf *b, const char *fmt, ...) {
  /* One pass when the text fits the room left (the common case), two otherwise. */
  if (b->cap - b->len < 128 && buf_reserve(b, 128)) return PROTO_E_NO_MEMORY;
  size_t room = b->cap - b->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->data + b->len, room, fmt, ap);
  va_end(ap);
  if (n < 0) return PROTO_E_BAD_ARGUMENT;
  if ((size_t)n >= room) {
    int rc = buf_reserve(b, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
  }
  b->len += (size_t)n;
  return 0;
}

int daemon_buf_str(struct daemon_buf *b, const char *s) { return daemon_buf_append(b, s, strlen(s)); }

int daemon_buf_u64(struct daemon_buf *b, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return daemon_buf_append(b, tmp + sizeof tmp - n, n);
}

int daemon_buf_json_str(struct daemon_buf *b, const char *s) {
  static const char hex[] = "0123456789abcdef";
  int rc = daemon_buf_append(b, "\"", 1);
  while (rc == 0 && *s) {
    size_t run = 0;
    while (s[run] && s[run] != '"' && s[run] != '\\' && (unsigned char)s[run] >= 0x20) run++;
    if (run) rc = daemon_buf_append(b, s, run);
    s += run;
    if (rc || !*s) break;
    unsigned char c = (unsigned char)*s++;
    if (c < 0x20) { /* \u00XX */
      const char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      rc = daemon_buf_append(b, esc, sizeof esc);
    } else { /* \" or \\ */
      const char esc[2] = {'\\', (char)c};
      rc = daemon_buf_append(b, esc, sizeof esc);
    }
  }
  return rc ? rc : daemon_buf_append(b, "\"", 1);
}

void daemon_buf_free(struct daemon_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
