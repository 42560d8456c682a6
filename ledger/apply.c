/* ledger_apply: one batch of envelopes in one LMDB write transaction. Each envelope is decoded,
 * checked for idempotency, authorized and ruled on over the batch-local overlay; an accepted one
 * becomes the next entry with its Merkle nodes, tx id and history rows. One commit, one fsync,
 * then the checkpoint for the new size is signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/internal.h"

typedef int (*rule_fn)(struct tx_ctx *c);

static const rule_fn rules[PROTO_TX_TYPE_MAX + 1] = {
    [PROTO_TX_GENESIS] = rules__genesis,
    [PROTO_TX_KEY_REGISTER] = rules__key_register,
    [PROTO_TX_KEY_REVOKE] = rules__key_revoke,
    [PROTO_TX_ACCOUNT_OPEN] = rules__account_open,
    [PROTO_TX_ACCOUNT_UPDATE] = rules__account_update,
    [PROTO_TX_ACCOUNT_CLOSE] = rules__account_close,
    [PROTO_TX_INSTRUMENT_CREATE] = rules__instrument_create,
    [PROTO_TX_COMPLIANCE_YEAR] = rules__compliance_year,
    [PROTO_TX_ISSUE] = rules__issue,
    [PROTO_TX_ALLOCATE] = rules__allocate,
    [PROTO_TX_CLAWBACK] = rules__clawback,
    [PROTO_TX_TRANSFER] = rules__transfer,
    [PROTO_TX_POSITION_MOVE] = rules__position_move,
    [PROTO_TX_SETTLE] = rules__settle,
    [PROTO_TX_FREEZE] = rules__freeze,
    [PROTO_TX_UNFREEZE] = rules__unfreeze,
    [PROTO_TX_VERIFIED_EMISSIONS] = rules__verified_emissions,
    [PROTO_TX_SURRENDER] = rules__surrender,
    [PROTO_TX_CANCEL] = rules__cancel,
    [PROTO_TX_CARRY_OVER] = rules__carry_over,
    [PROTO_TX_DEDUCT] = rules__deduct,
    [PROTO_TX_ACCOUNT_REOPEN] = rules__account_reopen,
    [PROTO_TX_AT_RISK] = rules__at_risk,
    [PROTO_TX_ALLOC_TABLE_OPEN] = rules__alloc_table_open,
    [PROTO_TX_ALLOC_TABLE_ROWS] = rules__alloc_table_rows,
    [PROTO_TX_ALLOC_TABLE_CLOSE] = rules__alloc_table_close,
    [PROTO_TX_CARRY_OVER_RULE] = rules__carry_over_rule,
};

static int history_add(struct ledger *l, uint64_t account, uint64_t index) {
  PROTO_ASSERT(account != 0 && l->history_len <= l->history_cap);
  if (l->history_len == l->history_cap) {
    size_t ncap = l->history_cap ? l->history_cap * 2 : 16384;
    struct history_row *nh = realloc(l->history, ncap * sizeof(*nh));
    if (!nh) return PROTO_E_NO_MEMORY;
    l->history = nh;
    struct history_row *nt = realloc(l->history_tmp, ncap * sizeof(*nt));
    if (!nt) return PROTO_E_NO_MEMORY;
    l->history_tmp = nt;
    l->history_cap = ncap;
  }
  l->history[l->history_len++] = (struct history_row){.account = account, .index = index};
  return 0;
}

/* A stable radix sort of the batch's rows by account, a byte a pass from the lowest; a pass
 * whose byte is the same in every row is skipped (account ids are small: two passes, usually).
 * Rows are added in entry order, so stability keeps each account's indices ascending. A
 * settlement names thousands of accounts: qsort with a comparison call per step cost a tenth
 * of the writer's instructions there. */
