/* The LMDB store: opening the environment and its named databases, the single-writer lock,
 * map growth, the Merkle node adapter, checkpoints, backup and statistics. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger/internal.h"

#define MAP_BYTES_DEFAULT (UINT64_C(64) << 20)
#define MAP_BYTES_MAX_DEFAULT (UINT64_C(64) << 30)
#define PATH_BYTES_MAX 4096u

static const char *const db_names[DB_COUNT] = {
    [DB_ENTRIES] = "entries",         [DB_NODES] = "nodes",
    [DB_META] = "meta",               [DB_ACCOUNTS] = "accounts",
    [DB_USCC] = "uscc",               [DB_PROVINCE] = "province",
    [DB_BALANCES] = "balances",       [DB_KEYS] = "keys",
    [DB_INSTRUMENTS] = "instruments", [DB_YEARS] = "years",
    [DB_COMPLIANCE] = "compliance",   [DB_CARRIED] = "carried",
    [DB_TXIDS] = "txids",             [DB_HISTORY] = "history",
    [DB_CHECKPOINTS] = "checkpoints", [DB_LEGS] = "legs", [DB_ALLOC] = "alloc",
    [DB_FREEZES] = "freezes", [DB_FREEZE_HOLD] = "freeze_hold",
    [DB_CARRY] = "carry", [DB_DEDUCT] = "deductions",
};

/* The errno behind this thread's last STORAGE, for messages that name the cause. */
static _Thread_local int storage_errno;

int ledger_storage_errno(void) { return storage_errno; }

const char *ledger_storage_message(int os_errno) {
  static _Thread_local char buf[160];
  if (os_errno <= 0 || os_errno >= 4096) return proto_err_message(PROTO_E_STORAGE);
  snprintf(buf, sizeof(buf), "%s: %s", proto_err_message(PROTO_E_STORAGE), strerror(os_errno));
  return buf;
}

const char *ledger_err_message(int err) {
  return err == PROTO_E_STORAGE ? ledger_storage_message(storage_errno) : proto_err_message(err);
}

int store__mdb_err(int rc) {
  switch (rc) {
  case 0: return 0;
  case MDB_MAP_FULL: return PROTO_E_MAP_FULL;
  case MDB_CORRUPTED:
  case MDB_PAGE_NOTFOUND:
  case MDB_INVALID:
  case MDB_VERSION_MISMATCH: return PROTO_E_CORRUPT;
  case MDB_NOTFOUND: return PROTO_E_NOT_FOUND;
  case ENOMEM: return PROTO_E_NO_MEMORY;
  default:
    /* An operating-system error (EIO from a failed fsync, ENOSPC, EDQUOT, EROFS, EACCES...) or
     * another LMDB failure: the storage failed. The errno is kept for the message. */
    storage_errno = rc > 0 && rc < 4096 ? rc : 0;
    return PROTO_E_STORAGE;
  }
}

int store__read_begin(struct ledger *l, MDB_txn **txn) {
  /* A store found damaged is not read again: LMDB may crash on the damaged page. */
  if (__atomic_load_n(&l->damaged, __ATOMIC_ACQUIRE)) return PROTO_E_CORRUPT;
  PROTO_ASSERT(l != NULL && l->env != NULL && txn != NULL);
  pthread_rwlock_rdlock(&l->resize_lock);
  int rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, txn);
  if (rc == MDB_MAP_RESIZED) {
    /* The writer is another process (this one is read-only) and grew the map: adopt its size. */
    pthread_rwlock_unlock(&l->resize_lock);
    pthread_rwlock_wrlock(&l->resize_lock);
    rc = mdb_env_set_mapsize(l->env, 0);
    pthread_rwlock_unlock(&l->resize_lock);
    pthread_rwlock_rdlock(&l->resize_lock);
    if (rc == 0) rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, txn);
  }
  if (rc) {
    pthread_rwlock_unlock(&l->resize_lock);
    return store__mdb_err(rc);
  }
  return 0;
}

void store__read_end(struct ledger *l, MDB_txn *txn) {
  PROTO_ASSERT(txn != NULL && (mdb_txn_env(txn) == l->env));
  mdb_txn_abort(txn);
  pthread_rwlock_unlock(&l->resize_lock);
}

