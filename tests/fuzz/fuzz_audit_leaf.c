/* libFuzzer target: arbitrary bytes as a sequence of log leaves (each a 2-byte big-endian length
 * then the leaf) through quota-audit's replay (audit/leaf.c: decode, canonical re-encoding,
 * index, time, signatures, rules). Checks: every leaf is accepted or refused with a code and a
 * failure text naming it; after a failure every later leaf gets the same failure. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "audit/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct audit_replay *r = audit_replay_new();
  assert(r != NULL);
  struct audit_failure fail, first = {.code = 0};
  size_t off = 0;
  while (off + 2 <= size) {
    size_t len = (size_t)data[off] << 8 | data[off + 1];
    off += 2;
    if (len > size - off) len = size - off;
    memset(&fail, 0, sizeof fail);
    int rc = audit_replay_leaf(r, data + off, len, NULL, &fail);
    assert(rc <= 0);
    if (rc) {
      assert(fail.code == rc && fail.text[0] != '\0');
      assert(memchr(fail.text, '\0', sizeof fail.text) != NULL);
      if (first.code) assert(first.code == rc);
      else first = fail;
    } else {
      assert(first.code == 0);
    }
    off += len;
  }
  audit_replay_free(r);
  return 0;
}
