/* quota-witness's request handling and state, without sockets: every tlog-witness answer of
 * add-checkpoint (200, 400, 403, 404, 409, 422), that a refusal leaves the stored record as it
 * was, that the record survives a reopen, and GET of the latest cosigned checkpoint. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>
#include <unistd.h>

#include "witness/witness.h"

#define ORIGIN "registry.example/quotad"
#define LEAVES_MAX 64u

/* A Merkle tree in memory: nodes[level][index], built with tlog_append. */
struct mem_tree {
  uint8_t nodes[8][LEAVES_MAX][PROTO_HASH_BYTES];
  uint64_t size;
};

static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  struct mem_tree *t = ctx;
  if (level >= 8 || index >= (t->size >> level)) return PROTO_E_NOT_FOUND;
  memcpy(out, t->nodes[level][index], PROTO_HASH_BYTES);
  return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[PROTO_HASH_BYTES]) {
  struct mem_tree *t = ctx;
  cr_assert(level < 8 && index < LEAVES_MAX);
  memcpy(t->nodes[level][index], h, PROTO_HASH_BYTES);
  return 0;
}

/* A tree of n leaves "leaf i" (or "fork i" from index fork_at on). */
static void tree_build(struct mem_tree *t, uint64_t n, uint64_t fork_at) {
  memset(t, 0, sizeof *t);
  struct tlog_store s = {t, mem_get, mem_put};
  for (uint64_t i = 0; i < n; i++) {
    char leaf[32];
    int len = snprintf(leaf, sizeof leaf, "%s %" PRIu64, i >= fork_at ? "fork" : "leaf", i);
    uint8_t h[PROTO_HASH_BYTES];
    tlog_leaf_hash((const uint8_t *)leaf, (size_t)len, h);
    cr_assert_eq(tlog_append(&s, t->size, h), 0);
    t->size++;
  }
}

struct world {
  char dir[64];
  struct witness_config *cfg;
  struct witness w;
  struct proto_key *log_key, *other_key;
  uint8_t witness_pub[PROTO_PUBKEY_BYTES];
  struct witness_answer a;
};

static struct proto_key *seed_key(uint8_t fill) {
  uint8_t seed[PROTO_SEED_BYTES];
  memset(seed, fill, sizeof seed);
  struct proto_key *k = proto_key_from_seed(seed);
  cr_assert(k != NULL);
  return k;
}

static void world_open(struct world *wd) {
  cr_assert_eq(witness_open(&wd->w, wd->cfg), 0);
}

static void world_init(struct world *wd) {
  memset(wd, 0, sizeof *wd);
  snprintf(wd->dir, sizeof wd->dir, "/tmp/witness-unit-XXXXXX");
  cr_assert(mkdtemp(wd->dir) != NULL);
  wd->cfg = calloc(1, sizeof *wd->cfg);
  struct witness_config *c = wd->cfg;
  snprintf(c->name, sizeof c->name, "witness.example/w1");
  snprintf(c->data_dir, sizeof c->data_dir, "%s/state", wd->dir);
  snprintf(c->key_file, sizeof c->key_file, "%s/witness.key", wd->dir);
  c->limits.map_bytes_max = 1u << 20;
  struct proto_key *wk = seed_key(50);
  cr_assert_eq(proto_key_save(wk, c->key_file), 0);
  proto_key_public(wk, wd->witness_pub);
  proto_key_free(wk);
  wd->log_key = seed_key(1);
  wd->other_key = seed_key(2);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(wd->log_key, pub);
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX], line[512], err[256];
  cr_assert_gt(tlog_verifier_key(ORIGIN, pub, vkey, sizeof vkey), 0);
  snprintf(line, sizeof line, "%s %s", ORIGIN, vkey);
  cr_assert_eq(witness_config_add_log(c, line, err, sizeof err), 0, "%s", err);
  world_open(wd);
}

static void world_free(struct world *wd) {
  witness_close(&wd->w);
  proto_key_free(wd->log_key);
  proto_key_free(wd->other_key);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", wd->dir);
  cr_assert_eq(system(cmd), 0);
  free(wd->cfg);
}