static void history_sort(struct ledger *l) {
  struct history_row *a = l->history, *b = l->history_tmp;
  size_t n = l->history_len;
  for (unsigned shift = 0; shift < 64 && n > 1; shift += 8) {
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++) count[(a[i].account >> shift) & 0xffu]++;
    if (count[(a[0].account >> shift) & 0xffu] == n) continue;
    size_t pos = 0;
    for (unsigned k = 0; k < 256; k++) {
      size_t c = count[k];
      count[k] = pos;
      pos += c;
    }
    for (size_t i = 0; i < n; i++) b[count[(a[i].account >> shift) & 0xffu]++] = a[i];
    struct history_row *t = a;
    a = b;
    b = t;
  }
  l->history = a;
  l->history_tmp = b;
  PROTO_ASSERT(n < 2 || a[0].account <= a[n - 1].account);
}

/* History rows in key order (neighbouring puts touch the same pages), an account named twice
 * by one entry (a settlement's legs) once. They are duplicates of the account key (DUPSORT,
 * DUPFIXED): 8 bytes a row, packed. */
static int history_flush(struct ledger *l, MDB_txn *txn) {
  if (l->history_len == 0) return 0;
  PROTO_ASSERT(l->history != NULL && l->history_len <= l->history_cap);
  history_sort(l);
  for (size_t i = 0; i < l->history_len; i++) {
    const struct history_row *r = &l->history[i];
    if (i > 0 && r->account == r[-1].account && r->index == r[-1].index) continue;
    uint8_t key[8], val[8];
    be64_put(key, r->account);
    be64_put(val, r->index);
    MDB_val k = {8, key}, v = {8, val};
    int rc = store__mdb_err(mdb_put(txn, l->dbi[DB_HISTORY], &k, &v, 0));
    if (rc) return rc;
  }
  l->history_len = 0;
  return 0;
}

/* A version 2 settle's legs, apart from the entry (the entry carries only their root). */
static int legs_put(struct batch *b, uint64_t index, const uint8_t *legs, size_t len) {
  uint8_t key[8];
  be64_put(key, index);
  MDB_val k = {8, key}, v = {len, (void *)legs};
  return store__mdb_err(mdb_put(b->txn, b->l->dbi[DB_LEGS], &k, &v, MDB_APPEND));
}

/* A version 2 settle gets its legs (borrowed from the writer's buffer, no allocation) and, unless
 * the caller checked them (ledger_verify_legs), their check against the signed root; any other
 * transaction must come without legs. */
static int legs_attach(struct ledger *l, const struct ledger_submission *sub, struct proto_tx *tx) {
  bool v2 = tx->type == PROTO_TX_SETTLE && proto_tx_version(tx) == 2;
  if (!v2) return sub->legs ? PROTO_E_LEGS_UNEXPECTED : 0;
  if (!sub->legs) return PROTO_E_LEGS_MISSING;
  if (!l->legs_buf) l->legs_buf = malloc(PROTO_LEGS_MAX * sizeof(*l->legs_buf));
  if (!l->legs_buf) return PROTO_E_NO_MEMORY;
  int rc = proto_settle_legs_into(tx, sub->legs, sub->legs_len, l->legs_buf, PROTO_LEGS_MAX);
  if (rc) return rc;
  return sub->legs_verified ? 0 : tlog_legs_check(tx);
}

