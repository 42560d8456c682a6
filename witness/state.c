/* The witness's state in LMDB: one record per log origin, read, decided and written in one write
 * transaction that is durable before the witness answers.
 *
 * Key: SHA-256(origin), 32 bytes (the same hash names the origin in GET /<hex>/checkpoint).
 * Value (big-endian integers, no padding; exactly 51 + n bytes):
 *
 *   offset  size  field
 *   0       1     format version, 1
 *   1       8     tree size of the latest cosigned checkpoint
 *   9       32    its root hash
 *   41      8     the cosignature's timestamp, POSIX seconds
 *   49      2     n, the length of the stored note (1..WITNESS_NOTE_BYTES_MAX)
 *   51      n     the cosigned checkpoint: note text, blank line, the log's signature lines, the
 *                 witness's cosignature line
 *
 * A record that does not decode, or whose note is not a checkpoint of the same origin, size and
 * root, is CORRUPT: the witness refuses to cosign for that origin rather than guess. */
#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "witness/witness.h"

#define RECORD_VERSION 1u
#define RECORD_HEADER_BYTES 51u

struct witness_state {
  MDB_env *env;
  MDB_dbi dbi;
};

static int lmdb_code(int rc) {
  if (rc == 0) return 0;
  if (rc == MDB_MAP_FULL) return PROTO_E_MAP_FULL;
  if (rc == MDB_NOTFOUND) return PROTO_E_NOT_FOUND;
  if (rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) return PROTO_E_CORRUPT;
  witness_log("err", "lmdb: %s", mdb_strerror(rc));
  return PROTO_E_STORAGE;
}

int witness_state_open(const char *dir, uint64_t map_bytes_max, struct witness_state **out) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -errno;
  struct witness_state *s = calloc(1, sizeof *s);
  if (!s) return PROTO_E_NO_MEMORY;
  int rc = mdb_env_create(&s->env);
  if (rc == 0) rc = mdb_env_set_mapsize(s->env, (size_t)map_bytes_max);
  /* LMDB's safe defaults: every commit is durable before it returns */
  if (rc == 0) rc = mdb_env_open(s->env, dir, 0, 0600);
  MDB_txn *txn = NULL;
  if (rc == 0) rc = mdb_txn_begin(s->env, NULL, 0, &txn);
  if (rc == 0) rc = mdb_dbi_open(txn, NULL, 0, &s->dbi);
  if (rc == 0) rc = mdb_txn_commit(txn);
  else if (txn) mdb_txn_abort(txn);
  if (rc != 0) {
    int code = rc > 0 ? lmdb_code(rc) : rc;
    if (s->env) mdb_env_close(s->env);
    free(s);
    return code;
  }
  *out = s;
  return 0;
}

void witness_state_close(struct witness_state *s) {
  if (!s) return;
  mdb_env_close(s->env);
  free(s);
}

static uint64_t get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; i++) v = v << 8 | p[i];
  return v;
}