/* Sends add-checkpoint for tree t (signed by key under origin) with a proof from old. */
static void add(struct world *wd, const struct mem_tree *t, uint64_t old, struct proto_key *key,
                const char *origin, uint64_t now) {
  struct tlog_checkpoint cp;
  memset(&cp, 0, sizeof cp);
  snprintf(cp.origin, sizeof cp.origin, "%s", origin);
  cp.size = t->size;
  tlog_root_of((const uint8_t(*)[PROTO_HASH_BYTES])t->nodes[0], t->size, cp.root);
  char note[TLOG_CHECKPOINT_BYTES_MAX], body[8192];
  cr_assert_gt(tlog_checkpoint_sign(&cp, origin, key, note, sizeof note), 0);
  uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n = 0;
  struct tlog_store s = {(void *)t, mem_get, mem_put};
  if (old > 0 && old <= t->size) cr_assert_eq(tlog_consistency(&s, old, t->size, proof, &n), 0);
  int len = snprintf(body, sizeof body, "old %" PRIu64 "\n", old);
  for (size_t i = 0; i < n; i++) {
    len += (int)proto_base64_encode(proof[i], PROTO_HASH_BYTES, body + len, sizeof body - (size_t)len);
    body[len++] = '\n';
  }
  len += snprintf(body + len, sizeof body - (size_t)len, "\n%s", note);
  witness_handle(&wd->w, "POST", "/add-checkpoint", body, (size_t)len, now, &wd->a);
}

static struct witness_record *record_of(struct world *wd, const char *origin, int *rc) {
  static struct witness_record r;
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(origin, strlen(origin), h);
  *rc = witness_state_get(wd->w.state, h, &r);
  return &r;
}

static void expect_size_conflict(struct world *wd, uint64_t size) {
  char want[32];
  snprintf(want, sizeof want, "%" PRIu64 "\n", size);
  cr_assert_eq(wd->a.status, 409, "%.*s", (int)wd->a.body_len, wd->a.body);
  cr_assert_str_eq(wd->a.content_type, "text/x.tlog.size");
  cr_assert_eq(wd->a.body_len, strlen(want));
  cr_assert_eq(memcmp(wd->a.body, want, wd->a.body_len), 0);
}

Test(witness, first_checkpoint_is_cosigned_and_stored) {
  struct world wd;
  world_init(&wd);
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 5, UINT64_MAX);
  add(&wd, t, 0, wd.log_key, ORIGIN, 1700000000);
  cr_assert_eq(wd.a.status, 200, "%.*s", (int)wd.a.body_len, wd.a.body);
  /* the answer is one cosignature line by the witness over the checkpoint's text */
  int rc;
  struct witness_record *r = record_of(&wd, ORIGIN, &rc);
  cr_assert_eq(rc, 0);
  cr_assert_eq(r->size, 5u);
  cr_assert_eq(r->time_s, 1700000000u);
  struct tlog_note n;
  cr_assert_eq(tlog_note_parse(r->note, r->note_len, &n), 0);
  struct tlog_cosigner c = {.key_id = tlog_cosig_key_id("witness.example/w1", wd.witness_pub)};
  snprintf(c.name, sizeof c.name, "witness.example/w1");
  memcpy(c.pub, wd.witness_pub, PROTO_PUBKEY_BYTES);
  uint64_t time_s = 0;
  cr_assert_eq(tlog_witness_response_parse(wd.a.body, wd.a.body_len, n.text, n.text_len, &c, &time_s,
                                           NULL, NULL), 0);
  cr_assert_eq(time_s, 1700000000u);
  /* the stored checkpoint carries the log's signature and the cosignature */
  uint8_t log_pub[PROTO_PUBKEY_BYTES];
  proto_key_public(wd.log_key, log_pub);
  cr_assert_eq(tlog_checkpoint_verify(r->note, r->note_len, ORIGIN, log_pub, NULL), 0);
  cr_assert_eq(tlog_cosig_verify(r->note, r->note_len, &c, NULL), 0);
  free(t);
  world_free(&wd);
}

