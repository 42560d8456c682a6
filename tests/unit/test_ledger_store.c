/* The store: map growth and its ceiling, the single-writer lock, crash safety (SIGKILL at random
 * moments), backup, proofs against the stored tree, and corrupt records stopping writes. */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "ledger_fixture.h"

static struct fx F;
static void teardown(void) { fx_free(&F); }

/* n transfers of 1 tonne A -> B (or B -> A when back) as one batch, signed by the reps. */
static int transfer_batch(size_t n, bool back, struct ledger_batch_info *info) {
  struct ledger_submission *subs = calloc(n, sizeof(*subs));
  uint8_t *bufs = malloc(n * 512);
  cr_assert(subs && bufs);
  for (size_t i = 0; i < n; i++) {
    struct proto_tx tx;
    fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, back ? FX_ENT_B : FX_ENT_A, back ? FX_ENT_A : FX_ENT_B,
               "CEA-2025", 1);
    subs[i].envelope = bufs + i * 512;
    subs[i].envelope_len = fx_envelope(&tx, FX_SIGNERS(back ? F.rep_b : F.rep_a), 1, FX_ORIGIN,
                                       bufs + i * 512, 512);
  }
  int rc = ledger_apply(F.l, subs, n, F.time_ms, info);
  for (size_t i = 0; rc == 0 && i < n; i++) cr_assert_eq(subs[i].result, 0);
  free(subs);
  free(bufs);
  return rc;
}


/* The world, reopened in a 1 MiB map that may grow to 64 MiB; returns the map's size. */
static uint64_t world_in_small_map(void) {
  fx_world(&F);
  fx_reopen(&F);
  ledger_close(F.l);
  fx_open(&F, 1u << 20, 64u << 20);
  struct ledger_stats st;
  cr_assert_eq(ledger_stats(F.l, &st), 0);
  return st.map_bytes;
}

Test(store, map_grows_on_demand) {
  uint64_t map0 = world_in_small_map();
  struct ledger_stats st;
  for (int i = 0; i < 20; i++) cr_assert_eq(transfer_batch(200, i % 2, NULL), 0);
  cr_assert_eq(ledger_stats(F.l, &st), 0);
  cr_assert_gt(st.map_bytes, map0);
  cr_assert_eq(st.entries, ledger_tree_size(F.l));
  char why[256];
  cr_assert_eq(ledger_check_invariants(F.l, why, sizeof(why)), 0, "%s", why);
  teardown();
}

/* One batch of 3,000 transfers: the batch overlay outgrows its first table (txids alone fill
 * 3,000 slots) and the map is full part-way, so the batch is run again from a reset overlay.
 * Every transfer must count exactly once, and later small batches must start clean. */
Test(store, a_batch_that_outgrows_the_overlay_and_the_map_counts_once) {
  uint64_t map0 = world_in_small_map(), size0 = ledger_tree_size(F.l);
  struct ledger_stats st;
  uint64_t a0 = fx_balance(&F, FX_ENT_A, "CEA-2025").registry;
  struct ledger_batch_info info;
  cr_assert_eq(transfer_batch(3000, false, &info), 0);
  cr_assert_eq(info.accepted, 3000);
  cr_assert_eq(ledger_stats(F.l, &st), 0);
  cr_assert_gt(st.map_bytes, map0, "the map did not grow: the retry path was not exercised");
  cr_assert_eq(ledger_tree_size(F.l), size0 + 3000);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, a0 - 3000);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 3000);
  for (int i = 0; i < 3; i++) cr_assert_eq(transfer_batch(5, true, NULL), 0);
  cr_assert_eq(fx_balance(&F, FX_ENT_A, "CEA-2025").registry, a0 - 3000 + 15);
  cr_assert_eq(fx_balance(&F, FX_ENT_B, "CEA-2025").registry, 3000 - 15);
  char why[256];
  cr_assert_eq(ledger_check_invariants(F.l, why, sizeof(why)), 0, "%s", why);
  teardown();
}

