/* audit_log: chunked verification of a whole log. Signature checks (the cost: one Ed25519
 * verification per signature) are spread over threads; hashing and the replay stay in order. */
#include "audit/audit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct audit_log {
  struct audit_replay *r;
  uint8_t (*hashes)[PROTO_HASH_BYTES];
  uint64_t size, cap;
  struct audit_map vkeys; /* key hash -> struct proto_key *: every key the log has named so far */
  char origin[PROTO_ORIGIN_BYTES_MAX + 1];
  unsigned threads;
};

struct sig_job {
  const uint8_t *msg;
  size_t msg_len;
  const struct proto_key *key;
  uint8_t sig[PROTO_SIG_BYTES];
  int *status;
};

struct leaf_prep {
  int status[PROTO_SIGS_MAX];
  uint8_t *msg; /* the signing message, heap */
};

struct audit_log *audit_log_new(const uint8_t log_pub[PROTO_PUBKEY_BYTES], unsigned threads) {
  struct audit_log *log = calloc(1, sizeof(*log));
  if (!log) return NULL;
  log->r = audit_replay_new();
  if (!log->r) {
    free(log);
    return NULL;
  }
  audit_replay_set_log_key(log->r, log_pub);
  audit_map_init(&log->vkeys, PROTO_HASH_BYTES, sizeof(struct proto_key *));
  log->threads = threads < 1 ? 1 : (threads > AUDIT_THREADS_MAX ? AUDIT_THREADS_MAX : threads);
  return log;
}

void audit_log_free(struct audit_log *log) {
  if (!log) return;
  for (size_t i = 0; i < log->vkeys.count; i++) {
    struct proto_key **k = audit_map_at(&log->vkeys, i, NULL);
    proto_key_free(*k);
  }
  audit_map_free(&log->vkeys);
  audit_replay_free(log->r);
  free(log->hashes);
  free(log);
}

struct audit_replay *audit_log_replay(struct audit_log *log) { return log->r; }
uint64_t audit_log_size(const struct audit_log *log) { return log->size; }

static void vkey_add(struct audit_log *log, const uint8_t pub[PROTO_PUBKEY_BYTES]) {
  uint8_t hash[PROTO_HASH_BYTES];
  proto_sha256(pub, PROTO_PUBKEY_BYTES, hash);
  if (audit_map_get(&log->vkeys, hash)) return;
  struct proto_key *key = proto_key_from_public(pub);
  if (!key) return; /* an invalid key: its signatures stay unknown, the replay names it */
  struct proto_key **slot = audit_map_put(&log->vkeys, hash, NULL);
  if (slot) *slot = key;
  else proto_key_free(key);
}

/* Decodes one leaf far enough to learn the keys it registers and the jobs its signatures need.
 * Anything malformed is left for the replay, which names it precisely. */
static void prepare(struct audit_log *log, const uint8_t *leaf, size_t len, struct leaf_prep *p,
                    struct sig_job *jobs, size_t *jobs_count) {
  for (size_t i = 0; i < PROTO_SIGS_MAX; i++) p->status[i] = AUDIT_SIG_UNKNOWN;
  struct proto_entry e;
  struct proto_envelope env;
  struct proto_tx tx;
  if (proto_entry_decode(leaf, len, &e) || proto_envelope_decode(e.envelope, e.envelope_len, &env) ||
      proto_tx_decode(env.body, env.body_len, &tx))
    return;
  if (tx.type == PROTO_TX_GENESIS && log->origin[0] == '\0') {
    snprintf(log->origin, sizeof(log->origin), "%s", tx.u.genesis.origin);
    vkey_add(log, tx.u.genesis.log_public_key);
    for (unsigned k = 0; k < tx.u.genesis.operator_keys_count; k++)
      vkey_add(log, tx.u.genesis.operator_keys[k]);
  } else if (tx.type == PROTO_TX_KEY_REGISTER) {
    vkey_add(log, tx.u.key_register.public_key);
  }
  proto_tx_free(&tx);
  size_t cap = (size_t)env.body_len + PROTO_ORIGIN_BYTES_MAX + 32u;
  p->msg = malloc(cap);
  long msg_len = p->msg ? proto_signing_message(log->origin, env.body, env.body_len, p->msg, cap) : -1;
  if (msg_len < 0) return;
  for (size_t i = 0; i < env.sigs_count; i++) {
    struct proto_key **key = audit_map_get(&log->vkeys, env.sigs[i].key_hash);
    if (!key) continue;
    struct sig_job *j = &jobs[*jobs_count];
    *j = (struct sig_job){.msg = p->msg, .msg_len = (size_t)msg_len, .key = *key,
                          .status = &p->status[i]};
    memcpy(j->sig, env.sigs[i].sig, PROTO_SIG_BYTES);
    (*jobs_count)++;
  }
}

struct worker {
  struct sig_job *jobs;
  size_t count, first, step;
};

static void *verify_worker(void *arg) {
  struct worker *w = arg;
  for (size_t i = w->first; i < w->count; i += w->step) {
    struct sig_job *j = &w->jobs[i];
    *j->status = proto_verify(j->key, j->msg, j->msg_len, j->sig) == 0 ? AUDIT_SIG_VALID
                                                                        : AUDIT_SIG_BAD;
  }
  return NULL;
}