Test(witness, growth_with_a_proof_then_refusals_leave_the_record_unchanged) {
  struct world wd;
  world_init(&wd);
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 8, UINT64_MAX);
  add(&wd, t, 0, wd.log_key, ORIGIN, 100);
  cr_assert_eq(wd.a.status, 200);
  tree_build(t, 13, UINT64_MAX);
  add(&wd, t, 8, wd.log_key, ORIGIN, 101);
  cr_assert_eq(wd.a.status, 200, "%.*s", (int)wd.a.body_len, wd.a.body);
  int rc;
  struct witness_record before = *record_of(&wd, ORIGIN, &rc);
  cr_assert_eq(before.size, 13u);
  /* a stale old size: 409 with the witness's size */
  tree_build(t, 20, UINT64_MAX);
  add(&wd, t, 8, wd.log_key, ORIGIN, 102);
  expect_size_conflict(&wd, 13);
  add(&wd, t, 0, wd.log_key, ORIGIN, 102);
  expect_size_conflict(&wd, 13);
  /* a fork of the same origin and key: entries from 10 on differ; the proof cannot verify */
  struct mem_tree *fork = malloc(sizeof *fork);
  tree_build(fork, 20, 10);
  add(&wd, fork, 13, wd.log_key, ORIGIN, 103);
  cr_assert_eq(wd.a.status, 422, "%.*s", (int)wd.a.body_len, wd.a.body);
  /* the same size with another root */
  tree_build(fork, 13, 10);
  add(&wd, fork, 13, wd.log_key, ORIGIN, 103);
  expect_size_conflict(&wd, 13);
  struct witness_record after = *record_of(&wd, ORIGIN, &rc);
  cr_assert_eq(rc, 0);
  cr_assert_eq(after.size, before.size);
  cr_assert_arr_eq(after.root, before.root, PROTO_HASH_BYTES);
  cr_assert_eq(after.note_len, before.note_len);
  cr_assert_eq(memcmp(after.note, before.note, after.note_len), 0);
  /* the honest tree still grows */
  add(&wd, t, 13, wd.log_key, ORIGIN, 104);
  cr_assert_eq(wd.a.status, 200);
  free(fork);
  free(t);
  world_free(&wd);
}

Test(witness, unknown_origin_is_404_and_a_foreign_signature_is_403) {
  struct world wd;
  world_init(&wd);
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 3, UINT64_MAX);
  add(&wd, t, 0, wd.log_key, "other.example/log", 1);
  cr_assert_eq(wd.a.status, 404);
  cr_assert(strstr(wd.a.body, "unknown_log") != NULL);
  /* the right origin signed by another key (under the log's name): nothing trusted verifies */
  add(&wd, t, 0, wd.other_key, ORIGIN, 1);
  cr_assert_eq(wd.a.status, 403, "%.*s", (int)wd.a.body_len, wd.a.body);
  int rc;
  record_of(&wd, ORIGIN, &rc);
  cr_assert_eq(rc, PROTO_E_NOT_FOUND, "nothing stored");
  free(t);
  world_free(&wd);
}

Test(witness, malformed_bodies_and_old_above_size_are_400) {
  struct world wd;
  world_init(&wd);
  const char *bodies[] = {"", "old 0\n", "hello", "old x\n\nfoo\n\n\xE2\x80\x94 a b\n"};
  for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
    witness_handle(&wd.w, "POST", "/add-checkpoint", bodies[i], strlen(bodies[i]), 1, &wd.a);
    cr_assert_eq(wd.a.status, 400, "body %zu", i);
  }
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 3, UINT64_MAX);
  add(&wd, t, 5, wd.log_key, ORIGIN, 1);
  cr_assert_eq(wd.a.status, 400);
  cr_assert(strstr(wd.a.body, "larger than the checkpoint") != NULL, "%s", wd.a.body);
  free(t);
  world_free(&wd);
}

Test(witness, record_survives_a_reopen_and_times_never_go_back) {
  struct world wd;
  world_init(&wd);
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 4, UINT64_MAX);
  add(&wd, t, 0, wd.log_key, ORIGIN, 5000);
  cr_assert_eq(wd.a.status, 200);
  witness_close(&wd.w);
  world_open(&wd);
  int rc;
  cr_assert_eq(record_of(&wd, ORIGIN, &rc)->size, 4u);
  tree_build(t, 6, UINT64_MAX);
  add(&wd, t, 4, wd.log_key, ORIGIN, 4000); /* the clock stepped back */
  cr_assert_eq(wd.a.status, 200);
  cr_assert_eq(record_of(&wd, ORIGIN, &rc)->time_s, 5000u);
  /* the same checkpoint again: cosigned again (same size, same root, empty proof) */
  add(&wd, t, 6, wd.log_key, ORIGIN, 6000);
  cr_assert_eq(wd.a.status, 200);
  cr_assert_eq(record_of(&wd, ORIGIN, &rc)->time_s, 6000u);
  free(t);
  world_free(&wd);
}

