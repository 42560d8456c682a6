/* ack: signed acknowledgements of committed batches (daemon/ack.h; proto/FORMAT.md
 * "Acknowledgements"). One signature per batch keeps the writer's cost to one Ed25519 sign. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ack.h"

long daemon_ack_message(const char *origin, const struct daemon_ack *a, char *out, size_t cap) {
  char root[48];
  if (proto_base64_encode(a->root, sizeof a->root, root, sizeof root) < 0) return PROTO_E_FIELD_TOO_LONG;
  int n = snprintf(out, cap, "quotad/ack/v1\n%s\n%llu\n%llu\n%s\n%llu\n", origin,
                   (unsigned long long)a->first, (unsigned long long)a->count, root,
                   (unsigned long long)a->time_ms);
  return n < 0 || (size_t)n >= cap ? PROTO_E_FIELD_TOO_LONG : n;
}

static int ack_sign(struct daemon_ack *a, const char *origin, const struct proto_key *log_key) {
  char msg[DAEMON_ACK_MESSAGE_BYTES_MAX];
  long n = daemon_ack_message(origin, a, msg, sizeof msg);
  if (n < 0) return (int)n;
  return proto_sign(log_key, msg, (size_t)n, a->sig);
}

struct daemon_ack *daemon_ack_make(const char *origin, const struct proto_key *log_key,
                                   const struct ledger_submission *subs, size_t n, uint64_t time_ms) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += subs[i].result == 0;
  if (count == 0 || !log_key) return NULL;
  uint8_t(*leaves)[PROTO_HASH_BYTES] = malloc(count * PROTO_HASH_BYTES);
  struct daemon_ack *a = calloc(1, sizeof *a);
  int rc = leaves && a ? 0 : PROTO_E_NO_MEMORY;
  size_t k = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    if (subs[i].result != 0) continue;
    if (k == 0) a->first = subs[i].index;
    /* The ledger appends a batch's accepted entries at consecutive indices, in order. */
    assert(subs[i].index == a->first + k);
    memcpy(leaves[k++], subs[i].leaf_hash, PROTO_HASH_BYTES);
  }
  if (!rc) {
    assert(k == count);
    a->count = count;
    a->time_ms = time_ms;
    a->refs = 1;
    rc = tlog_memtree_build((const uint8_t(*)[PROTO_HASH_BYTES])leaves, count, &a->tree);
  }
  if (!rc) tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])leaves, count, a->root);
  if (!rc) rc = ack_sign(a, origin, log_key);
  if (!rc && (proto_base64_encode(a->root, sizeof a->root, a->root_b64, sizeof a->root_b64) < 0 ||
              proto_base64_encode(a->sig, sizeof a->sig, a->sig_b64, sizeof a->sig_b64) < 0))
    rc = PROTO_E_FIELD_TOO_LONG;
  free(leaves);
  if (rc && a) {
    daemon_log(DAEMON_LOG_ERR, "batch acknowledgement not signed: %s", proto_err_name(rc));
    tlog_memtree_free(&a->tree);
    free(a);
    a = NULL;
  }
  return a;
}

void daemon_ack_ref(struct daemon_ack *a) {
  assert(a->refs > 0);
  a->refs++;
}

void daemon_ack_unref(struct daemon_ack *a) {
  if (!a) return;
  assert(a->refs > 0);
  if (--a->refs) return;
  tlog_memtree_free(&a->tree);
  free(a);
}

static int buf_b64(struct daemon_buf *b, const uint8_t *data, size_t len) {
  char text[128];
  if (proto_base64_encode(data, len, text, sizeof text) < 0) return PROTO_E_FIELD_TOO_LONG;
  int rc = daemon_buf_append(b, "\"", 1);
  if (!rc) rc = daemon_buf_str(b, text);
  return rc ? rc : daemon_buf_append(b, "\"", 1);
}

int daemon_ack_write(struct daemon_buf *b, const struct daemon_ack *a, uint64_t index) {
  if (index < a->first || index - a->first >= a->count) return PROTO_E_BAD_ARGUMENT;
  uint8_t path[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t path_len = 0;
  int rc = tlog_memtree_inclusion(&a->tree, index - a->first, path, &path_len);
  if (!rc) rc = daemon_buf_str(b, ",\"ack\":{\"first\":");
  if (!rc) rc = daemon_buf_u64(b, a->first);
  if (!rc) rc = daemon_buf_str(b, ",\"count\":");
  if (!rc) rc = daemon_buf_u64(b, a->count);
  if (!rc) rc = daemon_buf_str(b, ",\"time_ms\":");
  if (!rc) rc = daemon_buf_u64(b, a->time_ms);
  if (!rc) rc = daemon_buf_str(b, ",\"root\":\"");
  if (!rc) rc = daemon_buf_str(b, a->root_b64);
  if (!rc) rc = daemon_buf_str(b, "\",\"signature\":\"");
  if (!rc) rc = daemon_buf_str(b, a->sig_b64);
  if (!rc) rc = daemon_buf_str(b, "\",\"path\":[");
  for (size_t i = 0; i < path_len && !rc; i++) {
    if (i) rc = daemon_buf_append(b, ",", 1);
    if (!rc) rc = buf_b64(b, path[i], PROTO_HASH_BYTES);
  }
  return rc ? rc : daemon_buf_str(b, "]}");
}