/* A storage failure is STORAGE, and the message names the operating system's cause. */
Test(store, a_storage_failure_names_its_cause) {
  struct ledger_config cfg = {.dir = "/nonexistent/quotad-test-ledger", .read_only = true};
  struct ledger *l = NULL;
  int rc = ledger_open(&cfg, &l);
  cr_assert_eq(rc, PROTO_E_STORAGE, "%s", proto_err_name(rc));
  cr_assert_null(l);
  cr_assert_eq(ledger_storage_errno(), ENOENT);
  cr_assert_str_eq(ledger_err_message(rc), "the storage engine failed: No such file or directory");
  cr_assert_str_eq(ledger_err_message(PROTO_E_MAP_FULL), proto_err_message(PROTO_E_MAP_FULL));
  cr_assert_str_eq(ledger_storage_message(ENOSPC), "the storage engine failed: No space left on device");
  cr_assert_str_eq(ledger_storage_message(0), proto_err_message(PROTO_E_STORAGE));
}

Test(store, ceiling_refuses_the_batch_and_keeps_what_was_committed) {
  fx_world(&F);
  ledger_close(F.l);
  fx_open(&F, 1u << 20, 2u << 20);
  int rc = 0;
  uint64_t committed = ledger_tree_size(F.l);
  uint8_t root[PROTO_HASH_BYTES];
  for (int i = 0; i < 200 && rc == 0; i++) {
    rc = transfer_batch(200, i % 2, NULL);
    if (rc == 0) committed = ledger_tree_size(F.l);
  }
  cr_assert_eq(rc, PROTO_E_MAP_FULL, "got %s", proto_err_name(rc));
  cr_assert_eq(ledger_tree_size(F.l), committed);
  cr_assert_eq(ledger_root(F.l, committed, root), 0);
  char why[256];
  cr_assert_eq(ledger_check_invariants(F.l, why, sizeof(why)), 0, "%s", why);
  ledger_close(F.l);
  fx_open(&F, 0, 0);
  cr_assert_eq(ledger_tree_size(F.l), committed);
  uint8_t root2[PROTO_HASH_BYTES];
  cr_assert_eq(ledger_root(F.l, committed, root2), 0);
  cr_assert(memcmp(root, root2, sizeof(root)) == 0);
  cr_assert_eq(ledger_check_invariants(F.l, why, sizeof(why)), 0, "%s", why);
  cr_assert_eq(transfer_batch(10, false, NULL), 0); /* with room again, writes resume */
  teardown();
}

Test(store, second_writer_is_locked_out) {
  fx_init_genesis(&F, 1, 1);
  struct ledger_config cfg = {.dir = F.dir, .log_key = F.log};
  struct ledger *second = NULL;
  cr_assert_eq(ledger_open(&cfg, &second), PROTO_E_LOCKED);
  cr_assert_null(second);
  teardown();
}

Test(store, backup_is_a_complete_copy) {
  fx_world(&F);
  cr_assert_eq(transfer_batch(50, false, NULL), 0);
  char dir[160];
  snprintf(dir, sizeof(dir), "%s/backup", F.dir);
  cr_assert_eq(ledger_backup(F.l, dir), 0);
  uint64_t size = ledger_tree_size(F.l);
  uint8_t root[PROTO_HASH_BYTES], root2[PROTO_HASH_BYTES];
  cr_assert_eq(ledger_root(F.l, size, root), 0);
  struct ledger_config cfg = {.dir = dir, .read_only = true};
  struct ledger *copy;
  cr_assert_eq(ledger_open(&cfg, &copy), 0);
  cr_assert_eq(ledger_tree_size(copy), size);
  cr_assert_eq(ledger_root(copy, size, root2), 0);
  cr_assert(memcmp(root, root2, sizeof(root)) == 0);
  struct ledger_balance b[4];
  cr_assert_eq(ledger_balances(copy, FX_ENT_B, b, 4), 1);
  cr_assert_eq(b[0].registry, 50);
  cr_assert_eq(ledger_check_invariants(copy, NULL, 0), 0);
  struct ledger_submission sub = {0};
  cr_assert_eq(ledger_apply(copy, &sub, 0, F.time_ms, NULL), PROTO_E_READ_ONLY);
  ledger_close(copy);
  teardown();
}

