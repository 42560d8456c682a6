/* libFuzzer target: arbitrary bytes as the request stream of one connection, through the daemon's
 * HTTP/1.1 parser (daemon/http.c, its internal header daemon/daemon.h), fed in pieces whose sizes
 * come from the input so that every split of a request across reads is reached. Checks: the
 * parser returns only its documented codes with their statuses, stops after an error, never
 * hands out a request longer than its limits, and every request it completes is well formed. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "daemon/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HEADER_BYTES_MAX 2048u
#define REQUEST_BYTES_MAX 8192u

static void check_request(const struct daemon_request *r) {
  assert(r->method >= DAEMON_GET && r->method <= DAEMON_OTHER);
  assert(r->target && r->path && r->query);
  assert(strlen(r->target) <= HEADER_BYTES_MAX);
  assert(r->body_len <= REQUEST_BYTES_MAX);
  assert(r->body_len == 0 || r->body != NULL);
  if (r->body) assert(r->body[r->body_len] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  struct daemon_http *h = daemon_http_new(HEADER_BYTES_MAX, REQUEST_BYTES_MAX);
  assert(h != NULL);
  /* the first byte picks the piece size (1..32 bytes, or everything at once) */
  size_t piece = data[0] % 33u;
  data++;
  size--;
  if (piece == 0) piece = size ? size : 1;
  int err = 0;
  unsigned status = 0;
  for (size_t off = 0; off < size && err == 0; off += piece) {
    size_t n = size - off < piece ? size - off : piece;
    err = daemon_http_feed(h, (const char *)data + off, n, &status);
    struct daemon_request *r;
    while ((r = daemon_http_pop(h)) != NULL) {
      check_request(r);
      daemon_request_free(r);
    }
  }
  if (err) {
    assert(err == PROTO_E_TOO_LARGE || err == PROTO_E_BAD_REQUEST || err == PROTO_E_NO_MEMORY);
    assert(status == 400 || status == 413 || status == 431 || status == 503);
    /* after an error nothing more is parsed */
    unsigned again = 0;
    assert(daemon_http_feed(h, "GET / HTTP/1.1\r\n\r\n", 18, &again) != 0);
    struct daemon_request *r;
    while ((r = daemon_http_pop(h)) != NULL) daemon_request_free(r);
  }
  daemon_http_free(h);
  return 0;
}