static void verify_all(struct sig_job *jobs, size_t count, unsigned threads) {
  pthread_t tids[AUDIT_THREADS_MAX];
  struct worker workers[AUDIT_THREADS_MAX];
  unsigned started = 0;
  if (count < 64) threads = 1; /* not worth a thread */
  for (unsigned t = 1; t < threads; t++) {
    workers[t] = (struct worker){jobs, count, t, threads};
    if (pthread_create(&tids[t], NULL, verify_worker, &workers[t]) != 0) break;
    started = t;
  }
  /* This thread takes share 0 and any share a thread could not be started for. */
  for (unsigned t = 0; t < threads; t++) {
    if (t != 0 && t <= started) continue;
    workers[t] = (struct worker){jobs, count, t, threads};
    verify_worker(&workers[t]);
  }
  for (unsigned t = 1; t <= started; t++) pthread_join(tids[t], NULL);
}

static int grow_hashes(struct audit_log *log, size_t n) {
  if (log->size + n <= log->cap) return 0;
  uint64_t cap = log->cap ? log->cap : 1024;
  while (cap < log->size + n) cap *= 2;
  void *h = realloc(log->hashes, (size_t)cap * PROTO_HASH_BYTES);
  if (!h) return PROTO_E_NO_MEMORY;
  log->hashes = h;
  log->cap = cap;
  return 0;
}

int audit_log_feed(struct audit_log *log, const uint8_t *const *leaves, const size_t *lens,
                   size_t n, struct audit_failure *fail) {
  return audit_log_feed_legs(log, leaves, lens, NULL, NULL, n, fail);
}

int audit_log_feed_legs(struct audit_log *log, const uint8_t *const *leaves, const size_t *lens,
                        const uint8_t *const *legs, const size_t *legs_lens, size_t n,
                        struct audit_failure *fail) {
  if (n > AUDIT_CHUNK_LEAVES_MAX) return PROTO_E_BAD_ARGUMENT;
  struct leaf_prep *prep = calloc(n ? n : 1, sizeof(*prep));
  struct sig_job *jobs = calloc(n ? n * PROTO_SIGS_MAX : 1, sizeof(*jobs));
  int rc = prep && jobs ? grow_hashes(log, n) : PROTO_E_NO_MEMORY;
  size_t jobs_count = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    tlog_leaf_hash(leaves[i], lens[i], log->hashes[log->size + i]);
    prepare(log, leaves[i], lens[i], &prep[i], jobs, &jobs_count);
  }
  if (!rc) verify_all(jobs, jobs_count, log->threads);
  for (size_t i = 0; i < n && !rc; i++) {
    rc = audit_replay_leaf_legs(log->r, leaves[i], lens[i], legs ? legs[i] : NULL,
                                legs && legs[i] ? legs_lens[i] : 0, prep[i].status, fail);
    if (rc && !audit_replay_stopped(log->r)) rc = 0; /* keep-going: recorded, go on */
  }
  if (!rc) log->size += n;
  else if (rc == PROTO_E_NO_MEMORY && fail) {
    fail->index = log->size;
    fail->code = rc;
    snprintf(fail->text, sizeof(fail->text), "out of memory");
  }
  for (size_t i = 0; prep && i < n; i++) free(prep[i].msg);
  free(prep);
  free(jobs);
  return rc;
}

int audit_log_root(const struct audit_log *log, uint64_t size, uint8_t out[PROTO_HASH_BYTES]) {
  if (size > log->size) return PROTO_E_BAD_ARGUMENT;
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])log->hashes, size, out);
  return 0;
}

int audit_log_leaf_hash(const struct audit_log *log, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  if (index >= log->size) return PROTO_E_BAD_ARGUMENT;
  memcpy(out, log->hashes[index], PROTO_HASH_BYTES);
  return 0;
}

static int cp_fail(struct audit_failure *fail, int code, const char *text) {
  fail->index = UINT64_MAX;
  fail->code = code;
  snprintf(fail->text, sizeof(fail->text), "checkpoint: %s", text);
  return code;
}

int audit_log_check_checkpoint(const struct audit_log *log, const struct tlog_checkpoint *cp,
                               struct audit_failure *fail) {
  char text[AUDIT_FAILURE_TEXT_BYTES - 16];
  if (strcmp(cp->origin, audit_replay_origin(log->r)) != 0) {
    snprintf(text, sizeof(text), "origin \"%s\" but the genesis declares \"%s\"", cp->origin,
             audit_replay_origin(log->r));
    return cp_fail(fail, PROTO_E_BAD_CHECKPOINT, text);
  }
  if (cp->size != log->size) {
    snprintf(text, sizeof(text), "tree size %llu but the log holds %llu entries",
             (unsigned long long)cp->size, (unsigned long long)log->size);
    return cp_fail(fail, PROTO_E_BAD_CHECKPOINT, text);
  }
  uint8_t root[PROTO_HASH_BYTES];
  char want[64], got[64];
  (void)audit_log_root(log, log->size, root);
  if (memcmp(root, cp->root, PROTO_HASH_BYTES) != 0) {
    (void)proto_base64_encode(cp->root, PROTO_HASH_BYTES, want, sizeof(want));
    (void)proto_base64_encode(root, PROTO_HASH_BYTES, got, sizeof(got));
    snprintf(text, sizeof(text), "signed root %s at size %llu but the entries give %s", want,
             (unsigned long long)cp->size, got);
    return cp_fail(fail, PROTO_E_INCONSISTENT, text);
  }
  return 0;
}