static void put_u64(uint8_t *p, uint64_t v) {
  for (unsigned i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* Decodes and checks a stored value against its key. Returns 0 or CORRUPT. */
static int record_decode(const uint8_t key[PROTO_HASH_BYTES], const MDB_val *v,
                         struct witness_record *r) {
  const uint8_t *p = v->mv_data;
  if (v->mv_size < RECORD_HEADER_BYTES || p[0] != RECORD_VERSION) return PROTO_E_CORRUPT;
  size_t n = (size_t)p[49] << 8 | p[50];
  if (n == 0 || n > WITNESS_NOTE_BYTES_MAX || v->mv_size != RECORD_HEADER_BYTES + n) return PROTO_E_CORRUPT;
  r->size = get_u64(p + 1);
  memcpy(r->root, p + 9, PROTO_HASH_BYTES);
  r->time_s = get_u64(p + 41);
  memcpy(r->note, p + RECORD_HEADER_BYTES, n);
  r->note[n] = '\0';
  r->note_len = n;
  struct tlog_note note;
  uint8_t origin_hash[PROTO_HASH_BYTES];
  if (tlog_note_parse(r->note, n, &note) != 0) return PROTO_E_CORRUPT;
  proto_sha256(note.cp.origin, strlen(note.cp.origin), origin_hash);
  if (note.cp.size != r->size || memcmp(note.cp.root, r->root, PROTO_HASH_BYTES) != 0 ||
      memcmp(origin_hash, key, PROTO_HASH_BYTES) != 0)
    return PROTO_E_CORRUPT;
  return 0;
}

static void record_empty(struct witness_record *r) {
  r->size = 0;
  proto_sha256("", 0, r->root);
  r->time_s = 0;
  r->note_len = 0;
  r->note[0] = '\0';
}

/* Encodes a record the decoder will accept: asserted here, checked again when read. */
static size_t record_encode(const struct witness_record *r, uint8_t *out) {
  struct tlog_note note;
  PROTO_ASSERT(r->note_len > 0 && r->note_len <= WITNESS_NOTE_BYTES_MAX);
  int parsed = tlog_note_parse(r->note, r->note_len, &note);
  PROTO_ASSERT(parsed == 0 && note.cp.size == r->size &&
         memcmp(note.cp.root, r->root, PROTO_HASH_BYTES) == 0);
  out[0] = RECORD_VERSION;
  put_u64(out + 1, r->size);
  memcpy(out + 9, r->root, PROTO_HASH_BYTES);
  put_u64(out + 41, r->time_s);
  out[49] = (uint8_t)(r->note_len >> 8);
  out[50] = (uint8_t)r->note_len;
  memcpy(out + RECORD_HEADER_BYTES, r->note, r->note_len);
  return RECORD_HEADER_BYTES + r->note_len;
}

int witness_state_get(struct witness_state *s, const uint8_t origin_hash[PROTO_HASH_BYTES],
                      struct witness_record *out) {
  MDB_txn *txn = NULL;
  int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
  if (rc != 0) return lmdb_code(rc);
  MDB_val k = {PROTO_HASH_BYTES, (void *)origin_hash}, v;
  rc = mdb_get(txn, s->dbi, &k, &v);
  int code = rc == 0 ? record_decode(origin_hash, &v, out) : lmdb_code(rc);
  mdb_txn_abort(txn);
  return code;
}

int witness_state_update(struct witness_state *s, const char *origin, witness_decide_fn decide,
                         void *ctx) {
  uint8_t key[PROTO_HASH_BYTES];
  proto_sha256(origin, strlen(origin), key);
  struct witness_record *recs = malloc(2 * sizeof *recs); /* stored, next: 11 KiB */
  uint8_t *buf = malloc(RECORD_HEADER_BYTES + WITNESS_NOTE_BYTES_MAX);
  MDB_txn *txn = NULL;
  int rc = recs && buf ? mdb_txn_begin(s->env, NULL, 0, &txn) : ENOMEM;
  int code = rc == ENOMEM ? PROTO_E_NO_MEMORY : lmdb_code(rc);
  if (code == 0) {
    MDB_val k = {PROTO_HASH_BYTES, key}, v;
    rc = mdb_get(txn, s->dbi, &k, &v);
    if (rc == MDB_NOTFOUND) record_empty(&recs[0]);
    code = rc == MDB_NOTFOUND ? 0 : rc != 0 ? lmdb_code(rc) : record_decode(key, &v, &recs[0]);
    if (code == 0) code = decide(ctx, &recs[0], &recs[1]);
    if (code == 0) {
      MDB_val nv = {record_encode(&recs[1], buf), buf};
      code = lmdb_code(mdb_put(txn, s->dbi, &k, &nv, 0));
    }
    /* the commit is the fsync: the answer goes out only after it returns */
    if (code == 0) code = lmdb_code(mdb_txn_commit(txn));
    else mdb_txn_abort(txn);
  }
  free(buf);
  free(recs);
  return code;
}
