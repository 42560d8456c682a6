/* libFuzzer target: arbitrary text as a JSON transaction. Whatever proto_tx_from_json accepts
 * must map JSON -> tx -> JSON -> tx to the same transaction, and encode -> decode to it too. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t first[PROTO_BODY_BYTES_MAX], second[PROTO_BODY_BYTES_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *j = json_loadb((const char *)data, size, JSON_ALLOW_NUL, NULL);
  if (!j) return 0;
  struct proto_tx tx, again, decoded;
  const char *where = NULL;
  if (proto_tx_from_json(j, &tx, &where) == 0) {
    long n = proto_tx_encode(&tx, first, sizeof(first));
    assert(n > 0);
    /* never NULL here: JSON input cannot hold the u64 values above 2^63 - 1 that lack a form */
    json_t *k = proto_tx_to_json(&tx);
    assert(k != NULL);
    assert(proto_tx_from_json(k, &again, NULL) == 0);
    assert(proto_tx_encode(&again, second, sizeof(second)) == n);
    assert(memcmp(first, second, (size_t)n) == 0);
    proto_tx_free(&again);
    json_decref(k);
    assert(proto_tx_decode(first, (size_t)n, &decoded) == 0);
    assert(proto_tx_encode(&decoded, second, sizeof(second)) == n);
    assert(memcmp(first, second, (size_t)n) == 0);
    proto_tx_free(&decoded);
    proto_tx_free(&tx);
  }
  json_decref(j);
  return 0;
}