/* Merkle node adapter: key = level byte || u64 BE index (the scheme tlog/tlog.h documents). Level 0
 * is not stored: a leaf hash is the hash of the stored entry, which saves a third of the bytes per
 * entry; the writer's node cache holds the level-0 sibling an append needs. */
static int leaf_get(const struct store_nodes_ctx *c, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  uint8_t key[8];
  be64_put(key, index);
  MDB_val k = {sizeof(key), key}, v;
  int rc = mdb_get(c->txn, c->entries, &k, &v);
  if (rc == MDB_NOTFOUND) return PROTO_E_CORRUPT; /* the tree asks only for leaves that exist */
  if (rc) return store__mdb_err(rc);
  tlog_leaf_hash(v.mv_data, v.mv_size, out);
  return 0;
}

static int nodes_get(void *ctx, unsigned level, uint64_t index, uint8_t out[PROTO_HASH_BYTES]) {
  const struct store_nodes_ctx *c = ctx;
  if (c->cache && level < TLOG_LEVELS && c->cache->valid[level] &&
      c->cache->index[level] == index) {
    memcpy(out, c->cache->hash[level], PROTO_HASH_BYTES);
    return 0;
  }
  if (level == 0) return leaf_get(c, index, out);
  PROTO_ASSERT(level < TLOG_LEVELS);
  uint8_t key[TLOG_NODE_KEY_BYTES];
  tlog_node_key(level, index, key);
  MDB_val k = {sizeof(key), key}, v;
  int rc = mdb_get(c->txn, c->dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return PROTO_E_CORRUPT; /* the tree asks only for nodes that exist */
  if (rc) return store__mdb_err(rc);
  if (v.mv_size != PROTO_HASH_BYTES) return PROTO_E_CORRUPT;
  memcpy(out, v.mv_data, PROTO_HASH_BYTES);
  return 0;
}

static int nodes_put(void *ctx, unsigned level, uint64_t index,
                     const uint8_t hash[PROTO_HASH_BYTES]) {
  const struct store_nodes_ctx *c = ctx;
  PROTO_ASSERT(c->txn != NULL && level < TLOG_LEVELS);
  int rc = 0;
  if (level > 0) {
    uint8_t key[TLOG_NODE_KEY_BYTES];
    tlog_node_key(level, index, key);
    MDB_val k = {sizeof(key), key}, v = {PROTO_HASH_BYTES, (void *)hash};
    rc = store__mdb_err(mdb_put(c->txn, c->dbi, &k, &v, 0));
  }
  if (rc == 0 && c->cache && level < TLOG_LEVELS) {
    c->cache->index[level] = index;
    memcpy(c->cache->hash[level], hash, PROTO_HASH_BYTES);
    c->cache->valid[level] = true;
  }
  return rc;
}

void store__nodes(struct tlog_store *s, struct store_nodes_ctx *c, MDB_txn *txn,
                  const struct ledger *l, struct node_cache *cache) {
  c->txn = txn;
  c->dbi = l->dbi[DB_NODES];
  c->entries = l->dbi[DB_ENTRIES];
  c->cache = cache;
  s->ctx = c;
  s->get = nodes_get;
  s->put = nodes_put;
}

static int lock_dir(const char *dir, int *fd_out) {
  char path[PATH_BYTES_MAX];
  if (snprintf(path, sizeof(path), "%s/quotad.lock", dir) >= (int)sizeof(path))
    return PROTO_E_BAD_ARGUMENT;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  /* flock locks belong to the open file description, so a second open in this same process
   * is refused too (LMDB must not be opened twice by one process). */
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    close(fd);
    return e == EWOULDBLOCK ? PROTO_E_LOCKED : -e;
  }
  *fd_out = fd;
  return 0;
}

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *v) {
  MDB_val k = {strlen(name), (void *)name};
  return mdb_get(txn, dbi, &k, v);
}

/* meta "verified_size" (u64), written by deferred appends: how far their entries' signatures and
 * legs were verified. A store without it verified every entry inline. */
static int load_verified(struct ledger *l, MDB_txn *txn, uint64_t size) {
  MDB_val v;
  int rc = meta_get(txn, l->dbi[DB_META], LEDGER_META_VERIFIED, &v);
  l->verified_stored = rc == 0;
  if (rc == MDB_NOTFOUND) {
    __atomic_store_n(&l->verified_size, size, __ATOMIC_RELEASE);
    return 0;
  }
  if (rc) return store__mdb_err(rc);
  if (v.mv_size != 8 || be64_get(v.mv_data) > size) return PROTO_E_CORRUPT;
  __atomic_store_n(&l->verified_size, be64_get(v.mv_data), __ATOMIC_RELEASE);
  PROTO_ASSERT(l->verified_size <= size);
  return 0;
}