Test(store, proofs_verify_against_the_signed_checkpoint) {
  fx_world(&F);
  cr_assert_eq(transfer_batch(37, false, NULL), 0);
  uint64_t size = ledger_tree_size(F.l);
  char note[TLOG_CHECKPOINT_BYTES_MAX];
  cr_assert_gt(ledger_checkpoint_latest(F.l, note, sizeof(note)), 0);
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(F.log, pub);
  struct tlog_checkpoint cp;
  cr_assert_eq(tlog_checkpoint_verify(note, strlen(note), FX_ORIGIN, pub, &cp), 0);
  cr_assert_eq(cp.size, size);
  uint8_t proof[TLOG_PROOF_HASHES_MAX][PROTO_HASH_BYTES];
  size_t n;
  for (uint64_t i = 0; i < size; i += 7) {
    uint8_t leaf[PROTO_ENTRY_BYTES_MAX], lh[PROTO_HASH_BYTES];
    long len = ledger_entry_get(F.l, i, leaf, sizeof(leaf));
    cr_assert_gt(len, 0);
    tlog_leaf_hash(leaf, (size_t)len, lh);
    cr_assert_eq(ledger_proof_inclusion(F.l, i, size, proof, &n), 0);
    cr_assert_eq(tlog_verify_inclusion(i, size, lh, (const uint8_t(*)[32])proof, n, cp.root), 0);
  }
  uint8_t old_root[PROTO_HASH_BYTES];
  cr_assert_eq(ledger_root(F.l, 5, old_root), 0);
  cr_assert_eq(ledger_proof_consistency(F.l, 5, size, proof, &n), 0);
  cr_assert_eq(tlog_verify_consistency(5, size, old_root, cp.root, (const uint8_t(*)[32])proof, n), 0);
  cr_assert_eq(ledger_proof_inclusion(F.l, size, size, proof, &n), PROTO_E_BAD_ARGUMENT);
  cr_assert_eq(ledger_proof_consistency(F.l, 1, size + 1, proof, &n), PROTO_E_BAD_ARGUMENT);
  teardown();
}

/* Opens the test ledger's LMDB environment directly (the ledger closed), a write transaction
 * and the named database: what a disk fault or a hand with a hex editor could change. */
static void raw_open(const char *db, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi) {
  cr_assert_eq(mdb_env_create(env), 0);
  mdb_env_set_maxdbs(*env, 32);
  cr_assert_eq(mdb_env_open(*env, F.dir, 0, 0600), 0);
  cr_assert_eq(mdb_txn_begin(*env, NULL, 0, txn), 0);
  cr_assert_eq(mdb_dbi_open(*txn, db, 0, dbi), 0);
}

