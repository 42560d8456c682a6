/* libFuzzer target: the settlement legs commitment. The input is a u16 length, a version 2 settle
 * body of that length, then a legs blob: the body decodes or not; the blob decodes only as the
 * one canonical encoding (decode then encode gives the input back); attached to the body it is
 * accepted only when its count is legs_count and its legs hash to legs_root, and then every leg
 * has an audit path that verifies. Seeds: tests/vectors/settle-legs.json. Links proto and tlog. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlog/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_blob(const uint8_t *blob, size_t len) {
  static struct proto_leg legs[PROTO_LEGS_MAX];
  static uint8_t again[PROTO_LEGS_BYTES_MAX];
  size_t n = 0;
  if (proto_legs_decode(blob, len, legs, PROTO_LEGS_MAX, &n) != 0) return;
  long m = proto_legs_encode(legs, n, again, sizeof(again));
  assert(m >= 0 && (size_t)m == len && memcmp(again, blob, len) == 0);
}

static void check_paths(const struct proto_tx *tx) {
  const struct proto_settle *s = &tx->u.settle;
  struct tlog_memtree t;
  if (tlog_legs_tree(s->legs, s->legs_count, &t) != 0) return;
  for (size_t i = 0; i < s->legs_count; i++) {
    uint8_t lh[PROTO_HASH_BYTES], path[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
    size_t plen = 0;
    tlog_legs_leaf_hash(&s->legs[i], lh);
    assert(tlog_memtree_inclusion(&t, i, path, &plen) == 0);
    assert(tlog_verify_inclusion(i, s->legs_count, lh, (const uint8_t(*)[PROTO_HASH_BYTES])path, plen,
                                 s->legs_root) == 0);
  }
  tlog_memtree_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t blen = (size_t)data[0] << 8 | data[1];
  if (blen > size - 2) blen = size - 2;
  const uint8_t *body = data + 2, *blob = body + blen;
  size_t llen = size - 2 - blen;
  check_blob(blob, llen);
  struct proto_tx tx;
  if (proto_tx_decode(body, blen, &tx) != 0) return 0;
  int rc = proto_settle_attach_legs(&tx, blob, llen);
  if (rc == 0) {
    rc = tlog_legs_check(&tx);
    assert(rc == 0 || rc == PROTO_E_LEGS_ROOT);
    if (rc == 0) check_paths(&tx);
  }
  proto_tx_free(&tx);
  return 0;
}
