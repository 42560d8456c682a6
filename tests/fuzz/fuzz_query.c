/* libFuzzer target: arbitrary bytes as a request's query string and a parameter name, through
 * the daemon's query parser (daemon_query_get) and its number parser (daemon_parse_u64), as the
 * paging parameters use them. Checks: only the documented codes; a value found fits the buffer
 * and is NUL-terminated; a number parsed prints back as the same digits. */
#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  /* the first byte: the name's length (from the input's start), the second: the buffer size */
  size_t name_len = data[0] % 12u, cap = 1u + data[1] % 40u;
  data += 2;
  size -= 2;
  if (name_len > size) name_len = size;
  char *name = strndup((const char *)data, name_len);
  char *query = strndup((const char *)data + name_len, size - name_len);
  assert(name && query);
  char out[41];
  memset(out, 'x', sizeof out);
  long n = daemon_query_get(query, name, out, cap);
  assert(n >= 0 || n == PROTO_E_NOT_FOUND || n == PROTO_E_FIELD_TOO_LONG ||
         n == PROTO_E_BAD_REQUEST);
  if (n >= 0) {
    assert((size_t)n < cap && out[n] == '\0' && strlen(out) == (size_t)n);
    uint64_t v;
    if (daemon_parse_u64(out, &v) == 0) {
      char again[32];
      snprintf(again, sizeof again, "%" PRIu64, v);
      assert(strcmp(again, out) == 0);
    }
  }
  free(name);
  free(query);
  return 0;
}
