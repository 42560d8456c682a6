/* Test-only rogue writer: builds a log directly, bypassing the ledger's rules. Every entry is
 * canonically encoded and really signed, so the only thing wrong with a rule-breaking entry is
 * the rule it breaks: exactly what quota-audit must name. Static functions only. */
#ifndef QUOTAD_TESTS_ROGUE_WRITER_H
#define QUOTAD_TESTS_ROGUE_WRITER_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#define ROGUE_ORIGIN "registry.test/quotad"

struct rogue_log {
  uint8_t **leaves;
  size_t *lens;
  size_t count, cap;
};

static inline void rogue_free(struct rogue_log *log) {
  for (size_t i = 0; i < log->count; i++) free(log->leaves[i]);
  free(log->leaves);
  free(log->lens);
  memset(log, 0, sizeof(*log));
}

/* The exact leaf of tx signed by keys[0..n) under origin, as entry `index` at time_ms. */
static inline size_t rogue_leaf(const struct proto_tx *tx, uint64_t index, uint64_t time_ms,
                         uint64_t withheld, struct proto_key *const *keys, size_t n,
                         const char *origin, uint8_t *out, size_t cap) {
  uint8_t body[PROTO_ENTRY_BYTES_MAX], env_bytes[PROTO_ENTRY_BYTES_MAX];
  long body_len = proto_tx_encode(tx, body, sizeof(body));
  cr_assert(body_len > 0, "encode: %s", proto_err_name((int)body_len));
  struct proto_envelope env = {.body = body, .body_len = (uint16_t)body_len};
  for (size_t i = 0; i < n; i++) cr_assert_eq(proto_envelope_sign(&env, origin, keys[i]), 0);
  long env_len = proto_envelope_encode(&env, env_bytes, sizeof(env_bytes));
  cr_assert(env_len > 0);
  struct proto_entry e = {.index = index, .time_ms = time_ms, .withheld = withheld,
                          .envelope = env_bytes, .envelope_len = (uint16_t)env_len};
  long len = proto_entry_encode(&e, out, cap);
  cr_assert(len > 0, "entry encode: %s", proto_err_name((int)len));
  return (size_t)len;
}

static inline void rogue_push(struct rogue_log *log, const uint8_t *leaf, size_t len) {
  if (log->count == log->cap) {
    log->cap = log->cap ? log->cap * 2 : 64;
    log->leaves = realloc(log->leaves, log->cap * sizeof(*log->leaves));
    log->lens = realloc(log->lens, log->cap * sizeof(*log->lens));
    cr_assert(log->leaves && log->lens);
  }
  log->leaves[log->count] = malloc(len);
  cr_assert(log->leaves[log->count]);
  memcpy(log->leaves[log->count], leaf, len);
  log->lens[log->count++] = len;
}

/* Appends tx as the next entry, whatever the rules say. Returns its index. */
static inline uint64_t rogue_append(struct rogue_log *log, const struct proto_tx *tx, uint64_t time_ms,
                             uint64_t withheld, struct proto_key *const *keys, size_t n) {
  uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  size_t len = rogue_leaf(tx, log->count, time_ms, withheld, keys, n, ROGUE_ORIGIN, leaf,
                          sizeof(leaf));
  rogue_push(log, leaf, len);
  return log->count - 1;
}

#endif /* QUOTAD_TESTS_ROGUE_WRITER_H */
