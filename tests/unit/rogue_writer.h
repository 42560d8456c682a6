/* Test-only rogue writer: builds a log directly, bypassing the ledger's rules. Every entry is
 * canonically encoded and really signed, so the only thing wrong with a rule-breaking entry is
 * the rule it breaks: exactly what quota-audit must name. Static functions only. */
#ifndef QUOTAD_TESTS_ROGUE_WRITER_H
#define QUOTAD_TESTS_ROGUE_WRITER_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ledger/ledger.h"
#include "proto/proto.h"
#include <stdio.h>

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

/* The checkpoint the log key signs over the first `size` leaves, as a signed note. */
static inline void rogue_checkpoint(const struct rogue_log *log, size_t size,
                                    const struct proto_key *log_key, char *out, size_t cap) {
  uint8_t(*hashes)[PROTO_HASH_BYTES] = calloc(size ? size : 1, PROTO_HASH_BYTES);
  cr_assert(hashes);
  for (size_t i = 0; i < size; i++) tlog_leaf_hash(log->leaves[i], log->lens[i], hashes[i]);
  struct tlog_checkpoint cp = {.size = size};
  strcpy(cp.origin, ROGUE_ORIGIN);
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])hashes, size, cp.root);
  free(hashes);
  long n = tlog_checkpoint_sign(&cp, ROGUE_ORIGIN, log_key, out, cap);
  cr_assert(n > 0, "checkpoint sign: %s", proto_err_name((int)n));
}

/* The verifier key of the log key, "name+id+base64". */
static inline void rogue_verifier_key(const struct proto_key *log_key, char *out, size_t cap) {
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(log_key, pub);
  cr_assert(tlog_verifier_key(ROGUE_ORIGIN, pub, out, cap) > 0);
}

/* Writes log as an export file (docs/QUOTACTL.md "Export") with checkpoint text `note` (NULL:
 * one the log key signs over every leaf) and an optional "reported" object (stolen). */
static inline void rogue_export(const struct rogue_log *log, const struct proto_key *log_key,
                                const char *note, json_t *reported, const char *path) {
  char cp[TLOG_CHECKPOINT_BYTES_MAX], vk[TLOG_VERIFIER_KEY_BYTES_MAX];
  if (!note) {
    rogue_checkpoint(log, log->count, log_key, cp, sizeof(cp));
    note = cp;
  }
  rogue_verifier_key(log_key, vk, sizeof(vk));
  FILE *f = fopen(path, "w");
  cr_assert(f, "%s", path);
  json_t *h = json_pack("{s:s, s:s, s:s, s:I, s:s}", "format", "quotad-export/1", "origin",
                        ROGUE_ORIGIN, "verifier_key", vk, "tree_size", (json_int_t)log->count,
                        "checkpoint", note);
  char *line = json_dumps(h, JSON_COMPACT);
  fprintf(f, "%s\n", line);
  free(line);
  json_decref(h);
  char *b64 = malloc(PROTO_ENTRY_BYTES_MAX * 2);
  for (size_t i = 0; i < log->count; i++) {
    cr_assert(proto_base64_encode(log->leaves[i], log->lens[i], b64, PROTO_ENTRY_BYTES_MAX * 2) > 0);
    fprintf(f, "{\"index\":%zu,\"leaf\":\"%s\"}\n", i, b64);
  }
  free(b64);
  if (reported) {
    json_t *o = json_pack("{s:o}", "reported", reported);
    line = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n", line);
    free(line);
    json_decref(o);
  }
  cr_assert_eq(fclose(f), 0);
}

#endif /* QUOTAD_TESTS_ROGUE_WRITER_H */