static void raw_put_close(MDB_env *env, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v) {
  cr_assert_eq(mdb_put(txn, dbi, k, v, 0), 0);
  cr_assert_eq(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

/* Puts account's CEA-2025 balance record with these registry and frozen amounts. */
static void put_raw_balance(uint64_t account, uint8_t registry, uint8_t frozen) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  raw_open("balances", &env, &txn, &dbi);
  uint8_t key[24] = {0}, val[25] = {1};
  for (int i = 0; i < 8; i++) key[7 - i] = (uint8_t)(account >> (8 * i));
  static const uint8_t code[8] = {'C', 'E', 'A', '-', '2', '0', '2', '5'};
  memcpy(key + 8, code, sizeof(code));
  val[8] = registry;
  val[24] = frozen;
  MDB_val k = {24, key}, v = {25, val};
  raw_put_close(env, txn, dbi, &k, &v);
}

/* Rewrites A's CEA-2025 balance record behind the ledger's back (frozen > registry). */
static void corrupt_balance(void) { put_raw_balance(FX_ENT_A, 5, 9); }

/* Flips one byte inside stored entry `index` (the last byte: inside the envelope's signature). */
static void flip_entry_byte(uint64_t index) {
  MDB_env *env;
  MDB_txn *txn;
  MDB_dbi dbi;
  raw_open("entries", &env, &txn, &dbi);
  uint8_t key[8];
  for (int i = 0; i < 8; i++) key[7 - i] = (uint8_t)(index >> (8 * i));
  MDB_val k = {8, key}, v;
  cr_assert_eq(mdb_get(txn, dbi, &k, &v), 0);
  uint8_t buf[PROTO_ENTRY_BYTES_MAX];
  memcpy(buf, v.mv_data, v.mv_size);
  buf[v.mv_size - 1] ^= 0x01;
  MDB_val nv = {v.mv_size, buf};
  raw_put_close(env, txn, dbi, &k, &nv);
}

/* A byte changed on disk inside an entry: the writer's open check refuses the store (the tree
 * rebuilt from the entries disagrees with the stored nodes); past that check (no_open_check) the
 * entry (or its sibling in the tree) is CORRUPT when read, the other entries read as before. */
Test(store, a_changed_entry_reads_as_corrupt) {
  fx_world(&F);
  cr_assert_eq(transfer_batch(4, false, NULL), 0);
  uint64_t size = ledger_tree_size(F.l);
  cr_assert_geq(size, 8);
  uint8_t buf[PROTO_ENTRY_BYTES_MAX];
  for (uint64_t i = 0; i < size; i++) cr_assert_gt(ledger_entry_get(F.l, i, buf, sizeof(buf)), 0, "entry %llu", (unsigned long long)i);
  ledger_close(F.l);
  F.l = NULL;
  flip_entry_byte(4);
  struct ledger_check_report rep;
  cr_assert_eq(fx_open_as(&F, 0, 0, false, &rep), PROTO_E_CORRUPT);
  cr_assert(F.l == NULL && rep.result == PROTO_E_CORRUPT && rep.full && rep.signal == 0);
  cr_assert(strstr(rep.why, "nodes") != NULL, "why: %s", rep.why);
  cr_assert_eq(fx_open_as(&F, 0, 0, true, NULL), 0);
  cr_assert_eq(ledger_entry_get(F.l, 4, buf, sizeof(buf)), PROTO_E_CORRUPT);
  cr_assert_eq(ledger_entry_get(F.l, 5, buf, sizeof(buf)), PROTO_E_CORRUPT, "its sibling shares the node");
  cr_assert_gt(ledger_entry_get(F.l, 3, buf, sizeof(buf)), 0);
  cr_assert_gt(ledger_entry_get(F.l, 6, buf, sizeof(buf)), 0);
  teardown();
}

Test(store, corrupt_record_is_an_error_that_stops_writes) {
  fx_world(&F);
  ledger_close(F.l);
  F.l = NULL;
  corrupt_balance();
  struct ledger_check_report rep;
  cr_assert_eq(fx_open_as(&F, 0, 0, false, &rep), PROTO_E_CORRUPT);
  cr_assert(strstr(rep.why, "balances") != NULL, "why: %s", rep.why);
  cr_assert_eq(fx_open_as(&F, 0, 0, true, NULL), 0);
  struct ledger_balance b[4];
  cr_assert_eq(ledger_balances(F.l, FX_ENT_A, b, 4), PROTO_E_CORRUPT);
  struct ledger_batch_info info;
  cr_assert_eq(transfer_batch(1, false, &info), PROTO_E_CORRUPT);
  cr_assert_eq(transfer_batch(1, true, &info), PROTO_E_CORRUPT); /* even one not touching it */
  teardown();
}

/* A well-formed balance record of CEA-2025 for the participant, put behind the ledger's back:
 * every record still decodes, but issued no longer equals holdings plus sinks. */
static void inflate_participant(void) { put_raw_balance(FX_PART, 5, 0); }

/* The world with a participant's balance inflated behind the ledger's back, reopened with the
 * invariant check every `every` batches (the open check would find the damage first: skipped). */
static void open_damaged(uint32_t every, bool sign_deferred) {
  fx_world(&F);
  ledger_close(F.l);
  F.l = NULL;
  inflate_participant();
  struct ledger_config cfg = {.dir = F.dir, .log_key = F.log, .invariants_every_batches = every,
                              .no_open_check = true, .sign_deferred = sign_deferred};
  cr_assert_eq(ledger_open(&cfg, &F.l), 0);
}

/* invariants_every_batches = 3: the broken invariant passes two batches unseen, the third's
 * check finds it, signs no checkpoint over that batch (still committed: its results are true)
 * and stops writes. */
Test(store, invariant_check_runs_every_n_batches_and_stops_writes) {
  open_damaged(3, false);
  char why[256];
  cr_assert_eq(ledger_check_invariants(F.l, why, sizeof(why)), PROTO_E_CORRUPT);
  cr_assert_eq(transfer_batch(1, false, NULL), 0);
  cr_assert_eq(transfer_batch(1, true, NULL), 0);
  uint64_t size2 = ledger_tree_size(F.l);
  cr_assert_eq(transfer_batch(1, false, NULL), 0, "the third batch is committed");
  cr_assert_eq(ledger_tree_size(F.l), size2 + 1);
  char cp[TLOG_CHECKPOINT_BYTES_MAX];
  cr_assert_gt(ledger_checkpoint_latest(F.l, cp, sizeof(cp)), 0);
  struct tlog_checkpoint c;
  uint8_t pub[PROTO_PUBKEY_BYTES];
  proto_key_public(F.log, pub);
  cr_assert_eq(tlog_checkpoint_verify(cp, strlen(cp), FX_ORIGIN, pub, &c), 0);
  cr_assert_eq(c.size, size2, "no checkpoint over the batch that broke the check");
  cr_assert_eq(transfer_batch(1, true, NULL), PROTO_E_CORRUPT, "writes stopped");
  cr_assert_eq(ledger_tree_size(F.l), size2 + 1);
  teardown();
}

/* The size of the checkpoint the ledger holds now (verified with the log key). */
static uint64_t signed_size(void) {
  char cp[TLOG_CHECKPOINT_BYTES_MAX];
  cr_assert_gt(ledger_checkpoint_latest(F.l, cp, sizeof(cp)), 0);
  struct tlog_checkpoint c;
  uint8_t pub[PROTO_PUBKEY_BYTES], root[PROTO_HASH_BYTES];
  proto_key_public(F.log, pub);
  cr_assert_eq(tlog_checkpoint_verify(cp, strlen(cp), FX_ORIGIN, pub, &c), 0);
  cr_assert_eq(ledger_root(F.l, c.size, root), 0);
  cr_assert_arr_eq(root, c.root, sizeof(root), "signed over the tree of its own size");
  return c.size;
}

/* sign_deferred (the daemon's fence thread signs): ledger_apply signs nothing, ledger_sign_at
 * signs exactly the size it is given, even when later batches are committed already, and never
 * replaces a checkpoint with an older one. */
Test(store, deferred_signing_signs_the_confirmed_size_not_the_latest) {
  fx_world(&F);
  ledger_close(F.l);
  struct ledger_config cfg = {.dir = F.dir, .log_key = F.log, .sign_deferred = true};
  cr_assert_eq(ledger_open(&cfg, &F.l), 0);
  uint64_t before = signed_size();
  struct ledger_batch_info i1, i2;
  cr_assert_eq(transfer_batch(2, false, &i1), 0);
  cr_assert_eq(transfer_batch(3, false, &i2), 0);
  cr_assert_eq(signed_size(), before, "ledger_apply signed nothing");
  cr_assert_eq(ledger_sign_at(F.l, i1.tree_size), 0);
  cr_assert_eq(signed_size(), i1.tree_size, "the first batch's size, not the tree's %llu",
               (unsigned long long)i2.tree_size);
  cr_assert_eq(ledger_sign_at(F.l, i2.tree_size), 0);
  cr_assert_eq(ledger_sign_at(F.l, i1.tree_size), 0);
  cr_assert_eq(signed_size(), i2.tree_size, "an older size does not replace a newer checkpoint");
  teardown();
}

/* A broken invariant stops signing for a deferred signer too: ledger_sign_at answers CORRUPT. */
Test(store, deferred_signing_stops_after_a_broken_invariant) {
  open_damaged(1, true);
  uint64_t before = signed_size();
  struct ledger_batch_info info;
  cr_assert_eq(transfer_batch(1, false, &info), 0, "the batch is committed");
  cr_assert_eq(ledger_sign_at(F.l, info.tree_size), PROTO_E_CORRUPT);
  cr_assert_eq(signed_size(), before, "no checkpoint over the batch that broke the check");
  teardown();
}

Test(store, refuses_an_invariant_period_above_its_limit) {
  snprintf(F.dir, sizeof(F.dir), "/tmp/quotad-inv-XXXXXX");
  cr_assert(mkdtemp(F.dir) != NULL);
  F.log = fx_key(1);
  struct ledger_config cfg = {.dir = F.dir, .log_key = F.log,
                              .invariants_every_batches = LEDGER_INVARIANTS_EVERY_BATCHES_MAX + 1};
  struct ledger *l = NULL;
  cr_assert_eq(ledger_open(&cfg, &l), PROTO_E_BAD_ARGUMENT);
  cr_assert_null(l);
  teardown();
}

/* The child applies batches forever and reports each committed tree size on the pipe. */
static void crash_child(int wfd) {
  cr_assert_eq(fx_open_as(&F, 1u << 20, 256u << 20, true, NULL), 0);
  for (unsigned i = 0;; i++) {
    if (transfer_batch(20, i % 2, NULL) != 0) _exit(3);
    uint64_t size = ledger_tree_size(F.l);
    if (write(wfd, &size, sizeof(size)) != (ssize_t)sizeof(size)) _exit(4);
  }
}

Test(store, survives_sigkill_at_random_moments) {
  fx_world(&F);
  uint64_t size0 = ledger_tree_size(F.l);
  ledger_close(F.l);
  F.l = NULL;
  const char *env_seed = getenv("QUOTAD_CRASH_SEED"); /* to replay a logged run */
  unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10) : (unsigned)time(NULL);
  cr_log_info("crash test seed %u", seed);
  srand(seed);
  uint64_t reported = 0;
  for (int cycle = 0; cycle < 24; cycle++) {
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    F.next_id += 1000000; /* each child signs fresh ids */
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      crash_child(fds[1]);
    }
    close(fds[1]);
    struct timespec ts = {0, (long)(20 + rand() % 180) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "child exited by itself: %d", WEXITSTATUS(status));
    uint64_t size;
    while (read(fds[0], &size, sizeof(size)) == (ssize_t)sizeof(size)) reported = size;
    close(fds[0]);
    fx_open(&F, 0, 0);
    cr_assert_geq(ledger_tree_size(F.l), reported, "cycle %d: committed batch lost", cycle);
    char why[256];
    cr_assert_eq(ledger_check_invariants(F.l, why, sizeof(why)), 0, "cycle %d: %s", cycle, why);
    char note[TLOG_CHECKPOINT_BYTES_MAX];
    uint8_t pub[PROTO_PUBKEY_BYTES];
    struct tlog_checkpoint cp;
    proto_key_public(F.log, pub);
    cr_assert_gt(ledger_checkpoint_latest(F.l, note, sizeof(note)), 0);
    cr_assert_eq(tlog_checkpoint_verify(note, strlen(note), FX_ORIGIN, pub, &cp), 0);
    cr_assert_eq(cp.size, ledger_tree_size(F.l));
    struct ledger_balance a = fx_balance(&F, FX_ENT_A, "CEA-2025");
    struct ledger_balance b = fx_balance(&F, FX_ENT_B, "CEA-2025");
    cr_assert_eq(a.registry + b.registry, 100000);
    ledger_close(F.l);
    F.l = NULL;
  }
  fx_open(&F, 0, 0);
  cr_assert_gt(reported, size0, "no batch was committed before any kill: the test proved nothing");
  cr_log_info("crash test: %llu entries committed across kills",
              (unsigned long long)(ledger_tree_size(F.l) - size0));
  teardown();
}

