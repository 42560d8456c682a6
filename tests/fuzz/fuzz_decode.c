/* libFuzzer target: arbitrary bytes through the entry, envelope and body decoders. Whatever
 * decodes must encode back to the identical bytes (one encoding per value), and a decoded body
 * must survive the JSON mapping unchanged. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/proto_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[PROTO_ENTRY_BYTES_MAX];

static void check_tx(const uint8_t *data, size_t size) {
  struct proto_tx tx, back;
  if (proto_tx_decode(data, size, &tx) != 0) return;
  long n = proto_tx_encode(&tx, out, sizeof(out));
  assert(n == (long)size && memcmp(out, data, size) == 0);
  json_t *j = proto_tx_to_json(&tx);
  if (j) { /* NULL only for u64 values above 2^63 - 1 */
    int rc = proto_tx_from_json(j, &back, NULL);
    assert(rc == 0);
    n = proto_tx_encode(&back, out, sizeof(out));
    assert(n == (long)size && memcmp(out, data, size) == 0);
    proto_tx_free(&back);
    json_decref(j);
  }
  proto_tx_free(&tx);
}

static void check_envelope(const uint8_t *data, size_t size) {
  struct proto_envelope env;
  if (proto_envelope_decode(data, size, &env) != 0) return;
  long n = proto_envelope_encode(&env, out, sizeof(out));
  assert(n == (long)size && memcmp(out, data, size) == 0);
  check_tx(env.body, env.body_len);
}

static void check_entry(const uint8_t *data, size_t size) {
  struct proto_entry e;
  if (proto_entry_decode(data, size, &e) != 0) return;
  long n = proto_entry_encode(&e, out, sizeof(out));
  assert(n == (long)size && memcmp(out, data, size) == 0);
  json_t *j = proto_entry_to_json(data, size);
  json_decref(j);
  check_envelope(e.envelope, e.envelope_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_entry(data, size);
  check_envelope(data, size);
  check_tx(data, size);
  return 0;
}