Test(witness, get_serves_the_latest_cosigned_checkpoint_by_origin_hash) {
  struct world wd;
  world_init(&wd);
  uint8_t h[PROTO_HASH_BYTES];
  proto_sha256(ORIGIN, strlen(ORIGIN), h);
  char path[128] = "/";
  proto_hex_encode(h, sizeof h, path + 1, sizeof path - 1);
  strcat(path, "/checkpoint");
  witness_handle(&wd.w, "GET", path, "", 0, 1, &wd.a);
  cr_assert_eq(wd.a.status, 404, "before the first cosignature");
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 9, UINT64_MAX);
  add(&wd, t, 0, wd.log_key, ORIGIN, 77);
  witness_handle(&wd.w, "GET", path, "", 0, 1, &wd.a);
  cr_assert_eq(wd.a.status, 200);
  int rc;
  struct witness_record *r = record_of(&wd, ORIGIN, &rc);
  cr_assert_eq(wd.a.body_len, r->note_len);
  cr_assert_eq(memcmp(wd.a.body, r->note, r->note_len), 0);
  /* routing: uppercase hex, other paths and methods */
  for (char *p = path; *p; p++) if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
  witness_handle(&wd.w, "GET", path, "", 0, 1, &wd.a);
  cr_assert_eq(wd.a.status, 404);
  witness_handle(&wd.w, "GET", "/add-checkpoint", "", 0, 1, &wd.a);
  cr_assert_eq(wd.a.status, 405);
  witness_handle(&wd.w, "GET", "/nothing", "", 0, 1, &wd.a);
  cr_assert_eq(wd.a.status, 404);
  witness_handle(&wd.w, "GET", "/healthz", "", 0, 1, &wd.a);
  cr_assert_eq(wd.a.status, 200);
  free(t);
  world_free(&wd);
}

/* Bytes on disk that do not decode are an error for that origin (500 corrupt), never a crash,
 * and never a reason to cosign from scratch. */
Test(witness, a_corrupt_record_is_refused_not_guessed) {
  struct world wd;
  world_init(&wd);
  struct mem_tree *t = malloc(sizeof *t);
  tree_build(t, 4, UINT64_MAX);
  add(&wd, t, 0, wd.log_key, ORIGIN, 10);
  cr_assert_eq(wd.a.status, 200);
  witness_close(&wd.w);
  /* overwrite the record's size field: it no longer matches its stored note */
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  cr_assert_eq(mdb_env_create(&env), 0);
  cr_assert_eq(mdb_env_open(env, wd.cfg->data_dir, 0, 0600), 0);
  cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
  cr_assert_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
  uint8_t key[PROTO_HASH_BYTES];
  proto_sha256(ORIGIN, strlen(ORIGIN), key);
  MDB_val k = {sizeof key, key}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  uint8_t *copy = malloc(v.mv_size);
  memcpy(copy, v.mv_data, v.mv_size);
  copy[8] ^= 0x01; /* the size's last byte */
  MDB_val nv = {v.mv_size, copy};
  cr_assert_eq(mdb_put(txn, dbi, &k, &nv, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
  free(copy);
  world_open(&wd);
  tree_build(t, 6, UINT64_MAX);
  add(&wd, t, 4, wd.log_key, ORIGIN, 11);
  cr_assert_eq(wd.a.status, 500);
  cr_assert(strstr(wd.a.body, "corrupt") != NULL, "%s", wd.a.body);
  add(&wd, t, 0, wd.log_key, ORIGIN, 11);
  cr_assert_eq(wd.a.status, 500, "no fresh start over a corrupt record");
  int rc;
  record_of(&wd, ORIGIN, &rc);
  cr_assert_eq(rc, PROTO_E_CORRUPT);
  free(t);
  world_free(&wd);
}

Test(witness_config, log_lines_parse_and_refuse) {
  struct witness_config *c = calloc(1, sizeof *c);
  struct proto_key *k = seed_key(1);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(k, pub);
  char vkey[TLOG_VERIFIER_KEY_BYTES_MAX], line[512], err[256];
  cr_assert_gt(tlog_verifier_key(ORIGIN, pub, vkey, sizeof vkey), 0);
  snprintf(line, sizeof line, "%s %s", ORIGIN, vkey);
  cr_assert_eq(witness_config_add_log(c, line, err, sizeof err), 0, "%s", err);
  cr_assert_eq(witness_config_add_log(c, line, err, sizeof err), -1, "the same key twice");
  cr_assert_eq(c->logs_count, 1u);
  cr_assert_eq(c->logs[0].keys_count, 1u);
  cr_assert_eq(witness_config_add_log(c, ORIGIN, err, sizeof err), -1);
  snprintf(line, sizeof line, "%s %sX", ORIGIN, vkey);
  cr_assert_eq(witness_config_add_log(c, line, err, sizeof err), -1);
  cr_assert(strstr(err, "not a checkpoint verifier key") != NULL);
  proto_key_free(k);
  free(c);
}