struct reader_arg {
  struct ledger *l;
  volatile bool stop;
  uint64_t reads;
  int failures;
};

static void *reader_loop(void *p) {
  struct reader_arg *r = p;
  while (!r->stop) {
    struct ledger_balance b[8];
    uint8_t root[PROTO_HASH_BYTES];
    uint64_t size = ledger_tree_size(r->l);
    if (ledger_balances(r->l, FX_ENT_A, b, 8) < 0) r->failures++;
    if (ledger_root(r->l, size, root) != 0) r->failures++;
    r->reads++;
  }
  return NULL;
}

Test(store, reads_run_beside_the_writer_while_the_map_grows) {
  fx_world(&F);
  ledger_close(F.l);
  fx_open(&F, 1u << 20, 64u << 20);
  struct reader_arg r = {.l = F.l};
  pthread_t t;
  cr_assert_eq(pthread_create(&t, NULL, reader_loop, &r), 0);
  struct ledger_stats st0, st1;
  cr_assert_eq(ledger_stats(F.l, &st0), 0);
  for (int i = 0; i < 24; i++) cr_assert_eq(transfer_batch(200, i % 2, NULL), 0);
  r.stop = true;
  pthread_join(t, NULL);
  cr_assert_eq(ledger_stats(F.l, &st1), 0);
  cr_assert_gt(st1.map_bytes, st0.map_bytes, "the map did not grow: the test proved nothing");
  cr_assert_gt(r.reads, 0);
  cr_assert_eq(r.failures, 0);
  teardown();
}