/* Appends the entry for an accepted transaction: leaf, Merkle nodes, tx id and history. */
static int append_entry(struct tx_ctx *c, const uint8_t *envelope, size_t envelope_len,
                        const uint8_t body_hash[PROTO_HASH_BYTES],
                        uint8_t leaf_hash[PROTO_HASH_BYTES]) {
  struct batch *b = c->b;
  PROTO_ASSERT(c->index == b->size); /* entries are appended in order, no gap */
  PROTO_ASSERT(envelope_len + PROTO_ENTRY_HEADER_BYTES <= PROTO_ENTRY_BYTES_MAX);
  static _Thread_local uint8_t leaf[PROTO_ENTRY_BYTES_MAX];
  struct proto_entry e = {.index = c->index,
                          .time_ms = b->time_ms,
                          .withheld = c->withheld,
                          .envelope = envelope,
                          .envelope_len = (uint16_t)envelope_len};
  long n = proto_entry_encode(&e, leaf, sizeof(leaf));
  if (n < 0) return (int)n;
  PROTO_ASSERT((size_t)n == envelope_len + PROTO_ENTRY_HEADER_BYTES);
  uint8_t key[16];
  be64_put(key, c->index);
  MDB_val k = {8, key}, v = {(size_t)n, leaf};
  int rc = store__mdb_err(mdb_put(b->txn, b->l->dbi[DB_ENTRIES], &k, &v, MDB_APPEND));
  if (rc == 0 && c->legs) rc = legs_put(b, c->index, c->legs, c->legs_len);
  if (rc) return rc;
  tlog_leaf_hash(leaf, (size_t)n, leaf_hash);
  struct tlog_store ms;
  store__nodes(&ms, &b->nodes, b->txn, b->l, &b->l->nodes);
  rc = tlog_append(&ms, c->index, leaf_hash);
  if (rc) return rc;
  struct rec_txid t = {.index = c->index};
  uint8_t tv[REC_TXID_BYTES];
  memcpy(t.body_hash, body_hash, PROTO_HASH_BYTES);
  rec_txid_encode(&t, tv);
  if (memcmp(c->tx->id, b->id_max, PROTO_ID_BYTES) > 0) {
    rc = overlay__put_new(b->ov, DB_TXIDS, c->tx->id, PROTO_ID_BYTES, tv, sizeof(tv));
    memcpy(b->id_max, c->tx->id, PROTO_ID_BYTES);
  } else {
    rc = overlay__put(b->ov, DB_TXIDS, c->tx->id, PROTO_ID_BYTES, tv, sizeof(tv));
  }
  if (rc) return rc;
  /* The accounts the entry names (proto_tx_accounts, the list the daemon's read rules use too)
   * get a history row each; rows are put at the end of the batch, sorted (history_flush). */
  c->touched_n = proto_tx_accounts(c->tx, b->national, c->touched, BATCH_TOUCHED_MAX);
  for (size_t i = 0; i < c->touched_n; i++) {
    rc = history_add(b->l, c->touched[i], c->index);
    if (rc) return rc;
  }
  return 0;
}

/* Same id: same body is EXISTS (original index), another body ID_CONFLICT. */
static int check_id(struct batch *b, struct ledger_submission *sub, const uint8_t *id,
                    const uint8_t body_hash[PROTO_HASH_BYTES]) {
  if (memcmp(id, b->id_max, PROTO_ID_BYTES) > 0) return 0; /* newer than every stored id */
  const uint8_t *v;
  size_t vlen;
  int rc = overlay__get(b->ov, DB_TXIDS, id, PROTO_ID_BYTES, &v, &vlen);
  if (rc == PROTO_E_NOT_FOUND) return 0;
  if (rc) return rc;
  struct rec_txid t;
  rc = rec_txid_decode(v, vlen, &t);
  if (rc) return rc;
  if (memcmp(t.body_hash, body_hash, PROTO_HASH_BYTES) != 0) return PROTO_E_ID_CONFLICT;
  sub->index = t.index;
  return LEDGER_EXISTS;
}

/* A fault of the machine (storage, memory: a 5xx code in proto's table) aborts the batch; a
 * refusal of the transaction does not. */
static bool is_storage_error(int rc) { return proto_err_is_server_fault(rc); }

/* Rules for one decoded transaction; returns the refusal code or a storage error. */
static int run_rules(struct tx_ctx *c) {
  struct batch *b = c->b;
  unsigned type = c->tx->type;
  PROTO_ASSERT(type >= PROTO_TX_TYPE_MIN && type <= PROTO_TX_TYPE_MAX && rules[type] != NULL);
  if (type == PROTO_TX_GENESIS && b->has_genesis) return PROTO_E_GENESIS_EXISTS;
  if (type != PROTO_TX_GENESIS && !b->has_genesis) return PROTO_E_GENESIS_REQUIRED;
  int rc = auth__collect(c);
  if (rc) return rc;
  return rules[type](c);
}

/* One submission. Returns 0 when it was decided (accepted or refused: see sub->result) or a
 * storage error that aborts the batch. */