/* Loads what the genesis stored and the tree size into the handle. */
static int load_meta(struct ledger *l, MDB_txn *txn) {
  MDB_val v;
  int rc = meta_get(txn, l->dbi[DB_META], "tree_size", &v);
  if (rc == MDB_NOTFOUND) return 0;
  if (rc) return store__mdb_err(rc);
  if (v.mv_size != 8) return PROTO_E_CORRUPT;
  uint64_t size = be64_get(v.mv_data);
  uint64_t last = 0;
  if (meta_get(txn, l->dbi[DB_META], "last_time_ms", &v) == 0 && v.mv_size == 8)
    last = be64_get(v.mv_data);
  l->last_time_ms = last;
  if (size > 0) {
    rc = meta_get(txn, l->dbi[DB_META], "origin", &v);
    if (rc || v.mv_size == 0 || v.mv_size > PROTO_ORIGIN_BYTES_MAX) return PROTO_E_CORRUPT;
    memcpy(l->origin, v.mv_data, v.mv_size);
    l->origin[v.mv_size] = '\0';
    rc = meta_get(txn, l->dbi[DB_META], "log_public_key", &v);
    if (rc || v.mv_size != PROTO_PUBKEY_BYTES) return PROTO_E_CORRUPT;
    memcpy(l->log_pub, v.mv_data, PROTO_PUBKEY_BYTES);
    rc = meta_get(txn, l->dbi[DB_META], "national_account", &v);
    if (rc || v.mv_size != 8) return PROTO_E_CORRUPT;
    l->national = be64_get(v.mv_data);
    rc = meta_get(txn, l->dbi[DB_META], "operator_threshold", &v);
    if (rc || v.mv_size != 1 || ((const uint8_t *)v.mv_data)[0] < 1) return PROTO_E_CORRUPT;
    l->op_threshold = ((const uint8_t *)v.mv_data)[0];
    __atomic_store_n(&l->has_genesis, true, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&l->tree_size, size, __ATOMIC_RELEASE);
  return load_verified(l, txn, size);
}

/* meta "databases" (u8): how many of the named databases, in enum order, the store has had since
 * a writer last opened it. A reader may find a database added later missing (an older store),
 * never one the store counts: that is a damaged catalog of names, where a writer's MDB_CREATE
 * would write into the damage. The writer counts them after creating them. */
static int dbs_counted(struct ledger *l, MDB_txn *txn) {
  MDB_val k = {9, (void *)"databases"}, v;
  int rc = mdb_get(txn, l->dbi[DB_META], &k, &v);
  unsigned had = rc == 0 && v.mv_size == 1 ? ((const uint8_t *)v.mv_data)[0] : 0;
  if (rc != 0 && rc != MDB_NOTFOUND) return rc;
  if (rc == 0 && v.mv_size != 1) return MDB_CORRUPTED;
  if (had > DB_COUNT && !l->read_only) return MDB_CORRUPTED; /* a later release's store */
  if ((had > DB_LEGS && l->no_legs_db) || (had > DB_ALLOC && l->no_alloc_db) ||
      (had > DB_FREEZES && l->no_freeze_db) || (had > DB_CARRY && l->no_carry_db))
    return MDB_CORRUPTED;
  if (l->read_only || had == DB_COUNT) return 0;
  uint8_t count = DB_COUNT;
  MDB_val val = {1, &count};
  return mdb_put(txn, l->dbi[DB_META], &k, &val, 0);
}

/* Databases a store written by an earlier release may lack (a reader sees them empty). */
static bool db_added_later(unsigned i) {
  return i == DB_LEGS || i == DB_ALLOC || i == DB_FREEZES || i == DB_FREEZE_HOLD ||
         i == DB_CARRY || i == DB_DEDUCT;
}

static int open_dbs(struct ledger *l) {
  MDB_txn *txn;
  unsigned flags = l->read_only ? MDB_RDONLY : 0;
  int rc = mdb_txn_begin(l->env, NULL, flags, &txn);
  if (rc) return store__mdb_err(rc);
  unsigned found = 0, missing = 0;
  for (unsigned i = 0; i < DB_COUNT && (rc == 0 || rc == MDB_NOTFOUND); i++) {
    rc = mdb_dbi_open(txn, db_names[i],
                      (l->read_only ? 0u : MDB_CREATE) |
                          (i == DB_HISTORY ? (unsigned)(MDB_DUPSORT | MDB_DUPFIXED) : 0u),
                      &l->dbi[i]);
    if (rc == 0) found++;
    else if (rc == MDB_NOTFOUND && !db_added_later(i)) missing++;
    /* A store no writer has opened since legs (allocation tables, freeze orders) were kept: a
     * reader sees none. */
    if (rc == MDB_NOTFOUND && i == DB_LEGS) l->no_legs_db = true;
    if (rc == MDB_NOTFOUND && i == DB_ALLOC) l->no_alloc_db = true;
    if (rc == MDB_NOTFOUND && (i == DB_FREEZES || i == DB_FREEZE_HOLD)) l->no_freeze_db = true;
    if (rc == MDB_NOTFOUND && (i == DB_CARRY || i == DB_DEDUCT)) l->no_carry_db = true;
  }
  PROTO_ASSERT(found + missing <= DB_COUNT);
  if (rc == MDB_NOTFOUND) rc = 0; /* judged from the counts below */
  /* None at all: a first open that crashed before creating them. Some but not all: the catalog
   * of names is damaged (and creating a name in it would write into the damage). */
  if (rc == 0 && missing > 0) rc = found == 0 ? MDB_NOTFOUND : MDB_CORRUPTED;
  if (rc == 0) rc = dbs_counted(l, txn);
  if (rc) {
    mdb_txn_abort(txn);
    return rc == MDB_NOTFOUND ? PROTO_E_NOT_FOUND : store__mdb_err(rc);
  }
  int prc = load_meta(l, txn);
  if (prc == 0) {
    MDB_val k, v;
    MDB_cursor *cur;
    /* The latest checkpoint stored, if any, becomes the one served. */
    if (mdb_cursor_open(txn, l->dbi[DB_CHECKPOINTS], &cur) == 0) {
      if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size == 8 &&
          v.mv_size < sizeof(l->cp_text)) {
        memcpy(l->cp_text, v.mv_data, v.mv_size);
        l->cp_text[v.mv_size] = '\0';
        l->cp_len = v.mv_size;
        l->cp_size = be64_get(k.mv_data);
        l->cp_persisted = true;
      }
      mdb_cursor_close(cur);
    }
  }
  rc = prc ? (mdb_txn_abort(txn), 0) : mdb_txn_commit(txn);
  return prc ? prc : store__mdb_err(rc);
}

