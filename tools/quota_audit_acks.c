/* quota-audit --acks FILE: the acknowledgements clients kept (quotactl --ack-file) against the
 * replayed log. Each must be signed by the log key (else forged), name an entry the log holds
 * (else the registry dropped an acknowledged entry) and prove that entry's leaf under the
 * signed batch root (else the entry was changed after it was acknowledged). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/quota_audit.h"

struct ack {
  uint64_t index, first, count, time_ms;
  uint8_t root[PROTO_HASH_BYTES];
  uint8_t sig[PROTO_SIG_BYTES];
  uint8_t path[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t path_len;
};

static bool b64_exact(const json_t *s, uint8_t *out, size_t want) {
  const char *t = json_string_value(s);
  uint8_t buf[PROTO_SIG_BYTES + 3];
  long n = t ? proto_base64_decode(t, strlen(t), buf, sizeof buf) : -1;
  if (n != (long)want) return false;
  memcpy(out, buf, want);
  return true;
}

static bool u64_of(const json_t *o, const char *name, uint64_t *out) {
  json_t *v = json_object_get(o, name);
  if (!json_is_integer(v) || json_integer_value(v) < 0) return false;
  *out = (uint64_t)json_integer_value(v);
  return true;
}

/* One kept line: {"index":N,"ack":{"first","count","time_ms","root","signature","path"}}. */
static bool ack_parse(const json_t *line, struct ack *a) {
  const json_t *o = json_object_get(line, "ack");
  const json_t *path = json_object_get(o, "path");
  if (!u64_of(line, "index", &a->index) || !u64_of(o, "first", &a->first) ||
      !u64_of(o, "count", &a->count) || !u64_of(o, "time_ms", &a->time_ms) ||
      !b64_exact(json_object_get(o, "root"), a->root, PROTO_HASH_BYTES) ||
      !b64_exact(json_object_get(o, "signature"), a->sig, PROTO_SIG_BYTES) ||
      !json_is_array(path) || json_array_size(path) > TLOG_PROOF_HASHES_MAX)
    return false;
  a->path_len = json_array_size(path);
  for (size_t i = 0; i < a->path_len; i++)
    if (!b64_exact(json_array_get(path, i), a->path[i], PROTO_HASH_BYTES)) return false;
  return true;
}

static bool ack_signed(const struct qa_run *run, const struct ack *a, const struct proto_key *key) {
  char root[48], msg[512];
  if (proto_base64_encode(a->root, sizeof a->root, root, sizeof root) < 0) return false;
  int n = snprintf(msg, sizeof msg, "quotad/ack/v1\n%s\n%llu\n%llu\n%s\n%llu\n", run->key_name,
                   (unsigned long long)a->first, (unsigned long long)a->count, root,
                   (unsigned long long)a->time_ms);
  return n > 0 && (size_t)n < sizeof msg && proto_verify(key, msg, (size_t)n, a->sig) == 0;
}

/* 0 when the acknowledgement holds; QA_EXIT_FAILED with run->fail saying why. */
static int ack_check(struct qa_run *run, const struct ack *a, const struct proto_key *key,
                     unsigned long line) {
  if (!ack_signed(run, a, key) || a->index < a->first || a->index - a->first >= a->count) {
    qa_fail(run, a->index, PROTO_E_BAD_SIGNATURE, "--acks line %lu: the acknowledgement of entry "
            "%llu is not signed by the log key (forged or altered)", line, (unsigned long long)a->index);
    return QA_EXIT_FAILED;
  }
  uint64_t size = audit_log_size(run->log);
  if (a->index >= size) {
    qa_fail(run, a->index, PROTO_E_NOT_FOUND, "--acks line %lu: entry %llu was acknowledged but "
            "is missing from the log (size %llu)", line, (unsigned long long)a->index,
            (unsigned long long)size);
    return QA_EXIT_FAILED;
  }
  uint8_t leaf[PROTO_HASH_BYTES];
  int rc = audit_log_leaf_hash(run->log, a->index, leaf);
  if (!rc) rc = tlog_verify_inclusion(a->index - a->first, a->count, leaf,
                                      (const uint8_t(*)[PROTO_HASH_BYTES])a->path, a->path_len, a->root);
  if (rc) {
    qa_fail(run, a->index, PROTO_E_BAD_PROOF, "--acks line %lu: entry %llu in the log differs "
            "from the one acknowledged", line, (unsigned long long)a->index);
    return QA_EXIT_FAILED;
  }
  return 0;
}

int qa_acks_check(struct qa_run *run, unsigned long *checked) {
  FILE *f = fopen(run->opts.acks_path, "re");
  if (!f) return qa_io_error("%s: %s", run->opts.acks_path, strerror(errno));
  struct proto_key *key = proto_key_from_public(run->log_pub);
  struct ack *a = malloc(sizeof *a);
  char *buf = malloc(QA_ACK_LINE_BYTES_MAX);
  if (!key || !a || !buf) {
    fclose(f);
    free(buf);
    free(a);
    proto_key_free(key);
    return qa_io_error("out of memory");
  }
  int rc = 0;
  unsigned long line = 0;
  *checked = 0;
  while (!rc && fgets(buf, (int)QA_ACK_LINE_BYTES_MAX, f)) {
    line++;
    if (buf[0] == '\n') continue;
    json_t *j = json_loads(buf, 0, NULL);
    if (!j || !ack_parse(j, a)) rc = qa_io_error("%s:%lu: not an acknowledgement line", run->opts.acks_path, line);
    json_decref(j);
    if (!rc) rc = ack_check(run, a, key, line);
    if (!rc) ++*checked;
  }
  fclose(f);
  free(buf);
  free(a);
  proto_key_free(key);
  return rc;
}