static int apply_one(struct batch *b, struct ledger_submission *sub) {
  sub->result = 0;
  sub->index = sub->withheld = sub->aux = 0;
  sub->leg = -1;
  struct proto_envelope env;
  struct proto_tx tx;
  memset(&tx, 0, sizeof(tx));
  int rc = proto_envelope_decode(sub->envelope, sub->envelope_len, &env);
  if (rc == 0) rc = proto_tx_decode(env.body, env.body_len, &tx);
  if (rc == 0 && sub->envelope_len + PROTO_ENTRY_HEADER_BYTES > PROTO_ENTRY_BYTES_MAX)
    rc = PROTO_E_ENTRY_TOO_LARGE;
  if (rc == 0) rc = legs_attach(b->l, sub, &tx);
  if (rc) {
    proto_tx_free(&tx);
    sub->result = rc;
    return 0;
  }
  uint8_t body_hash[PROTO_HASH_BYTES];
  proto_body_hash(env.body, env.body_len, body_hash);
  rc = check_id(b, sub, tx.id, body_hash);
  if (rc) {
    proto_tx_free(&tx);
    sub->result = rc;
    return is_storage_error(rc) ? rc : 0;
  }
  /* One context per ledger, reused: it is large (a settle touches up to 2,000 accounts) and
   * clearing all of it for every transfer would cost more than the transfer. */
  if (!b->l->ctx) b->l->ctx = malloc(sizeof(*b->l->ctx));
  struct tx_ctx *c = b->l->ctx;
  if (!c) {
    proto_tx_free(&tx);
    return PROTO_E_NO_MEMORY;
  }
  c->withheld = c->aux = 0;
  c->leg = -1;
  c->touched_n = c->signers_n = 0;
  c->b = b;
  c->tx = &tx;
  c->env = &env;
  c->legs = tx.type == PROTO_TX_SETTLE && proto_tx_version(&tx) == 2 ? sub->legs : NULL;
  c->legs_len = sub->legs_len;
  c->verified = sub->signatures_verified;
  c->index = b->size;
  size_t mark = overlay__mark(b->ov);
  rc = run_rules(c);
  if (rc == 0) rc = append_entry(c, sub->envelope, sub->envelope_len, body_hash, sub->leaf_hash);
  if (rc == 0) {
    PROTO_ASSERT(c->withheld == 0 || tx.type == PROTO_TX_ALLOCATE); /* the audit refuses it elsewhere */
    sub->index = c->index;
    sub->withheld = c->withheld;
    b->size++;
  } else {
    PROTO_ASSERT(mark <= overlay__mark(b->ov)); /* the undo mark lies within the journal */
    overlay__rollback(b->ov, mark);
    sub->result = rc;
    sub->aux = (rc == PROTO_E_INSUFFICIENT_BALANCE || rc == PROTO_E_FROZEN || rc == PROTO_E_NOT_FROZEN ||
                rc == PROTO_E_INSUFFICIENT_SIGNATURES || rc == PROTO_E_ACCOUNT_EXISTS) ? c->aux : 0;
    sub->leg = c->leg;
  }
  proto_tx_free(&tx);
  return is_storage_error(rc) ? rc : 0;
}

static int meta_put_u64(struct batch *b, const char *name, uint64_t v) {
  uint8_t buf[8];
  be64_put(buf, v);
  MDB_val k = {strlen(name), (void *)name}, val = {8, buf};
  return store__mdb_err(mdb_put(b->txn, b->l->dbi[DB_META], &k, &val, 0));
}

static int id_max_load(struct ledger *l, MDB_txn *txn, uint8_t out[PROTO_ID_BYTES]) {
  MDB_cursor *cur;
  int rc = store__mdb_err(mdb_cursor_open(txn, l->dbi[DB_TXIDS], &cur));
  if (rc) return rc;
  MDB_val k, v;
  int mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  mdb_cursor_close(cur);
  memset(out, 0, PROTO_ID_BYTES);
  if (mrc == MDB_NOTFOUND) return 0;
  if (mrc) return store__mdb_err(mrc);
  if (k.mv_size != PROTO_ID_BYTES) return PROTO_E_CORRUPT;
  memcpy(out, k.mv_data, PROTO_ID_BYTES);
  return 0;
}