static int env_open(struct ledger *l, const struct ledger_config *cfg) {
  int rc = mdb_env_create(&l->env);
  if (rc) return store__mdb_err(rc);
  mdb_env_set_maxdbs(l->env, DB_COUNT + 2);
  mdb_env_set_maxreaders(l->env, 512);
  rc = mdb_env_set_mapsize(l->env, (size_t)l->map_bytes);
  /* Safe defaults only: no NOSYNC, NOMETASYNC or WRITEMAP. NOTLS: read transactions are not
   * tied to threads, and several ledgers' readers may share a thread. */
  unsigned flags = MDB_NOTLS | (l->read_only ? MDB_RDONLY : 0);
  if (rc == 0) rc = mdb_env_open(l->env, cfg->dir, flags, 0600);
  if (rc) return store__mdb_err(rc);
  MDB_envinfo info;
  /* A map bigger than asked (another writer grew it) becomes our current size. */
  if (mdb_env_info(l->env, &info) == 0 && info.me_mapsize > l->map_bytes)
    l->map_bytes = info.me_mapsize;
  return 0;
}

int ledger_open(const struct ledger_config *cfg, struct ledger **out) {
  if (!cfg || !cfg->dir || !out) return PROTO_E_BAD_ARGUMENT;
  if (cfg->invariants_every_batches > LEDGER_INVARIANTS_EVERY_BATCHES_MAX) return PROTO_E_BAD_ARGUMENT;
  struct ledger *l = calloc(1, sizeof(*l));
  if (!l) return PROTO_E_NO_MEMORY;
  l->lock_fd = -1;
  l->read_only = cfg->read_only || cfg->log_key == NULL;
  l->log_key = cfg->log_key;
  l->map_bytes = cfg->map_bytes_initial ? cfg->map_bytes_initial : MAP_BYTES_DEFAULT;
  l->map_bytes_max = cfg->map_bytes_max ? cfg->map_bytes_max : MAP_BYTES_MAX_DEFAULT;
  if (l->map_bytes > l->map_bytes_max) l->map_bytes = l->map_bytes_max;
  l->sign_deferred = cfg->sign_deferred;
  l->invariants_every = cfg->invariants_every_batches ? cfg->invariants_every_batches
                                                      : LEDGER_INVARIANTS_EVERY_BATCHES_DEFAULT;
  pthread_rwlock_init(&l->resize_lock, NULL);
  pthread_mutex_init(&l->cp_mutex, NULL);
  pthread_mutex_init(&l->key_mutex, NULL);
  int rc = 0;
  if (!l->read_only && mkdir(cfg->dir, 0700) != 0 && errno != EEXIST) rc = -errno;
  if (rc == 0 && !l->read_only) rc = lock_dir(cfg->dir, &l->lock_fd);
  /* With the lock held no other writer runs: check the store before LMDB reads a page of it. */
  if (rc == 0 && !l->read_only && !cfg->no_open_check) rc = check__at_open(cfg);
  if (rc == 0 && !l->read_only) rc = overlay__init(&l->ov);
  if (rc == 0) rc = env_open(l, cfg);
  if (rc == 0) rc = open_dbs(l);
  if (rc == 0 && !l->read_only && l->has_genesis) {
    /* Checkpoints signed by another key than the genesis named would verify for nobody. */
    uint8_t pub[PROTO_PUBKEY_BYTES];
    proto_key_public(l->log_key, pub);
    if (memcmp(pub, l->log_pub, PROTO_PUBKEY_BYTES) != 0) rc = PROTO_E_UNKNOWN_LOG_KEY;
  }
  /* A crash between a commit and its checkpoint leaves the checkpoint behind: sign it now. */
  /* Not with sign_deferred: that tail may be one no one else confirmed (ledger_sign_at). */
  /* Nor over entries a deferred append left unverified (ledger_sign_verified signs them later). */
  if (rc == 0 && !l->read_only && !l->sign_deferred && l->tree_size > 0 && l->cp_size != l->tree_size &&
      l->verified_size == l->tree_size) {
    MDB_txn *txn;
    rc = store__mdb_err(mdb_txn_begin(l->env, NULL, 0, &txn));
    if (rc == 0) {
      rc = store__sign_checkpoint(l, txn, l->tree_size);
      if (rc == 0) rc = store__persist_checkpoint(l, txn, NULL);
      rc = rc ? (mdb_txn_abort(txn), rc) : store__mdb_err(mdb_txn_commit(txn));
    }
  }
  if (rc) {
    ledger_close(l);
    return rc;
  }
  *out = l;
  return 0;
}