struct verifier_arg {
  struct ledger *l;
  const uint8_t *env;
  size_t len;
  int bad;
};

static void *verify_loop(void *p) {
  struct verifier_arg *v = p;
  for (int i = 0; i < 200; i++)
    if (ledger_verify_envelope(v->l, v->env, v->len) != 0) v->bad++;
  return NULL;
}

Test(store, verify_envelope_is_thread_safe_beside_the_writer) {
  fx_world(&F);
  struct proto_tx tx;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_B, FX_ENT_A, "CEA-2025", 1);
  static uint8_t env[PROTO_ENTRY_BYTES_MAX];
  size_t len = fx_envelope(&tx, FX_SIGNERS(F.rep_b), 1, FX_ORIGIN, env, sizeof(env));
  struct verifier_arg v[2] = {{F.l, env, len, 0}, {F.l, env, len, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) cr_assert_eq(pthread_create(&t[i], NULL, verify_loop, &v[i]), 0);
  for (int i = 0; i < 5; i++) cr_assert_eq(transfer_batch(20, false, NULL), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  cr_assert_eq(v[0].bad + v[1].bad, 0);
  teardown();
}

Test(store, commit_time_never_goes_backwards) {
  fx_world(&F);
  struct proto_tx tx;
  F.time_ms = FX_T0 + 1000;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  FX_OK(&F, &tx, F.rep_a);
  F.time_ms = FX_T0 - 5000;
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  FX_OK(&F, &tx, F.rep_a);
  uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  long n = ledger_entry_get(F.l, F.last.index, leaf, sizeof(leaf));
  struct proto_entry e;
  cr_assert_eq(proto_entry_decode(leaf, (size_t)n, &e), 0);
  cr_assert_eq(e.time_ms, FX_T0 + 1000);
  fx_reopen(&F); /* the last time survives a restart */
  fx_move_tx(&F, &tx, PROTO_TX_TRANSFER, FX_ENT_A, FX_ENT_B, "CEA-2025", 1);
  FX_OK(&F, &tx, F.rep_a);
  n = ledger_entry_get(F.l, F.last.index, leaf, sizeof(leaf));
  cr_assert_eq(proto_entry_decode(leaf, (size_t)n, &e), 0);
  cr_assert_eq(e.time_ms, FX_T0 + 1000);
  teardown();
}

Test(store, oversized_batch_is_refused_before_anything_happens) {
  fx_init_genesis(&F, 1, 1);
  struct ledger_submission sub = {0};
  cr_assert_eq(ledger_apply(F.l, &sub, LEDGER_BATCH_SUBMISSIONS_MAX + 1, F.time_ms, NULL),
               PROTO_E_TOO_LARGE);
  cr_assert_eq(ledger_tree_size(F.l), 1);
  teardown();
}

Test(store, a_writer_must_hold_the_genesis_log_key) {
  fx_init_genesis(&F, 1, 1);
  ledger_close(F.l);
  F.l = NULL;
  struct proto_key *other = fx_key(77);
  struct ledger_config cfg = {.dir = F.dir, .log_key = other};
  struct ledger *l = NULL;
  cr_assert_eq(ledger_open(&cfg, &l), PROTO_E_UNKNOWN_LOG_KEY);
  cr_assert_null(l);
  proto_key_free(other);
  fx_open(&F, 0, 0); /* the right key opens it, and the lock was released */
  cr_assert_eq(ledger_tree_size(F.l), 1);
  teardown();
}

/* What the precommit hook saw (ledger_set_precommit): copies, since its pointers end with it. */
static struct {
  unsigned calls;
  uint64_t from, to;
  uint8_t root[PROTO_HASH_BYTES];
  uint8_t leaf[4][PROTO_ENTRY_BYTES_MAX];
  size_t leaf_len[4];
  size_t legs_len_sum;
  int answer; /* what the hook returns */
} H;

static int record_precommit(void *ctx, uint64_t from, uint64_t to, const uint8_t root[PROTO_HASH_BYTES],
                            const struct ledger_entry_in *in) {
  cr_assert_eq(ctx, &H);
  H.calls++;
  H.from = from;
  H.to = to;
  memcpy(H.root, root, sizeof(H.root));
  for (uint64_t i = 0; i < to - from && i < 4; i++) {
    memcpy(H.leaf[i], in[i].leaf, in[i].leaf_len);
    H.leaf_len[i] = in[i].leaf_len;
    H.legs_len_sum += in[i].legs_len;
  }
  return H.answer;
}

/* The hook sees each batch that adds entries just before its commit: exactly the entries and the
 * root the commit then stores; a refusal aborts the batch whole, and the next batch takes the same
 * indexes. */
Test(store, precommit_hook_sees_what_the_commit_stores_and_can_abort_it) {
  fx_world(&F);
  memset(&H, 0, sizeof(H));
  ledger_set_precommit(F.l, record_precommit, &H);
  uint64_t size = ledger_tree_size(F.l);
  H.answer = PROTO_E_STORAGE;
  cr_assert_eq(transfer_batch(3, false, NULL), PROTO_E_STORAGE, "the hook's code is the batch's");
  cr_assert_eq(H.calls, 1);
  cr_assert_eq(H.from, size);
  cr_assert_eq(H.to, size + 3);
  cr_assert_eq(ledger_tree_size(F.l), size, "nothing of the refused batch is kept");
  uint8_t buf[PROTO_ENTRY_BYTES_MAX];
  cr_assert_eq(ledger_entry_get(F.l, size, buf, sizeof(buf)), PROTO_E_NOT_FOUND);
  uint8_t refused_root[PROTO_HASH_BYTES];
  memcpy(refused_root, H.root, sizeof(refused_root));

  H.answer = 0;
  struct ledger_batch_info info;
  cr_assert_eq(transfer_batch(3, false, &info), 0);
  cr_assert_eq(H.calls, 2);
  cr_assert_eq(H.from, size, "the same indexes again");
  cr_assert_eq(H.to, size + 3);
  cr_assert_eq(info.tree_size, size + 3);
  uint8_t root[PROTO_HASH_BYTES];
  cr_assert_eq(ledger_root(F.l, size + 3, root), 0);
  cr_assert_arr_eq(root, H.root, sizeof(root), "the root the hook was given is the committed one");
  cr_assert_arr_neq(root, refused_root, sizeof(root), "another batch (other times, ids): another root");
  for (size_t i = 0; i < 3; i++) {
    long n = ledger_entry_get(F.l, size + i, buf, sizeof(buf));
    cr_assert_eq(n, (long)H.leaf_len[i]);
    cr_assert_arr_eq(buf, H.leaf[i], (size_t)n, "entry %zu as the hook saw it", i);
  }
  cr_assert_eq(H.legs_len_sum, 0, "transfers carry no legs");

  /* a batch that adds nothing (every submission refused) does not call it */
  struct ledger_submission bad = {.envelope = buf, .envelope_len = 3};
  memset(buf, 0xAB, 3);
  cr_assert_eq(ledger_apply(F.l, &bad, 1, F.time_ms, NULL), 0);
  cr_assert_neq(bad.result, 0);
  cr_assert_eq(H.calls, 2);
  ledger_set_precommit(F.l, NULL, NULL);
  cr_assert_eq(transfer_batch(1, false, NULL), 0);
  cr_assert_eq(H.calls, 2, "removed");
  teardown();
}