/* Entries another node of this registry committed, appended verbatim (ledger_append_entries). */
struct verbatim {
  const struct ledger_entry_in *in;
  const uint8_t *root; /* the tree's root once they are appended */
  bool deferred;       /* signatures and legs are left to ledger_verify_entries (rules still run) */
  char *why;
  size_t why_cap;
};

/* One verbatim entry: it must be the next index, keep time's order, and come out of the rules
 * accepted with the withheld amount it records; the rules verify its signatures and legs unless
 * they are deferred (then keys, revocation, roles and thresholds are still checked). */
static int append_one(struct batch *b, const struct verbatim *v, size_t i,
                      struct ledger_submission *sub) {
  struct proto_entry e;
  int rc = proto_entry_decode(v->in[i].leaf, v->in[i].leaf_len, &e);
  if (rc || e.index != b->size || e.time_ms < b->time_ms) {
    snprintf(v->why, v->why_cap, "entry at tree size %llu: %s", (unsigned long long)b->size,
             rc ? "does not decode" : e.index != b->size ? "carries another index" : "time goes back");
    return PROTO_E_DIVERGED;
  }
  b->time_ms = e.time_ms;
  *sub = (struct ledger_submission){.envelope = e.envelope, .envelope_len = e.envelope_len,
                                    .legs = v->in[i].legs, .legs_len = v->in[i].legs_len,
                                    .signatures_verified = v->deferred, .legs_verified = v->deferred};
  rc = apply_one(b, sub);
  if (rc) return rc;
  if (sub->result != 0 || sub->withheld != e.withheld) {
    snprintf(v->why, v->why_cap, "entry %llu: this node's rules answer %s", (unsigned long long)e.index,
             sub->result ? proto_err_name(sub->result) : "another withheld amount");
    return PROTO_E_DIVERGED;
  }
  return 0;
}

/* The root after the verbatim entries must be the one the other node signed. */
static int verbatim_root_check(struct batch *b, const struct verbatim *v) {
  struct tlog_store ms;
  struct store_nodes_ctx nctx;
  uint8_t root[PROTO_HASH_BYTES];
  store__nodes(&ms, &nctx, b->txn, b->l, &b->l->nodes);
  int rc = tlog_root(&ms, b->size, root);
  if (rc) return rc;
  if (memcmp(root, v->root, PROTO_HASH_BYTES) == 0) return 0;
  snprintf(v->why, v->why_cap, "the entries up to size %llu give another root than the one signed",
           (unsigned long long)b->size);
  return PROTO_E_INCONSISTENT;
}

/* Before the commit: verbatim entries must give the root the other node signed. The verified size
 * rides in the same transaction (no fsync of its own): a deferred batch keeps it where it is, a
 * verified one carries it along when nothing before it waits. A store that never deferred has no
 * key (everything verified) and gets none. */
static int batch_end(struct batch *b, const struct verbatim *v) {
  struct ledger *l = b->l;
  int rc = v ? verbatim_root_check(b, v) : 0;
  bool deferred = v && v->deferred;
  uint64_t verified = __atomic_load_n(&l->verified_size, __ATOMIC_ACQUIRE);
  PROTO_ASSERT(verified <= l->tree_size && l->tree_size <= b->size);
  l->verified_follows = !deferred && verified == l->tree_size;
  if (l->verified_follows) verified = b->size;
  if (rc || (!deferred && !l->verified_stored)) return rc;
  l->verified_stored = true; /* an abort leaves it unwritten: writing it again is harmless */
  return meta_put_u64(b, LEDGER_META_VERIFIED, verified);
}