void ledger_close(struct ledger *l) {
  if (!l) return;
  if (l->env && !l->read_only && !l->failed && !l->cp_persisted && l->cp_len > 0) {
    MDB_txn *txn;
    if (mdb_txn_begin(l->env, NULL, 0, &txn) == 0) {
      if (store__persist_checkpoint(l, txn, NULL) == 0) (void)mdb_txn_commit(txn);
      else mdb_txn_abort(txn);
    }
  }
  if (l->env) mdb_env_close(l->env);
  if (l->lock_fd >= 0) close(l->lock_fd);
  overlay__free(&l->ov);
  free(l->history);
  free(l->history_tmp);
  free(l->legs_buf);
  free(l->ctx);
  auth__cache_free(l);
  pthread_rwlock_destroy(&l->resize_lock);
  pthread_mutex_destroy(&l->cp_mutex);
  pthread_mutex_destroy(&l->key_mutex);
  free(l);
}

/* Signs the checkpoint for size over the nodes visible in txn and keeps it in memory. */
int store__sign_checkpoint(struct ledger *l, MDB_txn *txn, uint64_t size) {
  PROTO_ASSERT(l->log_key != NULL && !l->read_only); /* only a writer signs */
  PROTO_ASSERT(size > 0 && txn != NULL); /* the empty tree has no checkpoint to sign */
  struct tlog_checkpoint cp = {.size = size};
  struct tlog_store ms;
  struct store_nodes_ctx nctx;
  store__nodes(&ms, &nctx, txn, l, NULL);
  int rc = tlog_root(&ms, size, cp.root);
  if (rc) return rc;
  snprintf(cp.origin, sizeof(cp.origin), "%s", l->origin);
  char text[TLOG_CHECKPOINT_BYTES_MAX];
  long n = tlog_checkpoint_sign(&cp, l->origin, l->log_key, text, sizeof(text));
  if (n < 0) return (int)n;
  PROTO_ASSERT((size_t)n < sizeof(l->cp_text));
  pthread_mutex_lock(&l->cp_mutex);
  if (l->cp_len > 0 && l->cp_size > size) { /* signed beyond it meanwhile: keep the larger */
    pthread_mutex_unlock(&l->cp_mutex);
    return 0;
  }
  memcpy(l->cp_text, text, (size_t)n);
  l->cp_text[n] = '\0';
  l->cp_len = (size_t)n;
  l->cp_size = size;
  l->cp_persisted = false;
  pthread_mutex_unlock(&l->cp_mutex);
  return 0;
}

