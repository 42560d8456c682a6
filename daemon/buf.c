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
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return PROTO_E_BAD_ARGUMENT;
  int rc = buf_reserve(b, (size_t)n);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

void daemon_buf_free(struct daemon_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