void apply__verified_advance(struct ledger *l, uint64_t from, uint64_t to) {
  PROTO_ASSERT(from <= to);
  uint64_t cur = __atomic_load_n(&l->verified_size, __ATOMIC_ACQUIRE);
  /* [0, cur) and [from, to) verified: [0, to) is, when they touch */
  while (cur >= from && cur < to &&
         !__atomic_compare_exchange_n(&l->verified_size, &cur, to, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
  }
  PROTO_ASSERT(__atomic_load_n(&l->verified_size, __ATOMIC_ACQUIRE) <= ledger_tree_size(l));
}

/* The batch's new entries, read back from its transaction, and the root they give, for the
 * precommit hook (ledger_set_precommit). */
static int precommit(struct batch *b) {
  struct ledger *l = b->l;
  uint64_t from = l->tree_size;
  size_t n = (size_t)(b->size - from);
  struct ledger_entry_in *in = calloc(n, sizeof(*in));
  if (!in) return PROTO_E_NO_MEMORY;
  struct tlog_store ms;
  struct store_nodes_ctx nctx;
  uint8_t root[PROTO_HASH_BYTES];
  store__nodes(&ms, &nctx, b->txn, l, &l->nodes);
  int rc = tlog_root(&ms, b->size, root);
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint8_t key[8];
    be64_put(key, from + i);
    MDB_val k = {8, key}, v;
    rc = store__mdb_err(mdb_get(b->txn, l->dbi[DB_ENTRIES], &k, &v));
    if (rc) break;
    in[i].leaf = v.mv_data;
    in[i].leaf_len = v.mv_size;
    int lr = mdb_get(b->txn, l->dbi[DB_LEGS], &k, &v);
    if (lr == 0) {
      in[i].legs = v.mv_data;
      in[i].legs_len = v.mv_size;
    } else if (lr != MDB_NOTFOUND) {
      rc = store__mdb_err(lr);
    }
  }
  if (rc == 0) rc = l->precommit(l->precommit_ctx, from, b->size, root, in);
  free(in);
  return rc;
}

void ledger_set_precommit(struct ledger *l, ledger_precommit_fn fn, void *ctx) {
  PROTO_ASSERT(l != NULL);
  l->precommit = fn;
  l->precommit_ctx = ctx;
}

/* Runs the whole batch in one write transaction; commits on success. With v, subs receive the
 * verbatim entries' submissions and each entry keeps its own time. */
static int batch_once(struct ledger *l, struct ledger_submission *subs, size_t n,
                      uint64_t time_ms, const struct verbatim *v) {
  MDB_txn *txn;
  int rc = store__mdb_err(mdb_txn_begin(l->env, NULL, 0, &txn));
  if (rc) return rc;
  struct batch b = {.l = l, .ov = &l->ov, .txn = txn, .time_ms = time_ms};
  b.size = l->tree_size;
  b.has_genesis = l->has_genesis;
  memcpy(b.origin, l->origin, sizeof(b.origin));
  memcpy(b.log_pub, l->log_pub, sizeof(b.log_pub));
  b.national = l->national;
  b.op_threshold = l->op_threshold;
  overlay__reset(&l->ov, txn, l->dbi);
  rc = id_max_load(l, txn, b.id_max);
  if (rc) {
    mdb_txn_abort(txn);
    return rc;
  }
  l->history_len = 0;
  memset(&l->nodes, 0, sizeof(l->nodes));
  uint64_t cp_put = 0; /* the size of the checkpoint this transaction persists, if any */
  rc = store__persist_checkpoint(l, txn, &cp_put);
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint64_t size_was = b.size;
    rc = v ? append_one(&b, v, i, &subs[i]) : apply_one(&b, &subs[i]);
    PROTO_ASSERT(b.size == size_was || b.size == size_was + 1); /* at most one entry each */
  }
  PROTO_ASSERT(b.size >= l->tree_size); /* the tree never shrinks in a batch */
  if (rc == 0) rc = batch_end(&b, v);
  if (rc == 0) rc = overlay__flush(&l->ov);
  if (rc == 0) rc = history_flush(l, txn);
  if (rc == 0) rc = meta_put_u64(&b, "tree_size", b.size);
  if (rc == 0) rc = meta_put_u64(&b, "last_time_ms", b.time_ms);
  /* the last step before the commit: a hook's refusal still aborts */
  if (rc == 0 && !v && l->precommit && b.size > l->tree_size) rc = precommit(&b);
  if (rc) {
    mdb_txn_abort(txn);
    /* The aborted transaction took the checkpoint it persisted with it; one signed since (the
     * fence thread signs beside this one, ledger_sign_at) is unpersisted anyway. */
    pthread_mutex_lock(&l->cp_mutex);
    if (cp_put && l->cp_size == cp_put) l->cp_persisted = false;
    pthread_mutex_unlock(&l->cp_mutex);
    return rc;
  }
  rc = store__mdb_err(mdb_txn_commit(txn));
  if (rc) return rc;
  PROTO_ASSERT(b.size >= l->tree_size && time_ms >= l->last_time_ms);
  if (b.has_genesis && !l->has_genesis) {
    memcpy(l->origin, b.origin, sizeof(l->origin));
    memcpy(l->log_pub, b.log_pub, sizeof(l->log_pub));
    l->national = b.national;
    l->op_threshold = b.op_threshold;
    __atomic_store_n(&l->has_genesis, true, __ATOMIC_RELEASE);
  }
  __atomic_store_n(&l->tree_size, b.size, __ATOMIC_RELEASE);
  l->last_time_ms = b.time_ms;
  return 0;
}