/* Writes the in-memory checkpoint into txn. It rides in the next batch's write transaction so
 * that a batch costs one fsync; after a crash ledger_open re-signs the same (deterministic) one. */
int store__persist_checkpoint(struct ledger *l, MDB_txn *txn, uint64_t *put_size) {
  PROTO_ASSERT(!l->read_only && txn != NULL);
  pthread_mutex_lock(&l->cp_mutex);
  int rc = 0;
  if (put_size) *put_size = 0;
  if (!l->cp_persisted && l->cp_len > 0) {
    uint8_t key[8];
    be64_put(key, l->cp_size);
    MDB_val k = {8, key}, v = {l->cp_len, l->cp_text};
    rc = store__mdb_err(mdb_put(txn, l->dbi[DB_CHECKPOINTS], &k, &v, 0));
    if (rc == 0) l->cp_persisted = true;
    if (rc == 0 && put_size) *put_size = l->cp_size;
  }
  pthread_mutex_unlock(&l->cp_mutex);
  return rc;
}

long ledger_checkpoint_latest(struct ledger *l, char *out, size_t cap) {
  pthread_mutex_lock(&l->cp_mutex);
  long rc;
  if (l->cp_len == 0) rc = PROTO_E_NOT_FOUND;
  else if (cap <= l->cp_len) rc = PROTO_E_FIELD_TOO_LONG;
  else {
    memcpy(out, l->cp_text, l->cp_len + 1);
    rc = (long)l->cp_len;
  }
  pthread_mutex_unlock(&l->cp_mutex);
  return rc;
}

int ledger_backup(struct ledger *l, const char *dir) {
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -errno;
  pthread_rwlock_rdlock(&l->resize_lock);
  int rc = mdb_env_copy2(l->env, dir, MDB_CP_COMPACT);
  pthread_rwlock_unlock(&l->resize_lock);
  return store__mdb_err(rc);
}

int ledger_stats(struct ledger *l, struct ledger_stats *out) {
  MDB_envinfo info;
  MDB_stat st;
  pthread_rwlock_rdlock(&l->resize_lock);
  int rc = mdb_env_info(l->env, &info);
  if (rc == 0) rc = mdb_env_stat(l->env, &st);
  pthread_rwlock_unlock(&l->resize_lock);
  if (rc) return store__mdb_err(rc);
  out->map_bytes = info.me_mapsize;
  out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
  out->entries = ledger_tree_size(l);
  out->map_bytes_max = l->map_bytes_max;
  return 0;
}

/* Doubles the map (up to the ceiling) with every reader of this process kept out. Returns
 * MAP_FULL when the map is already at the ceiling. The caller holds no transaction. */
int store__grow(struct ledger *l) {
  if (l->map_bytes >= l->map_bytes_max) return PROTO_E_MAP_FULL;
  uint64_t next = l->map_bytes * 2;
  if (next > l->map_bytes_max) next = l->map_bytes_max;
  PROTO_ASSERT(next > l->map_bytes); /* the map only grows */
  pthread_rwlock_wrlock(&l->resize_lock);
  int rc = mdb_env_set_mapsize(l->env, (size_t)next);
  pthread_rwlock_unlock(&l->resize_lock);
  if (rc) return store__mdb_err(rc);
  l->map_bytes = next;
  return 0;
}