static void fill_info(const struct ledger *l, const struct ledger_submission *subs, size_t n,
                      struct ledger_batch_info *info) {
  if (!info) return;
  memset(info, 0, sizeof(*info));
  info->tree_size = l->tree_size;
  info->time_ms = l->last_time_ms;
  for (size_t i = 0; i < n; i++) {
    if (subs[i].result == 0) info->accepted++;
    else if (subs[i].result == LEDGER_EXISTS) info->exists++;
    else info->refused++;
  }
}

/* Whether this batch's state is due for the invariant check (every invariants_every batches). */
static bool invariants_due(struct ledger *l) {
  PROTO_ASSERT(l->invariants_every >= 1 && l->invariants_due < l->invariants_every);
  if (++l->invariants_due < l->invariants_every) return false;
  l->invariants_due = 0;
  return true;
}

/* After a commit: sign (and every invariants_every batches, first check) the new state in a read
 * transaction. */
static int after_commit(struct ledger *l, uint64_t size_before, bool sign) {
  if (l->verified_follows) apply__verified_advance(l, size_before, l->tree_size);
  if (l->tree_size == size_before && l->cp_len > 0) return 0;
  if (l->tree_size == 0) return 0;
  MDB_txn *txn;
  int rc = store__read_begin(l, &txn);
  if (rc) return rc;
  /* Checked before signing: a state that breaks an invariant gets no checkpoint, and writes stop.
   * The batch itself is durable, so it is still reported committed (its clients hear the truth). */
  char why[256];
  if (invariants_due(l) && invariants__check_txn(l, txn, why, sizeof(why)) != 0) {
    fprintf(stderr, "ledger: invariant broken after batch (writes stopped, no checkpoint): %s\n",
            why);
    l->failed = true;
    store__read_end(l, txn);
    return 0;
  }
  rc = sign ? store__sign_checkpoint(l, txn, l->tree_size) : 0;
  if (rc) {
    /* The batch is durable whatever happens here: report it committed. The checkpoint stays
     * at the previous size until a later batch (or the next open) signs one. */
    fprintf(stderr, "ledger: checkpoint for size %llu not signed: %s\n",
            (unsigned long long)l->tree_size, proto_err_name(rc));
    rc = 0;
  }
  store__read_end(l, txn);
  return rc;
}

int ledger_apply(struct ledger *l, struct ledger_submission *subs, size_t n, uint64_t time_ms,
                 struct ledger_batch_info *info) {
  if (l->read_only) return PROTO_E_READ_ONLY;
  if (l->failed || __atomic_load_n(&l->damaged, __ATOMIC_ACQUIRE)) return PROTO_E_CORRUPT;
  if (n > 0 && !subs) return PROTO_E_BAD_ARGUMENT;
  if (n > LEDGER_BATCH_SUBMISSIONS_MAX) return PROTO_E_TOO_LARGE;
  if (time_ms < l->last_time_ms) time_ms = l->last_time_ms;
  uint64_t size_before = l->tree_size;
  int rc;
  for (;;) {
    rc = batch_once(l, subs, n, time_ms, NULL);
    if (rc != PROTO_E_MAP_FULL) break;
    /* Nothing of the batch was kept: grow the map and run it again from the start. */
    rc = store__grow(l);
    if (rc) break;
  }
  if (rc == PROTO_E_CORRUPT) l->failed = true;
  if (rc) return rc;
  fill_info(l, subs, n, info);
  rc = after_commit(l, size_before, !l->sign_deferred);
  if (info) info->tree_size = l->tree_size;
  return rc;
}

static int append_verbatim(struct ledger *l, const struct ledger_entry_in *in, size_t n,
                           const uint8_t root[PROTO_HASH_BYTES], bool deferred, char *why,
                           size_t why_cap) {
  if (why_cap) why[0] = '\0';
  if (l->read_only) return PROTO_E_READ_ONLY;
  if (l->failed || __atomic_load_n(&l->damaged, __ATOMIC_ACQUIRE)) return PROTO_E_CORRUPT;
  if (n == 0 || !in || !root) return PROTO_E_BAD_ARGUMENT;
  if (n > LEDGER_BATCH_SUBMISSIONS_MAX) return PROTO_E_TOO_LARGE;
  struct ledger_submission *subs = calloc(n, sizeof(*subs));
  if (!subs) return PROTO_E_NO_MEMORY;
  /* Before the genesis nothing is deferred: it is signed by the log key, which no keys database
   * holds, and every key after it comes from it. */
  bool defer = deferred && __atomic_load_n(&l->has_genesis, __ATOMIC_ACQUIRE);
  struct verbatim v = {.in = in, .root = root, .deferred = defer, .why = why, .why_cap = why_cap};
  uint64_t size_before = l->tree_size;
  int rc;
  for (;;) {
    rc = batch_once(l, subs, n, l->last_time_ms, &v);
    if (rc != PROTO_E_MAP_FULL) break;
    rc = store__grow(l);
    if (rc) break;
  }
  free(subs);
  if (rc == PROTO_E_CORRUPT) l->failed = true;
  if (rc) return rc;
  PROTO_ASSERT(l->tree_size == size_before + n);
  /* The deferred form signs nothing, even for a batch verified inline (before the genesis): its
   * caller decides what may be signed (ledger_sign_verified: verified entries, and a standby only
   * up to what its primary signed; a stream changed on its way, root and all, must never get the
   * log key's signature over another tree). */
  return after_commit(l, size_before, !deferred);
}

int ledger_append_entries(struct ledger *l, const struct ledger_entry_in *in, size_t n,
                          const uint8_t root[PROTO_HASH_BYTES], char *why, size_t why_cap) {
  return append_verbatim(l, in, n, root, false, why, why_cap);
}

int ledger_append_entries_deferred(struct ledger *l, const struct ledger_entry_in *in, size_t n,
                                   const uint8_t root[PROTO_HASH_BYTES], char *why, size_t why_cap) {
  return append_verbatim(l, in, n, root, true, why, why_cap);
}

int ledger_sign_at(struct ledger *l, uint64_t size) {
  PROTO_ASSERT(l != NULL);
  if (l->read_only || size == 0) return 0;
  /* a broken invariant (after_commit) stops signing, here as in ledger_apply */
  if (__atomic_load_n(&l->failed, __ATOMIC_ACQUIRE)) return PROTO_E_CORRUPT;
  PROTO_ASSERT(size <= __atomic_load_n(&l->tree_size, __ATOMIC_ACQUIRE)); /* committed sizes only */
  pthread_mutex_lock(&l->cp_mutex);
  bool current = l->cp_len > 0 && l->cp_size >= size;
  pthread_mutex_unlock(&l->cp_mutex);
  if (current) return 0;
  MDB_txn *txn;
  int rc = store__read_begin(l, &txn);
  if (rc) return rc;
  rc = store__sign_checkpoint(l, txn, size);
  store__read_end(l, txn);
  return rc;
}
